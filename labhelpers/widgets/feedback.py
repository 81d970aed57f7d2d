"""The feedback explorer (Sec. 3): one mode of the diagonal network, for any initial strength and imbalance.

Only sets up and draws; :func:`~labhelpers.core.feedback_curves` computes what it shows.

Book: chapter 1 (the feedback principle), "Interactive view" (Sec. 3, Eq. 6-10).
"""

from __future__ import annotations

from .. import plotting
from ..core.explore import feedback_curves
from .slider import SliderFigure


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
        :func:`~labhelpers.core.feedback_curves`).
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
    # Short labels at 9 pt: readable in the book's column (10 CSS px) and clear of the minima's lower branch.
    handles, _ = plane.get_legend_handles_labels()
    labels = ["minima $ab = S$", "$a^2 - b^2 = C$", "trajectory"]
    plane.legend(handles, labels, loc="lower right", fontsize=9, frameon=True, framealpha=0.9, edgecolor="none")

    every = max(1, len(t) // 20)
    curve.plot(t, curves["theta_theory"][:, i, j] / S, color=color, lw=2.2, label="two layers (closed form)")
    simulated = curves["theta_simulated"][::every, i, j] / S
    curve.plot(t[::every], simulated, color=color, label="two layers (gradient flow)", **plotting.SIMULATION_STYLE)
    if C != 0:
        curve.plot(t, curves["theta_balanced"][:, i] / S, color="0.55", lw=1.2, ls=":", label="balanced C = 0 (Eq. 9)")
    curve.plot(
        t, curves["theta_linear"][:, i] / S, color=plotting.PALETTE[0], lw=1.6, ls="--", label="linear model (Eq. 10)"
    )
    curve.legend(loc="lower right", fontsize=9)
    curve.set_title(f"θ₀ = {theta0:g}, C = {C:g}")
