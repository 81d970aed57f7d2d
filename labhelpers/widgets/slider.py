"""Interactive figures that stay interactive in the static book.

One object, two views. In Jupyter or Colab, :class:`SliderFigure` shows a live ipywidget: one
slider per parameter and a figure redrawn when a slider moves. In the HTML book (no kernel) the
same output shows a *static fallback*: every combination of slider values is drawn once, ahead of
time, and embedded as a PNG frame; small self-contained JavaScript swaps frames as the reader moves
plain ``<input type="range">`` sliders. Both views travel in one MIME bundle:

- ``application/vnd.jupyter.widget-view+json``: the live widget (needs a widget manager);
- ``text/html``: the fallback (needs nothing but a browser; without JavaScript the first frame
  still shows);
- ``text/plain``: a one-line summary.

The book's ``_config.yml`` drops the widget view for the HTML builder
(``nb_mime_priority_overrides``), so the book shows the fallback, while Jupyter and Colab pick the
live widget. The fallback reads URL parameters named after the sliders, so a page address such as
``feedback.html?theta0=0.1&imbalance=2`` opens every explorer on the page at those values (the
nearest grid value is chosen).

:func:`feedback_explorer` is the course's first explorer (Sec. 3): the feedback between the layers
of the diagonal network, for any initial mode strength and imbalance. :func:`emergence_explorer`
(Sec. 4) shows the skill model: skills emerging one after another, and the power law of the loss, for
any frequency exponent and initial scale. :func:`collapse_explorer` (Sec. 5) shows the features of an
unconstrained feature model collapsing, and their NC1, for any initial scale and training time.
:func:`regimes_explorer` (Sec. 6) shows a lambda-balanced
network's modes and the distance its tangent kernel travels, for any relative and absolute scale.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
import math
import numbers
import pickle
import re

import matplotlib
import matplotlib.figure
import matplotlib.lines
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from .. import plotting
from ..core import validation as check
from ..core.data import teacher_moments
from ..core.feedback import layers_from_product
from ..core.models import DiagonalLinearNetwork
from ..core.modes import linear_mode, linear_saturation_time, product_mode, saturation_time
from ..core.simulate import gradient_flow
from ..emergence.parity import power_law_frequencies
from ..emergence.skills import emergence_time, loss_in_time, scaling_exponents, skill_strength

WIDGET_VIEW_MIMETYPE = "application/vnd.jupyter.widget-view+json"


class SliderFigure:
    """A matplotlib figure with one slider per parameter, live in Jupyter and pre-rendered for the book.

    Parameters
    ----------
    draw : callable
        ``draw(fig, **values)`` draws the figure for one value of each parameter. ``fig`` is a
        matplotlib ``Figure`` in the course style: empty, or a copy of what ``setup``
        drew (reach its axes with ``fig.axes``). It is called once per grid combination for the
        static view and once per new combination in the live view.
    grid : dict of str to sequence
        Parameter name (a keyword of ``draw``) to the values its slider offers, in slider order.
        The static view holds one frame per combination, so keep the product of the lengths small
        (at most ``max_frames``).
    setup : callable, optional
        ``setup(fig)`` draws what every frame shares (axes, labels, a slow background such as a
        stream plot), once. Each frame starts from a copy of that figure, and the layout is computed
        once on it and then kept, so axes do not move from frame to frame: give ``setup`` the titles
        and labels that ``draw`` will rewrite, so that room is made for them.
    labels : dict of str to str, optional
        Slider captions (plain text or Unicode, no TeX); default: the parameter names.
    initial : dict, optional
        Starting value of some or all parameters (each must be in its grid); default: the first.
    figsize : (float, float)
        Figure size in inches.
    dpi : int
        Resolution of every frame (90-100 keeps a 20-frame explorer well under 1.5 MB of HTML).
    layout : {"constrained", None}
        Layout engine of the figure (``None``: place axes yourself).
    quantize : bool
        Store frames as 256-colour palette PNGs (about 4 times smaller, visually identical for
        line plots); ``False`` keeps full-colour PNGs (for images with smooth colour maps).
    value_format : str or dict of str to str, optional
        Format of the value shown next to each slider, e.g. ``"{:.2f}"``; one for all or one per
        name. Default: ``"{:g}"`` for numbers, ``str`` otherwise.
    max_frames : int
        Refuse grids with more combinations than this (each costs a drawing and HTML size).
    description : str
        Alternative text of the image, completed with the current values.

    Notes
    -----
    Frames are drawn lazily, once, and cached as PNG bytes: the static view draws them all the
    first time the object is displayed; the live view draws the current combination on demand.
    Frames are drawn on figures that pyplot never sees (figures ``draw`` opens through pyplot are
    closed), so nothing is left open and nothing is shown twice in a notebook.
    """

    def __init__(
        self,
        draw,
        grid: dict,
        *,
        setup=None,
        labels: dict | None = None,
        initial: dict | None = None,
        figsize: tuple[float, float] = (8.0, 3.6),
        dpi: int = 90,
        layout: str | None = "constrained",
        quantize: bool = True,
        value_format: str | dict | None = None,
        max_frames: int = 64,
        description: str = "Interactive figure",
    ):
        if not callable(draw):
            raise ValueError(f"draw must be callable as draw(fig, **values); got {check._describe(draw)}")
        if setup is not None and not callable(setup):
            raise ValueError(f"setup must be None or callable as setup(fig); got {check._describe(setup)}")
        self.draw, self.setup = draw, setup
        self.grid = _validate_grid(grid)
        self.max_frames = check.positive_int("max_frames", max_frames)
        if self.n_frames > self.max_frames:
            raise ValueError(
                f"grid must have at most max_frames={self.max_frames} combinations (one pre-rendered frame each); "
                f"got {self.n_frames} = {' x '.join(str(n) for n in self.shape)}; use fewer values or raise max_frames"
            )
        labels = _validate_names("labels", labels, self.grid, str)
        self.labels = {name: labels.get(name, name) for name in self.grid}
        self.initial = self._validate_initial(initial)
        self.figsize = _validate_figsize(figsize)
        self.dpi = check.positive_int("dpi", dpi, minimum=20)
        self.layout = check.one_of("layout", layout, ("constrained", None))
        if not isinstance(quantize, bool):
            raise ValueError(f"quantize must be True or False; got {check._describe(quantize)}")
        self.quantize = quantize
        self.value_format = self._validate_formats(value_format)
        if not isinstance(description, str):
            raise ValueError(f"description must be a string; got {check._describe(description)}")
        self.description = description
        self._cache: dict[tuple, bytes] = {}
        self._template: bytes | None = None
        self._widget = None

    # ------------------------------------------------------------------ grid bookkeeping
    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names, in slider order."""
        return tuple(self.grid)

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of values of each parameter."""
        return tuple(len(values) for values in self.grid.values())

    @property
    def n_frames(self) -> int:
        """Number of grid combinations, i.e. of frames in the static view."""
        return math.prod(self.shape)

    def combinations(self) -> list[dict]:
        """Every combination of values, the last parameter varying fastest (the frame order)."""
        return [dict(zip(self.names, combo)) for combo in itertools.product(*self.grid.values())]

    def format_value(self, name: str, value) -> str:
        """The text shown next to slider ``name`` for ``value``."""
        fmt = self.value_format[name]
        if fmt is None:
            return f"{value:g}" if isinstance(value, numbers.Real) and not isinstance(value, bool) else str(value)
        return fmt.format(value)

    def _key(self, values: dict) -> tuple:
        if set(values) != set(self.names):
            raise ValueError(f"values must name exactly the parameters {list(self.names)}; got {sorted(values)}")
        key = []
        for name in self.names:
            if values[name] not in self.grid[name]:
                raise ValueError(f"{name} must be one of its grid values {list(self.grid[name])}; got {values[name]!r}")
            key.append(self.grid[name].index(values[name]))
        return tuple(key)

    # ------------------------------------------------------------------ drawing
    def frame(self, **values) -> bytes:
        """PNG bytes of the figure for one combination of grid values (drawn once, then cached)."""
        key = self._key(values)
        if key not in self._cache:
            self._cache[key] = self._render(values)
        return self._cache[key]

    def frames(self) -> list[bytes]:
        """PNG bytes of every combination, in the order of :meth:`combinations`."""
        return [self.frame(**values) for values in self.combinations()]

    def _render(self, values: dict) -> bytes:
        open_before = set(plt.get_fignums())
        try:
            with matplotlib.rc_context():
                plotting.use_style()
                fig = self._start_figure()
                self.draw(fig, **values)
                # Draw on the Agg canvas directly: the full figure (every frame the same pixel size, or
                # the image would jump as sliders move), without savefig's rc-dependent tight bbox.
                fig.set_dpi(self.dpi)
                canvas = FigureCanvasAgg(fig)
                canvas.draw()
                image = Image.fromarray(np.asarray(canvas.buffer_rgba()))
        finally:
            for number in set(plt.get_fignums()) - open_before:
                plt.close(number)
        if self.quantize:  # no dithering, so flat colours stay flat
            image = image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=6)
        return buffer.getvalue()

    def _start_figure(self):
        """A fresh figure: empty, or a copy of the one ``setup`` drew (with its layout frozen)."""
        if self.setup is None:
            return matplotlib.figure.Figure(figsize=self.figsize, dpi=self.dpi, layout=self.layout)
        if self._template is not None:
            return pickle.loads(self._template)
        fig = matplotlib.figure.Figure(figsize=self.figsize, dpi=self.dpi, layout=self.layout)
        self.setup(fig)
        if self.layout is not None:
            fig.draw_without_rendering()
            # Freeze the positions: no engine at all ("none" keeps a placeholder that savefig draws twice for).
            with matplotlib.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
                fig.set_layout_engine(None)
        try:
            self._template = pickle.dumps(fig)
        except (pickle.PicklingError, TypeError, AttributeError):
            pass  # e.g. a lambda tick formatter: run setup for every frame instead (slower, same frames)
        return fig

    # ------------------------------------------------------------------ static view
    def to_html(self) -> str:
        """The static fallback: sliders, pre-rendered frames and a few lines of JavaScript.

        Self-contained (no external resources, frames as base64 data URIs). Without JavaScript the
        initial frame still shows. The element id is a hash of the content (see ``_element_id``),
        so a notebook gives the same HTML every time it runs, and several explorers can share a page.
        """
        initial_key = self._key(self.initial)
        initial_index = int(np.ravel_multi_index(initial_key, self.shape))
        uris = [_data_uri(png) for png in self.frames()]
        # The initial frame is already the <img>'s src: do not embed it twice.
        listed = [uri if k != initial_index else "" for k, uri in enumerate(uris)]
        alts = [self._alt(values) for values in self.combinations()]
        strides = [math.prod(self.shape[k + 1 :]) for k in range(len(self.shape))]
        width, height = (round(v * self.dpi) for v in self.figsize)

        controls = []
        for k, name in enumerate(self.names):
            texts = [self.format_value(name, v) for v in self.grid[name]]
            numeric = [_as_number(v) for v in self.grid[name]]
            index = initial_key[k]
            controls.append(
                f'<label class="lh-sf-control"><span class="lh-sf-name">{html.escape(self.labels[name])}</span>'
                f'<input class="lh-sf-slider" type="range" autocomplete="off" min="0" max="{len(texts) - 1}" step="1" value="{index}" '
                f'data-param="{html.escape(name)}" data-texts="{html.escape(json.dumps(texts))}" '
                f'data-numbers="{html.escape(json.dumps(numeric))}" aria-valuetext="{html.escape(texts[index])}">'
                f'<output class="lh-sf-value">{html.escape(texts[index])}</output></label>'
            )
        payload = json.dumps({"frames": listed, "alts": alts, "strides": strides}).replace("</", "<\\/")
        uid = _element_id(payload, *controls, uris[initial_index])
        return _HTML_TEMPLATE.format(
            uid=uid,
            name_width=round(0.8 * max(len(label) for label in self.labels.values())),  # aligns the sliders
            controls="".join(controls),
            src=uris[initial_index],
            alt=html.escape(alts[initial_index]),
            width=width,
            height=height,
            payload=payload,
            script=_SCRIPT.replace("__UID__", uid),
        )

    def _alt(self, values: dict) -> str:
        described = ", ".join(f"{self.labels[n]} = {self.format_value(n, values[n])}" for n in self.names)
        return f"{self.description} ({described})"

    # ------------------------------------------------------------------ live view
    @property
    def widget(self):
        """The live ipywidget, built on first use, with sliders over the grid values above the figure."""
        if self._widget is None:
            self._widget = self._build_widget()
        return self._widget

    def _build_widget(self):
        import ipywidgets as widgets

        sliders = {
            name: widgets.SelectionSlider(
                options=[(self.format_value(name, v), v) for v in values],
                value=self.initial[name],
                description=self.labels[name],
                continuous_update=False,
                style={"description_width": "initial"},
                layout=widgets.Layout(width="420px", max_width="100%"),
            )
            for name, values in self.grid.items()
        }
        width = round(self.figsize[0] * self.dpi)
        image = widgets.Image(
            value=self.frame(**self.initial), format="png", layout=widgets.Layout(width=f"{width}px", max_width="100%")
        )
        status = widgets.HTML("")

        def redraw(_change=None):
            values = {name: slider.value for name, slider in sliders.items()}
            try:
                image.value = self.frame(**values)
                status.value = ""
            except Exception as error:  # a callback's traceback would vanish into the log: show it
                status.value = f"<pre style='color:#b00'>drawing failed: {html.escape(repr(error))}</pre>"

        for slider in sliders.values():
            slider.observe(redraw, names="value")
        controls = widgets.HBox(list(sliders.values()), layout=widgets.Layout(flex_flow="row wrap"))
        return widgets.VBox([controls, image, status])

    # ------------------------------------------------------------------ display
    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """Live widget view, static HTML fallback and a text summary, in one bundle."""

        def wanted(mime):
            return (include is None or mime in include) and (exclude is None or mime not in exclude)

        bundle = {}
        if wanted(WIDGET_VIEW_MIMETYPE):
            try:
                view = self.widget._repr_mimebundle_()
            except ImportError:  # no ipywidgets: the static view alone still works
                view = None
            if view and WIDGET_VIEW_MIMETYPE in view:
                bundle[WIDGET_VIEW_MIMETYPE] = view[WIDGET_VIEW_MIMETYPE]
        if wanted("text/html"):
            bundle["text/html"] = self.to_html()
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        axes = ", ".join(f"{name}: {n} values" for name, n in zip(self.names, self.shape))
        return f"<{type(self).__name__} {self.description!r}: {axes}; {self.n_frames} frames>"

    # ------------------------------------------------------------------ validation helpers
    def _validate_initial(self, initial) -> dict:
        given = _validate_names("initial", initial, self.grid, None)
        for name, value in given.items():
            if value not in self.grid[name]:
                raise ValueError(
                    f"initial[{name!r}] must be one of its grid values {list(self.grid[name])}; got {value!r}"
                )
        return {name: given.get(name, values[0]) for name, values in self.grid.items()}

    def _validate_formats(self, value_format) -> dict:
        formats = value_format if isinstance(value_format, dict) else {name: value_format for name in self.grid}
        formats = _validate_names("value_format", formats, self.grid, (str, type(None)))
        formats = {name: formats.get(name) for name in self.grid}
        for name, fmt in formats.items():
            for value in [] if fmt is None else self.grid[name]:
                try:
                    fmt.format(value)
                except (ValueError, TypeError, IndexError, KeyError) as error:
                    raise ValueError(
                        f"value_format for {name!r} must format its values like '{{:g}}'; got {fmt!r}, "
                        f"which fails on {value!r} ({error})"
                    ) from error
        return formats


def _validate_grid(grid) -> dict:
    if not isinstance(grid, dict) or not grid:
        raise ValueError(
            "grid must be a non-empty dict mapping each parameter name to its slider values, "
            f"e.g. {{'theta0': [0.01, 0.1]}}; got {check._describe(grid)}"
        )
    checked = {}
    for name, values in grid.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"grid keys must be parameter names (keywords of draw); got {name!r}")
        if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
            raise ValueError(f"grid[{name!r}] must be a sequence of slider values; got {check._describe(values)}")
        values = tuple(np.asarray(values).tolist()) if isinstance(values, np.ndarray) else tuple(values)
        if len(values) == 0:
            raise ValueError(f"grid[{name!r}] must offer at least one value; got an empty sequence")
        if any(values.count(v) > 1 for v in values):
            raise ValueError(f"grid[{name!r}] must not repeat values; got {list(values)}")
        checked[name] = values
    return checked


def _validate_names(argument: str, mapping, grid: dict, value_type) -> dict:
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise ValueError(f"{argument} must be a dict keyed by parameter names; got {check._describe(mapping)}")
    unknown = sorted(set(mapping) - set(grid), key=str)
    if unknown:
        raise ValueError(f"{argument} must only name grid parameters {list(grid)}; got unknown {unknown}")
    if value_type is not None:
        types = value_type if isinstance(value_type, tuple) else (value_type,)
        need = " or ".join("None" if t is type(None) else t.__name__ for t in types)
        for name, value in mapping.items():
            if not isinstance(value, types):
                raise ValueError(f"{argument}[{name!r}] must be a {need}; got {check._describe(value)}")
    return dict(mapping)


def _validate_figsize(figsize) -> tuple[float, float]:
    size = check.positive("figsize", figsize)
    if size.shape != (2,):
        raise ValueError(f"figsize must be (width, height) in inches; got {check._describe(figsize)}")
    return float(size[0]), float(size[1])


def _as_number(value):
    """Numeric value for matching URL parameters to the nearest grid value, or None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _element_id(*parts: str) -> str:
    """A deterministic HTML id for a slider figure: a hash of its content, numbered if it repeats.

    A fresh random id would make every execution of a notebook differ (issue 11, item 9). The same
    content shown twice in one session gets ``-2``, ``-3``, ... appended, so that the copies on one
    page still find their own elements; a fresh kernel numbers them the same way every time.
    """
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:20]
    shown = _IDS_SHOWN[digest] = _IDS_SHOWN.get(digest, 0) + 1
    return f"lh-slider-figure-{digest}" + (f"-{shown}" if shown > 1 else "")


#: How many times each content hash has been given out as an id in this process (see _element_id).
_IDS_SHOWN: dict[str, int] = {}


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


_HTML_TEMPLATE = """<div class="lh-slider-figure" id="{uid}">
<style>
#{uid} {{ margin: 0.5em 0; }}
#{uid} .lh-sf-controls {{ display: flex; flex-wrap: wrap; gap: 0.3em 2em; margin-bottom: 0.4em; font-size: 0.9em; }}
#{uid} .lh-sf-control {{ display: inline-flex; align-items: center; gap: 0.6em; margin: 0; }}
#{uid} .lh-sf-name {{ min-width: {name_width}ch; }}
#{uid} .lh-sf-slider {{ width: 11em; margin: 0; }}
#{uid} .lh-sf-value {{ min-width: 3.5em; font-variant-numeric: tabular-nums; font-weight: 600; }}
#{uid} .lh-sf-frame {{ display: block; max-width: 100%; height: auto; }}
</style>
<div class="lh-sf-controls">{controls}</div>
<img class="lh-sf-frame" src="{src}" alt="{alt}" width="{width}" height="{height}">
<script type="application/json" class="lh-sf-data">{payload}</script>
<script>{script}</script>
</div>"""

# Plain ES5 inside an IIFE: no globals, found by its own id, safe with several explorers on a page
# and when a notebook front end re-runs the script (the data-ready flag).
_SCRIPT = """(function () {
  "use strict";
  var root = document.getElementById("__UID__") || (document.currentScript && document.currentScript.parentNode);
  if (!root || root.getAttribute("data-ready")) { return; }
  root.setAttribute("data-ready", "1");
  var data = JSON.parse(root.querySelector("script.lh-sf-data").textContent);
  var image = root.querySelector("img.lh-sf-frame");
  var sliders = root.querySelectorAll("input.lh-sf-slider");
  var frames = data.frames;
  function current(attribute) {
    var index = 0;
    for (var k = 0; k < sliders.length; k++) {
      index += parseInt(attribute ? sliders[k].getAttribute("value") : sliders[k].value, 10) * data.strides[k];
    }
    return index;
  }
  // The <img> shows the frame of the sliders' initial values (a browser may have restored others).
  var start = current(true);
  frames[start] = frames[start] || image.getAttribute("src");
  function update() {
    for (var k = 0; k < sliders.length; k++) {
      var text = JSON.parse(sliders[k].getAttribute("data-texts"))[parseInt(sliders[k].value, 10)];
      sliders[k].setAttribute("aria-valuetext", text);
      sliders[k].parentNode.querySelector("output.lh-sf-value").textContent = text;
    }
    var index = current();
    image.src = frames[index];
    image.alt = data.alts[index];
  }
  // URL parameters named after sliders (?theta0=0.1 or #theta0=0.1) pick the nearest grid value.
  var query = (window.location.search + "&" + window.location.hash.replace(/^#/, "")).replace(/^\\?/, "");
  query.split("&").forEach(function (pair) {
    var parts = pair.split("=");
    if (parts.length !== 2) { return; }
    var name = decodeURIComponent(parts[0]), wanted = decodeURIComponent(parts[1]);
    for (var k = 0; k < sliders.length; k++) {
      if (sliders[k].getAttribute("data-param") !== name) { continue; }
      var texts = JSON.parse(sliders[k].getAttribute("data-texts"));
      var numbers = JSON.parse(sliders[k].getAttribute("data-numbers"));
      var best = texts.indexOf(wanted), target = parseFloat(wanted);
      if (best < 0 && !isNaN(target)) {
        var gap = Infinity;
        for (var i = 0; i < numbers.length; i++) {
          if (numbers[i] !== null && Math.abs(numbers[i] - target) < gap) { gap = Math.abs(numbers[i] - target); best = i; }
        }
      }
      if (best >= 0) { sliders[k].value = String(best); }
    }
  });
  for (var k = 0; k < sliders.length; k++) { sliders[k].addEventListener("input", update); }
  update();
})();"""


# ---------------------------------------------------------------------------------------------
# The course's explorers
# ---------------------------------------------------------------------------------------------


def feedback_curves(
    target_scale: float = 1.0,
    *,
    initial_scales=(0.01, 0.03, 0.1, 0.3),
    imbalances=(-2.0, -0.5, 0.0, 0.5, 2.0),
    variance: float = 1.0,
    t_max: float | None = None,
    n_times: int = 121,
) -> dict:
    """Everything :func:`feedback_explorer` draws, for every (initial scale, imbalance) at once.

    One batched gradient-flow run of the diagonal network (Eq. 6) from ``a(0), b(0)`` with
    ``a(0) b(0) = theta0`` and ``a(0)^2 - b(0)^2 = C`` (Eq. 8), next to the closed forms: the product
    for any imbalance (:func:`~labhelpers.core.product_mode`; Eq. 9 when ``C = 0``) and the linear
    model from the same ``theta0`` (Eq. 10, :func:`~labhelpers.core.linear_mode`).

    Parameters
    ----------
    target_scale : float
        Target scale ``S`` of the mode (Eq. 1), strictly positive.
    initial_scales : sequence of float
        Initial mode strengths ``theta0``, each in ``(0, S)``.
    imbalances : sequence of float
        Conserved imbalances ``C`` (Eq. 8).
    variance : float
        Input variance ``E[x^2]``, strictly positive.
    t_max : float, optional
        End of the common time axis; default: 1.1 times the time the slowest mode (smallest
        ``theta0``, balanced) needs to reach 99% of ``S``, or the linear model if that is later.
    n_times : int
        Number of recorded times.

    Returns
    -------
    dict
        ``times`` (T,); ``a``, ``b``, ``theta_simulated`` (T, n_scales, n_imbalances) from gradient
        flow; ``theta_theory`` (same shape) from :func:`~labhelpers.core.product_mode`;
        ``theta_balanced`` (T, n_scales) from Eq. 9; ``theta_linear`` (T, n_scales) from Eq. 10; the
        grid as ``initial_scales`` and ``imbalances``; ``target_scale``, ``variance`` and ``extent``
        (a half-width of the phase plane that holds every trajectory).
    """
    S = _moderate_scalar("target_scale", target_scale)
    var = _moderate_scalar("variance", variance)
    theta0 = _grid_axis("initial_scales", initial_scales)
    C = _grid_axis("imbalances", imbalances)
    if np.any(theta0 <= 0) or np.any(theta0 >= S):
        raise ValueError(
            f"initial_scales must lie strictly between 0 and target_scale={S:g} (a mode that rises); got {theta0.tolist()}"
        )
    n_times = check.positive_int("n_times", n_times, minimum=2, maximum=MAX_TIMES)
    t_max = _feedback_t_max(S, theta0, var) if t_max is None else check.positive_scalar("t_max", t_max)

    times = _time_axis(t_max, n_times)
    a0, b0 = layers_from_product(theta0[:, None], C[None, :])  # (n_scales, n_imbalances)
    try:
        run = gradient_flow(
            DiagonalLinearNetwork(1),
            {"a": a0[..., None], "b": b0[..., None]},
            teacher_moments([var], [S]),
            times=times,
            rtol=1e-8,
            atol=1e-10,
        )
    except ValueError as error:
        raise ValueError(
            f"the flow of this grid cannot be integrated up to t_max={t_max:.6g}: its speed grows with variance x "
            "max(|imbalances|, target_scale) (and with initial_scales); lower them, or t_max. The solver said: "
            f"{error}"
        ) from error
    a, b = run.params["a"][..., 0], run.params["b"][..., 0]
    theory = product_mode(times[:, None, None], S, theta0[:, None], imbalance=C[None, :], variance=var)
    a_end, b_end = layers_from_product(S, C)
    extent = 1.15 * max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), float(np.max(np.abs(a_end))), 1.0)
    return {
        "times": times,
        "a": a,
        "b": b,
        "theta_simulated": a * b,
        "theta_theory": theory,
        "theta_balanced": product_mode(times[:, None], S, theta0[None, :], variance=var),
        "theta_linear": linear_mode(times[:, None], S, theta0=theta0[None, :], variance=var),
        "initial_scales": theta0,
        "imbalances": C,
        "target_scale": S,
        "variance": var,
        "extent": math.ceil(extent * 2) / 2,
    }


def _feedback_t_max(S: float, theta0: np.ndarray, var: float) -> float:
    """Default end of the time axis: 1.1 times when the slowest balanced mode, or the linear model, reaches 99%."""
    try:
        slowest = float(saturation_time(0.99, S, min(theta0.min(), 0.5 * S), variance=var))
        t_max = 1.1 * max(slowest, float(linear_saturation_time(0.99, variance=var)))
    except ValueError as error:
        t_max, reason = np.inf, str(error)
    else:
        reason = f"got {t_max!r}"
    if not (np.isfinite(t_max) and t_max > 0):
        raise ValueError(
            f"the default t_max (when the slowest mode saturates) cannot be computed for target_scale={S:g}, "
            f"variance={var:g} and the smallest of initial_scales {theta0.min():g} ({reason}); pass t_max"
        )
    return t_max


def feedback_explorer(
    target_scale: float = 1.0,
    *,
    initial_scales=(0.01, 0.03, 0.1, 0.3),
    imbalances=(-2.0, -0.5, 0.0, 0.5, 2.0),
    variance: float = 1.0,
    t_max: float | None = None,
    dpi: int = 90,
) -> SliderFigure:
    """Explore the dynamical feedback principle (Sec. 3): one mode of the diagonal network.

    Two sliders set the start: the initial mode strength ``theta0 = a(0) b(0)`` and the imbalance
    ``C = a(0)^2 - b(0)^2``, which gradient flow conserves (Eq. 8). Left: the trajectory
    ``(a(t), b(t))`` of Eq. 6 on the phase plane (:func:`~labhelpers.plotting.phase_portrait`); it
    slides along its hyperbola ``a^2 - b^2 = C`` to the minima ``a b = S``. Right: the learned
    fraction ``theta(t)/S`` of the two-layer model (closed form, line; gradient flow, markers) against
    the linear model from the same start (Eq. 10, exponential) and, when ``C != 0``, the balanced
    sigmoid (Eq. 9). Small balanced starts give a delayed, sigmoidal rise (the layers wait for each
    other); a large ``|C|`` makes one layer big from the start, and the mode rises like the linear
    model. The time axis is the same in every frame, so frames can be compared.

    Parameters
    ----------
    target_scale : float
        Target scale ``S`` (Eq. 1), strictly positive.
    initial_scales : sequence of float
        Slider values of ``theta0``, each in ``(0, S)``.
    imbalances : sequence of float
        Slider values of ``C``.
    variance : float
        Input variance ``E[x^2]``, strictly positive.
    t_max : float, optional
        End of the time axis (default: when the slowest mode has saturated; see
        :func:`feedback_curves`).
    dpi : int
        Resolution of each frame.

    Returns
    -------
    SliderFigure
        Display it (last line of a cell): a live widget in Jupyter or Colab, pre-rendered frames
        with sliders in the HTML book. With the default grid of 4 x 5 values the static view is
        about 0.75 MB and takes about 6 s to draw (once; frames are cached).

    Examples
    --------
    >>> import labhelpers as lh
    >>> lh.widgets.feedback_explorer()  # doctest: +SKIP
    """
    curves = feedback_curves(
        target_scale, initial_scales=initial_scales, imbalances=imbalances, variance=variance, t_max=t_max
    )
    scales, gaps = curves["initial_scales"].tolist(), curves["imbalances"].tolist()
    return SliderFigure(
        lambda fig, theta0, imbalance: _draw_feedback(fig, curves, scales.index(theta0), gaps.index(imbalance)),
        {"theta0": scales, "imbalance": gaps},
        setup=lambda fig: _setup_feedback(fig, curves),
        labels={"theta0": "initial strength θ₀ = a(0)b(0)", "imbalance": "imbalance C = a(0)² − b(0)²"},
        initial={"theta0": scales[0], "imbalance": min(gaps, key=abs)},
        figsize=(8.4, 3.6),
        dpi=dpi,
        description="Feedback explorer: phase plane of one mode and its learning curve",
    )


#: Bounds on what the explorers compute before drawing, in recorded times, values per slider and skills.
MAX_TIMES, MAX_GRID_VALUES, MAX_SKILLS = 100_000, 64, 1_000_000
MODERATE = (1e-100, 1e100)
"""Magnitudes an explorer's parameters may take, zero aside where it is allowed. Within them every time
scale, product and drawn coordinate of the closed forms and flows stays inside the float range."""


def _moderate(name: str, array: np.ndarray) -> np.ndarray:
    """Refuse non-zero entries of magnitude outside :data:`MODERATE` (a subnormal or a 1e300 slider value)."""
    size = np.abs(array)
    if np.any((size != 0) & ((size < MODERATE[0]) | (size > MODERATE[1]))):
        raise ValueError(
            f"{name} must have magnitudes in [{MODERATE[0]:g}, {MODERATE[1]:g}] (or 0 where allowed), so that the "
            f"explorer's time scales and curves stay within the float range; got {check._describe(array)}"
        )
    return array


def _moderate_scalar(name: str, value) -> float:
    """A strictly positive explorer parameter of moderate size (see :data:`MODERATE`)."""
    return float(_moderate(name, np.float64(check.positive_scalar(name, value))))


def _grid_axis(name: str, values) -> np.ndarray:
    """Slider values of one parameter: 1 to ``MAX_GRID_VALUES`` finite numbers of moderate size, none repeated."""
    array = check.as_array(name, values, ndim=1)
    if array.size == 0:
        raise ValueError(f"{name} must hold at least one value; got an empty sequence")
    if array.size > MAX_GRID_VALUES:
        raise ValueError(f"{name} must hold at most {MAX_GRID_VALUES} slider values; got {array.size}")
    if np.unique(array).size != array.size:
        raise ValueError(f"{name} must not repeat values; got {array.tolist()}")
    return _moderate(name, array)


def _time_axis(t_max: float, n_times: int) -> np.ndarray:
    """``n_times`` equally spaced times from 0 to ``t_max``, refusing a ``t_max`` too small to keep them apart."""
    times = np.linspace(0.0, t_max, n_times)
    if np.any(np.diff(times) <= 0):
        raise ValueError(
            f"t_max={t_max!r} is too small to hold n_times={n_times} distinct times from 0; use a larger t_max"
        )
    return times


def _setup_feedback(fig, curves: dict) -> None:
    """What every frame shares: the phase plane with every grid imbalance's hyperbola, and the axes."""
    plane, curve = fig.subplots(1, 2, width_ratios=(1.0, 1.35))
    plotting.phase_portrait(curves["target_scale"], ax=plane, extent=curves["extent"], imbalances=curves["imbalances"])
    plane.set_title("layers (a, b): Eq. 6, 8")
    curve.set_xlim(0, curves["times"][-1])
    curve.set_ylim(0, 1.05)
    curve.set_xlabel("time $t$")
    curve.set_ylabel(r"learned fraction $\theta(t)/S$")
    curve.set_title("θ₀ = 0, C = 0")  # the frame's values go here: reserve the room


def _draw_feedback(fig, curves: dict, i: int, j: int) -> None:
    """One frame: the trajectory from (theta0_i, C_j) on the plane, and its learning curves."""
    plane, curve = fig.axes
    S, C, theta0, t = curves["target_scale"], curves["imbalances"][j], curves["initial_scales"][i], curves["times"]
    color = plotting.PALETTE[1]
    a, b = curves["a"][:, i, j], curves["b"][:, i, j]
    plane.plot(a, b, color=color, lw=2.2, label="trajectory")
    plane.plot(a[0], b[0], "o", color=color, ms=6)
    plane.plot(a[-1], b[-1], "*", color=color, ms=11)
    plane.legend(loc="lower right", fontsize=7.5)

    every = max(1, len(t) // 20)
    curve.plot(t, curves["theta_theory"][:, i, j] / S, color=color, lw=2.2, label="two layers (closed form)")
    simulated = curves["theta_simulated"][::every, i, j] / S
    curve.plot(t[::every], simulated, color=color, label="two layers (gradient flow)", **plotting.SIMULATION_STYLE)
    if C != 0:
        curve.plot(t, curves["theta_balanced"][:, i] / S, color="0.55", lw=1.2, ls=":", label="balanced C = 0 (Eq. 9)")
    curve.plot(
        t, curves["theta_linear"][:, i] / S, color=plotting.PALETTE[0], lw=1.6, ls="--", label="linear model (Eq. 10)"
    )
    curve.legend(loc="lower right", fontsize=7.5)
    curve.set_title(f"θ₀ = {theta0:g}, C = {C:g}")


def emergence_curves(
    alphas=(0.25, 0.5, 1.0, 2.0),
    initial_scales=(1e-1, 1e-2, 1e-3, 1e-5),
    *,
    n_shown: int = 6,
    n_skills: int = 10_000,
    target_scale: float = 1.0,
    n_times: int = 241,
) -> dict:
    """Everything :func:`emergence_explorer` draws: the skill model (Eq. 11) for every (alpha, theta0).

    Closed forms only: the strengths ``R_k(t)`` of the ``n_shown`` most frequent skills
    (:func:`~labhelpers.emergence.skill_strength`) and the loss of all ``n_skills`` skills
    (:func:`~labhelpers.emergence.loss_in_time`), for power-law frequencies
    ``p_k ∝ k^-(alpha+1)`` (:func:`~labhelpers.emergence.power_law_frequencies`), on one logarithmic time
    axis shared by every combination.

    Parameters
    ----------
    alphas : sequence of float
        Exponents ``alpha > 0`` of the skill frequencies.
    initial_scales : sequence of float
        Initial ``theta0`` of every skill, each in ``(0, S/2)``.
    n_shown : int
        Number of skills whose strengths are drawn, at most ``n_skills``.
    n_skills : int
        Number of skills of the problem (the loss sums over all of them).
    target_scale : float
        Target scale ``S > 0``.
    n_times : int
        Number of times, log-spaced from well before the first emergence to well after the last shown.

    Returns
    -------
    dict
        ``times`` (T,); ``strengths`` (T, n_alphas, n_scales, n_shown); ``loss`` (T, n_alphas,
        n_scales); ``emergence`` (n_alphas, n_scales, n_shown) half-strength times; ``exponents``
        (n_alphas,) the predicted ``-alpha/(alpha+1)``; the grid as ``alphas`` and ``initial_scales``;
        ``n_shown``, ``n_skills`` and ``target_scale``.
    """
    S = _moderate_scalar("target_scale", target_scale)
    alpha = _grid_axis("alphas", alphas)
    if np.any(alpha <= 0):
        raise ValueError(
            "alphas must be strictly positive (p_k ∝ k^-(alpha+1); the drawn slope -alpha/(alpha+1) is a law for "
            f"alpha > 0 only, see scaling_exponents); got {alpha.tolist()}"
        )
    theta0 = _grid_axis("initial_scales", initial_scales)
    if np.any(theta0 <= 0) or np.any(theta0 >= S / 2):
        raise ValueError(
            f"initial_scales must lie strictly between 0 and target_scale/2 = {S / 2:g} (skills that rise "
            f"from small); got {theta0.tolist()}"
        )
    n_skills = check.positive_int("n_skills", n_skills, maximum=MAX_SKILLS)
    n_shown = check.positive_int("n_shown", n_shown)
    if n_shown > n_skills:
        raise ValueError(f"n_shown must be at most n_skills={n_skills}; got {n_shown}")
    n_times = check.positive_int("n_times", n_times, minimum=2, maximum=MAX_TIMES)
    check.fits_in_memory("n_times x alphas x initial_scales x n_shown", n_times * alpha.size * theta0.size * n_shown)

    frequencies = [power_law_frequencies(n_skills, a) for a in alpha]
    for a, p in zip(alpha, frequencies):
        if p[n_shown - 1] == 0:
            raise ValueError(
                f"alphas holds {a:g}, so steep that skill {n_shown} of n_shown has frequency 0 (below 1e-308): it "
                "would never emerge; use smaller alphas or fewer n_shown"
            )
    emergence = np.array(
        [[emergence_time(p[:n_shown], target_scale=S, theta0=t0) for t0 in theta0] for p in frequencies]
    )
    with np.errstate(over="ignore"):
        times = np.geomspace(0.2 * emergence.min(), 5.0 * emergence.max(), n_times)
    if not np.all(np.isfinite(times)):
        raise ValueError(
            f"the time axis reaches beyond 1e308: the last shown skill emerges at {emergence.max():.3g}; use "
            "smaller alphas, larger initial_scales or target_scale, or fewer n_shown"
        )
    strengths = np.empty((n_times, alpha.size, theta0.size, n_shown))
    loss = np.empty((n_times, alpha.size, theta0.size))
    for i, p in enumerate(frequencies):
        for j, t0 in enumerate(theta0):
            strengths[:, i, j] = skill_strength(times[:, None], p[:n_shown], target_scale=S, theta0=t0)
            loss[:, i, j] = loss_in_time(times, p, target_scale=S, theta0=t0)
    return {
        "times": times,
        "strengths": strengths,
        "loss": loss,
        "emergence": emergence,
        "exponents": np.atleast_1d(scaling_exponents(alpha).time),
        "alphas": alpha,
        "initial_scales": theta0,
        "n_shown": n_shown,
        "n_skills": n_skills,
        "target_scale": S,
    }


def emergence_explorer(
    alphas=(0.25, 0.5, 1.0, 2.0),
    initial_scales=(1e-1, 1e-2, 1e-3, 1e-5),
    *,
    n_shown: int = 6,
    n_skills: int = 10_000,
    target_scale: float = 1.0,
    dpi: int = 90,
) -> SliderFigure:
    """Explore emergence in the skill model (Sec. 4.3-4.4): skills one after another, and the loss's power law.

    Two sliders: the exponent ``alpha`` of the skill frequencies ``p_k ∝ k^-(alpha+1)`` and the initial
    strength ``theta0`` of every skill. Left: the strengths ``R_k(t)`` of the most frequent skills on a
    logarithmic time axis (Eq. 9 with ``E[x^2] -> p_k``), each rising abruptly at its emergence time
    ``∝ 1/p_k`` (dotted). Right: the loss of all ``n_skills`` skills on log-log axes with the predicted
    slope ``-alpha/(alpha+1)`` (dashed). A larger ``alpha`` spreads the emergences further apart and
    steepens the loss; a smaller ``theta0`` delays every skill by the same factor and sharpens the steps.
    Every frame shares the axes, so frames can be compared.

    Parameters
    ----------
    alphas : sequence of float
        Slider values of ``alpha >= 0``.
    initial_scales : sequence of float
        Slider values of ``theta0``, each in ``(0, S/2)``.
    n_shown : int
        Number of skills drawn on the left.
    n_skills : int
        Number of skills in the loss.
    target_scale : float
        Target scale ``S > 0``.
    dpi : int
        Resolution of each frame.

    Returns
    -------
    SliderFigure
        Display it (last line of a cell): a live widget in Jupyter or Colab, pre-rendered frames with
        sliders in the HTML book.

    Examples
    --------
    >>> import labhelpers as lh
    >>> lh.widgets.emergence_explorer()  # doctest: +SKIP
    """
    curves = emergence_curves(alphas, initial_scales, n_shown=n_shown, n_skills=n_skills, target_scale=target_scale)
    alpha_values, scales = curves["alphas"].tolist(), curves["initial_scales"].tolist()
    return SliderFigure(
        lambda fig, alpha, theta0: _draw_emergence(fig, curves, alpha_values.index(alpha), scales.index(theta0)),
        {"alpha": alpha_values, "theta0": scales},
        setup=lambda fig: _setup_emergence(fig, curves),
        labels={"alpha": "frequency exponent α", "theta0": "initial strength θ₀"},
        initial={
            "alpha": min(alpha_values, key=lambda a: abs(a - 0.5)),
            "theta0": min(scales, key=lambda t: abs(t - 1e-3)),
        },
        figsize=(8.4, 3.6),
        dpi=dpi,
        description="Emergence explorer: skill strengths and the loss of the skill model",
    )


def _setup_emergence(fig, curves: dict) -> None:
    """What every frame shares: two axes on a common logarithmic time axis."""
    skills, loss = fig.subplots(1, 2)
    t = curves["times"]
    skills.set_xscale("log")
    skills.set_xlim(t[0], t[-1])
    skills.set_ylim(-0.03, 1.05)
    skills.set_xlabel("time $t$")
    skills.set_ylabel(r"skill strength $R_k(t)$")
    skills.set_title("α = 0, θ₀ = 0")  # the frame's values go here: reserve the room
    # The skills keep their colours in every frame: one legend, drawn once, under the axes.
    handles = [
        matplotlib.lines.Line2D([], [], color=plotting.PALETTE[k % len(plotting.PALETTE)], lw=2)
        for k in range(curves["n_shown"])
    ]
    labels = [f"skill {k + 1}" for k in range(curves["n_shown"])]
    skills.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=8)
    loss.set_xscale("log")
    loss.set_yscale("log")
    loss.set_xlim(t[0], t[-1])
    positive = curves["loss"][curves["loss"] > 0]
    loss.set_ylim(max(positive.min(), 1e-6 * positive.max()), 1.5 * positive.max())
    loss.set_xlabel("time $t$")
    loss.set_ylabel(r"loss $L(t)$")
    loss.set_title("slope −α/(α+1) = −0.00")
    handles = [
        matplotlib.lines.Line2D([], [], color="k", lw=2),
        matplotlib.lines.Line2D([], [], color=plotting.PALETTE[1], lw=1.4, ls="--"),
    ]
    labels = [f"loss of all {curves['n_skills']} skills", "predicted power law"]
    loss.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1, fontsize=8)


def _draw_emergence(fig, curves: dict, i: int, j: int) -> None:
    """One frame: strengths of the shown skills and the loss, for (alpha_i, theta0_j)."""
    skills, loss = fig.axes
    t, alpha, theta0 = curves["times"], curves["alphas"][i], curves["initial_scales"][j]
    for k in range(curves["n_shown"]):
        color = plotting.PALETTE[k % len(plotting.PALETTE)]
        skills.plot(t, curves["strengths"][:, i, j, k], color=color, lw=2)
        skills.axvline(curves["emergence"][i, j, k], color=color, lw=0.9, ls=":")
    skills.set_title(f"α = {alpha:g}, θ₀ = {theta0:g}")
    L, slope = curves["loss"][:, i, j], curves["exponents"][i]
    loss.plot(t, L, color="k", lw=2)
    # The reference line passes through twice the loss at the last shown skill's emergence.
    anchor = curves["emergence"][i, j, -1]
    L_anchor = np.interp(np.log(anchor), np.log(t), L)
    loss.plot(t, 2.0 * L_anchor * (t / anchor) ** slope, color=plotting.PALETTE[1], lw=1.4, ls="--")
    loss.set_title(f"slope −α/(α+1) = {slope:.2f}".replace("-", "−"))


# ---------------------------------------------------------------------------- the regimes explorer (Sec. 6)
def regimes_curves(
    lams=(0.0, 0.25, 1.0, 4.0, 16.0),
    initial_scales=(1e-3, 1e-2, 1e-1, 0.5),
    *,
    target_scales=(3.0, 2.0, 1.0),
    n_times: int = 241,
) -> dict:
    """Everything :func:`regimes_explorer` draws: modes and kernel distance of a lambda-balanced network.

    Closed forms only, for a square network (``d = p = c = m``, the number of target scales) on whitened
    inputs, started aligned with the task (:func:`~labhelpers.regimes.lambda_balanced`) with every mode
    at ``theta0``: the modes ``theta_k(t)`` (:func:`~labhelpers.regimes.lambda_mode`, Eq. 69) and the
    kernel distance from the start (:func:`~labhelpers.regimes.aligned_kernel_distance`), on one
    logarithmic time axis shared by every combination (from well before the fastest rise to after the
    slowest mode is within 1% of its target).

    Parameters
    ----------
    lams : sequence of float
        Relative scales ``lambda`` (Eq. 14). For a square network only ``|lambda|`` matters.
    initial_scales : sequence of float
        Initial strength ``theta0 > 0`` of every mode (the absolute scale).
    target_scales : sequence of float
        Singular values ``s_k > 0`` of the task, one per mode (at most 6).
    n_times : int
        Number of log-spaced times.

    Returns
    -------
    dict
        ``times`` (T,); ``theta`` (T, n_lams, n_scales, m); ``kernel_distance`` (T, n_lams, n_scales);
        ``lazy`` (T, n_lams, n_scales, m), the lazy limit ``s + (theta0 - s) exp(-|lambda| t)``; the grid as
        ``lams`` and ``initial_scales``; ``target_scales``.
    """
    from ..regimes.balanced import aligned_kernel_distance, lambda_mode

    lam = _grid_axis("lams", lams)
    theta0 = _grid_axis("initial_scales", initial_scales)
    if np.any(theta0 <= 0):
        raise ValueError(
            f"initial_scales must be strictly positive (a balanced mode at 0 never moves); got {theta0.tolist()}"
        )
    s = _moderate("target_scales", check.positive("target_scales", target_scales))
    if s.ndim != 1 or not 1 <= s.size <= 6:
        raise ValueError(f"target_scales must list 1 to 6 singular values (one per mode); got {check._describe(s)}")
    n_times = check.positive_int("n_times", n_times, minimum=2, maximum=MAX_TIMES)
    m = s.size
    fastest = np.sqrt(lam.max() ** 2 + 4 * max(s.max(), theta0.max()) ** 2)
    trial = np.geomspace(1e-3 / fastest, 1e4, 2000)[:, None, None, None]
    fraction = lambda_mode(trial, s, theta0[:, None], lam[:, None, None]) / s
    settled = np.all(np.abs(fraction - 1.0) <= 0.01, axis=(1, 2, 3))
    if not np.any(settled):
        raise ValueError(
            "some mode does not come within 1% of its target by t = 1e4: raise the smallest of initial_scales "
            f"({theta0.min():g}) or of target_scales ({s.min():g})"
        )
    times = np.geomspace(0.05 / fastest, 1.5 * trial[np.argmax(settled), 0, 0, 0], n_times)
    t = times[:, None, None, None]
    theta = lambda_mode(t, s, theta0[:, None], lam[:, None, None])  # (T, L, S, m)
    distance = aligned_kernel_distance(theta, np.broadcast_to(theta0[:, None], (theta0.size, m)), lam[:, None], m, m)
    lazy = s + (theta0[:, None] - s) * np.exp(-np.abs(lam)[:, None, None] * t)
    return {
        "times": times,
        "theta": theta,
        "kernel_distance": distance,
        "lazy": lazy,
        "lams": lam,
        "initial_scales": theta0,
        "target_scales": s,
    }


def regimes_explorer(
    lams=(0.0, 0.25, 1.0, 4.0, 16.0),
    initial_scales=(1e-3, 1e-2, 1e-1, 0.5),
    *,
    target_scales=(3.0, 2.0, 1.0),
    dpi: int = 90,
) -> SliderFigure:
    """Explore the lazy and rich regimes of a lambda-balanced network (Sec. 6, App. G).

    Two sliders: the relative scale ``lambda`` of the layers (Eq. 14) and the absolute scale ``theta0``
    (initial strength of every mode). Left: each mode's learned fraction ``theta_k(t)/s_k`` (Eq. 69), with
    the lazy limit (the linear model at rate ``|lambda|``, dotted) for comparison. Right: the kernel
    distance of the network's tangent kernel from its start. Small ``|lambda|`` and small ``theta0`` give
    sigmoidal modes learned one after another and a kernel that moves (rich); a large ``|lambda|`` gives
    exponential modes learned together and a kernel that barely moves (lazy). Every frame shares the axes.

    Parameters
    ----------
    lams : sequence of float
        Slider values of ``lambda``.
    initial_scales : sequence of float
        Slider values of ``theta0 > 0``.
    target_scales : sequence of float
        Singular values of the task, one per mode (at most 6).
    dpi : int
        Resolution of each frame.

    Returns
    -------
    SliderFigure
        Display it (last line of a cell): a live widget in Jupyter or Colab, pre-rendered frames with
        sliders in the HTML book.

    Examples
    --------
    >>> import labhelpers as lh
    >>> lh.widgets.regimes_explorer()  # doctest: +SKIP
    """
    curves = regimes_curves(lams, initial_scales, target_scales=target_scales)
    lam_values, scales = curves["lams"].tolist(), curves["initial_scales"].tolist()
    return SliderFigure(
        lambda fig, lam, theta0: _draw_regimes(fig, curves, lam_values.index(lam), scales.index(theta0)),
        {"lam": lam_values, "theta0": scales},
        setup=lambda fig: _setup_regimes(fig, curves),
        labels={"lam": "relative scale λ", "theta0": "absolute scale θ₀"},
        initial={"lam": lam_values[0], "theta0": min(scales, key=lambda t: abs(np.log(t / 1e-2)))},
        figsize=(8.4, 3.6),
        dpi=dpi,
        description="Regimes explorer: modes and kernel distance of a lambda-balanced network",
    )


def _setup_regimes(fig, curves: dict) -> None:
    """What every frame shares: the two axes on a common logarithmic time axis, and the legends."""
    modes, kernel = fig.subplots(1, 2)
    t = curves["times"]
    modes.set_xscale("log")
    modes.set_xlim(t[0], t[-1])
    modes.set_ylim(-0.03, 1.08)
    modes.set_xlabel("time $t$")
    modes.set_ylabel(r"learned fraction $\theta_k(t)/s_k$")
    modes.set_title("λ = 0, θ₀ = 0")  # the frame's values go here: reserve the room
    handles = [
        matplotlib.lines.Line2D([], [], color=plotting.PALETTE[k % len(plotting.PALETTE)], lw=2)
        for k in range(curves["target_scales"].size)
    ]
    handles.append(matplotlib.lines.Line2D([], [], color="0.4", lw=1.2, ls=":"))
    labels = [f"mode s = {s:g}" for s in curves["target_scales"]] + ["lazy limit"]
    modes.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=8)
    kernel.set_xscale("log")
    kernel.set_yscale("log")
    kernel.set_xlim(t[0], t[-1])
    kernel.set_ylim(1e-10, 1.0)
    kernel.set_xlabel("time $t$")
    kernel.set_ylabel(r"kernel distance $d(K_0, K_t)$")
    kernel.set_title("final distance 0.0e-00")
    kernel.text(t[0] * 1.5, 0.15, "richer ↑", color="0.35", fontsize=8.5)
    kernel.text(t[0] * 1.5, 3e-10, "lazier ↓", color="0.35", fontsize=8.5)


def _draw_regimes(fig, curves: dict, i: int, j: int) -> None:
    """One frame: the modes and the kernel distance for (lambda_i, theta0_j)."""
    modes, kernel = fig.axes
    t, lam, theta0, s = curves["times"], curves["lams"][i], curves["initial_scales"][j], curves["target_scales"]
    for k in range(s.size):
        color = plotting.PALETTE[k % len(plotting.PALETTE)]
        modes.plot(t, curves["theta"][:, i, j, k] / s[k], color=color, lw=2)
        if lam != 0:
            modes.plot(t, curves["lazy"][:, i, j, k] / s[k], color="0.4", lw=1.2, ls=":")
    modes.set_title(f"λ = {lam:g}, θ₀ = {theta0:g}".replace("-", "−"))
    distance = np.maximum(curves["kernel_distance"][:, i, j], 1e-12)
    kernel.plot(t, distance, color="k", lw=2)
    kernel.set_title(f"final distance {distance[-1]:.1e}".replace("-", "−"))


# ---------------------------------------------------------------------------- the grokking explorer (Sec. 7)
def grokking_curves(
    ratios=(0.01, 0.1, 1.0, 10.0, 100.0),
    Zs=(1.0, 10.0),
    widths=(4, 32),
    *,
    target_scale: float = 1.0,
    n_times: int = 161,
) -> dict:
    """Everything :func:`grokking_explorer` draws: Eq. 15's network for every (ratio, Z, width).

    Closed forms only (Theorem I.1, App. I). Each network starts from the paper's special case: half of its
    ``p`` features aligned (``a_i = b_i = s``) and half anti-aligned (``a_i = -b_i = s``), so ``beta_0 = 0``,
    ``A = B = Sigma_0 / 2``, with ``s = sqrt(ratio S Z / p)`` chosen to give the weight-to-target ratio
    ``Sigma_0 / S``. Then the aligned features carry ``A gamma(t)`` of the slope and the anti-aligned ones
    ``-B / gamma(t)``: the aligned features' gain ``A (gamma - 1)`` and the anti-aligned features' retreat
    ``B (1 - 1/gamma)`` add up to the slope ``beta(t)``. Every aligned feature ends at ``gamma+`` times, every
    anti-aligned one at ``1 / gamma+`` times its start.

    Parameters
    ----------
    ratios : sequence of float
        Weight-to-target ratios ``Sigma_0 / S`` (> 0).
    Zs : sequence of float
        Output normalisations ``Z`` (> 0).
    widths : sequence of int
        Widths ``p``: even integers from 2 to 128.
    target_scale : float
        Target slope ``S > 0``.
    n_times : int
        Number of log-spaced times, shared by every combination.

    Returns
    -------
    dict
        ``times`` (T,); ``gain`` and ``retreat`` (T, n_ratios, n_Z), what the aligned and the anti-aligned
        features have contributed to the slope since the start (in units of ``S``); ``slope`` (their sum,
        ``beta / S``); ``gamma_plus`` (n_ratios,); the grid as ``ratios``, ``Zs`` and ``widths``; ``target_scale``.
    """
    from ..grokking.scalar import exact_slope, gamma_plus_from_ratio, growth_factor

    S = _moderate_scalar("target_scale", target_scale)
    rho = _grid_axis("ratios", ratios)
    if np.any(rho <= 0):
        raise ValueError(f"ratios must be strictly positive (Sigma_0 / S); got {rho.tolist()}")
    Z = _grid_axis("Zs", Zs)
    if np.any(Z <= 0):
        raise ValueError(f"Zs must be strictly positive; got {Z.tolist()}")
    p = _grid_axis("widths", widths)
    if np.any(p != np.round(p)) or np.any(p % 2) or np.any((p < 2) | (p > 128)):
        raise ValueError(
            f"widths must be even integers from 2 to 128 (half aligned, half anti-aligned); got {p.tolist()}"
        )
    n_times = check.positive_int("n_times", n_times, minimum=2, maximum=MAX_TIMES)
    tau = Z / (2.0 * S)
    times = np.geomspace(
        0.01 * tau.min() / max(rho.max(), 1.0), 30.0 * tau.max() * max(1.0, np.log(2 / rho.min())), n_times
    )
    t = times[:, None, None]
    half = rho[:, None] * S / 2.0  # A = B = Sigma_0 / 2
    gamma = growth_factor(t, half, half, S, Z[None, :])
    return {
        "times": times,
        "gain": half * (gamma - 1.0) / S,
        "retreat": half * (1.0 - 1.0 / gamma) / S,
        "slope": exact_slope(t, half, half, S, Z[None, :]) / S,
        "gamma_plus": gamma_plus_from_ratio(rho),
        "ratios": rho,
        "Zs": Z,
        "widths": p.astype(int),
        "target_scale": S,
    }


def grokking_explorer(
    ratios=(0.01, 0.1, 1.0, 10.0, 100.0),
    Zs=(1.0, 10.0),
    widths=(4, 32),
    *,
    target_scale: float = 1.0,
    dpi: int = 90,
) -> SliderFigure:
    """Explore the weight-to-target ratio (Sec. 7): rich and lazy learning in Eq. 15's wide network.

    Three sliders: the ratio ``Sigma_0 / S``, the normalisation ``Z`` and the width ``p``. Left: the learned
    slope ``beta(t) / S`` (black), split into the gain of the aligned features (blue) and the retreat of the
    anti-aligned ones (orange),
    on a logarithmic time axis. Right: the features as arrows in function space, head to tail, at the start
    (top) and at the end (bottom); their sum is the output. A small ratio lets the aligned features take over
    (rich); a large ratio leaves every feature almost where it was, the small changes of many features adding
    up to the target (lazy). ``Z`` only moves the clock (the time unit is ``Z / 2S``) and ``p`` only splits
    the same work among more arrows: the ratio alone sets the shape (:func:`~labhelpers.grokking.gamma_plus_from_ratio`).

    Parameters
    ----------
    ratios, Zs, widths : sequence
        Slider values (see :func:`grokking_curves`).
    target_scale : float
        Target slope ``S > 0``.
    dpi : int
        Resolution of each frame.

    Returns
    -------
    SliderFigure
        Display it (last line of a cell): a live widget in Jupyter or Colab, pre-rendered frames with
        sliders in the HTML book.

    Examples
    --------
    >>> import labhelpers as lh
    >>> lh.widgets.grokking_explorer()  # doctest: +SKIP
    """
    curves = grokking_curves(ratios, Zs, widths, target_scale=target_scale)
    rho, Z, p = curves["ratios"].tolist(), curves["Zs"].tolist(), curves["widths"].tolist()
    return SliderFigure(
        lambda fig, ratio, Z_value, width: _draw_grokking(fig, curves, rho.index(ratio), Z.index(Z_value), width),
        {"ratio": rho, "Z_value": Z, "width": p},
        setup=lambda fig: _setup_grokking(fig, curves),
        labels={"ratio": "ratio Σ₀/S", "Z_value": "normalisation Z", "width": "width p"},
        initial={"ratio": min(rho, key=lambda r: abs(np.log(r / 0.1))), "Z_value": Z[0], "width": p[len(p) // 2]},
        figsize=(8.6, 3.7),
        dpi=dpi,
        max_frames=max(64, len(rho) * len(Z) * len(p)),
        description="Grokking explorer: aligned and anti-aligned features of a wide scalar network",
    )


def _setup_grokking(fig, curves: dict) -> None:
    """What every frame shares: the time axis on the left, the function-space axis on the right."""
    slope, arrows = fig.subplots(1, 2, width_ratios=(1.1, 1.0))
    t = curves["times"]
    slope.set_xscale("log")
    slope.set_xlim(t[0], t[-1])
    slope.set_ylim(-0.03, 1.08)
    slope.set_xlabel("time $t$")
    slope.set_ylabel("change of the slope, in units of $S$")
    slope.set_title("Σ₀/S = 0, Z = 0: γ₊ = 0")
    styles = (("k", 2.2, "-"), (plotting.PALETTE[0], 1.6, "-"), (plotting.PALETTE[1], 1.6, "-"), ("0.5", 0.9, ":"))
    handles = [matplotlib.lines.Line2D([], [], color=c, lw=w, ls=ls) for c, w, ls in styles]
    labels = ["slope β/S", "gain of aligned features", "retreat of anti-aligned", "time unit Z/2S"]
    slope.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=8)
    arrows.set_xlabel("function space (slope, in units of $S$)")
    arrows.set_ylim(-0.1, 2.05)
    arrows.set_yticks([0.45, 1.45], ["end", "start"])
    arrows.tick_params(axis="y", length=0)
    arrows.set_title("p = 0 features: ×0 and ×0")
    arrows.grid(False)
    handles = [
        matplotlib.lines.Line2D([], [], color="0.6", lw=1.5),
        matplotlib.lines.Line2D([], [], color="k", lw=1.2),
        matplotlib.lines.Line2D([], [], color="k", ls="--", lw=1),
    ]
    arrows.legend(
        handles,
        ["features at the start", "their sum", "target S"],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.2),
        ncol=3,
        fontsize=8,
    )


def _draw_grokking(fig, curves: dict, i: int, j: int, width: int) -> None:
    """One frame: the gain and retreat over time, and the arrows at the start and at the end, for (ratio_i, Z_j, p)."""
    from ..grokking.scalar import feature_arrows

    slope, arrows = fig.axes
    t, rho, Z, gp = curves["times"], curves["ratios"][i], curves["Zs"][j], curves["gamma_plus"][i]
    slope.plot(t, curves["gain"][:, i, j], color=plotting.PALETTE[0], lw=1.6)
    slope.plot(t, curves["retreat"][:, i, j], color=plotting.PALETTE[1], lw=1.6)
    slope.plot(t, curves["slope"][:, i, j], color="k", lw=2.2)
    slope.axvline(Z / (2 * curves["target_scale"]), color="0.5", lw=0.9, ls=":")
    slope.set_title(f"Σ₀/S = {rho:g}, Z = {Z:g}: γ₊ = {gp:.3g}")
    # A feature contributes rho/p (aligned) or -rho/p (anti-aligned) at the start, gamma+ or 1/gamma+ times that at the end.
    half = width // 2
    size0 = np.r_[np.full(half, rho / width), np.full(half, -rho / width)]
    feature_arrows(arrows, size0, row=1.0, colors="0.6")
    feature_arrows(arrows, np.r_[size0[:half] * gp, size0[half:] / gp], row=0.0)
    extent = max(1.0, rho / 2 * gp)
    arrows.axvline(1.0, color="k", ls="--", lw=1)
    arrows.set_xlim(-0.06 * extent, 1.1 * extent)
    arrows.set_ylim(-0.1, 2.05)
    arrows.set_title(f"p = {width} features: ×{gp:.3g} and ×{1 / gp:.3g}")


# ---------------------------------------------------------------------------- the collapse explorer (Sec. 5)
def collapse_curves(
    init_scales=(1e-3, 1e-2, 0.1, 0.5),
    snapshot_times=(0.0, 0.25, 0.5, 1.0, 2.0, 8.0),
    *,
    n_classes: int = 3,
    n_per_class: int = 10,
    feature_dim: int = 8,
    n_times: int = 321,
    seed: int = 0,
) -> dict:
    """Everything :func:`collapse_explorer` draws: unconstrained feature models trained from several scales.

    For each initial scale ``sigma``, :func:`~labhelpers.collapse.train_ufm` (no bias, gradient flow) trains
    the features ``H`` and classifier ``W`` of ``C`` balanced classes on one-hot targets from the same random
    directions (seed ``seed``) times ``sigma``, on one time grid ``0 .. max(snapshot_times)``. Recorded: NC1 of
    the features over time (Eq. 65) and, at each snapshot time, the features in the plane of the final
    centred class means (:func:`~labhelpers.collapse.class_plane`, each snapshot rescaled to unit size).

    Parameters
    ----------
    init_scales : sequence of float
        Initial scales ``sigma > 0`` (slider values).
    snapshot_times : sequence of float
        Times ``t >= 0`` of the snapshots (slider values), increasing; the last sets the training time.
    n_classes, n_per_class, feature_dim : int
        ``C >= 2``, ``n >= 1``, ``D >= C`` (and ``D >= 2``).
    n_times : int
        Number of times on the shared grid of the NC1 curves (snapshots are taken at the nearest).
    seed : int
        Seed of the random initial directions.

    Returns
    -------
    dict
        ``times`` (T,); ``nc1`` (T, S); ``coords`` (S, K, N, 2); ``labels`` (N,); ``init_scales`` (S,);
        ``snapshot_times`` (K,), the grid times actually shown; ``snapshot_index`` (K,) into ``times``.
    """
    from ..collapse.saxe import class_plane, nc1, train_ufm

    scales = _grid_axis("init_scales", init_scales)
    if np.any(scales <= 0):
        raise ValueError(f"init_scales must be strictly positive (a zero start never moves); got {scales.tolist()}")
    wanted = _grid_axis("snapshot_times", snapshot_times)
    if np.any(wanted < 0) or np.any(np.diff(wanted) <= 0) or wanted[-1] <= 0:
        raise ValueError(f"snapshot_times must be non-negative and increasing, ending after 0; got {wanted.tolist()}")
    n_times = check.positive_int("n_times", n_times, minimum=2, maximum=MAX_TIMES)
    C = check.positive_int("n_classes", n_classes, minimum=2)
    n = check.positive_int("n_per_class", n_per_class)
    D = check.positive_int("feature_dim", feature_dim)
    check.fits_in_memory(
        "init_scales x n_times x n_classes x n_per_class x feature_dim (the recorded features)",
        float(scales.size) * n_times * C * n * D,
    )
    shared = {"t_max": float(wanted[-1]), "n_times": n_times, "seed": check.seed("seed", seed)}
    runs = [_ufm_run(train_ufm, C, n, D, float(sigma), shared) for sigma in scales]
    times, labels = runs[0].times, runs[0].info["labels"]
    index = np.abs(times[:, None] - wanted[None, :]).argmin(axis=0)
    H = np.stack([run.params["H"] for run in runs])  # (S, T, N, D)
    coords = np.stack([class_plane(h[index], labels, reference=h[-1]) for h in H])
    return {
        "times": times,
        "nc1": np.asarray(nc1(H, labels)).T,
        "coords": coords,
        "labels": labels,
        "init_scales": scales,
        "snapshot_times": times[index],
        "snapshot_index": index,
    }


def _ufm_run(train_ufm, C: int, n: int, D: int, sigma: float, shared: dict):
    """One :func:`~labhelpers.collapse.train_ufm` run, its refusal of a scale or a span told in this function's terms."""
    try:
        return train_ufm(C, n, D, init_scale=sigma, **shared)
    except ValueError as error:
        text = str(error)
        if re.search(r"\binit_scale\b", text):
            raise ValueError(f"init_scales holds {sigma:g}, which train_ufm refuses: {text}") from error
        if re.search(r"\bt_max\b", text):
            raise ValueError(
                f"snapshot_times ends at {shared['t_max']:g}, a span that train_ufm (t_max) cannot cover from the "
                f"init_scales entry {sigma:g} (its cost grows with the span and the scale squared): {text}"
            ) from error
        raise


def collapse_explorer(
    init_scales=(1e-3, 1e-2, 0.1, 0.5),
    snapshot_times=(0.0, 0.25, 0.5, 1.0, 2.0, 8.0),
    *,
    n_classes: int = 3,
    dpi: int = 90,
) -> SliderFigure:
    """Explore neural collapse in the unconstrained feature model (Sec. 5.2, Eq. 13).

    Two sliders: the initial scale ``sigma`` of the features and the classifier, and the training time ``t``.
    Left: the features of every training sample (dots) and the class means (stars) in the plane of the final
    centred class means, rescaled to unit size. Right: NC1 (Eq. 65) over time for every initial scale (grey)
    and the chosen one (black), with the chosen time marked. From a small start the features of a class merge
    and the means form a simplex ETF (an equilateral triangle for three classes) as the modes of Eq. 12 rise,
    and NC1 falls to rounding error; from a large start part of the random initial features is never
    trained away, and NC1 stops at a finite value.

    Parameters
    ----------
    init_scales : sequence of float
        Slider values of ``sigma > 0``.
    snapshot_times : sequence of float
        Slider values of ``t``, increasing (the last is the training time).
    n_classes : int
        Number of classes ``C`` (3 draws the triangle; more are projected on two leading directions).
    dpi : int
        Resolution of each frame.

    Returns
    -------
    SliderFigure
        Display it (last line of a cell): a live widget in Jupyter or Colab, pre-rendered frames with
        sliders in the HTML book.

    Examples
    --------
    >>> import labhelpers as lh
    >>> lh.widgets.collapse_explorer()  # doctest: +SKIP
    """
    C = check.positive_int("n_classes", n_classes, minimum=2)
    curves = collapse_curves(init_scales, snapshot_times, n_classes=C, feature_dim=max(C + 2, 4))
    scales, shown = curves["init_scales"].tolist(), [float(t) for t in np.asarray(snapshot_times, dtype=float)]
    return SliderFigure(
        lambda fig, init_scale, time: _draw_collapse(fig, curves, scales.index(init_scale), shown.index(time)),
        {"init_scale": scales, "time": shown},
        setup=lambda fig: _setup_collapse(fig, curves),
        labels={"init_scale": "initial scale σ", "time": "training time t"},
        initial={"init_scale": min(scales, key=lambda s: abs(np.log(s / 1e-2))), "time": shown[len(shown) // 2]},
        figsize=(8.4, 3.7),
        dpi=dpi,
        description="Collapse explorer: features of an unconstrained feature model and their NC1",
    )


def _setup_collapse(fig, curves: dict) -> None:
    """What every frame shares: the feature plane and the NC1 axes with every scale's curve in grey."""
    from matplotlib.ticker import NullLocator

    plane, curve = fig.subplots(1, 2, width_ratios=(1.0, 1.35))
    plane.set_title("t = 0, NC1 = 0.0e+00")  # the frame's values go here: reserve the room
    plane.set_xticks([])
    plane.set_yticks([])
    t, nc = curves["times"], np.maximum(curves["nc1"], 1e-16)
    curve.semilogy(t, nc, color="0.55", lw=1.2)
    curve.set_xlim(t[0], t[-1])
    curve.set_ylim(1e-16, 1e2)
    # Plain-text tick labels: mathtext would be parsed again for every frame (each is a copy of this figure).
    powers = (-15, -10, -5, 0)
    curve.set_yticks([10.0**k for k in powers], labels=[f"1e{k}".replace("-", "−") if k else "1" for k in powers])
    curve.yaxis.set_minor_locator(NullLocator())
    curve.set_xlabel("time t")
    curve.set_ylabel("NC1 = Tr(Σ_W Σ_B⁺) / C")
    curve.set_title("σ = 0.001: final NC1 0.0e+00")


def _draw_collapse(fig, curves: dict, i: int, k: int) -> None:
    """One frame: the features at snapshot k from initial scale i, and that scale's NC1 curve."""
    from ..collapse.saxe import draw_feature_plane

    plane, curve = fig.axes
    t, nc = curves["times"], np.maximum(curves["nc1"][:, i], 1e-16)
    j = curves["snapshot_index"][k]
    draw_feature_plane(plane, curves["coords"][i, k], curves["labels"], title=f"t = {t[j]:.3g}, NC1 = {nc[j]:.1e}")
    curve.plot(t, nc, color="k", lw=2)  # plot, not semilogy: that would reset the plain tick labels
    curve.plot(t[j], nc[j], "o", color=plotting.PALETTE[1], ms=8)
    curve.set_title(f"σ = {curves['init_scales'][i]:g}: final NC1 {nc[-1]:.1e}".replace("-", "−"))
