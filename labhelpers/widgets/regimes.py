"""The regimes explorer (Sec. 6, App. G): modes and kernel distance of a lambda-balanced network.

Only sets up and draws; :func:`~labhelpers.regimes.regimes_curves` computes what it shows.

Book: chapter 4 (lazy and rich regimes), "Interactive view" (Sec. 6, Eq. 14 and Eq. 69).
"""

from __future__ import annotations

import matplotlib.lines
import numpy as np

from .. import plotting
from ..regimes.explore import regimes_curves
from .slider import SliderFigure


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
    modes.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    kernel.set_xscale("log")
    kernel.set_yscale("log")
    kernel.set_xlim(t[0], t[-1])
    kernel.set_ylim(1e-10, 1.0)
    kernel.set_xlabel("time $t$")
    kernel.set_ylabel(r"kernel distance $d(K_0, K_t)$")
    kernel.set_title("final distance 0.0e-00")
    kernel.text(t[0] * 1.5, 0.15, "richer ↑", color="0.35", fontsize=10)
    kernel.text(t[0] * 1.5, 3e-10, "lazier ↓", color="0.35", fontsize=10)


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
