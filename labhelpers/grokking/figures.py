"""The chapter's figures of the weight-to-target ratio (Sec. 7, App. I): each draws one panel on a given Axes.

Book: chapter 5, "One number for the regime" (:func:`plot_ntk_scaling`, :func:`plot_growth_factor`: the NTK
limit and Eq. gk-gamma-ratio against simulated networks) and "A linear network that groks"
(:func:`plot_delayed_generalisation`, :func:`plot_generalisation_vs_ratio`: a
:class:`~labhelpers.grokking.GrokkingRun`). They only draw: the chapter computes what they show.
"""

from __future__ import annotations

import numpy as np

from ..core import validation as check
from .diagonal import GrokkingRun
from .scalar import gamma_plus_from_ratio

#: The curves of :func:`plot_ntk_scaling`, in the order drawn, with their legend labels.
NTK_CURVES = {
    "Sigma0": r"$\Sigma_0$",
    "beta0": r"$|\beta_0|$",
    "gamma": r"$|\gamma_+ - 1|$",
    "move": "relative change of $a$",
}


def _axes(ax):
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise ValueError(f"ax must be a matplotlib Axes; got {check._describe(ax)}")
    return ax


def _run(run) -> GrokkingRun:
    if not isinstance(run, GrokkingRun):
        raise ValueError(f"run must be a GrokkingRun (from train_diagonal); got {check._describe(run)}")
    return run


def _indices(name: str, indices, n_runs: int) -> list[int]:
    values = [check.integer(name, k, minimum=0, maximum=n_runs - 1) for k in np.atleast_1d(indices)]
    if not values:
        raise ValueError(f"{name} must name at least one run")
    return values


def plot_ntk_scaling(ax, widths, averages: dict):
    """NTK initialisation (``Z = sqrt(p)``) on log-log axes: what grows and what shrinks with the width ``p``.

    Parameters
    ----------
    ax : matplotlib Axes
    widths : array_like, shape (W,)
        Widths ``p`` (> 0).
    averages : dict
        ``Sigma0``, ``beta0``, ``gamma`` and ``move`` (see ``figures.NTK_CURVES``), each of shape ``(W,)`` and
        positive: averages over draws of ``Sigma_0``, ``|beta_0|``, ``|gamma+ - 1|`` and the relative change
        of the weights ``a`` between the start and the end of training.
    """
    ax = _axes(ax)
    p = check.positive("widths", check.as_array("widths", widths, ndim=1))
    if not isinstance(averages, dict) or set(averages) != set(NTK_CURVES):
        raise ValueError(f"averages must be a dict with the keys {sorted(NTK_CURVES)}; got {check._describe(averages)}")
    for key, label in NTK_CURVES.items():
        values = check.positive(f"averages[{key!r}]", check.as_array(key, averages[key], ndim=1))
        if values.shape != p.shape:
            raise ValueError(f"averages[{key!r}] must have one value per width ({p.size}); got {values.shape}")
        ax.loglog(p, values, "o-", label=label)
    ax.set(xlabel="width $p$", title=r"(a) NTK initialisation, $Z = \sqrt{p}$, $S = 1$")
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
    return ax


def plot_growth_factor(ax, ratios, measured):
    """Eq. gk-gamma-ratio, ``gamma+ = (1 + sqrt(1 + rho^2)) / rho``, with its two limits and simulated networks.

    Parameters
    ----------
    ax : matplotlib Axes
    ratios, measured : array_like, shape (N,)
        Weight-to-target ratios ``Sigma_0 / S`` of simulated networks and their measured ``gamma+``
        (e.g. :func:`~labhelpers.grokking.measured_growth_factor`), both > 0.
    """
    from ..plotting import PALETTE, SIMULATION_STYLE

    ax = _axes(ax)
    rho_m = check.positive("ratios", check.as_array("ratios", ratios, ndim=1))
    gamma_m = check.positive("measured", check.as_array("measured", measured, ndim=1))
    if rho_m.shape != gamma_m.shape:
        raise ValueError(f"ratios {rho_m.shape} and measured {gamma_m.shape} must have one value each")
    rho = np.geomspace(min(5e-3, rho_m.min()), max(2e2, rho_m.max()), 200)
    rich, lazy = rho < 1, rho > 1
    ax.loglog(rho, gamma_plus_from_ratio(rho), color="k", label=r"$(1 + \sqrt{1 + \rho^2})/\rho$")
    ax.loglog(rho[rich], 2 / rho[rich], ":", color="0.5", label=r"rich limit $2/\rho$")
    ax.loglog(rho[lazy], 1 + 1 / rho[lazy], "--", color="0.5", label=r"lazy limit $1 + 1/\rho$")
    label = f"{rho_m.size} simulated networks"
    ax.loglog(rho_m, gamma_m, color=PALETTE[1], label=label, **SIMULATION_STYLE)
    ax.set(
        xlabel=r"weight-to-target ratio $\rho = \Sigma_0/S$",
        ylabel=r"final growth factor $\gamma_+$",
        title="(b) the ratio sets the regime",
    )
    ax.legend(loc="upper right")
    return ax


def plot_delayed_generalisation(ax, run, curves: dict):
    """Test (solid) and training (dashed) loss of some runs of a :class:`GrokkingRun`, relative to ``f = 0``.

    Parameters
    ----------
    ax : matplotlib Axes
    run : GrokkingRun
        From :func:`~labhelpers.grokking.train_diagonal`.
    curves : dict
        ``{legend label: run index}``, drawn in the course's colours in this order.
    """
    from ..plotting import PALETTE

    ax, run = _axes(ax), _run(run)
    if not isinstance(curves, dict) or not curves:
        raise ValueError(f"curves must be a non-empty dict {{label: run index}}; got {check._describe(curves)}")
    train = run.train_loss / run.train_loss[0]
    test = run.test_loss / run.test_loss[0]
    steps = np.maximum(run.steps, 1)
    for color, (label, k) in zip(PALETTE, curves.items()):
        (k,) = _indices("curves", k, len(run.ratio))
        ax.loglog(steps, test[:, k], color=color, lw=2, label=check.text("curves", label))
        ax.loglog(steps, train[:, k], color=color, lw=1.2, ls="--")
    ax.plot([], [], "k--", lw=1.2, label="training loss (dashed)")
    ax.set(
        xlabel="gradient step",
        ylabel="loss / loss of $f = 0$",
        ylim=(1e-5, 2),
        title="(a) delayed generalisation and its cures",
    )
    ax.legend(loc="lower left")
    return ax


def plot_generalisation_vs_ratio(ax, run, runs, marked: dict, *, colors=None):
    """The final test loss (relative to ``f = 0``) of some runs against their initial weight-to-target ratio.

    Parameters
    ----------
    ax : matplotlib Axes
    run : GrokkingRun
        From :func:`~labhelpers.grokking.train_diagonal`.
    runs : sequence of int
        The runs drawn as black dots.
    marked : dict
        ``{legend label: run index}``: runs marked with an open square, in ``colors``.
    colors : sequence of colours, optional
        One per marked run (default: the course's colours in order, as in :func:`plot_delayed_generalisation`).
    """
    from ..plotting import PALETTE

    ax, run = _axes(ax), _run(run)
    shown = _indices("runs", runs, len(run.ratio))
    if not isinstance(marked, dict):
        raise ValueError(f"marked must be a dict {{label: run index}}; got {check._describe(marked)}")
    colors = PALETTE if colors is None else list(colors)
    if len(colors) < len(marked):
        raise ValueError(f"colors must give one colour per marked run ({len(marked)}); got {len(colors)}")
    final = run.test_loss[-1] / run.test_loss[0]
    ax.semilogx(run.ratio[shown], final[shown], "o", color="k")
    for color, (label, k) in zip(colors, marked.items()):
        (k,) = _indices("marked", k, len(run.ratio))
        style = {"ms": 10, "mfc": "none", "mew": 1.5, "color": color}
        ax.semilogx(run.ratio[k], final[k], "s", label=check.text("marked", label), **style)
    ax.set(
        xlabel="initial weight-to-target ratio",
        ylabel="final test loss (relative)",
        yscale="log",
        title="(b) no weight decay: generalisation against the ratio",
    )
    if marked:
        ax.legend(loc="lower right")
    return ax
