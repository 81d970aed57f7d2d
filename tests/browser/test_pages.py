"""The browser suite: every page of the built book, read in headless Chromium at 1280 and 400 px.

One test function per check, parametrised over pages, so that a failure names the check and the page;
each function's name starts with its check's name (CHECKS), so ``-k equations_fit`` selects one check.
Each page is loaded once per width (browser_session.py); the tests only read what that visit gathered.
Checks a page does not pass yet are listed, with their reason, in known_failures.py.

    pytest -p no:xdist tests/browser            # needs `make book` and Debian's chromium + chromium-driver
"""

from __future__ import annotations

import urllib.parse
from functools import lru_cache

import browser_session as session
import pytest
from detectors import (
    MIN_TEXT_CSS_PX,
    alt_problem,
    html_ids,
    launch_target,
    leaves_site,
    local_link_target,
    output_problems,
    raw_tex,
    repository_of,
    toc_pages,
)
from known_failures import KNOWN_FAILURES

_UNAVAILABLE = session.unavailable_reason()
if _UNAVAILABLE:
    pytest.skip(_UNAVAILABLE, allow_module_level=True)

PAGES = session.pages()
CHECKS = (
    "console",
    "offline",
    "raw_tex",
    "equations_fit",
    "images",
    "figures_numbered",
    "figure_text",
    "explorers",
    "clean_outputs",
    "links",
    "launch_buttons",
)
SHOWN = 12  # problems listed in a failure message


def pages_for(check: str):
    """PAGES as parameters, each known failure of ``check`` marked xfail(strict=True) with its reason."""
    params = []
    for page in PAGES:
        reason = KNOWN_FAILURES.get((check, page))
        marks = ()
        if reason:
            marks = pytest.mark.xfail(
                strict=True,
                reason=f"{reason} [known failure: once this passes, delete "
                f"KNOWN_FAILURES[({check!r}, {page!r})] in tests/browser/known_failures.py]",
            )
        params.append(pytest.param(page, id=page, marks=marks))
    return params


def visited(browser, page: str) -> session.PageResult:
    result = browser.result(page)
    if result.error:
        pytest.fail(f"{page}: the page could not be read: {result.error}", pytrace=False)
    return result


def fail_if(problems: list[str], what: str, page: str) -> None:
    problems = list(dict.fromkeys(problems))
    if problems:
        listed = "\n  ".join(problems[:SHOWN])
        more = f"\n  ... and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
        pytest.fail(f"{page}: {len(problems)} {what}:\n  {listed}{more}", pytrace=False)


def test_known_failures_name_real_checks_and_pages():
    unknown = [key for key in KNOWN_FAILURES if key[0] not in CHECKS or key[1] not in PAGES]
    assert not unknown, f"KNOWN_FAILURES entries for no check or no built page: {unknown}"
    untested = [check for check in CHECKS if not any(name.startswith(f"test_{check}_") for name in globals())]
    assert not untested, f"checks without a test_<check>_... function: {untested}"


def test_every_toc_page_is_built():
    assert not session.unbuilt_toc_pages(), f"pages in _toc.yml without HTML in {session.HTML}"


SYNTHETIC_PAGE = """<!DOCTYPE html><html><head><style>
  body { margin: 0; } article { width: 300px; }
  mjx-container { display: block; } mjx-math { display: inline-block; height: 10px; }
</style></head><body><article class="bd-article">
<div id="fits"><mjx-container display="true"><mjx-math style="width: 100px"></mjx-math></mjx-container></div>
<div id="scrolls"><mjx-container display="true" style="overflow-x: auto">
  <mjx-math style="width: 500px"></mjx-math></mjx-container></div>
<div id="cut-left"><mjx-container display="true" style="overflow-x: auto">
  <mjx-math style="width: 500px; margin-left: -60px"></mjx-math></mjx-container></div>
<div id="clipped" style="overflow: hidden"><mjx-container display="true">
  <mjx-math style="width: 500px"></mjx-math></mjx-container></div>
<div id="overflows"><mjx-container display="true"><mjx-math style="width: 500px"></mjx-math></mjx-container></div>
<p id="prose">the rate $\\eta$ stays raw</p><pre id="code">$x$ is code</pre>
<div class="lh-slider-figure" id="works" data-ready="1"><input type="range" min="0" max="2" value="0">
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="frame 0"></div>
<div class="lh-slider-figure" id="stuck" data-ready="1"><input type="range" min="0" max="2" value="0">
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="frame 0"></div>
<script>
  const works = document.querySelector("#works");
  works.querySelector("input").addEventListener("input", (e) => {
    works.querySelector("img").setAttribute("src", "data:image/gif;base64,R0lGODlhAQABAAAAACw=#" + e.target.value);
  });
</script>
</article></body></html>"""


def test_probe_reads_a_synthetic_page(browser):
    """The in-page probe on a page whose answers are known: one equation per placement, raw TeX in prose
    but not in code, and an explorer whose image follows its slider next to one whose image does not."""
    probe = browser.probe_html(SYNTHETIC_PAGE)
    placements = {equation["where"]: equation["status"] for equation in probe["equations"]}
    assert placements == {
        "fits": "fits",
        "scrolls": "scrolls",
        "cut-left": "cut",
        "clipped": "cut",
        "overflows": "overflows",
    }
    assert [text["where"] for text in probe["texts"] if raw_tex(text["text"])] == ["prose"]
    moved = {
        explorer["where"]: [slider["changed"] for slider in explorer["sliders"]] for explorer in probe["explorers"]
    }
    assert moved == {"works": [True], "stuck": [False]}


@pytest.mark.parametrize("page", pages_for("console"))
def test_console_has_no_errors(browser, page):
    """Nothing the page runs logs an error (SEVERE) to the console, at either width.

    The browser's own request for ``/favicon.ico`` (made when a page declares no icon) is not the page's."""
    widths: dict[str, list[int]] = {}
    for visit in visited(browser, page).visits.values():
        for entry in visit.console:
            if entry["level"] == "SEVERE" and "/favicon.ico - Failed to load resource" not in entry["message"]:
                message = entry["message"].replace(browser.site.root_url, "/")[:300]
                widths.setdefault(message, []).append(visit.width)
    problems = [f"{message} (at {', '.join(f'{w} px' for w in seen)})" for message, seen in widths.items()]
    fail_if(problems, "console error(s)", page)


@pytest.mark.parametrize("page", pages_for("offline"))
def test_offline_no_request_leaves_the_site(browser, page):
    problems = [
        url[:200] for visit in visited(browser, page).visits.values() for url in visit.requests if leaves_site(url)
    ]
    fail_if(problems, "request(s) to other hosts (the book must work offline)", page)


@pytest.mark.parametrize("page", pages_for("raw_tex"))
def test_raw_tex_none_left_after_typesetting(browser, page):
    visit = visited(browser, page).main
    problems = []
    if visit.settle.get("loadsMathjax") and visit.settle.get("mathjax") != "typeset":
        problems.append(f"MathJax {visit.settle.get('mathjax')}")
    for text in visit.probe["texts"]:
        problems += [f"in #{text['where']}: {piece[:100]!r}" for piece in raw_tex(text["text"])]
    problems += [f"MathJax error in #{e['where']}: {e['message']} ({e['tex']})" for e in visit.probe["mathErrors"]]
    fail_if(problems, "piece(s) of raw TeX or maths errors", page)


@pytest.mark.parametrize("page", pages_for("equations_fit"))
def test_equations_fit_the_column(browser, page):
    """At 1280 and 400 px no display equation is cut off or runs past the article column, and the page
    does not scroll sideways. An equation that scrolls inside its own box (the course CSS's last resort)
    passes; the summary at the end of the run counts them per page."""
    problems = []
    for width, visit in visited(browser, page).visits.items():
        probe = visit.probe
        if probe["scrollWidth"] > probe["clientWidth"]:
            problems.append(
                f"at {width} px the page scrolls sideways ({probe['scrollWidth']} > {probe['clientWidth']} px); "
                f"sticking out: {'; '.join(probe['sticking']) or '?'}"
            )
        for equation in probe["equations"]:
            if equation["status"] in ("cut", "overflows"):
                problems.append(
                    f"at {width} px the equation in #{equation['where']} {equation['status']} "
                    f"({equation['by']}; formula {equation['width']} px, box {equation['box']} px, "
                    f"column {equation['column']} px): {equation['tex']}"
                )
    fail_if(problems, "equation(s) or page wider than the column", page)


@pytest.mark.parametrize("page", pages_for("images"))
def test_images_load_with_alt_text(browser, page):
    problems = []
    for image in visited(browser, page).main.probe["images"]:
        name = image["src"].replace(browser.site.root_url, "/")
        name = f"inline image in #{image['where']}" if name.startswith("data:") else name[:80]
        if not image["complete"] or image["naturalWidth"] == 0:
            problems.append(f"{name}: does not load")
        problem = alt_problem(image["alt"], image["src"])
        if problem:
            problems.append(
                f"{name}: {problem}" if name.startswith("inline") else f"{name} in #{image['where']}: {problem}"
            )
    fail_if(problems, "image problem(s)", page)


@pytest.mark.parametrize("page", pages_for("figures_numbered"))
def test_figures_numbered_with_caption(browser, page):
    probe = visited(browser, page).main.probe
    problems = []
    for figure in probe["figures"]:
        if figure["caption"] is None:
            problems.append(f"figure #{figure['where']} has no caption")
        elif figure["number"] is None:
            problems.append(f"figure #{figure['where']} has no number ({figure['caption'][:50]!r})")
    for image in probe["images"]:
        if image["inArticle"] and image["isOutput"] and not image["inFigure"]:
            problems.append(f"output image in #{image['where']} is not a figure (no caption, no number)")
    fail_if(problems, "figure(s) without caption and number", page)


@pytest.mark.parametrize("page", pages_for("figure_text"))
def test_figure_text_readable_at_1280(browser, page):
    """The smallest text of every PNG in the article is shown at 9 CSS px or more at a 1280-px window
    (its ``Smallest text px`` chunk times the image's displayed / natural width)."""
    result = visited(browser, page)
    problems = []
    for size in browser.text_sizes(result):
        where = f"image in #{size['where']}"
        if size["chunk"] is None:
            problems.append(f"{where}: no 'Smallest text px' chunk (draw it with lh.plotting.use_style)")
        elif size["css_px"] is None:
            problems.append(f"{where}: not displayed at 1280 px")
        elif size["css_px"] < MIN_TEXT_CSS_PX:
            problems.append(
                f"{where}: smallest text {size['css_px']:.1f} CSS px < {MIN_TEXT_CSS_PX:g} "
                f"({size['chunk']:.1f} px in the image, shown at {size['shown_width']} px)"
            )
    fail_if(problems, "figure(s) with text too small to read", page)


@pytest.mark.parametrize("page", pages_for("explorers"))
def test_explorers_image_follows_the_sliders(browser, page):
    problems = []
    for explorer in visited(browser, page).main.probe["explorers"]:
        name = f"explorer #{explorer['where']}"
        if not explorer["ready"]:
            problems.append(f"{name}: its script did not run")
        if not explorer["hasImage"]:
            problems.append(f"{name}: has no image")
        for slider in explorer["sliders"]:
            if slider["positions"] < 2:
                problems.append(f"{name}: slider {slider['name']} has a single position")
            elif not slider["changed"]:
                problems.append(
                    f"{name}: image unchanged when {slider['name']} moves {slider['from']} -> {slider['to']}"
                )
    fail_if(problems, "explorer problem(s)", page)


@pytest.mark.parametrize("page", pages_for("clean_outputs"))
def test_clean_outputs_no_error_traceback_or_warning(browser, page):
    problems = []
    for output in visited(browser, page).main.probe["outputs"]:
        if output["stderr"]:
            problems.append(f"stderr output in #{output['where']}: {output['text'].strip()[:100]!r}")
        if output["traceback"]:
            problems.append(f"traceback in #{output['where']}")
        problems += [f"in #{output['where']}: {line!r}" for line in output_problems(output["text"])]
    fail_if(problems, "error, traceback or warning output(s)", page)


@lru_cache(maxsize=None)
def _ids_of(path: str) -> frozenset[str]:
    return frozenset(html_ids((session.HTML / path).read_text(encoding="utf-8", errors="replace")))


@pytest.mark.parametrize("page", pages_for("links"))
def test_links_and_anchors_resolve(browser, page):
    visit = visited(browser, page).main
    here = f"{page}.html"
    problems = []
    for href in visit.probe["hrefs"]:
        target = local_link_target(href, visit.url, browser.site.root_url)
        if target is None:
            continue
        path, fragment = target
        file = session.HTML / path
        if path.startswith("../") or not file.resolve().is_relative_to(session.HTML):
            problems.append(f"{href}: leaves the book's folder")
        elif not file.is_file():
            problems.append(f"{href}: no file {path}")
        elif fragment and file.suffix == ".html":
            ids = _ids_of(path) | (set(visit.probe["ids"]) if path == here else set())
            if fragment not in ids:
                problems.append(f"{href}: no anchor #{fragment} in {path}")
    fail_if(problems, "broken internal link(s)", page)


@pytest.mark.parametrize("page", pages_for("launch_buttons"))
def test_launch_buttons_open_a_notebook_of_the_repository(browser, page):
    """Every Colab and Binder button opens an ``.ipynb`` that exists in this repository, on the repository
    and branch of ``_config.yml``; a page with a paired notebook has both buttons."""
    launch = visited(browser, page).main.probe["launch"]
    repository = repository_of(session.REPO / "_config.yml")
    problems = []
    if (session.REPO / f"{page}.ipynb").is_file():
        for service in ("colab.research.google.com", "mybinder.org"):
            if not any(urllib.parse.urlsplit(url).netloc.endswith(service) for url in launch):
                problems.append(f"no {service} button, though {page}.ipynb exists")
    for url in launch:
        repo, path = launch_target(url)
        if repo != repository:
            problems.append(f"{url}: not the repository {'/'.join(repository)} of _config.yml")
        elif not path.endswith(".ipynb"):
            problems.append(f"{url}: does not open a notebook")
        elif not (session.REPO / path).is_file():
            problems.append(f"{url}: no {path} in the repository")
    fail_if(problems, "launch button problem(s)", page)


def test_toc_is_read():
    """The page list comes from _toc.yml (a guard against testing no page at all)."""
    assert len(toc_pages(session.REPO / "_toc.yml")) >= 5 and PAGES
