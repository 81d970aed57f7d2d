"""What the feedback explorer draws (Sec. 3), and the parameter checks every explorer's curves share.

:func:`feedback_curves` computes, for a whole grid of initial mode strengths and imbalances, the trajectories
and learning curves that :func:`~labhelpers.widgets.feedback_explorer` only draws (the compute / display
split). The chapters' own curves (:func:`~labhelpers.emergence.emergence_curves`,
:func:`~labhelpers.collapse.collapse_curves`, :func:`~labhelpers.regimes.regimes_curves`,
:func:`~labhelpers.grokking.grokking_curves`) check their slider values with the helpers here.

Book: chapter 1 (the feedback principle), "Interactive view" (Sec. 3, Eq. 6-10).
"""

from __future__ import annotations

import math

import numpy as np

from . import (
    DiagonalLinearNetwork,
    gradient_flow,
    layers_from_product,
    linear_mode,
    linear_saturation_time,
    product_mode,
    saturation_time,
    teacher_moments,
)
from . import validation as check

#: Bounds on what the explorers compute before drawing, in recorded times and values per slider.
MAX_TIMES, MAX_GRID_VALUES = 100_000, 64
MODERATE = (1e-100, 1e100)
"""Magnitudes an explorer's parameters may take, zero aside where it is allowed. Within them every time
scale, product and drawn coordinate of the closed forms and flows stays inside the float range."""


def feedback_curves(
    target_scale: float = 1.0,
    *,
    initial_scales=(0.01, 0.03, 0.1, 0.3),
    imbalances=(-2.0, -0.5, 0.0, 0.5, 2.0),
    variance: float = 1.0,
    t_max: float | None = None,
    n_times: int = 121,
) -> dict:
    """Everything :func:`~labhelpers.widgets.feedback_explorer` draws, for every (initial scale, imbalance) at once.

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
    S, var, theta0, C = _feedback_grid(target_scale, variance, initial_scales, imbalances)
    n_times = check.positive_int("n_times", n_times, minimum=2, maximum=MAX_TIMES)
    t_max = _feedback_t_max(S, theta0, var) if t_max is None else check.positive_scalar("t_max", t_max)

    times = _time_axis(t_max, n_times)
    a, b = _feedback_flow(S, var, theta0, C, times, t_max)
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


def _feedback_grid(target_scale, variance, initial_scales, imbalances):
    """The checked ``S``, ``E[x^2]``, slider values of ``theta0`` (each in ``(0, S)``) and of ``C``."""
    S = _moderate_scalar("target_scale", target_scale)
    var = _moderate_scalar("variance", variance)
    theta0 = _grid_axis("initial_scales", initial_scales)
    C = _grid_axis("imbalances", imbalances)
    if np.any(theta0 <= 0) or np.any(theta0 >= S):
        raise ValueError(
            f"initial_scales must lie strictly between 0 and target_scale={S:g} (a mode that rises); "
            f"got {theta0.tolist()}"
        )
    return S, var, theta0, C


def _feedback_flow(S: float, var: float, theta0: np.ndarray, C: np.ndarray, times: np.ndarray, t_max: float):
    """The layers ``a(t), b(t)``, each (T, n_scales, n_imbalances): one batched gradient-flow run (Eq. 6)."""
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
    return run.params["a"][..., 0], run.params["b"][..., 0]


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
