"""Depth: the balanced mode of a depth-L diagonal network, its closed-form timing and the overlap of stages.

A depth-L diagonal network ``f(x) = sum_i (a_1i a_2i ... a_Li) x_i`` splits into independent modes, one per
input coordinate. Started balanced (all layers equal), the product ``theta = a_1 ... a_L`` of one mode obeys

    dtheta/dt = L E[x^2] theta^(2 - 2/L) (S - theta)                         (book Eq. lm-deep-flow)

(the paper's Sec. 8, depth; ``L = 2`` is the logistic equation, the paper's Eq. 9). Its travel time from
``theta0`` to ``theta`` has a closed form in elementary functions (book Eq. lm-deep-time), obtained with
``z = (theta/S)^(1/L)`` and a partial-fraction split over the L-th roots of unity ``omega_k``:

    t = S^(-(2 - 2/L)) / E[x^2] * [G(z) - G(z0)],
    G(z) = -z^(2-L)/(L-2) - (1/L) sum_k omega_k^2 log(z - omega_k)       (L >= 3; ln z replaces the power if L = 2)

Book: chapter 6, Limits and research directions, section Depth.
"""

from __future__ import annotations

import numpy as np

from ..core import validation as check
from ..core.data import Moments
from ..core.models import Model, Params

MAX_DEPTH = 200
"""The deepest network the closed forms accept (the sum over roots of unity has ``depth`` terms)."""


def _depth(depth) -> int:
    return check.positive_int("depth", depth, minimum=2, maximum=MAX_DEPTH)


def _log_time_gap(log_w, log_w0, depth: int) -> np.ndarray:
    """``G(z) - G(z0)`` of the module docstring, from ``ln w`` and ``ln w0`` (``w = theta/S`` in (0, 1)).

    Equals ``int_{w0}^{w} du / (L u^(2-2/L) (1 - u))``, the time of Eq. lm-deep-time in units of
    ``S^(-(2-2/L)) / E[x^2]``.
    """
    L = depth
    log_w, log_w0 = np.asarray(log_w, float), np.asarray(log_w0, float)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        if L == 2:
            power = (log_w - log_w0) / 2.0
        else:
            exponent = (2.0 - L) / L
            power = (np.exp(exponent * log_w0) - np.exp(exponent * log_w)) / (L - 2.0)
        # omega_0 = 1: the logarithmic divergence at saturation, with 1 - z computed without cancellation.
        first = -(np.log(-np.expm1(log_w / L)) - np.log(-np.expm1(log_w0 / L))) / L
        omega = np.exp(2j * np.pi * np.arange(1, L) / L)
        z, z0 = np.exp(log_w / L)[..., None], np.exp(log_w0 / L)[..., None]
        # z - omega_k never crosses the branch cut for z in (0, 1) and k != 0, so principal logs are continuous.
        rest = (omega**2 * (np.log(z - omega) - np.log(z0 - omega))).real.sum(axis=-1)
    return power + first - rest / L


def _time_from_gap(name: str, gap, S, var, depth: int) -> np.ndarray:
    """``gap * S^(-(2-2/L)) / var``, in logarithms so that no intermediate over- or underflows."""
    p = 2.0 - 2.0 / depth
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        time = np.where(gap > 0, np.exp(np.log(np.where(gap > 0, gap, 1.0)) - p * np.log(S) - np.log(var)), 0.0)
    if not np.all(np.isfinite(time)):
        raise ValueError(
            f"{name} is beyond the float range (> 1.8e308) for these arguments: theta0 is too small, or "
            "target_scale or variance too small, for this time to be represented"
        )
    return time


def deep_mode_rate(theta, target_scale, depth, *, variance=1.0):
    """Speed of a balanced depth-L mode, ``L E[x^2] theta^(2-2/L) (S - theta)`` (book Eq. lm-deep-flow).

    Parameters
    ----------
    theta : array_like
        The product of the layers, ``theta >= 0``.
    target_scale : array_like
        The mode's target ``S > 0``.
    depth : int
        The number of layers ``L`` (2 to 200); ``L = 2`` gives the logistic rate ``2 E[x^2] theta (S - theta)``.
    variance : array_like
        The input variance ``E[x^2] > 0``.

    Returns
    -------
    numpy.ndarray
        ``dtheta/dt``, broadcast over the arguments.
    """
    L = _depth(depth)
    theta, S, var = check.broadcastable(theta=theta, target_scale=target_scale, variance=variance)
    check.positive("theta", theta, allow_zero=True)
    check.positive("target_scale", S)
    check.positive("variance", var)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        rate = L * var * theta ** (2.0 - 2.0 / L) * (S - theta)
    if not np.all(np.isfinite(rate)):
        raise ValueError("deep_mode_rate overflows the float range (> 1.8e308): theta or target_scale is too large")
    return rate


def deep_saturation_time(fraction, target_scale, theta0, depth, *, variance=1.0):
    """Time at which a balanced depth-L mode started at ``theta0`` reaches ``fraction * S`` (Eq. lm-deep-time).

    The closed form of the module docstring; for ``depth = 2`` it is the logistic time
    ``ln(q (S - theta0) / ((1 - q) theta0)) / (2 S E[x^2])``. Needs ``0 < theta0 < fraction * S < S``.

    Parameters
    ----------
    fraction : array_like
        The level ``q`` in (0, 1), above ``theta0 / S``.
    target_scale, theta0 : array_like
        The target ``S > 0`` and the initial product ``theta0 > 0``.
    depth : int
        The number of layers ``L``, 2 to 200.
    variance : array_like
        The input variance ``E[x^2] > 0``.

    Returns
    -------
    numpy.ndarray
        The time, broadcast over the array arguments. A time beyond the float range is an error.
    """
    L = _depth(depth)
    q, S, theta0, var = check.broadcastable(
        fraction=fraction, target_scale=target_scale, theta0=theta0, variance=variance
    )
    check.positive("target_scale", S)
    check.positive("variance", var)
    check.positive("theta0", theta0)
    if np.any(q <= 0) or np.any(q >= 1):
        raise ValueError(f"fraction must lie in (0, 1); got {check._describe(q)}")
    with np.errstate(under="ignore", divide="ignore"):
        log_w0 = np.log(theta0) - np.log(S)
    if np.any(log_w0 >= np.log(q)):
        raise ValueError(
            f"theta0 must lie below fraction * target_scale (a level the mode still has to reach); got theta0="
            f"{check._describe(theta0)}, fraction * target_scale={check._describe(q * S)}"
        )
    gap = _log_time_gap(np.log(q), log_w0, L)
    return _time_from_gap("deep_saturation_time", gap, S, var, L)


def deep_half_rise_time(target_scale, theta0, depth, *, variance=1.0):
    """Time for a balanced depth-L mode to reach half its target (Eq. lm-deep-time at ``theta = S/2``).

    For ``theta0 << S`` and ``L >= 3`` it approaches ``theta0^(-(1-2/L)) / ((L-2) S E[x^2])``
    (Eq. lm-deep-delay): a plateau that grows as a power of ``1/theta0``, not as its logarithm. ``depth = 2``
    gives :func:`labhelpers.core.half_rise_time`. Needs ``0 < theta0 < S/2``.

    Parameters
    ----------
    target_scale, theta0 : array_like
        The target ``S > 0`` and the initial product ``theta0`` in (0, S/2).
    depth : int
        The number of layers ``L``, 2 to 200.
    variance : array_like
        The input variance ``E[x^2] > 0``.

    Returns
    -------
    numpy.ndarray
        The half-rise time ``t_1/2``.
    """
    return deep_saturation_time(0.5, target_scale, theta0, depth, variance=variance)


def deep_mode(t, target_scale, theta0, depth, *, variance=1.0):
    """The balanced depth-L mode ``theta(t)``: the solution of Eq. lm-deep-flow from ``theta0``.

    Inverts the closed form Eq. lm-deep-time by bisection in the log-odds ``ln(theta/(S - theta))`` (the time
    is increasing in it), to about 1e-15 relative accuracy in ``theta`` and in ``S - theta``.

    Parameters
    ----------
    t : array_like
        Times ``t >= 0``.
    target_scale, theta0 : array_like
        The target ``S > 0`` and the initial product ``theta0`` in (0, S).
    depth : int
        The number of layers ``L``, 2 to 200.
    variance : array_like
        The input variance ``E[x^2] > 0``.

    Returns
    -------
    numpy.ndarray
        ``theta(t)``, broadcast over the array arguments; it rises from ``theta0`` towards ``S``.
    """
    L = _depth(depth)
    t, S, theta0, var = check.broadcastable(t=t, target_scale=target_scale, theta0=theta0, variance=variance)
    check.positive("t", t, allow_zero=True)
    check.positive("target_scale", S)
    check.positive("variance", var)
    check.positive("theta0", theta0)
    with np.errstate(under="ignore", divide="ignore"):
        log_w0 = np.log(theta0) - np.log(S)
    if np.any(log_w0 >= 0):
        raise ValueError(f"theta0 must lie in (0, target_scale); got theta0={check._describe(theta0)}")
    p = 2.0 - 2.0 / L
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        # The time in units of S^(-p) / E[x^2]; inf means saturated to double precision.
        scaled = np.where(t > 0, np.exp(np.log(np.where(t > 0, t, 1.0)) + np.log(var) + p * np.log(S)), 0.0)
    x0 = log_w0 - np.log(-np.expm1(log_w0))  # initial log-odds
    low, high = x0.copy(), np.full_like(x0, 700.0)
    for _ in range(120):
        middle = 0.5 * (low + high)
        gap = _log_time_gap(-np.logaddexp(0.0, -middle), log_w0, L)
        below = gap < scaled
        low, high = np.where(below, middle, low), np.where(below, high, middle)
    x = np.where(scaled > 0, 0.5 * (low + high), x0)
    with np.errstate(over="ignore", under="ignore"):
        return S / (1.0 + np.exp(-x))


def stage_overlap(target_scales, theta0, depth, *, variance=1.0, level=0.9):
    """How much each stage overlaps the next: the next mode's learned fraction when one reaches ``level``.

    The modes (one per entry of ``target_scales``) are ordered by the time they reach ``level`` of their
    target; for each consecutive pair this returns ``theta_next / S_next`` at the time the earlier one reaches
    ``level * S``. For ``depth = 2`` this is the book's two-stage overlap (chapter 2, Eq. em-overlap); small
    values mean separate stages, values near ``level`` mean modes learned together.

    Parameters
    ----------
    target_scales : array_like, 1-D
        The targets ``S_i > 0`` of at least two modes.
    theta0 : array_like
        The common initial product, or one per mode; ``0 < theta0 < level * S_i``.
    depth : int
        The number of layers ``L``, 2 to 200.
    variance : array_like
        The input variance, one for all modes or one per mode, ``> 0``.
    level : float
        The level in (0, 1) at which a stage counts as finished.

    Returns
    -------
    numpy.ndarray, shape (n_modes - 1,)
        The overlaps, in the order the stages happen.
    """
    L = _depth(depth)
    S = check.positive("target_scales", check.as_array("target_scales", target_scales, ndim=1))
    if S.size < 2:
        raise ValueError(f"target_scales must list at least two modes; got {check._describe(S)}")
    level = check.scalar("level", level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1); got {level!r}")
    S, theta0, var = check.broadcastable(target_scales=S, theta0=theta0, variance=variance)
    if S.ndim != 1:
        raise ValueError(f"theta0 and variance must be scalars or 1-D like target_scales; got shape {S.shape}")
    if np.any(theta0 >= level * S):
        raise ValueError(
            f"target_scales must exceed theta0 / level so that every mode has {level:g} of its target still to "
            f"learn; got target_scales={check._describe(S)}, theta0={check._describe(theta0)}"
        )
    finished = deep_saturation_time(level, S, theta0, L, variance=var)
    order = np.argsort(finished, kind="stable")
    first, nxt = order[:-1], order[1:]
    return deep_mode(finished[first], S[nxt], theta0[nxt], L, variance=var[nxt]) / S[nxt]


class DeepDiagonalNetwork(Model):
    """Depth-L diagonal network ``f(x) = sum_i (a1_i a2_i ... aL_i) x_i``, scalar output (paper Sec. 8).

    Parameters ``a1, ..., aL``, each of shape (d,). Flow: ``al' = (prod_{k != l} ak) * E`` with
    ``E = sigma_xy - sigma_xx theta``; for independent inputs ``E_i = E[x_i^2](S_i - theta_i)``. Every
    ``al^2 - ak^2`` is conserved (book Theorem lm-thm-deep-flow). ``depth = 2`` is
    :class:`labhelpers.core.DiagonalLinearNetwork` with ``a1 = a`` and ``a2 = b``. Integrate it with
    :func:`labhelpers.core.gradient_flow`.
    """

    output_dim = 1

    def __init__(self, depth: int, input_dim: int):
        self.depth = _depth(depth)
        self.input_dim = check.positive_int("input_dim", input_dim)
        self.param_names = tuple(f"a{l + 1}" for l in range(self.depth))

    def __repr__(self) -> str:
        return f"DeepDiagonalNetwork(depth={self.depth}, input_dim={self.input_dim})"

    def shapes(self):
        return {name: (self.input_dim,) for name in self.param_names}

    def end_to_end(self, params: Params):
        self.validate(params)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            product = params[self.param_names[0]]
            for name in self.param_names[1:]:
                product = product * params[name]
        return self._finite("end_to_end", product[..., None], params)

    def flow(self, params: Params, moments: Moments) -> Params:
        params = self._arrays(params)
        E = self.residual(params, moments)[..., 0]
        velocity = {}
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            for name in self.param_names:
                others = E
                for other in self.param_names:
                    if other != name:
                        others = others * params[other]
                velocity[name] = others
        return self._finite_flow(velocity, params)

    def balanced_init(self, theta0) -> Params:
        """Equal layers ``a_l = theta0^(1/L)`` for products ``theta0 >= 0`` of shape (d,) or broadcasting to it."""
        theta0 = check.positive("theta0", theta0, allow_zero=True)
        try:
            shape = np.broadcast_shapes(theta0.shape, (self.input_dim,))
        except ValueError as error:
            raise ValueError(f"theta0 must broadcast to shape (..., {self.input_dim}); got {theta0.shape}") from error
        root = np.broadcast_to(theta0 ** (1.0 / self.depth), shape)
        return {name: root.copy() for name in self.param_names}
