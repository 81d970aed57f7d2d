"""One headless Chromium for the whole browser suite, the built book served on 127.0.0.1, and one visit
per page and width whose measurements the tests only read.

Chromium and its driver are Debian's (``apt-get install chromium chromium-driver``), driven by Selenium
with the driver's path given explicitly, so Selenium Manager never runs and nothing is downloaded.
Every host but 127.0.0.1 is unresolvable in this browser: a request that leaves the site fails at once
(and is reported) instead of hanging.

Environment: ``BOOK_HTML`` (the build to test, default ``_build/html``), ``BROWSER_OUT`` (where the
screenshots and ``browser_report.json`` go, default ``_build``), ``CHROMIUM`` and ``CHROMEDRIVER``
(the binaries, default from ``PATH``).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from detectors import (
    is_png_address,
    png_bytes_from_data_uri,
    rendered_text_css_px,
    smallest_text_px,
    toc_pages,
)

REPO = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("BOOK_HTML", REPO / "_build" / "html")).resolve()
OUT = Path(os.environ.get("BROWSER_OUT", REPO / "_build")).resolve()
SCREENSHOTS = OUT / "screenshots"
REPORT = OUT / "browser_report.json"

WIDTHS = (1280, 400)  # a laptop window and a phone
SCREEN_HEIGHT = 900  # the first screen, as screenshotted
PAGE_TIMEOUT_S = 60  # one page's load, MathJax included
MATHJAX_START_S = 3  # how long MathJax may take to start once the page has loaded
# Sphinx's generated pages: cheap, and readers reach them from every page.
EXTRA_PAGES = ["genindex", "py-modindex", "prf-prf", "search"]
INSTALL_HINT = "apt-get install chromium chromium-driver (Debian/Ubuntu)"
_JS = (Path(__file__).with_name("probe.js")).read_text()
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
    "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def chromium_paths() -> tuple[str | None, str | None]:
    browser = os.environ.get("CHROMIUM") or next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
    )
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
    return tuple(path if path and Path(path).is_file() else None for path in (browser, driver))


def unavailable_reason() -> str | None:
    """One line saying why the suite cannot run here and how to enable it, or None if it can."""
    browser, driver = chromium_paths()
    missing = [name for name, path in (("chromium", browser), ("chromedriver", driver)) if not path]
    if missing:
        return f"browser suite skipped: {' and '.join(missing)} not found; to enable it: {INSTALL_HINT}"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "browser suite skipped: selenium is not installed; to enable it: pip install -r requirements/lock.txt"
    if not (HTML / "book" / "intro.html").is_file():
        return f"browser suite skipped: no built book in {HTML}; to enable it: make book"
    return None


def pages() -> list[str]:
    """The pages under test: every page of ``_toc.yml`` that was built, then Sphinx's index pages."""
    listed = toc_pages(REPO / "_toc.yml")
    if (HTML / "book" / "status.html").is_file() and "book/status" not in listed:
        listed.append("book/status")
    return [page for page in listed + EXTRA_PAGES if (HTML / f"{page}.html").is_file()]


def unbuilt_toc_pages() -> list[str]:
    return [page for page in toc_pages(REPO / "_toc.yml") if not (HTML / f"{page}.html").is_file()]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Site:
    """The build served read-only on 127.0.0.1 and a free port, from a thread."""

    def __init__(self, root: Path):
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.root_url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def url(self, page: str) -> str:
        return f"{self.root_url}{page}.html"

    def fetch(self, url: str) -> bytes:
        data = png_bytes_from_data_uri(url) if url.startswith("data:") else None
        if data is not None:
            return data
        with urllib.request.urlopen(url, timeout=30) as response:  # only ever our own server
            return response.read()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Visit:
    """What one page showed at one width."""

    width: int
    url: str
    seconds: float
    settle: dict
    probe: dict
    console: list[dict]
    requests: list[str]


@dataclass
class PageResult:
    page: str
    visits: dict[int, Visit] = field(default_factory=dict)
    screenshot: Path | None = None
    error: str | None = None
    text_sizes: list[dict] | None = None  # filled by Browser.text_sizes

    @property
    def main(self) -> Visit:
        return self.visits[WIDTHS[0]]


class Browser:
    """Chromium for the session; ``result(page)`` visits a page once per width and caches what it saw."""

    def __init__(self, site: Site):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        browser, driver = chromium_paths()
        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        options.add_experimental_option("perfLoggingPrefs", {"enableNetwork": True, "enablePage": False})
        self.driver = webdriver.Chrome(service=Service(executable_path=driver), options=options)
        self.driver.set_page_load_timeout(PAGE_TIMEOUT_S)
        self.driver.set_script_timeout(PAGE_TIMEOUT_S)
        self.site = site
        self._results: dict[str, PageResult] = {}
        self._image_bytes: dict[str, bytes] = {}

    def close(self):
        self.driver.quit()

    def results(self) -> dict[str, PageResult]:
        return self._results

    def result(self, page: str) -> PageResult:
        if page not in self._results:
            result = PageResult(page)
            try:
                for width in WIDTHS:
                    result.visits[width] = self._visit(page, width, result)
            except Exception as error:  # reported by every test of the page
                result.error = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            self._results[page] = result
        return self._results[page]

    def image_bytes(self, url: str) -> bytes:
        if url not in self._image_bytes:
            self._image_bytes[url] = self.site.fetch(url)
        return self._image_bytes[url]

    def probe_html(self, html: str, width: int = WIDTHS[0]) -> dict:
        """The probe's findings on a page given as HTML (a data: URL), for testing the probe itself."""
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": SCREEN_HEIGHT, "deviceScaleFactor": 1, "mobile": False},
        )
        self.driver.get("data:text/html;charset=utf-8," + urllib.parse.quote(html))
        return self.driver.execute_async_script(
            _JS + "\nprobe(arguments[0], arguments[arguments.length - 1]);", {"full": True}
        )

    def text_sizes(self, result: PageResult) -> list[dict]:
        """For each PNG figure in the article (a cell's output or in a ``figure``) at 1280 px: where it is, its ``Smallest text px`` chunk (None if
        absent) and the CSS pixels that text is shown at (``chunk * clientWidth / naturalWidth``)."""
        if result.text_sizes is None:
            sizes = []
            for image in result.main.probe["images"]:
                figure = image["inArticle"] and (image["isOutput"] or image["inFigure"])  # not icons
                if not (figure and is_png_address(image["src"])):
                    continue
                entry = {"where": image["where"], "src": image["src"][:80], "chunk": None, "css_px": None}
                if image["naturalWidth"] > 0:
                    entry["chunk"] = smallest_text_px(self.image_bytes(image["src"]))
                    entry["shown_width"] = image["clientWidth"]
                    if entry["chunk"] is not None and image["clientWidth"] > 0:
                        entry["css_px"] = round(
                            rendered_text_css_px(entry["chunk"], image["clientWidth"], image["naturalWidth"]), 2
                        )
                sizes.append(entry)
            result.text_sizes = sizes
        return result.text_sizes

    def _visit(self, page: str, width: int, result: PageResult) -> Visit:
        driver = self.driver
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": SCREEN_HEIGHT, "deviceScaleFactor": 1, "mobile": False},
        )
        url = self.site.url(page)
        driver.get_log("browser"), driver.get_log("performance")  # drop what an earlier page left
        start = time.perf_counter()
        driver.get(url)
        settle = driver.execute_async_script(
            _JS + "\nsettle(arguments[0], arguments[arguments.length - 1]);", MATHJAX_START_S * 1000
        )
        if width == WIDTHS[0]:
            shot = SCREENSHOTS / f"{page}.png"
            shot.parent.mkdir(parents=True, exist_ok=True)
            shot.write_bytes(driver.get_screenshot_as_png())
            result.screenshot = shot
        probe = driver.execute_async_script(
            _JS + "\nprobe(arguments[0], arguments[arguments.length - 1]);", {"full": width == WIDTHS[0]}
        )
        seconds = time.perf_counter() - start
        console = driver.get_log("browser")
        requests = _requested_urls(driver.get_log("performance"))
        # Every page is a reader's first visit: nothing the theme stored on one page hides an error on the next.
        driver.execute_script("localStorage.clear(); sessionStorage.clear();")
        return Visit(width, url, seconds, settle, probe, console, requests)


def _requested_urls(performance_log: list[dict]) -> list[str]:
    urls = []
    for entry in performance_log:
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
        elif message.get("method") == "Network.webSocketCreated":
            urls.append(message["params"]["url"])
    return urls
