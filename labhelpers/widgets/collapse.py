"""The collapse explorer (Sec. 5.2): features of an unconstrained feature model collapsing, and their NC1.

Only sets up and draws; :func:`~labhelpers.collapse.collapse_curves` computes what it shows.

Book: chapter 3 (neural collapse), "Interactive view" (Sec. 5.2, Eq. 13 and Eq. 65).
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import NullLocator

from .. import plotting
from ..collapse import draw_feature_plane
from ..collapse.explore import collapse_curves
from ..core import validation as check
from .slider import SliderFigure


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
    plane, curve = fig.axes
    t, nc = curves["times"], np.maximum(curves["nc1"][:, i], 1e-16)
    j = curves["snapshot_index"][k]
    draw_feature_plane(plane, curves["coords"][i, k], curves["labels"], title=f"t = {t[j]:.3g}, NC1 = {nc[j]:.1e}")
    curve.plot(t, nc, color="k", lw=2)  # plot, not semilogy: that would reset the plain tick labels
    curve.plot(t[j], nc[j], "o", color=plotting.PALETTE[1], ms=8)
    curve.set_title(f"σ = {curves['init_scales'][i]:g}: final NC1 {nc[-1]:.1e}".replace("-", "−"))
