"""The dynamical feedback principle (Sec. 3): what the product of layers adds to gradient flow.

In the diagonal network ``a' = b E[x^2](S - ab)`` and ``b' = a E[x^2](S - ab)`` (Eq. 6): the size of
one layer sets the speed of the other. Two consequences live here: the conserved imbalance
(Eq. 8 and its matrix form) and the closed equation for the product ``theta = ab``.

Book: chapter 1, The dynamical feedback principle (the conserved imbalance and the product flow).
"""

from __future__ import annotations

import numpy as np

from . import validation as check
from .models import DeepLinearNetwork, DiagonalLinearNetwork, LinearNetwork, Model

LAYERWISE = (DiagonalLinearNetwork, LinearNetwork, DeepLinearNetwork)

_BIG, _SMALL = 2.0**500, 2.0**-500
"""Beyond these scales ``C^2 + 4 theta^2`` would overflow or lose digits to underflow: rescale first."""


def imbalance(model: Model, params):
    """The quantity that gradient flow conserves (Eq. 8 and App. D.3).

    Paper: Eq. 8, Eqs. 46-48.

    - :class:`~labhelpers.core.DiagonalLinearNetwork`: ``C_i = a_i^2 - b_i^2``, shape (..., d).
    - :class:`~labhelpers.core.LinearNetwork`: ``W2 W2^T - W1^T W1``, shape (..., p, p).
    - :class:`~labhelpers.core.DeepLinearNetwork`: one matrix ``W(l+1) W(l+1)^T - Wl^T Wl`` per hidden
      layer, stacked along a new axis -3 when the hidden widths are equal, else returned as a list.

    A value beyond the float range raises an error naming ``params``.
    """
    return _imbalance(model, params, "params")


def _imbalance(model: Model, params, argument: str):
    if not isinstance(model, LAYERWISE):
        raise ValueError(
            f"model must be a layerwise linear model (diagonal, two-layer or deep); got {type(model).__name__}"
        )
    params = model._arrays(params, argument=argument)
    if isinstance(model, DiagonalLinearNetwork):
        return _square_gap(params["a"], params["b"], argument)
    layers = [params[name] for name in model.param_names]
    gaps = [_gram_gap(cur, nxt, argument) for cur, nxt in zip(layers, layers[1:])]
    if isinstance(model, LinearNetwork):
        return gaps[0]
    shapes = {g.shape for g in gaps}
    return np.stack(gaps, axis=-3) if len(shapes) == 1 else gaps


def _square_gap(a: np.ndarray, b: np.ndarray, argument: str) -> np.ndarray:
    """``a^2 - b^2``; as ``(a - b)(a + b)`` where the squares overflow or underflow (same value, exact scale)."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        gap = a**2 - b**2
        size = np.maximum(np.abs(a), np.abs(b))
        extreme = ~np.isfinite(gap) | ((size < _SMALL) & (size > 0))
        if np.any(extreme):
            gap = np.where(extreme, (a - b) * (a + b), gap)
    return _finite(argument, gap, "the imbalance a^2 - b^2 (Eq. 8)")


def _gram_gap(cur: np.ndarray, nxt: np.ndarray, argument: str) -> np.ndarray:
    """``W(l+1) W(l+1)^T - Wl^T Wl``, rescaled by the largest entry where the products would overflow."""
    with np.errstate(over="ignore", invalid="ignore"):
        gap = nxt @ nxt.swapaxes(-1, -2) - cur.swapaxes(-1, -2) @ cur
        if not np.all(np.isfinite(gap)):
            size = max(float(np.max(np.abs(cur))), float(np.max(np.abs(nxt))))
            cur, nxt = cur / size, nxt / size
            gap = (nxt @ nxt.swapaxes(-1, -2) - cur.swapaxes(-1, -2) @ cur) * size * size
    return _finite(argument, gap, "the imbalance W(l+1) W(l+1)^T - Wl^T Wl")


def _finite(argument: str, value: np.ndarray, what: str) -> np.ndarray:
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{what} overflows the float range (|value| > 1.8e308): {argument} is too large")
    return value


def _rescaled(C: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(C, theta) * 2^k`` with ``k`` chosen per entry so that ``C^2 + 4 theta^2`` neither overflows nor
    underflows; ``k = 0`` (no change, bit for bit) on the ordinary range. Powers of two scale exactly."""
    with np.errstate(over="ignore"):  # 2 |theta| may pass 1.8e308: then it is rescaled anyway
        size = np.maximum(np.abs(C), 2.0 * np.abs(theta))
    k = np.where(size > _BIG, -600, np.where((size < _SMALL) & (size > 0), 600, 0))
    return np.ldexp(C, k), np.ldexp(theta, k), k


def product_flow(theta, target_scale, *, imbalance=0.0, variance=1.0):
    """Closed equation for the product ``theta = ab``: ``theta' = sqrt(C^2 + 4 theta^2) E[x^2] (S - theta)``.

    Paper: Eqs. 36-38.

    The factor ``sqrt(C^2 + 4 theta^2) = a^2 + b^2`` is the feedback: it is small when both layers
    are small (slow start) and grows as the mode is learned. Compare the linear model, Eq. 7,
    where the factor is 1. Stable at every scale (subnormal to 1e308); a speed beyond the float range
    raises an error.
    """
    theta, S, C, var = check.broadcastable(
        theta=theta, target_scale=target_scale, imbalance=imbalance, variance=variance
    )
    check.positive("variance", var)
    check.fits_in_memory("the broadcast of theta, target_scale, imbalance and variance", 8.0 * theta.size)
    rate = _exponent_split_rate(theta, S, C, var)
    return _finite("theta, target_scale, imbalance or variance", rate, "the speed theta'")


def _exponent_split_rate(theta, S, C, var) -> np.ndarray:
    """``sqrt(C^2 + 4 theta^2) var (S - theta)`` multiplied as mantissas times a sum of binary exponents.

    No intermediate product can overflow or underflow. Scaling by a power of two does not change how a
    product rounds, so on the ordinary range this is bit for bit the plain left-to-right product.
    """
    Cs, ts, k = _rescaled(C, theta)
    factor, factor_exp = np.frexp(np.sqrt(Cs**2 + 4.0 * ts**2))
    with np.errstate(over="ignore", invalid="ignore"):
        gap = S - theta
    halved = ~np.isfinite(gap)
    gap, gap_exp = np.frexp(np.where(halved, S / 2.0 - theta / 2.0, gap))
    mantissa, var_exp = np.frexp(var)
    exponent = factor_exp - k + var_exp + gap_exp + halved
    with np.errstate(over="ignore"):
        return np.ldexp(factor * mantissa * gap, exponent)


def layers_from_product(theta0, imbalance=0.0):
    """Layer values ``(a, b)`` with ``a b = theta0`` and ``a^2 - b^2 = C``, choosing ``a + b >= 0``.

    ``a^2 = (sqrt(C^2 + 4 theta0^2) + C)/2`` and ``b^2 = (sqrt(C^2 + 4 theta0^2) - C)/2``. The smaller of
    the two is computed as ``|theta0|`` divided by the larger, which avoids cancellation when ``|C| >> |theta0|``.
    Very large or tiny entries are rescaled by a power of two first, so the squares neither overflow nor
    underflow. Where the smaller layer ``|theta0| / sqrt(|C|)`` is below the float range (5e-324) it is 0.
    """
    theta0, C = check.broadcastable(theta0=theta0, imbalance=imbalance)
    check.fits_in_memory("the broadcast of theta0 and imbalance", 8.0 * theta0.size)
    Cs, ts, k = _rescaled(C, theta0)
    radius = np.sqrt(Cs**2 + 4.0 * ts**2)
    larger = np.ldexp(np.sqrt((radius + np.abs(Cs)) / 2.0), -k // 2)
    smaller = np.abs(theta0) / np.where(larger > 0, larger, 1.0)
    a = np.where(C >= 0, larger, smaller)
    b = np.where(C >= 0, smaller, larger)
    # Signs: theta0 < 0 needs opposite signs; keep the larger magnitude positive so a + b >= 0.
    negative = theta0 < 0
    a_signed = np.where(negative & (a < b), -a, a)
    b_signed = np.where(negative & (a >= b), -b, b)
    return a_signed, b_signed


def _trajectory_params(trajectory) -> dict:
    """The parameters of a :class:`~labhelpers.core.Trajectory`, after checking it has >= 2 times."""
    params = getattr(trajectory, "params", None)
    if not isinstance(params, dict) or np.ndim(getattr(trajectory, "times", None)) < 1:
        raise ValueError(f"trajectory must be a labhelpers Trajectory; got {type(trajectory).__name__}")
    times = check.as_array("trajectory.times", trajectory.times)
    if len(times) < 2:
        raise ValueError(f"trajectory must record at least 2 times to measure a drift; got {len(times)}")
    return params


def imbalance_drift(model: Model, trajectory) -> np.ndarray:
    """How far the conserved imbalance has moved at each recorded time, run by run.

    Paper: Eq. 8.

    Gradient flow keeps the imbalance of :func:`imbalance` constant (Eq. 8); gradient descent
    changes it by ``O(lr^2)`` per step. This returns the largest entry of ``|Q(t) - Q(0)|``, taken
    over the entries of the imbalance (coordinates, matrix entries, layers) but not over time or runs.

    Parameters
    ----------
    model : DiagonalLinearNetwork, LinearNetwork or DeepLinearNetwork
        The model that produced the trajectory.
    trajectory : Trajectory
        From :func:`~labhelpers.core.gradient_flow` or :func:`~labhelpers.core.gradient_descent`,
        with at least two recorded times.

    Returns
    -------
    numpy.ndarray, shape ``(T, *batch)``
        The absolute drift; zero at the first recorded time.

    See Also
    --------
    conservation_drift : one number for the whole trajectory, relative to the size of the weights.
    """
    params = _trajectory_params(trajectory)
    Q = _imbalance(model, params, "trajectory.params")
    time_and_batch = len(model.validate(params, argument="trajectory.params"))
    parts = Q if isinstance(Q, list) else [Q]
    with np.errstate(over="ignore"):
        drifts = [np.abs(q - q[:1]).reshape(q.shape[:time_and_batch] + (-1,)).max(axis=-1) for q in parts]
    return _finite("trajectory.params", np.max(drifts, axis=0), "the drift of the imbalance")


def conservation_drift(model: Model, trajectory) -> float:
    """Largest change of the conserved imbalance along a trajectory, relative to its scale.

    Returns ``max_t |Q(t) - Q(0)| / max(1, max |Q(0)|, max |params|^2)`` so that drift is compared with
    the size of the quantities being subtracted.
    """
    params = _trajectory_params(trajectory)
    Q = _imbalance(model, params, "trajectory.params")
    if isinstance(Q, list):
        Q = np.concatenate([q.reshape(q.shape[0], -1) for q in Q], axis=1)
    largest = max(np.max(np.abs(p)) if np.size(p) else np.float64(0.0) for p in params.values())
    with np.errstate(over="ignore"):
        scale = max(1.0, float(np.max(np.abs(Q[0]))), float(largest**2))
        change = float(np.max(np.abs(Q - Q[:1])))
    if np.isfinite(scale) and np.isfinite(change):
        return change / scale
    # Weights beyond 1e154: halve the difference and divide by the largest weight twice, never squaring it.
    half_change = float(np.max(np.abs(Q / 2.0 - Q[:1] / 2.0)))
    return max(2.0 * (half_change / largest) / largest, 0.0)
