"""High-precision reference for the closed forms of labhelpers.core.modes (mpmath, 1000 digits).

Independent of the library's floating-point formulas: the Riccati solution of App. D.2 is evaluated in
its textbook form, ``w(t) = (w+ - Q w- e^{-rt}) / (1 - Q e^{-rt})`` and ``theta = (w - C^2/w)/4``, at a
precision (1000 digits) far beyond most cancellations the double-precision code has to avoid. Two exact
identities remove the ones even 1000 digits cannot absorb (|C| ~ 1e-500 |S| cancels 1000 digits): the aligned
square for negative products, and ``w- = -C^2 / w+`` for ``2S - sqrt(4S^2 + C^2)``.
"""

from __future__ import annotations

import mpmath

DIGITS = 1000


def product_mode_reference(t, S, theta0, C=0.0, variance=1.0) -> float:
    """theta(t) of ``theta' = sqrt(C^2 + 4 theta^2) E[x^2] (S - theta)``, to 1000 digits, as a float."""
    with mpmath.workdps(DIGITS):
        t, S, theta0, C, v = (mpmath.mpf(float(x)) for x in (t, S, theta0, C, variance))
        sign = -1 if S < 0 else 1
        S, theta0 = S * sign, theta0 * sign
        radius = mpmath.sqrt(C**2 + 4 * theta0**2)
        w0 = radius + 2 * theta0 if theta0 >= 0 else C**2 / (radius - 2 * theta0)
        root = mpmath.sqrt(4 * S**2 + C**2)
        if w0 == 0:  # a = -b with C = 0: theta' = 2 v theta (theta - S), a logistic decay to 0
            if theta0 == 0:
                return 0.0
            if S == 0:
                return float(sign * theta0 / (1 - 2 * v * theta0 * t))
            return float(sign * S / (1 + (S / theta0 - 1) * mpmath.exp(2 * S * v * t)))
        if root == 0:  # S = C = 0: theta' = -2 v theta^2
            return float(sign * theta0 / (1 + 2 * v * theta0 * t))
        w_plus = 2 * S + root
        w_minus = -(C**2) / w_plus  # = 2S - root, without its cancellation (|C| << S loses ~2 log10(S/C) digits)
        Q = (w0 - w_plus) / (w0 - w_minus)
        decay = Q * mpmath.exp(-v * root * t)
        w = (w_plus - decay * w_minus) / (1 - decay)
        return float(sign * (w - C**2 / w) / 4)


def saturation_time_reference(fraction, S, theta0, C=0.0, variance=1.0) -> float:
    """Time at which theta reaches ``fraction * S`` (S > 0), inverting the Riccati solution in mpmath."""
    with mpmath.workdps(DIGITS):
        q, S, theta0, C, v = (mpmath.mpf(float(x)) for x in (fraction, S, theta0, C, variance))

        def aligned(theta):
            radius = mpmath.sqrt(C**2 + 4 * theta**2)
            return radius + 2 * theta if theta >= 0 else C**2 / (radius - 2 * theta)

        root = mpmath.sqrt(4 * S**2 + C**2)
        w_plus = 2 * S + root
        w_minus = -(C**2) / w_plus  # = 2S - root, without its cancellation (|C| << S loses ~2 log10(S/C) digits)
        w0, w = aligned(theta0), aligned(q * S)
        Q = (w0 - w_plus) / (w0 - w_minus)
        return float(mpmath.log(Q * (w - w_minus) / (w - w_plus)) / (v * root))


def linear_mode_reference(t, S, variance=1.0, theta0=0.0) -> float:
    """``S + (theta0 - S) e^{-E[x^2] t}`` (Eq. 7 solved) in 1000 digits, as a float."""
    with mpmath.workdps(DIGITS):
        t, S, v, theta0 = (mpmath.mpf(float(x)) for x in (t, S, variance, theta0))
        return float(S + (theta0 - S) * _decay(v * t))


def sigmoidal_mode_reference(t, S, theta0, variance=1.0) -> float:
    """Eq. 9, ``S / (1 + (S/theta0 - 1) e^{-2|S| E[x^2] t})``, in 1000 digits, as a float."""
    with mpmath.workdps(DIGITS):
        t, S, theta0, v = (mpmath.mpf(float(x)) for x in (t, S, theta0, variance))
        return float(S / (1 + (S / theta0 - 1) * _decay(2 * abs(S) * v * t)))


def half_rise_time_reference(S, theta0, variance=1.0) -> float:
    """``ln(S/theta0 - 1) / (2 S E[x^2])`` in 1000 digits, as a float (inf beyond the float range)."""
    with mpmath.workdps(DIGITS):
        S, theta0, v = (mpmath.mpf(float(x)) for x in (S, theta0, variance))
        return float(mpmath.log(S / theta0 - 1) / (2 * S * v))


def linear_saturation_time_reference(fraction, variance=1.0) -> float:
    """``-ln(1 - fraction) / E[x^2]`` (Eq. 10 inverted) in 1000 digits, as a float."""
    with mpmath.workdps(DIGITS):
        q, v = mpmath.mpf(float(fraction)), mpmath.mpf(float(variance))
        return float(-mpmath.log(1 - q) / v)


def _decay(x):
    """``e^{-x}``; 0 beyond x = 5000 (e^{-5000} ~ 1e-2171, invisible next to any ratio of doubles, < 1e632),
    because mpmath takes seconds for e^{-1e308} at 1000 digits."""
    return mpmath.exp(-x) if x < 5000 else mpmath.mpf(0)
