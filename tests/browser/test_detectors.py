"""The browser suite's rules on their own, without a browser (tests/browser/detectors.py)."""

from __future__ import annotations

import base64
import io

import pytest
from detectors import (
    SMALLEST_TEXT_KEY,
    alt_problem,
    html_ids,
    is_png_address,
    launch_target,
    leaves_site,
    local_link_target,
    output_problems,
    png_bytes_from_data_uri,
    raw_tex,
    rendered_text_css_px,
    repository_of,
    smallest_text_px,
    toc_pages,
)
from PIL import Image, PngImagePlugin


@pytest.mark.parametrize(
    "text, found",
    [
        ("the rate $\\eta$ is small", ["$\\eta$"]),
        ("a product $ab$ and $\\theta(t)$", ["$ab$", "$\\theta(t)$"]),
        ("$$\\sum_i x_i$$", ["$$\\sum_i x_i$$"]),
        ("inline \\(x^2\\) maths", ["\\(x^2\\)"]),
        ("display \\[ a = b \\] maths", ["\\[ a = b \\]"]),
        ("\\begin{aligned} a &= b \\end{aligned}", ["\\begin{aligned}"]),
        ("a docstring's doubled backslash $\\\\eta$", ["$\\\\eta$"]),
    ],
)
def test_raw_tex_finds_untypeset_maths(text, found):
    assert raw_tex(text) == found


@pytest.mark.parametrize(
    "text",
    [
        "it costs $5 and $10",  # money: a space before the second $
        "between $ 3 and 4 $",  # spaces inside: not pandoc maths
        "an escaped \\$ sign",
        "one $ sign alone",
        "a path C:\\Users\\name",
        "no maths at all",
        "$5$10",  # closing $ followed by a digit
    ],
)
def test_raw_tex_leaves_prose_alone(text):
    assert raw_tex(text) == []


def test_raw_tex_rejects_non_text():
    with pytest.raises(TypeError, match="text must be a str"):
        raw_tex(None)


@pytest.mark.parametrize(
    "alt, src, problem",
    [
        (None, "x.png", "no alt attribute"),
        ("  ", "x.png", "empty alt text"),
        ("../_images/ae91c28e.png", "../_images/ae91c28e.png", "build path"),
        ("_images/x.png", "", "build path"),
        ("figure.png", "", "file name"),
        ("plots/loss_curve.svg", "", "file name"),
        ("ae91c28e8e4d03bf03d9bbb94441fc66", "", "hash"),
        ("logo", "http://127.0.0.1:8000/_static/logo", "repeats the image address"),
    ],
)
def test_alt_problem_names_paths_and_missing_text(alt, src, problem):
    assert problem in alt_problem(alt, src)


@pytest.mark.parametrize(
    "alt",
    [
        "Binder logo",
        "Two panels. Left, four sigmoidal curves rising one after another; right, a staircase.",
        "Loss against time, t = 0.5",
        "-",
    ],
)
def test_alt_problem_accepts_descriptions(alt):
    assert alt_problem(alt, "../_images/ae91c28e.png") is None


def _png(text: dict[str, str] | None = None, width: int = 40) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    Image.new("RGB", (width, 10), "white").save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def test_smallest_text_px_reads_the_chunk_or_reports_none():
    assert smallest_text_px(_png({SMALLEST_TEXT_KEY: "15.28"})) == pytest.approx(15.28, abs=1e-12)
    assert smallest_text_px(_png({"Software": "matplotlib"})) is None


def test_rendered_text_scales_with_the_displayed_width():
    # 15 px of text in a 1500-px image shown 688 px wide: 15 * 688 / 1500 = 6.88 CSS px.
    assert rendered_text_css_px(15, 688, 1500) == pytest.approx(6.88, rel=1e-12)
    with pytest.raises(ValueError, match="natural_width"):
        rendered_text_css_px(10, 688, 0)


def test_png_addresses_and_data_uris():
    png = _png({SMALLEST_TEXT_KEY: "12"})
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    assert png_bytes_from_data_uri(uri) == png
    assert png_bytes_from_data_uri("data:image/svg+xml;base64,AAAA") is None
    assert is_png_address(uri) and is_png_address("http://127.0.0.1:1/_images/a.PNG?v=1")
    assert not is_png_address("data:image/svg+xml,<svg/>") and not is_png_address("../_static/logo.svg")


@pytest.mark.parametrize(
    "url, leaves",
    [
        ("http://127.0.0.1:8123/_static/mathjax/tex-mml-chtml.js", False),
        ("data:image/png;base64,AAAA", False),
        ("blob:http://127.0.0.1:8123/0f1e", False),
        ("https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js", True),
        ("http://localhost.evil.example/x.js", True),
        ("https://fonts.googleapis.com/css?family=Lato", True),
    ],
)
def test_leaves_site(url, leaves):
    assert leaves_site(url) is leaves


def test_output_problems_finds_tracebacks_and_warnings():
    text = (
        "loss 0.12\n"
        "Traceback (most recent call last):\n"
        "/x/y.py:3: UserWarning: tight_layout not applied\n"
        "RuntimeWarning: overflow encountered\n"
        "Warnings are discussed in Sec. 2\n"
    )
    assert len(output_problems(text)) == 3
    assert output_problems("NC1 = 0.03, no warnings") == []


ROOT = "http://127.0.0.1:8123/"


@pytest.mark.parametrize(
    "href, target",
    [
        ("#equation-fb-loss", ("book/feedback.html", "equation-fb-loss")),
        ("emergence.html#overview", ("book/emergence.html", "overview")),
        ("../lessons/lesson01_feedback.html", ("lessons/lesson01_feedback.html", "")),
        ("../_sources/book/feedback.ipynb", ("_sources/book/feedback.ipynb", "")),
        ("api/", ("book/api/index.html", "")),
        ("../../../etc/passwd", ("etc/passwd", "")),  # a browser stops at the root
        ("https://github.com/x/y", None),
        ("mailto:a@b.c", None),
        ("javascript:void(0)", None),
        ("#sec%3Aone", ("book/feedback.html", "sec:one")),
    ],
)
def test_local_link_target(href, target):
    assert local_link_target(href, ROOT + "book/feedback.html", ROOT) == target


def test_local_link_target_outside_a_served_subfolder():
    assert local_link_target("/other/x.html", ROOT + "site/a.html", ROOT + "site/")[0] == "../other/x.html"


def test_html_ids_reads_ids_and_named_anchors():
    html = '<div id="a"><span id="equation-x">x</span><a name="old"></a><a href="#b">b</a></div>'
    assert html_ids(html) == {"a", "equation-x", "old"}


REPOSITORY = ("layerwise-course", "layerwise-linear-models", "main")


@pytest.mark.parametrize(
    "url, target",
    [
        (
            "https://colab.research.google.com/github/layerwise-course/layerwise-linear-models/blob/main/book/feedback.ipynb",
            (REPOSITORY, "book/feedback.ipynb"),
        ),
        (
            "https://mybinder.org/v2/gh/layerwise-course/layerwise-linear-models/main?urlpath=tree/lessons/lesson01_feedback.ipynb",
            (REPOSITORY, "lessons/lesson01_feedback.ipynb"),
        ),
        (
            "https://mybinder.org/v2/gh/layerwise-course/layerwise-linear-models/main?urlpath=lab/tree/book/x.ipynb",
            (REPOSITORY, "book/x.ipynb"),
        ),
        (
            "https://mybinder.org/v2/gh/layerwise-course/layerwise-linear-models/main?labpath=book/x.ipynb",
            (REPOSITORY, "book/x.ipynb"),
        ),
        ("https://colab.research.google.com/notebooks/intro.ipynb", (("", "", ""), "")),
        ("https://github.com/layerwise-course/layerwise-linear-models", None),
    ],
)
def test_launch_target(url, target):
    assert launch_target(url) == target


def test_repository_and_toc_of_this_book():
    from browser_session import REPO

    assert repository_of(REPO / "_config.yml")[2] == "main"
    pages = toc_pages(REPO / "_toc.yml")
    assert pages[0] == "book/intro" and "book/feedback" in pages and "book/api/core" in pages
    assert len(pages) == len(set(pages))
