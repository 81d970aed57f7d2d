"""Tests for labhelpers.widgets: the live + static slider figure and the feedback explorer (Sec. 3)."""

from __future__ import annotations

import base64
import json
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser

import matplotlib.pyplot as plt
import numpy as np
import pytest

import labhelpers as lh
from labhelpers.core import feedback_curves
from labhelpers.widgets import WIDGET_VIEW_MIMETYPE, SliderFigure, feedback_explorer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TINY = {"figsize": (2.0, 1.5), "dpi": 30, "layout": None}  # no layout engine: fast frames


def draw_values(fig, slope, label):
    """Value-dependent drawing, so that different combinations give different frames."""
    ax = fig.subplots()
    ax.plot([0, 1], [0, slope])
    ax.set_title(label)


def tiny_figure(**kwargs):
    return SliderFigure(draw_values, {"slope": [0.5, 1.0, 2.0], "label": ["a", "b"]}, **TINY, **kwargs)


@pytest.fixture(scope="module")
def tiny():
    """One small figure shared by the tests that only read it (its frames are drawn once)."""
    return tiny_figure(
        initial={"slope": 1.0, "label": "b"}, labels={"slope": "slope s"}, value_format={"slope": "{:.1f}"}
    )


class Page(HTMLParser):
    """Collects the tags of an HTML snippet with their attributes, and the scripts' text."""

    def __init__(self, text):
        super().__init__()
        self.tags, self.scripts, self._in_script = [], [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append([dict(attrs), ""])

    def handle_data(self, data):
        if self._in_script is not None:
            self.scripts[-1][1] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def find(self, tag, **attrs):
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    return struct.unpack(">II", png[16:24])


def decode(uri: str) -> bytes:
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    return base64.b64decode(uri[len(prefix) :], validate=True)


def test_bundle_holds_live_widget_static_html_and_text(tiny):
    fig = tiny
    bundle = fig._repr_mimebundle_()
    assert set(bundle) == {WIDGET_VIEW_MIMETYPE, "text/html", "text/plain"}
    assert bundle[WIDGET_VIEW_MIMETYPE]["model_id"] == fig.widget.model_id
    assert "<input" in bundle["text/html"] and "6 frames" in bundle["text/plain"]
    # A front end that asks for less gets less (and no frames are drawn for it).
    assert set(SliderFigure(draw_values, {"slope": [1], "label": ["a"]})._repr_mimebundle_(include=["text/plain"])) == {
        "text/plain"
    }


def test_static_html_embeds_one_png_frame_per_combination_in_grid_order(tiny):
    fig = tiny
    page = Page(fig.to_html())
    (data,) = [json.loads(text) for attrs, text in page.scripts if attrs.get("type") == "application/json"]
    (image,) = page.find("img")
    frames = data["frames"]
    assert len(frames) == fig.n_frames == 6 and data["strides"] == [2, 1]
    initial = 1 * 2 + 1  # row-major index of (slope=1.0, label="b")
    assert frames[initial] == "" and sum(f == "" for f in frames) == 1  # the <img> carries it, once
    frames[initial] = image["src"]
    expected = [fig.frame(**values) for values in fig.combinations()]
    assert [decode(uri) for uri in frames] == expected
    assert len(set(expected)) == 6, "each combination must give its own picture"
    assert {png_size(png) for png in expected} == {(60, 45)}, "frames must share one pixel size (figsize * dpi)"
    assert (int(image["width"]), int(image["height"])) == (60, 45)
    assert fig.to_html().count("data:image/png;base64,") == 6


def test_static_html_has_one_range_slider_per_parameter(tiny):
    fig = tiny
    page = Page(fig.to_html())
    sliders = page.find("input", type="range")
    assert [s["data-param"] for s in sliders] == ["slope", "label"]
    assert [(s["min"], s["max"], s["step"], s["value"]) for s in sliders] == [
        ("0", "2", "1", "1"),
        ("0", "1", "1", "1"),
    ]
    assert json.loads(sliders[0]["data-texts"]) == ["0.5", "1.0", "2.0"]
    assert json.loads(sliders[0]["data-numbers"]) == [0.5, 1.0, 2.0]
    assert json.loads(sliders[1]["data-numbers"]) == [None, None]  # not numbers: matched by text only
    text = fig.to_html()
    assert "slope s" in text and ">1.0</output>" in text and ">b</output>" in text


def test_each_output_gets_its_own_ids_and_no_external_resources(tiny):
    fig = tiny
    first, second = fig.to_html(), fig.to_html()
    ids = [re.search(r'id="(lh-slider-figure-[0-9a-f]{20}(-[0-9]+)?)"', text).group(1) for text in (first, second)]
    assert ids[0] != ids[1]  # the same content, shown twice: numbered -2, -3, ...
    assert ids[0][: len("lh-slider-figure-") + 20] == ids[1][: len("lh-slider-figure-") + 20]
    for uid, text in zip(ids, (first, second)):
        assert text.count(uid) >= 3  # the container, its scoped style and the script that finds it
    assert not re.search(r"(src|href)=\"(https?:)?//", first) and "@import" not in first


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_fallback_script_is_valid_javascript(tiny, tmp_path):
    (attrs, script), *_ = [s for s in Page(tiny.to_html()).scripts if not s[0]]
    path = tmp_path / "fallback.js"
    path.write_text(script)
    subprocess.run(["node", "--check", str(path)], check=True, capture_output=True)


def test_no_figures_left_open_even_if_draw_uses_pyplot():
    def leaky(fig, x):
        plt.figure()  # a draw function that forgets it was given a figure
        fig.subplots().plot([0, x])

    before = plt.get_fignums()
    SliderFigure(leaky, {"x": [1, 2]}, **TINY).to_html()
    SliderFigure(draw_values, {"slope": [1, 2], "label": ["a"]}, setup=lambda fig: None, **TINY).to_html()
    assert plt.get_fignums() == before


def test_frames_with_setup_do_not_depend_on_drawing_order():
    def setup(fig):
        ax = fig.subplots()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 2)
        ax.set_title("placeholder")

    def draw(fig, slope):
        (ax,) = fig.axes
        ax.plot([0, 1], [0, slope])
        ax.set_title(f"slope {slope}")

    forward, backward = (SliderFigure(draw, {"slope": [0.5, 2.0]}, setup=setup, **TINY) for _ in range(2))
    forward_frames = [forward.frame(slope=0.5), forward.frame(slope=2.0)]
    backward_frames = [backward.frame(slope=2.0), backward.frame(slope=0.5)][::-1]
    assert forward_frames == backward_frames and forward_frames[0] != forward_frames[1]


def test_live_widget_shows_the_frame_of_the_slider_values():
    fig = SliderFigure(draw_values, {"slope": [0.5, 1.0, 2.0], "label": ["a", "b"]}, **TINY)
    controls, image, status = fig.widget.children
    slope, label = controls.children
    assert image.value == fig.frame(slope=0.5, label="a")
    slope.value, label.value = 2.0, "b"
    assert image.value == fig.frame(slope=2.0, label="b") and status.value == ""
    assert [o for o, _ in slope.options] == ["0.5", "1", "2"] and len(fig._cache) == 3  # drawn on demand only


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"draw": "not a function"}, r"draw must be callable.*'not a function'"),
        ({"grid": {}}, r"grid must be a non-empty dict.*got \{\}"),
        ({"grid": [1, 2]}, r"grid must be a non-empty dict"),
        ({"grid": {"x": []}}, r"grid\['x'\] must offer at least one value"),
        ({"grid": {"x": 3}}, r"grid\['x'\] must be a sequence"),
        ({"grid": {"x": [1, 1]}}, r"grid\['x'\] must not repeat"),
        ({"grid": {"not a name": [1]}}, r"grid keys must be parameter names"),
        ({"grid": {"x": range(9), "y": range(9)}}, r"at most max_frames=64 combinations.*got 81 = 9 x 9"),
        ({"initial": {"x": 5}}, r"initial\['x'\] must be one of its grid values \[1, 2\]; got 5"),
        ({"initial": {"z": 1}}, r"initial must only name grid parameters \['x'\]; got unknown \['z'\]"),
        ({"labels": {"x": 3}}, r"labels\['x'\] must be a str"),
        ({"value_format": "{:d}", "grid": {"x": [0.5]}}, r"value_format for 'x'.*'\{:d\}'"),
        ({"figsize": (3, -1)}, r"figsize must be strictly positive"),
        ({"dpi": 5}, r"dpi must be an integer >= 20; got 5"),
        ({"layout": "tight"}, r"layout must be one of"),
        ({"setup": 3}, r"setup must be None or callable"),
    ],
)
def test_slider_figure_rejects_bad_arguments(kwargs, match):
    arguments = {"draw": lambda fig, x: None, "grid": {"x": [1, 2]}, **kwargs}
    with pytest.raises(ValueError, match=match):
        SliderFigure(arguments.pop("draw"), arguments.pop("grid"), **arguments)


def test_frame_rejects_values_off_the_grid(tiny):
    with pytest.raises(ValueError, match=r"slope must be one of its grid values \[0.5, 1.0, 2.0\]; got 3"):
        tiny.frame(slope=3, label="a")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"initial_scales": (0.0, 0.1)}, r"initial_scales must lie strictly between 0 and target_scale=1"),
        ({"initial_scales": (0.1, 1.5)}, r"initial_scales must lie strictly between.*got \[0.1, 1.5\]"),
        ({"initial_scales": ()}, r"initial_scales must hold at least one value"),
        ({"imbalances": (1.0, 1.0)}, r"imbalances must not repeat values"),
        ({"imbalances": [[0.0]]}, r"imbalances must be 1-D"),
        ({"target_scale": -1.0}, r"target_scale must be strictly positive; got -1.0"),
        ({"variance": 0.0}, r"variance must be strictly positive"),
        ({"t_max": -2.0}, r"t_max must be strictly positive"),
    ],
)
def test_feedback_explorer_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        feedback_explorer(**kwargs)


def test_feedback_curves_follow_gradient_flow_and_the_closed_forms():
    S, var = 2.0, 0.5
    curves = feedback_curves(S, initial_scales=(0.01, 0.3), imbalances=(-2.0, 0.0, 0.5), variance=var)
    a, b, t = curves["a"], curves["b"], curves["times"]
    assert a.shape == (121, 2, 3) == curves["theta_theory"].shape
    # Start: a(0) b(0) = theta0 and a(0)^2 - b(0)^2 = C; the imbalance is conserved (Eq. 8).
    np.testing.assert_allclose(a[0] * b[0], [[0.01] * 3, [0.3] * 3], rtol=1e-12)
    np.testing.assert_allclose(a**2 - b**2, np.broadcast_to([-2.0, 0.0, 0.5], a.shape), atol=1e-7)
    # The batched gradient flow (Eq. 6) agrees with the exact product for any imbalance.
    assert lh.plotting.relative_error(curves["theta_simulated"], curves["theta_theory"]) < 1e-6
    # C = 0 is the balanced sigmoid (Eq. 9); the linear model is the exponential (Eq. 10).
    np.testing.assert_allclose(
        curves["theta_theory"][:, :, 1], lh.sigmoidal_mode(t[:, None], S, [0.01, 0.3], variance=var)
    )
    np.testing.assert_allclose(curves["theta_linear"][:, 0], S + (0.01 - S) * np.exp(-var * t))
    # The default time axis lets the slowest mode (theta0 = 0.01, balanced) saturate.
    assert 0.99 * S < curves["theta_theory"][-1, 0, 1] < S
    assert np.all(np.abs(a) < curves["extent"]) and np.all(np.abs(b) < curves["extent"])


def test_feedback_explorer_frames():
    explorer = feedback_explorer(initial_scales=(0.01, 0.3), imbalances=(0.0, 2.0), dpi=30)
    assert explorer.names == ("theta0", "imbalance") and explorer.shape == (2, 2)
    assert explorer.initial == {"theta0": 0.01, "imbalance": 0.0}
    frames = explorer.frames()
    assert len(set(frames)) == 4 and {png_size(f) for f in frames} == {(252, 108)}


def test_feedback_explorer_text_is_readable_in_the_book_column():
    """At a 1280-px window the book shows images at most 688 CSS px wide; its text must stay >= 9 CSS px."""
    import io

    from PIL import Image

    from labhelpers import plotting

    explorer = feedback_explorer(initial_scales=(0.01, 0.3), imbalances=(0.0, 2.0))
    image = Image.open(io.BytesIO(explorer.frame(theta0=0.01, imbalance=2.0)))
    smallest_px = float(image.text[plotting.SMALLEST_TEXT_KEY])
    css_px = smallest_px * min(1.0, 688 / image.size[0])
    assert css_px >= 9.0, f"smallest text {css_px:.2f} CSS px in a {image.size[0]}-px frame"


# ---------------------------------------------------------------------------- the emergence explorer (Sec. 4)
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"alphas": (-0.5, 1.0)}, r"alphas must be strictly positive.*got \[-0.5, 1.0\]"),
        ({"alphas": (1.0, 1.0)}, r"alphas must not repeat values"),
        ({"alphas": ()}, r"alphas must hold at least one value"),
        ({"initial_scales": (0.0, 0.1)}, r"initial_scales must lie strictly between 0 and target_scale/2 = 0.5"),
        ({"initial_scales": (0.1, 0.5)}, r"initial_scales must lie strictly between.*got \[0.1, 0.5\]"),
        ({"n_shown": 0}, r"n_shown must be an integer >= 1; got 0"),
        ({"n_shown": 20, "n_skills": 10}, r"n_shown must be at most n_skills=10; got 20"),
        ({"n_skills": 2.5}, r"n_skills must be an integer >= 1"),
        ({"target_scale": 0.0}, r"target_scale must be strictly positive; got 0.0"),
    ],
)
def test_emergence_explorer_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lh.widgets.emergence_explorer(**kwargs)


def test_emergence_curves_are_the_skill_model():
    S = 2.0
    curves = lh.emergence.emergence_curves((0.5, 1.0), (1e-3, 0.1), n_shown=3, n_skills=50, target_scale=S, n_times=61)
    t = curves["times"]
    assert curves["strengths"].shape == (61, 2, 2, 3) and curves["loss"].shape == (61, 2, 2)
    assert np.all(np.diff(np.log(t)) > 0)
    p = lh.emergence.power_law_frequencies(50, 1.0)
    np.testing.assert_allclose(
        curves["strengths"][:, 1, 0],
        lh.emergence.skill_strength(t[:, None], p[:3], target_scale=S, theta0=1e-3),
        rtol=1e-14,
    )
    np.testing.assert_allclose(
        curves["loss"][:, 1, 1], lh.emergence.loss_in_time(t, p, target_scale=S, theta0=0.1), rtol=1e-14
    )
    np.testing.assert_allclose(curves["exponents"], [-1 / 3, -1 / 2])
    # Emergence times are the half-strength times, and the time axis covers all of them on both sides.
    emergence = curves["emergence"][1, 0]
    np.testing.assert_allclose(
        lh.emergence.skill_strength(emergence, p[:3], target_scale=S, theta0=1e-3), 0.5, rtol=1e-12
    )
    assert t[0] < curves["emergence"].min() / 4 and t[-1] > 4 * curves["emergence"].max()
    # Every shown skill starts near theta0/S and ends learned; the loss falls from S^2/2.
    assert np.all(curves["strengths"][0] < 0.1) and np.all(curves["strengths"][-1] > 0.99)
    assert np.all(curves["loss"][0] <= S**2 / 2) and np.all(np.diff(curves["loss"], axis=0) < 0)


def test_emergence_explorer_frames():
    explorer = lh.widgets.emergence_explorer(alphas=(0.5, 2.0), initial_scales=(1e-3, 0.1), n_skills=200, dpi=30)
    assert explorer.names == ("alpha", "theta0") and explorer.shape == (2, 2)
    assert explorer.initial == {"alpha": 0.5, "theta0": 1e-3}
    frames = explorer.frames()
    assert len(set(frames)) == 4 and {png_size(f) for f in frames} == {(228, 126)}
    page = Page(explorer.to_html())
    assert [s["data-param"] for s in page.find("input")] == ["alpha", "theta0"]


def test_emergence_explorer_text_is_readable_in_the_book_column():
    """The book's frames (default dpi) fit the 688-CSS-px column, and their smallest text is >= 9 CSS px there."""
    import io

    from PIL import Image

    from labhelpers import plotting

    explorer = lh.widgets.emergence_explorer(alphas=(0.5, 2.0), initial_scales=(1e-3, 0.1), n_skills=200)
    image = Image.open(io.BytesIO(explorer.frame(alpha=2.0, theta0=0.1)))
    smallest_px = float(image.text[plotting.SMALLEST_TEXT_KEY])
    css_px = smallest_px * min(1.0, 688 / image.size[0])
    assert css_px >= 9.0, f"smallest text {css_px:.2f} CSS px in a {image.size[0]}-px frame"


# ---------------------------------------------------------------------------- the regimes explorer (Sec. 6)
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lams": (1.0, 1.0)}, r"lams must not repeat values"),
        ({"lams": ()}, r"lams must hold at least one value"),
        ({"initial_scales": (0.0, 0.1)}, r"initial_scales must be strictly positive.*got \[0.0, 0.1\]"),
        ({"target_scales": (1.0, -2.0)}, r"target_scales must be strictly positive"),
        ({"target_scales": tuple(range(1, 9))}, r"target_scales must list 1 to 6 singular values"),
        # A slider value in the subnormal range is refused before any closed form runs.
        ({"initial_scales": (1e-300,), "lams": (0.0,)}, r"initial_scales must have magnitudes in \[1e-100"),
    ],
)
def test_regimes_explorer_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lh.widgets.regimes_explorer(**kwargs)


def test_regimes_curves_are_the_closed_forms():
    s = np.array([2.0, 1.0])
    curves = lh.regimes.regimes_curves((0.0, 10.0), (1e-2, 0.3), target_scales=s, n_times=81)
    t = curves["times"]
    assert curves["theta"].shape == (81, 2, 2, 2) and curves["kernel_distance"].shape == (81, 2, 2)
    assert np.all(np.diff(np.log(t)) > 0)
    np.testing.assert_allclose(curves["theta"][:, 1, 0], lh.regimes.lambda_mode(t[:, None], s, 1e-2, 10.0), rtol=1e-14)
    expected = lh.regimes.aligned_kernel_distance(curves["theta"][:, 0, 1], [0.3, 0.3], 0.0, 2, 2)
    np.testing.assert_allclose(curves["kernel_distance"][:, 0, 1], expected, rtol=1e-12)
    # The time axis starts before anything moved and ends after every mode is within 1% of its target.
    assert np.all(np.abs(curves["theta"][-1] / s - 1) < 0.01)
    assert np.all(curves["theta"][0, :, 0] / s < 0.1)
    np.testing.assert_allclose(curves["lazy"][:, 1, 0, 0], 2.0 + (1e-2 - 2.0) * np.exp(-10.0 * t))
    # Balanced and small is rich, strongly unbalanced is lazy (the paper's Fig. 6a in one column).
    final = curves["kernel_distance"][-1]
    assert final[0, 0] > 1e-2 and final[1, 0] < 1e-3 and final[0, 0] > 30 * final[1, 0]


def test_regimes_explorer_frames():
    explorer = lh.widgets.regimes_explorer(lams=(0.0, 4.0), initial_scales=(1e-2, 0.1), dpi=30)
    assert explorer.names == ("lam", "theta0") and explorer.shape == (2, 2)
    assert explorer.initial == {"lam": 0.0, "theta0": 1e-2}
    frames = explorer.frames()
    assert len(set(frames)) == 4 and {png_size(f) for f in frames} == {(252, 108)}
    page = Page(explorer.to_html())
    assert [s["data-param"] for s in page.find("input")] == ["lam", "theta0"]


def test_static_html_is_the_same_in_every_run(monkeypatch):
    """Issue 11, item 9: no random ids; a fresh process (empty id registry) gives byte-identical HTML."""
    monkeypatch.setattr(lh.widgets.slider, "_IDS_SHOWN", {})
    first = SliderFigure(draw_values, {"slope": [1, 2], "label": ["a"]}, **TINY).to_html()
    monkeypatch.setattr(lh.widgets.slider, "_IDS_SHOWN", {})
    again = SliderFigure(draw_values, {"slope": [1, 2], "label": ["a"]}, **TINY).to_html()
    assert first == again
    other = SliderFigure(draw_values, {"slope": [1, 3], "label": ["a"]}, **TINY).to_html()
    assert re.search(r'id="([^"]+)"', other).group(1) != re.search(r'id="([^"]+)"', first).group(1)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: lh.feedback_curves(n_times=10**9), "n_times"),
        (lambda: lh.feedback_curves(n_times=2.0), "n_times"),
        (lambda: lh.feedback_curves(initial_scales=np.linspace(0.01, 0.5, 65)), "initial_scales"),
        (lambda: lh.feedback_curves(variance=True), "variance"),
        (lambda: lh.emergence.emergence_curves(n_skills=10**12), "n_skills"),
        (lambda: lh.emergence.emergence_curves(n_times=np.int64(10**6)), "n_times"),
        (lambda: lh.collapse.collapse_curves(seed=-1), "seed"),
        (lambda: lh.collapse.collapse_curves(seed=True), "seed"),
    ],
)
def test_curves_refuse_sizes_they_cannot_afford(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------------------- API fuzz regressions (wave 2)
@pytest.mark.parametrize(
    "curves, kwargs, name",
    [
        (lh.feedback_curves, {"initial_scales": (1e-310, 1e-309)}, "initial_scales"),
        (lh.feedback_curves, {"variance": 1e308}, "variance"),
        (lh.feedback_curves, {"target_scale": 1e308}, "target_scale"),
        (lh.emergence.emergence_curves, {"alphas": (1e300, 2e300)}, "alphas"),
        (lh.grokking.grokking_curves, {"ratios": (1e-311, 1e-310)}, "ratios"),
        (lh.grokking.grokking_curves, {"target_scale": 5e-324}, "target_scale"),
        (lh.regimes.regimes_curves, {"lams": (0.0, 1e300)}, "lams"),
        (lh.regimes.regimes_curves, {"target_scales": (2e-310, 1e-310)}, "target_scales"),
        (lh.collapse.collapse_curves, {"init_scales": (1e298, 1e299)}, "init_scales"),
    ],
)
def test_explorer_data_refuses_extreme_slider_values(curves, kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must have magnitudes in \[1e-100, 1e\+100\]"):
        curves(**kwargs)


def test_explorer_data_names_the_argument_behind_a_refused_flow():
    small = {"initial_scales": (0.01, 0.1), "imbalances": (0.0, 1.0), "n_times": 11}
    for t_max in (1e308, 5e-324):  # beyond the solver's budget; times that round onto each other
        with pytest.raises(ValueError, match="t_max"):
            lh.feedback_curves(1.0, t_max=t_max, **small)
    with pytest.raises(ValueError, match="imbalances"):
        lh.feedback_curves(1.0, **{**small, "imbalances": (0.0, 1e100)})
    ufm = {"init_scales": (0.01,), "n_classes": 3, "n_per_class": 2, "feature_dim": 3, "n_times": 11}
    with pytest.raises(ValueError, match="^snapshot_times ends at 1e\\+100"):
        lh.collapse.collapse_curves(snapshot_times=(0.0, 1e100), **ufm)
    with pytest.raises(ValueError, match="feature_dim"):
        lh.collapse.collapse_curves(snapshot_times=(0.0, 1.0), **{**ufm, "feature_dim": 10**12})
    with pytest.raises(ValueError, match="alphas holds 700"):  # skill 6's frequency 6^-701 underflows to 0
        lh.emergence.emergence_curves(alphas=(700.0,), initial_scales=(0.01,), n_skills=10, n_times=11)
    with pytest.raises(ValueError, match="alphas must be strictly positive"):
        lh.emergence.emergence_curves(alphas=(0.0, 1.0), n_skills=10, n_times=11)


def test_explorer_data_stays_finite_at_the_moderate_limits():
    grok = lh.grokking.grokking_curves(ratios=(1e-100, 1e100), Zs=(1e-100, 1e100), widths=(4,), n_times=11)
    regimes = lh.regimes.regimes_curves(lams=(0.0, 1e100), initial_scales=(1.0, 1e100), n_times=11)
    for curves in (grok, regimes):
        assert all(np.all(np.isfinite(v)) for v in curves.values() if isinstance(v, np.ndarray))


def test_frames_record_their_smallest_text_like_every_course_figure(tiny):
    import io

    from PIL import Image

    from labhelpers import plotting

    recorded = Image.open(io.BytesIO(tiny.frame(slope=1.0, label="b"))).text[plotting.SMALLEST_TEXT_KEY]
    # Tick labels are the smallest text: 10 pt in the course style, at the frame's dpi.
    assert float(recorded) == pytest.approx(10 * tiny.dpi / 72, abs=0.01)
