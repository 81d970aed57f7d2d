"""Closed-form dynamics of one mode: exponential (linear model) and sigmoidal (layerwise models).

A *mode* is one degree of freedom the gradient flow decouples into (App. C.3). With independent
inputs every coordinate ``i`` of the diagonal linear network is a mode ``theta_i = a_i b_i``
driven by its target scale ``S_i`` and input variance ``E[x_i^2]``.

All functions are pure numpy and broadcast over every argument, so a sweep over target scales,
variances or initialisations is one call.
"""

from __future__ import annotations

import numpy as np

from . import _validation as check


def linear_mode(t, target_scale, *, variance=1.0, theta0=0.0):
    """Mode of the linear model (Eq. 7 solved; Eq. 10 for ``theta0 = 0``).

    ``theta(t) = S + (theta0 - S) exp(-E[x^2] t)``: exponential saturation from the start.
    """
    t, S, var, theta0 = check.broadcastable(t=t, target_scale=target_scale, variance=variance, theta0=theta0)
    check.positive("variance", var)
    check.positive("t", t, allow_zero=True)
    return S + (theta0 - S) * np.exp(-var * t)


def sigmoidal_mode(t, target_scale, theta0, *, variance=1.0):
    """Mode of the diagonal linear network from a balanced start ``a(0) = b(0)`` (Eq. 9).

    ``theta(t) = S / (1 + (S/theta0 - 1) exp(-2 |S| E[x^2] t))``: a logistic curve, delayed by a
    time of order ``ln(S/theta0) / (2 |S| E[x^2])``. ``theta0`` must have the sign of ``S``; for
    other starts use :func:`product_mode`.
    """
    t, S, theta0, var = check.broadcastable(t=t, target_scale=target_scale, theta0=theta0, variance=variance)
    check.positive("variance", var)
    check.positive("t", t, allow_zero=True)
    if np.any(S * theta0 <= 0):
        raise ValueError(
            "theta0 must be nonzero and have the sign of target_scale for the balanced sigmoid (Eq. 9); "
            f"got theta0={theta0.ravel()[:4]} and target_scale={S.ravel()[:4]}; use product_mode otherwise"
        )
    return S / (1.0 + (S / theta0 - 1.0) * np.exp(-2.0 * np.abs(S) * var * t))


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
    """
    t, S, theta0, C, var = check.broadcastable(
        t=t, target_scale=target_scale, theta0=theta0, imbalance=imbalance, variance=variance
    )
    check.positive("variance", var)
    check.positive("t", t, allow_zero=True)
    # Flipping b -> -b maps (S, theta) to (-S, -theta) and keeps C: solve with S >= 0.
    flip = np.where(S < 0, -1.0, 1.0)
    S, theta0 = S * flip, theta0 * flip
    absC = np.abs(C)
    w0 = _aligned_square(theta0, C)
    w_plus, w_minus, root = _riccati_roots(S, C)
    stuck = w0 <= 0  # a(0) = -b(0) with C = 0: the aligned part is zero and stays zero
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        gap0 = np.where(stuck, 1.0, w0 - w_minus)
        Q = 4.0 * w0 * (theta0 - S) / gap0**2  # = (w0 - w+)/(w0 - w-)
        Q_decay = Q * np.exp(-var * root * t)
        # 1 - Q e^{-rt} = (1 - Q) + Q (1 - e^{-rt}): both terms >= 0 when Q >= 0.
        denominator = np.where(Q >= 0, 2.0 * root / gap0 - Q * np.expm1(-var * root * t), 1.0 - Q_decay)
        w = (w_plus - Q_decay * w_minus) / denominator
        w_plus_above_C = 2.0 * S + 4.0 * S**2 / np.where(root + absC > 0, root + absC, 1.0)
        w_above_C = (w_plus_above_C + Q_decay * (absC - w_minus)) / denominator
        theta_general = w_above_C * (w + absC) / (4.0 * w)
        # S = 0 and C = 0: the roots coincide and theta' = -2 E[x^2] theta^2.
        theta_double = theta0 / (1.0 + 2.0 * var * theta0 * t)
        theta = np.where(root > 0, theta_general, theta_double)
        # Anti-aligned start (theta0 <= 0, C = 0): theta' = 2 E[x^2] theta (theta - S) -> 0.
        theta_stuck = np.where(
            S > 0,
            S / (1.0 + (S / np.where(theta0 == 0, -1.0, theta0) - 1.0) * np.exp(2.0 * S * var * t)),
            theta0 / (1.0 - 2.0 * var * theta0 * t),
        )
        theta = np.where(stuck, np.where(theta0 == 0, 0.0, theta_stuck), theta)
    return flip * theta


def half_rise_time(target_scale, theta0, *, variance=1.0):
    """Time for a balanced mode to reach half its target (from Eq. 9).

    ``t_1/2 = ln(S/theta0 - 1) / (2 S E[x^2])``: inversely proportional to the target scale and the
    input variance, and logarithmic in the initial scale. Needs ``0 < theta0 < S/2``.
    """
    S, theta0, var = check.broadcastable(target_scale=target_scale, theta0=theta0, variance=variance)
    check.positive("target_scale", S)
    check.positive("variance", var)
    if np.any(theta0 <= 0) or np.any(theta0 >= S / 2):
        raise ValueError(
            f"theta0 must lie in (0, target_scale/2) for the mode to rise through half its target; got theta0={theta0.ravel()[:4]}"
        )
    return np.log(S / theta0 - 1.0) / (2.0 * S * var)


def saturation_time(fraction, target_scale, theta0, *, imbalance=0.0, variance=1.0):
    """Time at which :func:`product_mode` reaches ``fraction * S``, for any imbalance.

    Inverts the Riccati solution: ``t = ln(Q (w - w-)/(w - w+)) / r`` with ``w`` the aligned square at
    ``theta = fraction * S``. ``fraction = 1/2`` and ``C = 0`` give :func:`half_rise_time`.
    ``fraction`` must lie strictly between ``theta0/S`` and 1 (a value the mode passes through).
    """
    q, S, theta0, C, var = check.broadcastable(
        fraction=fraction, target_scale=target_scale, theta0=theta0, imbalance=imbalance, variance=variance
    )
    check.positive("target_scale", S)
    check.positive("variance", var)
    if np.any(q >= 1) or np.any(q * S <= theta0):
        raise ValueError(
            "fraction must lie strictly between theta0/target_scale and 1 (a level the mode rises through); "
            f"got fraction={q.ravel()[:4]} for theta0/target_scale={(theta0 / S).ravel()[:4]}"
        )
    w0 = _aligned_square(theta0, C)
    if np.any(w0 <= 0):
        raise ValueError(
            "theta0 <= 0 with imbalance = 0 starts on the anti-aligned line a = -b: the mode never rises; "
            f"got theta0={theta0.ravel()[:4]}"
        )
    theta = q * S
    w = _aligned_square(theta, C)
    w_plus, w_minus, root = _riccati_roots(S, C)
    # Q (w - w-)/(w - w+) with both differences to w+ written through theta - S (no cancellation).
    log_ratio = np.log(w0 / w) + np.log((S - theta0) / (S - theta)) + 2.0 * np.log((w - w_minus) / (w0 - w_minus))
    return log_ratio / (var * root)


def linear_saturation_time(fraction, *, variance=1.0):
    """Time at which the linear model's mode from zero reaches ``fraction * S`` (Eq. 10 inverted)."""
    q, var = check.broadcastable(fraction=fraction, variance=variance)
    check.positive("variance", var)
    if np.any(q <= 0) or np.any(q >= 1):
        raise ValueError(f"fraction must lie in (0, 1); got {q.ravel()[:4]}")
    return -np.log1p(-q) / var
