"""Fixtures of the browser suite: the served build and one Chromium for the session (see
browser_session.py), and a summary at the end: per page, its load time, formulas, display equations
that scroll inside their own box (the last resort the course CSS allows) or fail, and figure text
sizes; written to ``_build/browser_report.json`` and printed as a table."""

from __future__ import annotations

import json

import browser_session as session
import pytest


@pytest.fixture(scope="session")
def site():
    served = session.Site(session.HTML)
    yield served
    served.close()


@pytest.fixture(scope="session")
def browser(site, request):
    chromium = session.Browser(site)
    request.config._browser_session = chromium
    yield chromium
    chromium.close()


def _summary(result: session.PageResult) -> dict:
    if result.error:
        return {"page": result.page, "error": result.error}
    row = {"page": result.page, "seconds": round(sum(v.seconds for v in result.visits.values()), 2)}
    row["formulas"] = result.main.probe.get("formulas", 0)
    for width, visit in result.visits.items():
        equations = visit.probe.get("equations", [])
        statuses = [e.get("status") for e in equations]
        row[f"display_{width}"] = len(equations)
        row[f"scrolls_{width}"] = statuses.count("scrolls")
        row[f"failing_{width}"] = sum(s in ("cut", "overflows") for s in statuses)
        row[f"page_scrolls_{width}"] = visit.probe.get("scrollWidth", 0) > visit.probe.get("clientWidth", 0)
        row[f"scrolling_equations_{width}"] = [
            {"where": e["where"], "tex": e["tex"], "width": e.get("width"), "box": e.get("box")}
            for e in equations
            if e.get("status") == "scrolls"
        ]
    row["explorer_sliders"] = {
        explorer["where"]: {slider["name"]: slider["changed"] for slider in explorer["sliders"]}
        for explorer in result.main.probe.get("explorers", [])
    }
    row["images"] = len(result.main.probe.get("images", []))
    row["links"] = len(result.main.probe.get("hrefs", []))
    # Filled when the figure-text check ran on this page.
    row["text_css_px"] = [size["css_px"] for size in result.text_sizes or []]
    return row


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    chromium = getattr(config, "_browser_session", None)
    if chromium is None or not chromium.results():
        return
    rows = [_summary(result) for result in chromium.results().values()]
    session.OUT.mkdir(parents=True, exist_ok=True)
    session.REPORT.write_text(json.dumps(rows, indent=1) + "\n")
    write = terminalreporter.write_line
    terminalreporter.section("browser suite: display equations (scroll = shown in a sideways-scrolling box)")
    write(
        f"{'page':28s} {'load s':>6s} {'formulas':>8s} {'display':>7s} {'scroll@1280':>11s} {'scroll@400':>10s}"
        f" {'fail@1280':>9s} {'fail@400':>8s} {'min text px':>11s}"
    )
    for row in rows:
        if "error" in row:
            write(f"{row['page']:28s} ERROR {row['error']}")
            continue
        sizes = [size for size in row["text_css_px"] if size is not None]
        smallest = f"{min(sizes):.1f}" if sizes else "-"
        write(
            f"{row['page']:28s} {row['seconds']:6.1f} {row['formulas']:8d} {row['display_1280']:7d}"
            f" {row['scrolls_1280']:11d} {row['scrolls_400']:10d} {row['failing_1280']:9d} {row['failing_400']:8d}"
            f" {smallest:>11s}"
        )
    total = sum(row.get("seconds", 0) for row in rows)
    write(
        f"{len(rows)} pages in {total:.0f} s of page visits; report: {session.REPORT}; "
        f"screenshots: {session.SCREENSHOTS}"
    )
