"""Lesson 1, Exercise 5 (half_rise_time): the time at which Eq. 9 reaches half its target: the reference, the
visible cases, the common mistakes and their hints, the self-check, the hidden check, and answer forms that
must pass or fail.

Book: lessons/lesson01_feedback.md (Exercise 5).
"""

from __future__ import annotations

import numpy as np

from ...checks import Exercise
from ...core import half_rise_time
from .common import _SMOOTH_TOLERANCES, _TITLES, _function_verdict, _name


def reference_half_rise(S, theta0, var):
    """Exercise 5: the time at which Eq. 9 reaches half its target, ``theta(t) = S / 2``."""
    return half_rise_time(S, theta0, variance=var)


HALF_RISE_CASES = [
    (1.0, 1e-3, 1.0),
    (np.array([2.0, 0.5]), np.array([1e-2, 1e-4]), np.array([0.5, 3.0])),
    (3.0, 1e-6, 0.2),
]
HALF_RISE_MISTAKES = {
    "Your times are twice too long: compare the rate in the exponent of Eq. 9 with the one you "
    "divide by.": lambda S, theta0, var: np.log(S / theta0 - 1) / (S * var),
    "Close! Your logarithm is slightly off: set θ(t) = S/2 in Eq. 9 and solve for the exponential "
    "exactly, dropping no term.": lambda S, theta0, var: np.log(S / theta0) / (2 * S * var),
    "Your times ignore the input variance E[x²]: where does it enter the exponent of Eq. 9?": (
        lambda S, theta0, var: np.log(S / theta0 - 1) / (2 * S)
    ),
    "Your logarithm is in base 10: the exponential of Eq. 9 is undone by the natural logarithm, `np.log`.": (
        lambda S, theta0, var: np.log10(S / theta0 - 1) / (2 * S * var)
    ),
}

_HALF_RISE_SCALARS = (3.0, 1e-2, 0.5)  # S, theta0, var: a math.log answer works on these


def _check_half_rise(half_rise_time, show=True):
    return _function_verdict(
        _name(5),
        half_rise_time,
        reference_half_rise,
        HALF_RISE_CASES,
        hints=HALF_RISE_MISTAKES,
        show=show,
        scalar_case=_HALF_RISE_SCALARS,
        **_SMOOTH_TOLERANCES,
    )


def _hidden_half_rise(half_rise_time, rng):
    k = int(rng.integers(2, 6))
    S = rng.uniform(0.2, 3, k)
    cases = [
        (S, S * 10 ** rng.uniform(-10, -0.7, k), rng.uniform(0.2, 3, k)),
        (float(S[0]), float(S[0]) * 10 ** rng.uniform(-10, -0.7), float(rng.uniform(0.2, 3))),
        (
            int(rng.integers(1, 5)),
            10 ** rng.uniform(-6, -1),
            int(rng.integers(1, 4)),
        ),  # integer S and variance
        (S, 1e-3, 1.0),  # arrays and scalars mixed
    ]
    return _function_verdict(
        _name(5),
        half_rise_time,
        reference_half_rise,
        cases,
        hints=HALF_RISE_MISTAKES,
        show=False,
        scalar_case=_HALF_RISE_SCALARS,
        **_SMOOTH_TOLERANCES,
    )


def _half_rise_float32(S, theta0, var):
    S, theta0, var = (np.asarray(x, dtype=np.float32) for x in (S, theta0, var))
    return np.log(S / theta0 - 1) / (2 * S * var)


def _half_rise_difference_of_logs(S, theta0, var):
    return (np.log(S - theta0) - np.log(theta0)) / (2 * S * var)


def _half_rise_scalar_only(S, theta0, var):
    import math

    return math.log(S / theta0 - 1) / (2 * S * var)


def _half_rise_inverted(S, theta0, var):
    return np.log(theta0 / S - 1) / (2 * S * var)


EXERCISE = Exercise(
    5,
    _TITLES[5],
    answers=("half_rise_time",),
    check=_check_half_rise,
    hidden=_hidden_half_rise,
    minutes=10,
    reference=(reference_half_rise,),
    valid=((_half_rise_float32,), (_half_rise_difference_of_logs,)),
    wrong=(
        *(((wrong,), hint[:40]) for hint, wrong in HALF_RISE_MISTAKES.items()),
        ((_half_rise_scalar_only,), "works on single numbers but raises on arrays"),
        ((_half_rise_inverted,), "NaN"),
    ),
)
