"""The emergence explorer (Sec. 4.3-4.4): skills emerging one after another, and the loss's power law.

Only sets up and draws; :func:`~labhelpers.emergence.emergence_curves` computes what it shows.

Book: chapter 2 (emergence), "Interactive view" (Sec. 4.3-4.4, Eq. 11).
"""

from __future__ import annotations

import matplotlib.lines
import numpy as np

from .. import plotting
from ..emergence.explore import emergence_curves
from .slider import SliderFigure


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
        figsize=(7.6, 4.2),
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
    skills.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3)
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
    loss.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1)


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
