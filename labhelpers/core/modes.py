"""Closed-form dynamics of one mode: exponential (linear model) and sigmoidal (layerwise models).

A *mode* is one degree of freedom the gradient flow decouples into (App. C.3). With independent
inputs every coordinate ``i`` of the diagonal linear network is a mode ``theta_i = a_i b_i``
driven by its target scale ``S_i`` and input variance ``E[x_i^2]``.

All functions are pure numpy and broadcast over every argument, so a sweep over target scales,
variances or initialisations is one call.

Book: chapter 1, The dynamical feedback principle (the exact solution of one mode), used by every later chapter.
"""

from __future__ import annotations

import numpy as np

from . import floats as _floats
from . import validation as check


def linear_mode(t, target_scale, *, variance=1.0, theta0=0.0):
    """Mode of the linear model (Eq. 7 solved; Eq. 10 for ``theta0 = 0``).

    Paper: Eq. 10, Eqs. 30-31.

    ``theta(t) = S + (theta0 - S) exp(-E[x^2] t)``: exponential saturation from the start. Finite and accurate
    from subnormal to 1e308 arguments: early on it is evaluated as ``theta0 e^{-x} - S expm1(-x)``.
    """
    t, S, var, theta0 = check.broadcastable(t=t, target_scale=target_scale, variance=variance, theta0=theta0)
    check.positive("variance", var)
    check.positive("t", t, allow_zero=True)
    elapsed = _rate_times(var, 1.0, t)  # E[x^2] t, 0 at t = 0 and never NaN
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # entries np.where discards
        theta = S + (theta0 - S) * np.exp(-elapsed)
        # Early on (E[x^2] t < 1) S + (theta0 - S) e^{-x} cancels when theta0 ~ 0; where theta0 - S overflows
        # it is not finite. theta0 e^{-x} - S expm1(-x) has neither problem (each term between 0 and the ends).
        careful = (elapsed < 1.0) | ~np.isfinite(theta)
        if np.any(careful):
            theta = np.where(careful, theta0 * np.exp(-elapsed) - S * np.expm1(-elapsed), theta)
        # E[x^2] t below 1e-200 (perhaps underflowed to 0): theta0 + (S - theta0) E[x^2] t, to rounding.
        tiny = (elapsed < 1e-200) & (t > 0)
        if np.any(tiny):
            theta = np.where(tiny, theta0 + (_rate_times(S, var, t) - _rate_times(theta0, var, t)), theta)
    if not np.all(np.isfinite(theta)):  # theta lies between theta0 and S: this cannot happen, but never say NaN
        raise ValueError("linear_mode could not evaluate a finite value for these arguments; please report them")
    return theta


def sigmoidal_mode(t, target_scale, theta0, *, variance=1.0):
    """Mode of the diagonal linear network from a balanced start (Eq. 9).

    Paper: Eq. 9, Eq. 39.

    The solution of ``theta' = 2 theta E[x^2] (S - theta)`` from
    ``a(0) = b(0)`` (Eq. 9 of the paper; chapter 1, "A first look at
    sigmoidal versus exponential growth"):

    ``theta(t) = S / (1 + (S/theta0 - 1) exp(-2 |S| E[x^2] t))``,

    a logistic curve, delayed by a time of order
    ``ln(S/theta0) / (2 |S| E[x^2])``. ``theta0`` must have the sign of
    ``S``; for other starts use :func:`product_mode`. From far beyond the
    target (``|theta0| > 2|S|``) the denominator is written as a sum of
    non-negative terms, and where ``S/theta0`` overflows the logistic is
    taken in logarithms.
    """
    t, S, theta0, var = _balanced_start(t, target_scale, theta0, variance)
    with np.errstate(all="ignore"):  # inf * 0, 1/0, overflows: handled below
        elapsed = _rate_times(np.abs(S), var, t) * 2.0  # 2 |S| E[x^2] t
        ratio = S / theta0 - 1.0
        theta = S / (1.0 + ratio * np.exp(-elapsed))
        beyond = ratio < -0.5  # theta0 >> S: 1 + ratio e^{-x} cancels
        if np.any(beyond):
            from_beyond = _sigmoid_from_beyond(elapsed, S, theta0, var, t)
            theta = np.where(beyond, from_beyond, theta)
    huge = ~np.isfinite(ratio)  # |theta0| below |S| / 1.8e308
    if np.any(huge):
        theta = np.where(huge, _log_space_sigmoid(elapsed, S, theta0), theta)
    return theta


def _balanced_start(t, target_scale, theta0, variance):
    """The broadcast arguments of :func:`sigmoidal_mode`, checked: ``t >= 0``, ``E[x^2] > 0`` and a nonzero
    ``theta0`` with the sign of ``S``."""
    t, S, theta0, var = check.broadcastable(t=t, target_scale=target_scale, theta0=theta0, variance=variance)
    check.positive("variance", var)
    check.positive("t", t, allow_zero=True)
    if np.any((np.sign(S) != np.sign(theta0)) | (theta0 == 0)):  # not S * theta0 <= 0: it can underflow
        raise ValueError(
            "theta0 must be nonzero and have the sign of target_scale for the balanced sigmoid (Eq. 9); "
            f"got theta0={theta0.ravel()[:4]} and target_scale={S.ravel()[:4]}; use product_mode otherwise"
        )
    return t, S, theta0, var


def _sigmoid_from_beyond(elapsed, S, theta0, var, t):
    """Eq. 9 for ``|theta0| > 2 |S|``: ``S / ((S/theta0) e^{-x} + (1 - e^{-x}))``, both terms non-negative.

    Where ``S/theta0`` is subnormal (digits lost) the same value is ``theta0 / (e^{-x} + (theta0/S)(1 - e^{-x}))``.
    """
    decay, rise = np.exp(-elapsed), -np.expm1(-elapsed)
    # For tiny x, (theta0/S)(1 - e^{-x}) = (theta0/S) 2|S| E[x^2] t = 2 |theta0| E[x^2] t, even where x underflows.
    inverse_term = np.where(elapsed < 1e-200, 2.0 * _rate_times(np.abs(theta0), var, t), (theta0 / S) * rise)
    from_theta0 = theta0 / (decay + inverse_term)
    from_S = S / ((S / theta0) * decay + rise)
    subnormal = (np.abs(S / theta0) < np.finfo(float).tiny) & np.isfinite(inverse_term)
    return np.where(t == 0, theta0, np.where(subnormal, from_theta0, from_S))


def _log_space_sigmoid(elapsed, S, theta0):
    """Eq. 9 where ``S/theta0`` overflows: ``theta = theta0 e^x / (1 + (theta0/S) expm1(x))`` for ``x <= 700``,
    and ``log|theta| = log|S| + log expit(x - log(S/theta0))`` beyond (``S/theta0 - 1 = S/theta0`` to rounding)."""
    from scipy.special import expit, log_expit

    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        x = np.minimum(elapsed, 700.0)
        early = theta0 * np.exp(x) / (1.0 + (theta0 / S) * np.expm1(x))
        log_ratio = np.log(np.abs(S)) - np.log(np.abs(theta0))
        z = elapsed - log_ratio
        # S expit(z) is exact to rounding (theta = S once saturated); past z < -600 it would underflow: logs.
        late = np.where(z > -600.0, S * expit(z), np.sign(S) * np.exp(np.log(np.abs(S)) + log_expit(z)))
    return np.where(elapsed <= 700.0, early, late)


def _riccati_roots(S, C):
    """Roots ``w_plus > 0 >= w_minus`` of ``-w^2 + 4 S w + C^2`` (S >= 0), without cancellation."""
    root = np.sqrt(4.0 * S**2 + C**2)
    w_plus = 2.0 * S + root
    w_minus = -(C**2) / np.where(w_plus > 0, w_plus, 1.0)
    return w_plus, w_minus, root


def _aligned_square(theta, C):
    """``w = (a + b)^2 = sqrt(C^2 + 4 theta^2) + 2 theta`` from the product and the imbalance.

    For ``theta < 0`` the sum cancels; the equal form ``C^2 / (sqrt(C^2 + 4 theta^2) - 2 theta)`` does not.
    """
    radius = np.sqrt(C**2 + 4.0 * theta**2)
    denominator = radius + 2.0 * np.abs(theta)
    return np.where(theta >= 0, radius + 2.0 * theta, C**2 / np.where(denominator > 0, denominator, 1.0))


def product_mode(t, target_scale, theta0, *, imbalance=0.0, variance=1.0):
    """Exact product ``theta = a b`` of the diagonal network for any initial imbalance ``C = a^2 - b^2``.

    Solves ``theta' = sqrt(C^2 + 4 theta^2) E[x^2] (S - theta)`` (App. D.2 without assuming
    ``C = 0``). With ``u = a + b`` the flow gives ``u' = E[x^2] (S - theta) u`` and ``a - b = C/u``, so
    ``w = u^2`` obeys the Riccati equation ``w' = E[x^2]/2 (-w^2 + 4 S w + C^2)``, whose solution is

    ``w(t) = (w+ - Q w- e^{-rt}) / (1 - Q e^{-rt})``, ``w+- = 2S +- sqrt(4S^2 + C^2)``,
    ``r = E[x^2] sqrt(4S^2 + C^2)``, ``Q = (w0 - w+)/(w0 - w-)``,

    and ``theta = (w - C^2/w) / 4``. ``C = 0`` gives Eq. 9; ``|C| >> S`` gives the exponential Eq. 10
    with rate ``|C| E[x^2]``. Numerically, ``theta = (w - |C|)(w + |C|) / (4w)`` with ``w - |C|`` formed
    from ``w+ - |C| = 2S + 4S^2/(sqrt(4S^2 + C^2) + |C|)``, and ``Q = 4 w0 (theta0 - S)/(w0 - w-)^2``: the same
    numbers without the cancellations of ``w - C^2/w`` (small theta, ``|C| >> S``) and of ``w0 - w+`` (theta0 ~ S).

    The flow is homogeneous: scaling ``S``, ``theta0`` and ``C`` by ``k`` and ``t`` by ``1/k`` scales theta by
    ``k``. We solve at the scale of a power of two (exact in floating point), so huge and subnormal scales
    stay finite. Where ``C`` is tiny next to that scale (below 1e-60), the Riccati numbers underflow, and
    a rising mode is evaluated in log space instead (``_log_space_product``).
    """
    t, S, theta0, C, var = check.broadcastable(
        t=t, target_scale=target_scale, theta0=theta0, imbalance=imbalance, variance=variance
    )
    check.positive("variance", var)
    check.positive("t", t, allow_zero=True)
    # Flipping b -> -b maps (S, theta) to (-S, -theta) and keeps C: solve with S >= 0.
    flip = np.where(S < 0, -1.0, 1.0)
    S, theta0 = S * flip, theta0 * flip
    scale = _power_of_two_scale(S, theta0, C)
    S, theta0, log_abs_C, C = S / scale, theta0 / scale, _log_abs(C) - np.log(scale), C / scale
    with np.errstate(under="ignore", over="ignore"):
        t_scaled = t * scale
    theta = _scaled_product(t_scaled, S, theta0, C, var)
    rising = (theta0 < S) & (np.isfinite(log_abs_C) | (theta0 > 0))  # not stuck on a = -b
    # Where a(0) + b(0) is small and w+ < |theta0|, the Riccati form cancels (1 - Q e^{-rt} ~ 0 or w ~ 0).
    cancels = (theta0 < 0) & (2.0 * S + np.hypot(2.0 * S, C) < -theta0)
    log_space = rising & (((C != 0) & (np.abs(C) < _TINY)) | cancels | ~np.isfinite(theta))
    if np.any(log_space):
        theta = np.where(log_space, _log_space_product(t_scaled, S, theta0, C, log_abs_C, var), theta)
    if not np.all(np.isfinite(theta)):
        raise ValueError("product_mode could not evaluate a finite value for these arguments; please report them")
    return flip * theta * scale


_TINY = 1e-60
"""Relative imbalance below which ``C^4`` (in ``Q``) may underflow: 1e-240 is still far above 1e-308."""


def _log_abs(x):
    with np.errstate(divide="ignore"):
        return np.log(np.abs(x))


def _power_of_two_scale(*arrays):
    """The power of two at or above the largest magnitude of the arrays (1 where all are zero)."""
    largest = np.max(np.abs(np.stack(np.broadcast_arrays(*arrays))), axis=0)
    _, exponent = np.frexp(largest)
    # 2^1024 is not a float: above 2^1023 (9e307) the scaled magnitudes reach up to 2, which is harmless.
    return np.where(largest > 0, np.ldexp(1.0, np.minimum(exponent, 1023)), 1.0)


def _rate_times(rate, var, t):
    """``(rate * var) * t`` as an exact product of mantissas and exponents (``labhelpers.core.floats``): no
    intermediate over- or underflows, never NaN, and bit for bit the plain product on the ordinary range."""
    return _floats.exact_product(rate, var, t)


def _scaled_product(t, S, theta0, C, var):
    """The Riccati solution of :func:`product_mode` for ``S >= 0`` at unit scale (non-finite where it fails)."""
    absC = np.abs(C)
    w0 = _aligned_square(theta0, C)
    w_plus, w_minus, root = _riccati_roots(S, C)
    stuck = w0 <= 0  # a(0) = -b(0) with C = 0: the aligned part is zero and stays zero
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        rt = _rate_times(-root, var, t)
        gap0 = np.where(stuck, 1.0, w0 - w_minus)
        Q = 4.0 * w0 * (theta0 - S) / gap0**2  # = (w0 - w+)/(w0 - w-)
        Q_decay = Q * np.exp(rt)
        # 1 - Q e^{-rt} = (1 - Q) + Q (1 - e^{-rt}): both terms >= 0 when Q >= 0.
        denominator = np.where(Q >= 0, 2.0 * root / gap0 - Q * np.expm1(rt), 1.0 - Q_decay)
        w = (w_plus - Q_decay * w_minus) / denominator
        w_plus_above_C = 2.0 * S + 4.0 * S**2 / np.where(root + absC > 0, root + absC, 1.0)
        w_above_C = (w_plus_above_C + Q_decay * (absC - w_minus)) / denominator
        theta_general = w_above_C * (w + absC) / (4.0 * w)
        # S = 0 and C = 0: the roots coincide and theta' = -2 E[x^2] theta^2.
        theta_double = theta0 / (1.0 + _rate_times(2.0 * theta0, var, t))
        theta = np.where(root > 0, theta_general, theta_double)
        # Anti-aligned start (theta0 <= 0, C = 0): theta' = 2 E[x^2] theta (theta - S) -> 0.
        inverse = S / np.where(theta0 == 0, -1.0, theta0)
        growth = _rate_times(2.0 * S, var, t)
        # For |theta0| > 2S, 1 + (S/theta0 - 1) e^y cancels (S/theta0 ~ 0): (S/theta0) e^y - expm1(y) does not.
        decay_to_zero = np.where(
            inverse > -0.5,
            S / (inverse * np.exp(growth) - np.expm1(growth)),
            S / (1.0 + (inverse - 1.0) * np.exp(growth)),
        )
        theta_stuck = np.where(S > 0, decay_to_zero, theta0 / (1.0 + _rate_times(-2.0 * theta0, var, t)))
        return np.where(stuck, np.where(theta0 == 0, 0.0, theta_stuck), theta)


def _log_space_product(t, S, theta0, C, log_abs_C, var):
    """The same solution for ``theta0 < S`` (unit scale), written so that nothing under- or overflows.

    From ``(w - w-)/(w+ - w) = K e^{rt}`` with ``K = (w0 - w-)/(w+ - w0) = (w0 - w-)^2 / (4 w0 (S - theta0))``:
    ``w(t) = (w+ K expm1(rt) + w0 (1 + K)) / (1 + K e^{rt})``, a ratio of sums of positive terms, taken in
    logarithms (``log w0``, ``log(w0 - w-)`` and ``log C^2`` stay finite when ``C^2`` underflows).
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        log_root = np.logaddexp(2.0 * np.log(2.0 * S), 2.0 * log_abs_C) / 2.0
        log_w_plus = np.logaddexp(np.log(2.0 * S), log_root)
        log_w0 = _log_aligned_square(theta0, C, log_abs_C)
        log_gap0 = np.logaddexp(log_w0, 2.0 * log_abs_C - log_w_plus)
        log_K = 2.0 * log_gap0 - np.log(4.0) - log_w0 - np.log(S - theta0)
        # Past K e^{rt} > e^40 the state sits at w+ to rounding: cap rt there to keep the logs finite.
        log_rt = log_root + np.log(var) + np.log(t)  # rt itself may be subnormal
        rt = np.minimum(np.exp(log_rt), 50.0 + np.maximum(0.0, -log_K))
        log_expm1 = np.where(
            rt > 1.0, rt + np.log1p(-np.exp(-rt)), np.where(rt > 1e-8, np.log(np.expm1(rt)), log_rt + rt / 2.0)
        )
        log_numerator = np.logaddexp(log_w_plus + log_K + log_expm1, log_w0 + np.logaddexp(0.0, log_K))
        log_w = log_numerator - np.logaddexp(0.0, log_K + rt)
        return (np.exp(log_w) - np.exp(2.0 * log_abs_C - log_w)) / 4.0


def _log_aligned_square(theta, C, log_abs_C):
    """``log w`` for the aligned square ``w = sqrt(C^2 + 4 theta^2) + 2 theta``, computed at the scale of its terms."""
    size = np.maximum(np.abs(C), 2.0 * np.abs(theta))
    bracket = np.hypot(C / size, 2.0 * theta / size) + 2.0 * np.abs(theta) / size
    return np.where(theta >= 0, np.log(size) + np.log(bracket), 2.0 * log_abs_C - np.log(size) - np.log(bracket))


def half_rise_time(target_scale, theta0, *, variance=1.0):
    """Time for a balanced mode to reach half its target (from Eq. 9).

    Paper: Eq. 9.

    ``t_1/2 = ln(S/theta0 - 1) / (2 S E[x^2])``: inversely proportional to the target scale and the
    input variance, and logarithmic in the initial scale. Needs ``0 < theta0 < S/2``. A time beyond the
    float range (1.8e308) is an error, not ``inf``.
    """
    S, theta0, var = check.broadcastable(target_scale=target_scale, theta0=theta0, variance=variance)
    check.positive("target_scale", S)
    check.positive("variance", var)
    if np.any(theta0 <= 0) or np.any(theta0 >= S / 2):
        raise ValueError(
            f"theta0 must lie in (0, target_scale/2) for the mode to rise through half its target; got theta0={theta0.ravel()[:4]}"
        )
    with np.errstate(over="ignore"):
        log_odds = np.log(S / theta0 - 1.0)
        # Near theta0 = S/2 the ratio S/theta0 - 1 ~ 1 cancels: (S - 2 theta0) is exact there (Sterbenz).
        near_half = theta0 > S / 3.0
        log_odds = np.where(near_half, np.log1p((S - 2.0 * theta0) / theta0), log_odds)
        # theta0 below S / 1.8e308: the ratio overflows, its logarithm does not.
        log_odds = np.where(np.isfinite(log_odds), log_odds, np.log(S) - np.log(theta0))
    return _time("half_rise_time", log_odds, 2.0, S, var)


def saturation_time(fraction, target_scale, theta0, *, imbalance=0.0, variance=1.0):
    """Time at which :func:`product_mode` reaches ``fraction * S``, for any imbalance.

    Inverts the Riccati solution: ``t = ln(Q (w - w-)/(w - w+)) / r`` with ``w`` the aligned square at
    ``theta = fraction * S``. ``fraction = 1/2`` and ``C = 0`` give :func:`half_rise_time`.
    ``fraction`` must lie strictly between ``theta0/S`` and 1 (a value the mode passes through).

    Like :func:`product_mode` it is solved at the scale of a power of two (the time scales as ``1/k``), with
    ``S - theta = S (1 - fraction)`` (no cancellation near ``fraction = 1``); where ``C`` or ``S`` is tiny next
    to that scale, the squares underflow, and the logarithms are formed from logarithms instead.
    """
    q, S, theta0, C, var = check.broadcastable(
        fraction=fraction, target_scale=target_scale, theta0=theta0, imbalance=imbalance, variance=variance
    )
    check.positive("target_scale", S)
    check.positive("variance", var)
    with np.errstate(over="ignore", under="ignore"):  # compare q S with theta0 at the scale of S
        _, exponent = np.frexp(S)
        rises = q * np.ldexp(S, -exponent) > np.ldexp(theta0, -exponent)
        distance = _log_distance_ratio(q, S, theta0)
    scale = _power_of_two_scale(S, theta0, C)
    log_S = np.log(S) - np.log(scale)
    S, theta0, log_abs_C, C = S / scale, theta0 / scale, _log_abs(C) - np.log(scale), C / scale
    if np.any(q >= 1) or not np.all(rises):
        with np.errstate(over="ignore", divide="ignore", under="ignore", invalid="ignore"):
            start = (theta0 / S).ravel()[:4]
        raise ValueError(
            "fraction must lie strictly between theta0/target_scale and 1 (a level the mode rises through); "
            f"got fraction={q.ravel()[:4]} for theta0/target_scale={start}"
        )
    if np.any((theta0 <= 0) & (C == 0) & ~np.isfinite(log_abs_C)):
        raise ValueError(
            "theta0 <= 0 with imbalance = 0 starts on the anti-aligned line a = -b: the mode never rises; "
            f"got theta0={(theta0 * scale).ravel()[:4]}"
        )
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        log_ratio = _saturation_log_ratio(q, S, theta0, C)
        underflows = ((C != 0) & (np.abs(C) < _TINY)) | (S < _TINY) | ~np.isfinite(log_ratio)
        if np.any(underflows):
            in_logs = _saturation_log_ratio_in_logs(q, S, theta0, C, log_abs_C, log_S, distance)
            log_ratio = np.where(underflows, in_logs, log_ratio)
        root = np.hypot(2.0 * S, C)
    return _time("saturation_time", log_ratio, var, root, scale)


def _saturation_log_ratio(q, S, theta0, C):
    """``ln(Q (w - w-)/(w - w+))`` at unit scale, both differences to ``w+`` written through ``theta - S``."""
    w0 = _aligned_square(theta0, C)
    theta = q * S
    w = _aligned_square(theta, C)
    _, w_minus, _ = _riccati_roots(S, C)
    return np.log(w0 / w) + np.log((S - theta0) / (S * (1.0 - q))) + 2.0 * np.log((w - w_minus) / (w0 - w_minus))


def _saturation_log_ratio_in_logs(q, S, theta0, C, log_abs_C, log_S, distance):
    """The same from ``log w``, ``log(w - w-)`` with ``w- = -C^2/w+``: finite when ``C^2`` or ``S^2`` underflows.

    ``log_S`` and ``distance = ln((S - theta0) / (S (1 - q)))`` come from the unscaled arguments, so they hold
    even where ``S`` underflows at the common scale.
    """
    log_root = np.logaddexp(2.0 * (np.log(2.0) + log_S), 2.0 * log_abs_C) / 2.0
    log_w_plus = np.logaddexp(np.log(2.0) + log_S, log_root)
    log_w0 = _log_aligned_square_anywhere(theta0, C, log_abs_C)
    log_w = _log_aligned_square_anywhere(q * S, C, log_abs_C)
    log_gap0 = np.logaddexp(log_w0, 2.0 * log_abs_C - log_w_plus)
    log_gap = np.logaddexp(log_w, 2.0 * log_abs_C - log_w_plus)
    return (log_w0 - log_w) + distance + 2.0 * (log_gap - log_gap0)


def _log_distance_ratio(q, S, theta0):
    """``ln((S - theta0) / (S (1 - q)))`` as ``log1p(-theta0/S) - log1p(-q)``; where ``theta0/S`` overflows
    (``-theta0 >> S``) as ``ln(-theta0) - ln(S) - log1p(-q)``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = theta0 / S
        return np.where(np.isfinite(ratio), np.log1p(-ratio), np.log(np.abs(theta0)) - np.log(S)) - np.log1p(-q)


def _log_aligned_square_anywhere(theta, C, log_abs_C):
    """``_log_aligned_square``, also where ``theta = 0`` and ``C`` underflowed (then ``w = |C|``)."""
    size = np.maximum(np.abs(C), 2.0 * np.abs(theta))
    safe_theta = np.where(size > 0, theta, 1.0)
    return np.where(size > 0, _log_aligned_square(safe_theta, C, log_abs_C), log_abs_C)


def linear_saturation_time(fraction, *, variance=1.0):
    """Time at which the linear model's mode from zero reaches ``fraction * S`` (Eq. 10 inverted).

    ``t = -log1p(-fraction) / E[x^2]``; a time beyond the float range is an error.
    """
    q, var = check.broadcastable(fraction=fraction, variance=variance)
    check.positive("variance", var)
    if np.any(q <= 0) or np.any(q >= 1):
        raise ValueError(f"fraction must lie in (0, 1); got {q.ravel()[:4]}")
    return _time("linear_saturation_time", -np.log1p(-q), var)


def _time(name: str, log_ratio, *rates) -> np.ndarray:
    """``log_ratio / (rate_1 * rate_2 * ...)`` by mantissas and binary exponents, so that no intermediate
    product over- or underflows; bit for bit the plain expression on the ordinary range (a power of two
    scales a product without changing its rounding). A time beyond the float range is an error."""
    mantissa, exponent = np.frexp(log_ratio)
    divisor, divisor_exponent = np.ones_like(mantissa), np.zeros_like(exponent)
    for rate in rates:
        m, e = np.frexp(rate)
        divisor, divisor_exponent = divisor * m, divisor_exponent + e
    with np.errstate(over="ignore", under="ignore"):
        time = np.ldexp(mantissa / divisor, exponent - divisor_exponent)
    if not np.all(np.isfinite(time)):
        raise ValueError(
            f"{name} is beyond the float range (> 1.8e308) for these arguments: the rate (target_scale, "
            "imbalance, variance) is too small for this time to be represented"
        )
    return time
