"""Screenshot a page of the built book in headless Chromium, with its math rendered offline.

    python scripts/screenshot.py _build/html/book/feedback.html out.png --full-page
    python scripts/screenshot.py "_build/html/book/feedback.html?theta0=0.1&imbalance=2" out.png --height 1600
    python scripts/screenshot.py _build/html/book/feedback.html out.png --full-page --click-all-dropdowns

What it does:

- serves the build (the nearest folder above the page that holds ``_static``) from a local HTTP
  server on 127.0.0.1 and a free port, in a thread;
- makes math render without internet: the book serves its own MathJax (scripts/fetch_mathjax.py);
  for a page built before that, which loads MathJax 3 from a CDN, the server rewrites that script
  address in every HTML page it serves (on the fly; ``_build`` is never modified) to a local copy, installed once from the npm registry into ``~/.cache/course-mathjax``
  (``npm install mathjax@3``), or taken from ``--mathjax DIR``;
- drives Chromium through the DevTools protocol over a pipe (``--remote-debugging-pipe``; Python's
  standard library only, no selenium, chromedriver or node packages), every host but 127.0.0.1
  unresolvable so that CDN requests fail at once instead of hanging;
- waits for the page, its fonts and MathJax, optionally opens every dropdown (sphinx-design,
  sphinx-togglebutton, hidden cells) and runs your JavaScript (``--js``), then captures the
  viewport (``--height``) or the whole page (``--full-page``).

A page address may carry a query or fragment: the widgets' static views read slider values from it
(``?theta0=0.1&imbalance=2``; see :mod:`labhelpers.widgets`).

Prerequisites: Chromium (Debian/Ubuntu: ``apt-get install chromium``; or ``--chromium PATH``, or
the ``CHROMIUM`` environment variable), and, for math, either npm on the first run or an existing
MathJax 3 folder (``--mathjax``, or the ``COURSE_MATHJAX`` environment variable). It prints one line
with the page size and how many formulas were typeset; it exits 1 if a formula failed to render or
MathJax could not be loaded on a page that has math.
"""

from __future__ import annotations

import argparse
import base64
import functools
import http.server
import io
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

MATHJAX_CACHE = Path.home() / ".cache" / "course-mathjax"
MATHJAX_ROUTE = "/__mathjax__/"
# Sphinx's default MathJax 3 address, and any other CDN copy of MathJax 3 (jsdelivr, unpkg, cdnjs).
MATHJAX_CDN = re.compile(r"""(?:https?:)?//[^"'\s]+?/mathjax(?:@|/)3[^"'\s/]*/""")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]

# Runs in the page: wait for fonts and MathJax, report what was typeset.
SETTLE_JS = r"""
(async () => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const hasMath = document.querySelector(".math, .MathJax, mjx-container, script[src*='mathjax']") !== null;
  let mathjax = "no math";
  if (hasMath) {
    const t0 = Date.now();
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise) && Date.now() - t0 < TIMEOUT_MS) {
      await sleep(100);
    }
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      await MathJax.startup.promise;
      if (MathJax.typesetPromise) { await MathJax.typesetPromise(); }
      mathjax = "ok";
    } else {
      mathjax = "not loaded";
    }
  }
  if (document.fonts) { await document.fonts.ready; }
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  return {
    mathjax: mathjax,
    formulas: document.querySelectorAll("mjx-container").length,
    errors: document.querySelectorAll("mjx-merror").length,
  };
})()
"""

OPEN_DROPDOWNS_JS = r"""
(() => {
  let opened = 0;
  document.querySelectorAll("details:not([open])").forEach((d) => { d.open = true; opened++; });
  // sphinx-togglebutton hides admonitions with the class "toggle-hidden"; its button shows them.
  document.querySelectorAll(".toggle-hidden[id]").forEach((el) => {
    const button = document.querySelector('button.toggle-button[data-target="' + el.id + '"]');
    if (button) { button.click(); opened++; }
  });
  return opened;
})()
"""

PAGE_HEIGHT_JS = (
    "Math.ceil(Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0))"
)


# ------------------------------------------------------------------------------------------- MathJax
def find_mathjax(explicit: str | None, install: bool) -> Path | None:
    """A folder holding MathJax 3's ``es5/tex-mml-chtml.js``: given, cached, or installed from npm."""
    candidates = [explicit, os.environ.get("COURSE_MATHJAX"), MATHJAX_CACHE / "node_modules" / "mathjax"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "es5" / "tex-mml-chtml.js").is_file():
            return Path(candidate)
    if explicit:
        raise SystemExit(f"--mathjax {explicit}: no es5/tex-mml-chtml.js there (expected a MathJax 3 package)")
    npm = shutil.which("npm")
    if not install or npm is None:
        print(
            "screenshot: MathJax 3 not found and not installed (no npm or --no-install): math stays raw",
            file=sys.stderr,
        )
        return None
    MATHJAX_CACHE.mkdir(parents=True, exist_ok=True)
    print(f"screenshot: installing MathJax 3 into {MATHJAX_CACHE} (once)", file=sys.stderr)
    subprocess.run(
        [npm, "install", "--prefix", str(MATHJAX_CACHE), "mathjax@3", "--no-audit", "--no-fund", "--loglevel=error"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return find_mathjax(None, install=False)


# ------------------------------------------------------------------------------------------- server
class BookHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the build; HTML pages get MathJax's CDN address replaced by the local copy."""

    mathjax_dir: Path | None = None

    def translate_path(self, path: str) -> str:
        route = urllib.parse.urlsplit(path).path
        if self.mathjax_dir is not None and route.startswith(MATHJAX_ROUTE):
            relative = urllib.parse.unquote(route[len(MATHJAX_ROUTE) :])
            target = (self.mathjax_dir / relative).resolve()
            if self.mathjax_dir.resolve() in target.parents:
                return str(target)
        return super().translate_path(path)

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir() and urllib.parse.urlsplit(self.path).path.endswith("/"):
            path = path / "index.html"
        if path.suffix != ".html" or not path.is_file():
            return super().send_head()
        text = path.read_text(encoding="utf-8")
        if self.mathjax_dir is not None:
            text = MATHJAX_CDN.sub(MATHJAX_ROUTE, text)
        body = text.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format, *args):  # noqa: A002 - quiet: the script prints one summary line
        pass


def serve(root: Path, mathjax_dir: Path | None) -> http.server.ThreadingHTTPServer:
    handler = type("Handler", (BookHandler,), {"mathjax_dir": mathjax_dir})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def build_root(page: Path) -> Path:
    """The folder that the build's relative links start from: the nearest one above holding ``_static``."""
    for folder in page.parents:
        if (folder / "_static").is_dir():
            return folder
    return page.parent


# ------------------------------------------------------------------------------------------- browser
class Chromium:
    """Chromium driven through the DevTools protocol over ``--remote-debugging-pipe`` (fds 3 and 4)."""

    def __init__(self, executable: str, timeout: float):
        self.timeout = timeout
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        self.profile = tempfile.mkdtemp(prefix="screenshot-chromium-")
        command = [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe"]
        # The browser reads commands on fd 3 and writes replies on fd 4: let the shell place the pipes.
        self.process = subprocess.Popen(
            ["/bin/sh", "-c", f'exec "$@" 3<&{to_browser_r} 4>&{from_browser_w}', "sh", *command, "about:blank"],
            pass_fds=(to_browser_r, from_browser_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float | None = None):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive(timeout or self.timeout, f"a reply to {method}")
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method} failed: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, session: str, timeout: float | None = None) -> dict:
        while True:
            for k, event in enumerate(self.events):
                if event.get("method") == method and event.get("sessionId") == session:
                    return self.events.pop(k)
            self.events.append(self._receive(timeout or self.timeout, f"the event {method}"))

    def evaluate(self, expression: str, session: str, timeout: float | None = None):
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            session,
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise RuntimeError(f"JavaScript failed: {details.get('exception', {}).get('description', details)}")
        return result.get("result", {}).get("value")

    def _receive(self, timeout: float, waiting_for: str) -> dict:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(0.0, left))
            if not ready:
                raise TimeoutError(f"Chromium sent no {waiting_for} within {timeout:.0f} s")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                stderr = self.process.stderr.read().decode(errors="replace")[-2000:] if self.process.stderr else ""
                raise RuntimeError(
                    f"Chromium exited (code {self.process.poll()}) while waiting for {waiting_for}\n{stderr}"
                )
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:  # already gone, or not answering: stop it below
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)


def find_chromium(explicit: str | None) -> str:
    for candidate in (explicit, os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and (path := shutil.which(candidate)):
            return path
    raise SystemExit("Chromium not found: apt-get install chromium, or pass --chromium PATH")


# ------------------------------------------------------------------------------------------- main
def screenshot(
    page: str,
    out: str | Path,
    *,
    width: int = 1280,
    height: int | None = None,
    full_page: bool = False,
    click_all_dropdowns: bool = False,
    js: str | None = None,
    mathjax: str | None = None,
    install_mathjax: bool = True,
    chromium: str | None = None,
    max_height: int = 16000,
    scale: float = 1.0,
    timeout: float = 60.0,
) -> dict:
    """Take the screenshot; return a summary (size, formulas typeset, MathJax status)."""
    address = urllib.parse.urlsplit(page)
    path = Path(urllib.parse.unquote(address.path)).resolve()
    if not path.is_file():
        raise SystemExit(f"no such page: {path}")
    root = build_root(path)
    mathjax_dir = find_mathjax(mathjax, install_mathjax)
    server = serve(root, mathjax_dir)
    browser = Chromium(find_chromium(chromium), timeout)
    try:
        url = urllib.parse.urlunsplit(
            (
                "http",
                f"127.0.0.1:{server.server_address[1]}",
                "/" + path.relative_to(root).as_posix(),
                address.query,
                address.fragment,
            )
        )
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        browser.send("Page.enable", session=session)
        viewport = {"width": width, "height": height or 900, "deviceScaleFactor": scale, "mobile": False}
        browser.send("Emulation.setDeviceMetricsOverride", viewport, session)
        browser.send("Page.navigate", {"url": url}, session)
        browser.wait_event("Page.loadEventFired", session)
        settle = SETTLE_JS.replace("TIMEOUT_MS", str(int(timeout * 500)))
        status = browser.evaluate(settle, session)
        if click_all_dropdowns:
            status["dropdowns_opened"] = browser.evaluate(OPEN_DROPDOWNS_JS, session)
        if js:
            status["js"] = browser.evaluate(js, session)
        if click_all_dropdowns or js:
            status.update(browser.evaluate(settle, session))
        if full_page:
            page_height = browser.evaluate(PAGE_HEIGHT_JS, session)
            if page_height > max_height:
                print(f"screenshot: page is {page_height} px tall; cut at --max-height {max_height}", file=sys.stderr)
            viewport["height"] = min(page_height, max_height)
            browser.send("Emulation.setDeviceMetricsOverride", viewport, session)
            browser.evaluate(settle, session)  # the new viewport may move things: let them settle
        shot = browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False}, session)
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_bytes(base64.b64decode(shot["data"]))
    finally:
        browser.close()
        server.shutdown()
        server.server_close()
    status.update({"out": str(out), "width": width, "height": viewport["height"], "url": url})
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog="See the module docstring for details."
    )
    parser.add_argument(
        "page", help="built HTML page, e.g. _build/html/book/feedback.html (may end in ?query or #hash)"
    )
    parser.add_argument("out", help="PNG file to write")
    parser.add_argument("--width", type=int, default=1280, help="viewport width in CSS pixels (default 1280)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--height", type=int, help="viewport height in CSS pixels (default 900)")
    size.add_argument("--full-page", action="store_true", help="capture the whole page (up to --max-height)")
    parser.add_argument("--max-height", type=int, default=16000, help="cut full-page shots there (default 16000)")
    parser.add_argument("--click-all-dropdowns", action="store_true", help="open every dropdown and toggle first")
    parser.add_argument("--js", help="JavaScript to run before the shot (awaited if it returns a promise)")
    parser.add_argument("--scale", type=float, default=1.0, help="device scale factor (2 for crisp, double-size shots)")
    parser.add_argument("--mathjax", help="folder of a MathJax 3 package (default: ~/.cache/course-mathjax)")
    parser.add_argument("--no-install", action="store_true", help="never run npm to install MathJax")
    parser.add_argument("--chromium", help="Chromium executable (default: chromium on PATH)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the browser (default 60)")
    args = parser.parse_args(argv)
    for name in ("width", "height", "max_height"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive number of pixels; got {value}")
    status = screenshot(
        args.page,
        args.out,
        width=args.width,
        height=args.height,
        full_page=args.full_page,
        click_all_dropdowns=args.click_all_dropdowns,
        js=args.js,
        mathjax=args.mathjax,
        install_mathjax=not args.no_install,
        chromium=args.chromium,
        max_height=args.max_height,
        scale=args.scale,
        timeout=args.timeout,
    )
    extra = f", {status['dropdowns_opened']} dropdowns opened" if "dropdowns_opened" in status else ""
    extra += f", --js returned {json.dumps(status['js'])}" if status.get("js") is not None else ""
    print(
        f"wrote {status['out']} ({status['width']}x{status['height']} CSS px): MathJax {status['mathjax']}, "
        f"{status['formulas']} formulas, {status['errors']} errors{extra}"
    )
    return 1 if status["errors"] or status["mathjax"] == "not loaded" else 0


if __name__ == "__main__":
    sys.exit(main())
