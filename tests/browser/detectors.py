"""The browser suite's pure logic: what counts as raw TeX, a path used as alt text, a launch button's
notebook, an anchor on a page, a figure's smallest text. No browser is needed here, so each rule is
unit-tested on its own (tests/browser/test_detectors.py) and the suite only feeds it what a page shows.
"""

from __future__ import annotations

import base64
import io
import re
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

import yaml

#: The PNG text chunk that ``labhelpers.plotting.use_style`` writes: the smallest text in the image, in
#: pixels of the image itself (labhelpers.plotting.SMALLEST_TEXT_KEY; not imported, so no package needed).
SMALLEST_TEXT_KEY = "Smallest text px"
#: The smallest text a figure may show at a 1280-px window, in CSS pixels (issue 13, item 3).
MIN_TEXT_CSS_PX = 9.0

# ---------------------------------------------------------------------------------------------------
# Raw TeX
# ---------------------------------------------------------------------------------------------------

# Inline $...$ by pandoc's rule: the opening $ has a non-space right after it, the closing $ a non-space
# right before it and no digit right after it ("$5 and $10" is money, "$x$" is maths). $$...$$ too.
_DOLLAR_MATH = re.compile(
    r"(?<![\\$])\$\$(?=\S)(?:[^$]|\$(?!\$))+?(?<=\S)\$\$|(?<![\\$])\$(?=[^\s$])[^$\n]*?(?<=[^\s\\$])\$(?!\d)"
)
_PAREN_MATH = re.compile(r"\\\((?:.|\n)*?\\\)")
_BRACKET_MATH = re.compile(r"\\\[(?:.|\n)*?\\\]")
_BEGIN_ENV = re.compile(r"\\begin\{[A-Za-z*]+\}")


def raw_tex(text: str) -> list[str]:
    """The pieces of ``text`` that are TeX a reader would see untypeset: ``$...$``, ``$$...$$``,
    ``\\(...\\)``, ``\\[...\\]`` and ``\\begin{env}``. Empty when the text holds none.

    An escaped dollar (``\\$``) and money such as "$5 and $10" are not maths.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {type(text).__name__}")
    found = []
    for pattern in (_DOLLAR_MATH, _PAREN_MATH, _BRACKET_MATH, _BEGIN_ENV):
        found.extend(match.group(0) for match in pattern.finditer(text))
    return found


# ---------------------------------------------------------------------------------------------------
# Outputs and requests
# ---------------------------------------------------------------------------------------------------

_OUTPUT_PROBLEMS = re.compile(r"Traceback \(most recent call last\)|\b\w*Warning:|UserWarning")


def output_problems(text: str) -> list[str]:
    """The lines of a cell's output that show a traceback or a warning (``...Warning:``, ``UserWarning``)."""
    return [line.strip()[:120] for line in text.splitlines() if _OUTPUT_PROBLEMS.search(line)]


LOCAL_HOSTS = ("127.0.0.1",)
_INLINE_SCHEMES = ("data", "blob", "about")


def leaves_site(url: str) -> bool:
    """Whether a request for ``url`` goes anywhere but the local server (``data:``, ``blob:`` and
    ``about:`` addresses stay in the page)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in _INLINE_SCHEMES:
        return False
    return parts.hostname not in LOCAL_HOSTS


# ---------------------------------------------------------------------------------------------------
# Alt text
# ---------------------------------------------------------------------------------------------------

_IMAGE_FILE = re.compile(r"^[\w.\-/\\:%~]*\.(?:png|jpe?g|gif|svg|webp|bmp|pdf)$", re.IGNORECASE)
_HASH_NAME = re.compile(r"^[0-9a-f]{16,}$", re.IGNORECASE)


def alt_problem(alt: str | None, src: str = "") -> str | None:
    """Why ``alt`` is no alt text for a reader (None when it is one): missing, empty, a file name or
    path (``../_images/ab12.png``, ``_images/x.png``, ``figure.png``), or the image's own address."""
    if alt is None:
        return "no alt attribute"
    text = alt.strip()
    if not text:
        return "empty alt text"
    if "_images/" in text or "_static/" in text:
        return f"alt text is a build path: {text[:60]!r}"
    if _IMAGE_FILE.match(text):
        return f"alt text is a file name: {text[:60]!r}"
    if _HASH_NAME.match(text):
        return f"alt text is a hash: {text[:60]!r}"
    if src and not src.startswith("data:"):
        name = PurePosixPath(urllib.parse.urlsplit(src).path).name
        if text in (src, name):
            return f"alt text repeats the image address: {text[:60]!r}"
    return None


# ---------------------------------------------------------------------------------------------------
# Figure text size
# ---------------------------------------------------------------------------------------------------


def is_png_address(src: str) -> bool:
    """Whether an image address is a PNG: a ``data:image/png`` URI or a path ending in ``.png``."""
    if src.startswith("data:"):
        return src.startswith("data:image/png")
    return urllib.parse.urlsplit(src).path.lower().endswith(".png")


def png_bytes_from_data_uri(uri: str) -> bytes | None:
    """The bytes of a ``data:image/png;base64,...`` address, or None for any other address."""
    head, _, payload = uri.partition(",")
    if not head.startswith("data:image/png") or not head.endswith(";base64"):
        return None
    return base64.b64decode(payload)


def smallest_text_px(png: bytes) -> float | None:
    """The PNG's ``Smallest text px`` chunk as a number, or None if the image has no such chunk."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        image.load()  # text chunks after the pixel data are read only with the pixels
        value = getattr(image, "text", {}).get(SMALLEST_TEXT_KEY)
    return None if value is None else float(value)


def rendered_text_css_px(text_px: float, client_width: float, natural_width: float) -> float:
    """CSS pixels of text that is ``text_px`` image pixels high, in an image of ``natural_width`` pixels
    shown ``client_width`` CSS pixels wide."""
    if natural_width <= 0:
        raise ValueError(f"natural_width must be positive; got {natural_width}")
    return text_px * client_width / natural_width


# ---------------------------------------------------------------------------------------------------
# Pages, links and anchors
# ---------------------------------------------------------------------------------------------------


def toc_pages(toc_path: Path) -> list[str]:
    """The pages of a Jupyter Book ``_toc.yml`` (``root`` and every ``file``), without suffix, in order."""
    toc = yaml.safe_load(Path(toc_path).read_text())
    pages: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if isinstance(node.get(key), str):
                    pages.append(re.sub(r"\.(md|ipynb|rst)$", "", node[key]))
            for value in node.values():
                if isinstance(value, (list, dict)):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return list(dict.fromkeys(pages))


class _IdCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is not None and (name == "id" or (tag == "a" and name == "name")):
                self.ids.add(value)


def html_ids(html: str) -> set[str]:
    """Every anchor an address's ``#fragment`` can name in ``html``: ``id`` attributes and ``<a name>``."""
    collector = _IdCollector()
    collector.feed(html)
    collector.close()
    return collector.ids


def local_link_target(href: str, page_url: str, site_root_url: str) -> tuple[str, str] | None:
    """(path relative to the site root, fragment) for a link ``href`` on the page at ``page_url`` that
    stays on the site served at ``site_root_url``; None for links elsewhere (other hosts, ``mailto:``,
    ``javascript:``, ``data:``). A path that climbs above the site root is returned with its ``..``."""
    absolute = urllib.parse.urljoin(page_url, href)
    parts = urllib.parse.urlsplit(absolute)
    root = urllib.parse.urlsplit(site_root_url)
    if parts.scheme not in ("http", "https") or parts.netloc != root.netloc:
        return None
    path = urllib.parse.unquote(parts.path)
    base = root.path if root.path.endswith("/") else root.path + "/"
    if not path.startswith(base):
        return ("../" + path.lstrip("/"), urllib.parse.unquote(parts.fragment))
    relative = path[len(base) :]
    if relative == "" or relative.endswith("/"):
        relative += "index.html"
    return relative, urllib.parse.unquote(parts.fragment)


# ---------------------------------------------------------------------------------------------------
# Launch buttons
# ---------------------------------------------------------------------------------------------------


def repository_of(config_path: Path) -> tuple[str, str, str]:
    """(owner, name, branch) of the repository that ``_config.yml`` names (``repository.url``/``branch``)."""
    config = yaml.safe_load(Path(config_path).read_text())
    repository = config.get("repository") or {}
    url = repository.get("url", "")
    match = re.match(r"https?://github\.com/([^/]+)/([^/#?]+?)(?:\.git)?/?$", url)
    if not match:
        raise ValueError(f"_config.yml repository.url must be a GitHub repository URL; got {url!r}")
    return match.group(1), match.group(2), repository.get("branch", "main")


def launch_target(url: str) -> tuple[tuple[str, str, str], str] | None:
    """((owner, name, branch), path in the repository) that a Colab or Binder launch URL opens;
    None if ``url`` is neither.

    Colab: ``https://colab.research.google.com/github/OWNER/NAME/blob/BRANCH/PATH``;
    Binder: ``https://mybinder.org/v2/gh/OWNER/NAME/BRANCH?urlpath=tree/PATH`` (also ``lab/tree/``,
    ``labpath=`` and ``filepath=``).
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.lower()
    segments = [urllib.parse.unquote(s) for s in parts.path.split("/") if s]
    if host.endswith("colab.research.google.com"):
        if len(segments) >= 6 and segments[0] == "github" and segments[3] == "blob":
            return (segments[1], segments[2], segments[4]), "/".join(segments[5:])
        return (("", "", ""), "")
    if host.endswith("mybinder.org"):
        if len(segments) >= 5 and segments[:2] == ["v2", "gh"]:
            repo = (segments[2], segments[3], "/".join(segments[4:]))
            query = urllib.parse.parse_qs(parts.query)
            for key in ("urlpath", "labpath", "filepath"):
                if key in query:
                    path = re.sub(r"^(?:lab/|notebooks/)?(?:tree/)?", "", query[key][0])
                    return repo, path
            return repo, ""
        return (("", "", ""), "")
    return None
