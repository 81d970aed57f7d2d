"""One plotting style for the whole course, and the figures every chapter reuses.

``use_style()`` sets fonts, sizes and a colour cycle; :func:`theory_vs_simulation` draws closed
forms as lines and simulations as markers and reports their agreement; :func:`phase_portrait`
draws the (a, b) plane of one mode with its conserved hyperbolas ``a^2 - b^2 = C`` (Eq. 8);
:func:`convergence_plot` shows how an error scales with the step size; :func:`course_map` draws
the map of the book. :func:`glue` hands a computed number to the book's prose.
:func:`smallest_text_pt` finds a figure's smallest text, and :func:`use_style` makes every inline
PNG record it (at the image's own pixel size) under :data:`SMALLEST_TEXT_KEY`, so the book's browser
suite can check that every figure stays readable at the column width.

Book: every chapter (the style and the theory-against-simulation figures) and the introduction's map.
"""

from __future__ import annotations

from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.colors import is_color_like
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.patches import FancyBboxPatch
from matplotlib.text import Text

from .core import validation as check

__all__ = [
    "PALETTE",
    "SIMULATION_STYLE",
    "SMALLEST_TEXT_KEY",
    "THEORY_STYLE",
    "convergence_plot",
    "course_map",
    "glue",
    "phase_portrait",
    "relative_error",
    "smallest_text_pt",
    "theory_vs_simulation",
    "use_style",
]

#: The course's colours in order (modes, runs, curves), from the colour-blind-safe Okabe-Ito palette.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
#: How closed forms are drawn (lines), as matplotlib keyword arguments.
THEORY_STYLE = {"lw": 2.0, "alpha": 0.9}
#: How simulations are drawn (open markers and no line, so the theory's line shows through them).
SIMULATION_STYLE = {"marker": "o", "ms": 4, "ls": "none", "mfc": "none", "mew": 1.2}


def use_style() -> None:
    """Apply the course's matplotlib style (call once at the top of a notebook)."""
    plt.rcParams.update(
        {
            "figure.figsize": (6.4, 3.6),
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "font.size": 11,
            "axes.titlesize": 11,
            "axes.labelsize": 11,
            "legend.frameon": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.25,
            "axes.prop_cycle": plt.cycler(color=PALETTE),
            "xtick.labelsize": 10,
            "ytick.labelsize": 10,
            "legend.fontsize": 10,
        }
    )
    _record_text_size_in_inline_pngs()


#: The PNG text chunk in which course figures record their smallest text, in pixels of the image
#: itself (font size in points x dpi / 72). Shown at a width w, an image of natural width W displays
#: that text at ``value * w / W`` CSS pixels; the book's browser suite requires 9 or more at 1280 px.
SMALLEST_TEXT_KEY = "Smallest text px"


def _drawn_texts(artist):
    """The Text artists a draw of ``artist`` shows: visible, non-empty, and on a drawn axis."""
    if not artist.get_visible():
        return
    if isinstance(artist, Axis):
        if artist.axes is not None and not artist.axes.axison:
            return
        # The tick labels inside the view (the Axis keeps spare ticks that it does not draw).
        shown = [*artist.get_majorticklabels(), *artist.get_minorticklabels(), artist.label, artist.offsetText]
        yield from (text for text in shown if text.get_visible() and text.get_text().strip())
        return
    if isinstance(artist, Text):
        if artist.get_text().strip():
            yield artist
        return
    for child in artist.get_children():
        yield from _drawn_texts(child)


def smallest_text_pt(fig) -> float:
    """The smallest font size, in points, of any text the figure shows (inf if it shows none).

    A figure changed since its last draw is laid out first (no rendering), so that its tick labels
    exist. Hidden artists, axes drawn with ``axis("off")`` and ticks outside the view are left out,
    as a draw leaves them out.
    """
    if not isinstance(fig, Figure):
        raise ValueError(f"fig must be a matplotlib Figure; got {check._describe(fig)} ({type(fig).__name__})")
    if fig.stale:
        fig.draw_without_rendering()
    sizes = [text.get_fontsize() for text in _drawn_texts(fig)]
    return float(min(sizes)) if sizes else float("inf")


def _png_with_text_size(fig):
    """IPython's inline PNG of ``fig``, with its smallest text recorded under SMALLEST_TEXT_KEY."""
    from IPython.core.pylabtools import print_figure

    pixels = smallest_text_pt(fig) * fig.dpi / 72
    return print_figure(fig, "png", base64=True, metadata={SMALLEST_TEXT_KEY: f"{pixels:.2f}"})


def _record_text_size_in_inline_pngs() -> None:
    """In IPython, show figures as PNGs that carry their smallest text size (a no-op elsewhere)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    if "inline" in matplotlib.get_backend():
        # The inline backend registers its own PNG printer once, when its module is first imported
        # (usually at the first figure): import it now, so that ours replaces it and is not replaced.
        import matplotlib_inline.backend_inline  # noqa: F401
    shell.display_formatter.formatters["image/png"].for_type(Figure, _png_with_text_size)


LEGEND_BELOW = "below"
#: Bounds on the cost of :func:`phase_portrait`: arrows per side of the flow field, conserved curves drawn.
MAX_DENSITY, MAX_HYPERBOLAS = 200, 50
PORTRAIT_RANGE = (1e-100, 1e100)
"""Extents :func:`phase_portrait` draws: beyond them the grid points or the cubic flow leave the float range."""


def _check_legend(legend):
    """A legend choice: False (none), a matplotlib location, or ``"below"`` (under the axes)."""
    if legend is False or (isinstance(legend, str) and (legend == LEGEND_BELOW or legend in Legend.codes)):
        return legend
    choices = ", ".join(repr(code) for code in (*Legend.codes, LEGEND_BELOW))
    raise ValueError(f"legend must be False or one of {choices}; got {check._describe(legend)}")


def _check_axes(ax):
    """``None`` (draw on a new figure) or a matplotlib Axes."""
    if ax is not None and not isinstance(ax, Axes):
        raise ValueError(f"ax must be None or a matplotlib Axes; got {check._describe(ax)} ({type(ax).__name__})")
    return ax


def _check_colors(colors) -> list:
    """A non-empty sequence of matplotlib colours (names, hex strings or RGB tuples)."""
    if colors is None:
        return list(PALETTE)
    if isinstance(colors, str) or not isinstance(colors, (list, tuple)) or len(colors) == 0:
        raise ValueError(f"colors must list at least one colour, e.g. ['C0', '#D55E00']; got {colors!r}")
    for k, color in enumerate(colors):
        if not is_color_like(color):
            raise ValueError(f"colors[{k}] must be a matplotlib colour; got {check._describe(color)}")
    return list(colors)


def _check_labels(labels, n_curves: int):
    """``None`` or one string per curve."""
    if labels is None:
        return None
    if isinstance(labels, str) or not isinstance(labels, (list, tuple, np.ndarray)) or len(labels) != n_curves:
        raise ValueError(f"labels must list one label per curve ({n_curves}); got {labels!r}")
    return [check.text(f"labels[{k}]", label) for k, label in enumerate(labels)]


def _place_legend(ax, legend) -> None:
    """Draw ``ax``'s legend as chosen by ``_check_legend``."""
    if legend == LEGEND_BELOW:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    elif legend is not False:
        ax.legend(loc=legend)


def glue(name: str, value: Any) -> None:
    """Hand a computed value to the book's prose, ``{glue:text}`name```, or print it outside the book.

    In the book build this is ``myst_nb.glue(name, value, display=False)``: the cell shows nothing and
    the number appears in the text. Where ``myst_nb`` is not installed (Colab, a bare Jupyter) the
    value is printed as ``name = value`` instead, so no number computed on a page is lost.

    Parameters
    ----------
    name : str
        The key used in the text; a Python identifier such as ``"fb_error_slope"``.
    value : Any
        The value; numpy scalars and 0-d arrays are converted to Python numbers first, so that format
        specs such as ``:.2f`` in the text work on them.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be a Python identifier such as 'fb_slope'; got {check._describe(name)}")
    if isinstance(value, np.ndarray) and value.ndim == 0 or isinstance(value, np.generic):
        value = value.item()
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        shown = f"{value:.3g}" if isinstance(value, float) else f"{value}"
        print(f"{name} = {shown}")
        return
    myst_glue(name, value, display=False)


def relative_error(simulation, theory, *, floor: float = 1e-12) -> float:
    """Largest relative deviation ``max |sim - theory| / max(|theory|, floor)``: the agreement we quote."""
    sim = check.as_array("simulation", simulation)
    ref = check.as_array("theory", theory)
    floor = check.positive_scalar("floor", floor)
    if sim.shape != ref.shape:
        raise ValueError(f"simulation and theory must have the same shape; got {sim.shape} and {ref.shape}")
    if sim.size == 0:
        raise ValueError(f"simulation and theory must not be empty; got shape {sim.shape}")
    with np.errstate(over="ignore"):
        error = np.max(np.abs(sim - ref) / np.maximum(np.abs(ref), floor))
        if not np.isfinite(error):  # the difference, or its ratio to the floor, overflowed: halve both sides
            error = 2.0 * np.max(np.abs(sim / 2 - ref / 2) / np.maximum(np.abs(ref), floor))
    if not np.isfinite(error):
        raise ValueError(
            f"the relative error of simulation against theory exceeds the float range (> 1.8e308): simulation "
            f"reaches {np.max(np.abs(sim)):.3g} where |theory| is about floor={floor:.3g}; the two cannot be compared"
        )
    return float(error)


def theory_vs_simulation(
    times,
    simulation,
    theory,
    *,
    ax=None,
    labels=None,
    every: int = 1,
    xlabel: str = "time $t$",
    ylabel: str = r"$\theta(t)$",
    colors=None,
    legend: str | bool = "best",
):
    """Plot closed forms (lines) against simulations (markers), one column per curve.

    Parameters
    ----------
    times : array_like, shape (T,)
    simulation, theory : array_like, shape (T,) or (T, k)
        Simulated and predicted curves on the same time grid.
    ax : matplotlib Axes, optional
        Where to draw (a new figure by default).
    labels : list of str, optional
        One label per curve.
    every : int
        Plot every ``every``-th simulated point as a marker (lines are drawn in full).
    xlabel, ylabel : str
        Axis labels.
    colors : list, optional
        Colours of the curves (the course palette by default).
    legend : str or False
        A matplotlib legend location (``"best"``, ``"upper left"``, ...), ``"below"`` (under the
        axes), or False for no legend.

    Returns
    -------
    ax, error : matplotlib Axes and the largest relative error between the two.
    """
    t = check.as_array("times", times, ndim=1)
    sim = check.as_array("simulation", simulation, ndim=(1, 2))
    ref = check.as_array("theory", theory, ndim=(1, 2))
    sim, ref = np.atleast_2d(sim.T).T, np.atleast_2d(ref.T).T
    if sim.shape != ref.shape or sim.shape[0] != t.size:
        raise ValueError(f"times {t.shape}, simulation {sim.shape} and theory {ref.shape} must share the time axis")
    every = check.positive_int("every", every)
    labels = _check_labels(labels, sim.shape[1])
    xlabel, ylabel = check.text("xlabel", xlabel), check.text("ylabel", ylabel)
    legend = _check_legend(legend)
    colors = _check_colors(colors)
    if _check_axes(ax) is None:
        _, ax = plt.subplots()
    for k in range(sim.shape[1]):
        color = colors[k % len(colors)]
        label = labels[k] if labels is not None else None
        ax.plot(t, ref[:, k], color=color, label=label, **THEORY_STYLE)
        ax.plot(t[::every], sim[::every, k], color=color, **SIMULATION_STYLE)
    ax.plot([], [], color="0.3", label="theory", **THEORY_STYLE)
    ax.plot([], [], color="0.3", label="simulation", **SIMULATION_STYLE)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _place_legend(ax, legend)
    return ax, relative_error(sim, ref)


def phase_portrait(
    target_scale: float = 1.0,
    *,
    ax=None,
    extent: float = 2.0,
    imbalances=None,
    density: int = 25,
    trajectories=None,
    legend: str | bool = "lower right",
):
    """The (a, b) plane of one diagonal-network mode (Eq. 6) with arrows of the flow.

    Paper: Eq. 6, Eq. 8.

    Draws the flow field, the conserved hyperbolas ``a^2 - b^2 = C`` for the given imbalances
    (Eq. 8), the two branches of global minima ``a b = S``, and optionally trajectories.

    Parameters
    ----------
    target_scale : float
        The target ``S > 0`` of the mode (for ``S < 0`` the plane is the mirror image ``b -> -b``; at
        ``S = 0`` both axes are minima, which this drawing does not show).
    ax : matplotlib Axes, optional
        Where to draw (a new square figure by default).
    extent : float
        Half-width of the plotted square ``[-extent, extent]^2``, within ``PORTRAIT_RANGE``.
    imbalances : array_like, optional
        Imbalances ``C`` of the dashed hyperbolas (default ``-1, -0.25, 0, 0.25, 1``), at most ``MAX_HYPERBOLAS``.
    density : int
        Grid points per side of the flow field, from 5 to ``MAX_DENSITY``.
    trajectories : tuple (a, b) of array_like, optional
        Layer values along trajectories, each of shape ``(T,)`` or ``(T, n)`` for ``n`` runs (e.g.
        ``trajectory.params["a"][..., 0]`` of a one-coordinate network); drawn as lines, with a dot
        at each start.
    legend : str or False
        A matplotlib legend location, ``"below"`` (under the axes, two columns), or False.

    Returns
    -------
    matplotlib Axes
    """
    S = check.positive_scalar("target_scale", target_scale)
    extent = check.positive_scalar("extent", extent)
    if not PORTRAIT_RANGE[0] <= extent <= PORTRAIT_RANGE[1]:
        raise ValueError(
            f"extent must lie in [{PORTRAIT_RANGE[0]:g}, {PORTRAIT_RANGE[1]:g}]: the grid of the flow b (S - a b) "
            f"needs distinct points and a cube of the extent that stays finite; got {extent!r}"
        )
    density = check.positive_int("density", density, minimum=5, maximum=MAX_DENSITY)
    imbalances = (
        (-1.0, -0.25, 0.0, 0.25, 1.0) if imbalances is None else check.as_array("imbalances", imbalances, ndim=(0, 1))
    )
    if np.size(imbalances) > MAX_HYPERBOLAS:
        raise ValueError(f"imbalances must list at most {MAX_HYPERBOLAS} values; got {np.size(imbalances)}")
    paths = None if trajectories is None else _trajectory_pair(trajectories)
    legend = _check_legend(legend)
    if _check_axes(ax) is None:
        _, ax = plt.subplots(figsize=(4.6, 4.6))
    _draw_flow_and_minima(ax, S, extent, density)
    _draw_hyperbolas(ax, imbalances, extent)
    ax.plot([], [], color=PALETTE[2], lw=0.9, ls="--", label=r"conserved $a^2-b^2=C$")
    if paths is not None:
        a_path, b_path = paths
        ax.plot(a_path, b_path, color=PALETTE[1], lw=2)
        ax.plot(a_path[0], b_path[0], "o", color=PALETTE[1], ms=5)
        ax.plot([], [], "o-", color=PALETTE[1], label="trajectories (dot: start)")
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.set_xlabel("first layer $a$")
    ax.set_ylabel("second layer $b$")
    _place_legend(ax, legend)
    return ax


def _draw_flow_and_minima(ax, S: float, extent: float, density: int) -> None:
    """The flow field of Eq. 6 (``da/dt = b (S - a b)``, ``db/dt = a (S - a b)``) and the minima ``a b = S``."""
    grid = np.linspace(-extent, extent, density)
    A, B = np.meshgrid(grid, grid)
    with np.errstate(over="ignore", invalid="ignore"):  # a huge S or extent: arrows of infinite speed, drawn alike
        residual = S - A * B
        ax.streamplot(A, B, B * residual, A * residual, color="0.75", density=0.9, linewidth=0.7, arrowsize=0.8)
    fine = np.linspace(-extent, extent, 400)
    with np.errstate(divide="ignore", over="ignore"):
        minima_b = S / fine
    inside = np.abs(minima_b) <= extent
    ax.plot(np.where(inside, fine, np.nan), np.where(inside, minima_b, np.nan), color="k", lw=2, label=r"minima $ab=S$")


def _draw_hyperbolas(ax, imbalances, extent: float) -> None:
    """The conserved hyperbolas ``a^2 - b^2 = C`` (Eq. 8), both branches, long enough to leave the square."""
    for C in np.atleast_1d(imbalances):
        # Long enough that both coordinates leave the plotted square.
        s_max = np.arcsinh(extent / np.sqrt(abs(C))) + 0.1 if C != 0 else extent
        s = np.linspace(-s_max, s_max, 400)
        if C > 0:
            a_c, b_c = np.sqrt(C) * np.cosh(s), np.sqrt(C) * np.sinh(s)
        elif C < 0:
            a_c, b_c = np.sqrt(-C) * np.sinh(s), np.sqrt(-C) * np.cosh(s)
        else:
            a_c, b_c = s, s
        for sa, sb in ((1, 1), (-1, -1)) if C != 0 else ((1, 1), (1, -1)):
            ax.plot(sa * a_c, sb * b_c, color=PALETTE[2], lw=0.9, ls="--", alpha=0.8)


def _trajectory_pair(trajectories) -> tuple[np.ndarray, np.ndarray]:
    """Check ``trajectories = (a, b)``: two arrays of one shape, (T,) or (T, n), with T >= 1."""
    if not isinstance(trajectories, (tuple, list)) or len(trajectories) != 2:
        raise ValueError(
            f"trajectories must be a pair (a, b) of arrays of shape (T,) or (T, n); got {check._describe(trajectories)}"
        )
    a_path = check.as_array("trajectories[0]", trajectories[0], ndim=(1, 2))
    b_path = check.as_array("trajectories[1]", trajectories[1], ndim=(1, 2))
    if a_path.shape != b_path.shape or a_path.shape[0] == 0:
        raise ValueError(f"trajectories (a, b) must have one non-empty shape; got {a_path.shape} and {b_path.shape}")
    return a_path, b_path


def convergence_plot(
    step_sizes,
    errors,
    *,
    ax=None,
    order: float = 1.0,
    label: str = "measured",
    xlabel: str = r"step size $\eta$",
    ylabel: str = "error",
    legend: str | bool = "best",
):
    """Log-log plot of an error against the step size, with its fitted slope and a reference slope.

    A method of order ``p`` has errors proportional to ``step**p``: a straight line of slope ``p``
    on log-log axes. The dashed reference line of slope ``order`` passes through the smallest step.

    Parameters
    ----------
    step_sizes : array_like, shape (k,)
        Strictly positive step sizes, k >= 2.
    errors : array_like, shape (k,)
        The strictly positive error measured at each step size.
    ax : matplotlib Axes, optional
        Where to draw (a new figure by default).
    order : float
        Slope of the reference line (1 for gradient descent as an Euler method).
    label : str
        Legend entry of the measured errors; the fitted slope is appended to it.
    xlabel, ylabel : str
        Axis labels.
    legend : str or False
        A matplotlib legend location, ``"below"``, or False.

    Returns
    -------
    ax, slope : matplotlib Axes and the least-squares slope of ``log(errors)`` against ``log(step_sizes)``.
    """
    steps = check.positive("step_sizes", check.as_array("step_sizes", step_sizes, ndim=1))
    errs = check.positive("errors", check.as_array("errors", errors, ndim=1))
    if steps.shape != errs.shape or steps.size < 2:
        raise ValueError(
            f"step_sizes and errors must have one length of at least 2; got {steps.shape} and {errs.shape}"
        )
    order = check.positive_scalar("order", order)
    label, xlabel, ylabel = (check.text(n, v) for n, v in (("label", label), ("xlabel", xlabel), ("ylabel", ylabel)))
    legend = _check_legend(legend)
    slope = float(np.polyfit(np.log(steps), np.log(errs), 1)[0])
    if _check_axes(ax) is None:
        _, ax = plt.subplots()
    ax.loglog(steps, errs, "o-", color=PALETTE[0], label=f"{label} (slope {slope:.2f})")
    smallest = np.argmin(steps)
    reference = errs[smallest] * (steps / steps[smallest]) ** order
    power = r"\eta" if order == 1 else rf"\eta^{{{order:g}}}"
    ax.loglog(steps, reference, "k--", lw=1, label=rf"$\propto {power}$")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _place_legend(ax, legend)
    return ax, slope


# ---------------------------------------------------------------------------- the map of the book
def _sigmoid(t, t0, k=18.0):
    return 1.0 / (1.0 + np.exp(-k * (t - t0)))


def _icon_curves(kind: str, t: np.ndarray):
    """Sketches of each phenomenon's curve: (y, colour, width, style) per line."""
    grey, P = "0.6", PALETTE
    return {
        "emergence": [(1 - np.exp(-6 * t), grey, 1.2, "-"), (_sigmoid(t, 0.5), P[0], 1.8, "-")],
        "collapse": [(_sigmoid(t, 0.2, 25) + _sigmoid(t, 0.5, 25) + _sigmoid(t, 0.8, 25), P[1], 1.8, "-")],
        "lazy/rich": [(1 - np.exp(-6 * t), P[2], 1.8, "-"), (_sigmoid(t, 0.55), grey, 1.2, "--")],
        "grokking": [(_sigmoid(t, 0.12, 30), grey, 1.2, "-"), (_sigmoid(t, 0.7, 20), P[3], 1.8, "-")],
    }[kind]


# (x, mechanism, phenomenon, caption, chapter, icon) of the map's four columns; colours follow PALETTE.
# Chapters not written yet say "coming" and get a dashed box.
_MAP_COLUMNS = (
    (14, "sigmoidal, amplifying\ndynamics", "Emergence", "skills appear suddenly", "ch. 2", "emergence"),
    (38, "greedy low-rank\ndynamics", "Neural collapse", "one mode at a time", "ch. 3", "collapse"),
    (62, "layer imbalance", "Lazy / rich regimes", "exponential vs sigmoidal", "ch. 4", "lazy/rich"),
    (86, "weight-to-target\nratio", "Grokking", "train fits, test waits", "ch. 5", "grokking"),
)


def course_map():
    """The map of the book (our version of the paper's Fig. 1): principle, regimes, mechanisms, phenomena.

    Paper: Fig. 1.

    The feedback principle sits at the top; it amplifies (small, balanced layers) or is muted
    (unbalanced layers, large weights); below each regime sit the mechanisms and the phenomena they
    explain, each with a sketch of its typical curve. Sized for the book's column: 8.6 inches wide with
    no text below 10 pt, so that at a 1280-px window (688 CSS px) every label shows at 10 CSS px or more.

    Returns
    -------
    matplotlib Figure
    """
    import textwrap

    fig = plt.figure(figsize=(8.6, 6.4))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 74)
    ax.axis("off")

    def box(x, y, w, h, text, color, *, fill="white", size=10, ls="-"):
        style = "round,pad=0.4,rounding_size=1.2"
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle=style, fc=fill, ec=color, lw=1.8, ls=ls))
        ax.text(x, y, text, ha="center", va="center", fontsize=size, linespacing=1.3)

    def arrow(x0, y0, x1, y1):
        props = dict(arrowstyle="-|>", color="0.35", lw=1.4, shrinkA=0, shrinkB=0)
        ax.annotate("", (x1, y1), (x0, y0), arrowprops=props)

    def icon(x, y, kind):
        inset = fig.add_axes(((x - 8) / 100, (y - 3) / 74, 0.16, 6 / 74))
        t = np.linspace(0, 1, 200)
        for curve, color, width, style in _icon_curves(kind, t):
            inset.plot(t, curve, color=color, lw=width, ls=style)
        inset.set_xticks([])
        inset.set_yticks([])
        inset.grid(False)
        for side in ("top", "right"):
            inset.spines[side].set_visible(False)

    principle = (
        "Chapter 1 · the dynamical feedback principle\n"
        r"$\dot a = b\,\mathbb{E}[x^2](S-ab),\quad \dot b = a\,\mathbb{E}[x^2](S-ab)$"
        "\neach layer sets the other's speed"
    )
    box(50, 66.5, 64, 10, principle, PALETTE[0], fill="#e8f1f8", size=11)
    box(25.5, 50.5, 42, 8, "feedback amplifies\nsmall, balanced layers", "0.4")
    box(74.5, 50.5, 42, 8, "feedback is muted\nunbalanced layers, or\nlarge weights for the target", "0.4")
    arrow(40, 61.1, 29, 54.9)
    arrow(60, 61.1, 71, 54.9)
    for k, (_, mechanism, phenomenon, caption, where, kind) in enumerate(_MAP_COLUMNS):
        x = 12.5 + 25 * k  # four columns across the whole width, boxes 22 wide
        color, parent = PALETTE[k], (25.5 if x < 50 else 74.5)
        arrow(parent + (x - parent) * 0.35, 46.1, x, 41.6)
        box(x, 37.8, 22, 6, mechanism, color)
        arrow(x, 34.4, x, 30.4)
        box(x, 19.6, 22, 20, "", color, ls="--" if "coming" in where else "-")
        ax.text(x, 27.3, phenomenon, ha="center", va="center", fontsize=11, weight="bold")
        ax.text(x, 23.3, textwrap.fill(caption, 22), ha="center", va="center", fontsize=10, linespacing=1.2)
        ax.text(x, 11.3, where.replace("ch.", "chapter"), ha="center", va="center", fontsize=10, color="0.35")
        icon(x, 16.2, kind)
    limits = "Limits · what layerwise linear models leave out, and where the picture breaks"
    box(50, 4.2, 96, 3.6, limits, "0.55", ls="--")
    return fig
