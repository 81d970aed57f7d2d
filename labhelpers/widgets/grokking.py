"""The grokking explorer (Sec. 7): aligned and anti-aligned features of Eq. 15's wide scalar network.

Only sets up and draws; :func:`~labhelpers.grokking.grokking_curves` computes what it shows.

Book: chapter 5 (grokking), "Interactive view" (Sec. 7, Eq. 15, Theorem I.1).
"""

from __future__ import annotations

import matplotlib.lines
import numpy as np

from .. import plotting
from ..grokking import feature_arrows
from ..grokking.explore import grokking_curves
from .slider import SliderFigure


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
        Slider values (see :func:`~labhelpers.grokking.grokking_curves`).
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
        figsize=(7.6, 4.4),  # 684 px at dpi 90: shown at its natural size in the column
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
    labels = ["slope β/S", "aligned: gain", "anti-aligned: retreat", "time unit Z/2S"]
    slope.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
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
        ncol=2,
    )


def _draw_grokking(fig, curves: dict, i: int, j: int, width: int) -> None:
    """One frame: the gain and retreat over time, and the arrows at the start and at the end, for (ratio_i, Z_j, p)."""
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
