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

The page fragments of the static view (``slider.html``, ``slider.css``, ``slider.js``) are package data
next to this module.

The course's explorers, built on :class:`SliderFigure`, live one per chapter in the modules next to this
one; each only sets up and draws, from the curves its chapter's ``explore`` module computes.
:func:`~labhelpers.widgets.feedback_explorer` is the course's first explorer (Sec. 3): the feedback between
the layers of the diagonal network, for any initial mode strength and imbalance.
:func:`~labhelpers.widgets.emergence_explorer` (Sec. 4) shows the skill model: skills emerging one after
another, and the power law of the loss, for any frequency exponent and initial scale.
:func:`~labhelpers.widgets.collapse_explorer` (Sec. 5) shows the features of an unconstrained feature model
collapsing, and their NC1, for any initial scale and training time.
:func:`~labhelpers.widgets.regimes_explorer` (Sec. 6) shows a lambda-balanced network's modes and the
distance its tangent kernel travels, for any relative and absolute scale.
:func:`~labhelpers.widgets.grokking_explorer` (Sec. 7) shows the aligned and anti-aligned features of a
wide scalar network, for any weight-to-target ratio.

Book: every chapter's "Interactive view" section (chapters 1-5) shows one of these figures.
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
from importlib import resources

import matplotlib
import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from .. import plotting
from ..core import validation as check

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
                text_px = plotting.smallest_text_pt(fig) * self.dpi / 72
        finally:
            for number in set(plt.get_fignums()) - open_before:
                plt.close(number)
        if self.quantize:  # no dithering, so flat colours stay flat
            image = image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        buffer = io.BytesIO()
        info = PngInfo()  # the smallest text, as every course figure records it (lh.plotting.SMALLEST_TEXT_KEY)
        info.add_text(plotting.SMALLEST_TEXT_KEY, f"{text_px:.2f}")
        image.save(buffer, format="PNG", compress_level=6, pnginfo=info)
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
        name_width = round(0.8 * max(len(label) for label in self.labels.values()))  # aligns the sliders
        return _HTML_TEMPLATE.format(
            uid=uid,
            style=_STYLE.replace("__NAME_WIDTH__", str(name_width)).replace("__UID__", uid),
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


def _read(name: str) -> str:
    """A text file shipped next to this module (package data), without its final newline."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8").removesuffix("\n")


# The static view's page fragments, package data next to this module: slider.html is a str.format template
# ({uid}, {style}, {controls}, {src}, {alt}, {width}, {height}, {payload}, {script}); slider.css (__UID__ and
# __NAME_WIDTH__) and slider.js (__UID__) are filled in with str.replace. The script is plain ES5 inside an
# IIFE: no globals, found by its own id, safe with several explorers on a page and when a notebook front end
# re-runs the script (the data-ready flag).
_HTML_TEMPLATE, _STYLE, _SCRIPT = _read("slider.html"), _read("slider.css"), _read("slider.js")
