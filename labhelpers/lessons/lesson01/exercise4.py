"""Lesson 1, Exercise 4 (sigmoid_mode): the sigmoidal rise of a mode from a balanced start (Eq. 9): the
reference, the visible cases, the common mistakes and their hints, the self-check, the hidden check, and
answer forms that must pass or fail.

Book: lessons/lesson01_feedback.md (Exercise 4).
"""

from __future__ import annotations

import numpy as np

from ...checks import Exercise
from ...core import sigmoidal_mode
from .common import _SMOOTH_TOLERANCES, _TITLES, _function_verdict, _name


def reference_sigmoid(t, S, theta0, var):
    """Exercise 4: the product of a mode from a balanced start, the sigmoid of Eq. 9."""
    return sigmoidal_mode(t, S, theta0, variance=var)


SIGMOID_CASES = [
    (np.linspace(0, 10, 11), 1.0, 1e-3, 1.0),
    (np.linspace(0, 4, 9), 3.0, 1e-2, 0.5),
    (np.linspace(0, 6, 7), 0.5, 0.1, 2.0),
    (np.linspace(0, 12, 7)[:, None], np.array([2.0, 1.0, 0.5]), 1e-3, 1.0),  # as the lesson's figure calls it
]
SIGMOID_MISTAKES = {
    "Your curve rises too late: your rate is half that of Eq. 9. Compare your exponent with Eq. 9 "
    "factor by factor.": lambda t, S, theta0, var: S / (1 + (S / theta0 - 1) * np.exp(-S * var * t)),
    "Your rate does not depend on the target S: look again at the exponent of Eq. 9.": (
        lambda t, S, theta0, var: S / (1 + (S / theta0 - 1) * np.exp(-2 * var * t))
    ),
    "Your rate does not depend on the input variance E[x²]: look again at the exponent of Eq. 9.": (
        lambda t, S, theta0, var: S / (1 + (S / theta0 - 1) * np.exp(-2 * S * t))
    ),
    "At t = 0 your curve does not start at θ₀: evaluate Eq. 9 at t = 0 and compare the factor in "
    "front of your exponential.": lambda t, S, theta0, var: S / (1 + (S - theta0) * np.exp(-2 * S * var * t)),
}

_SIGMOID_SCALARS = (2.0, 3.0, 1e-2, 0.5)  # t, S, theta0, var: a math.exp answer works on these


def _check_sigmoid(sigmoid_mode, show=True):
    return _function_verdict(
        _name(4),
        sigmoid_mode,
        reference_sigmoid,
        SIGMOID_CASES,
        hints=SIGMOID_MISTAKES,
        show=show,
        scalar_case=_SIGMOID_SCALARS,
        **_SMOOTH_TOLERANCES,
    )


def _hidden_sigmoid(sigmoid_mode, rng):
    k = int(rng.integers(2, 5))
    S = rng.uniform(0.2, 3, k)
    cases = [
        (
            np.sort(rng.uniform(0, 15, 12)),
            float(S[0]),
            float(S[0]) * 10 ** rng.uniform(-8, -1),
            rng.uniform(0.2, 3),
        ),
        (
            np.sort(rng.uniform(0, 15, 9))[:, None],
            S,
            S * 10 ** rng.uniform(-8, -1, k),
            rng.uniform(0.2, 3, k),
        ),
        (
            np.arange(0, 8),
            int(rng.integers(1, 4)),
            10 ** rng.uniform(-6, -2),
            int(rng.integers(1, 3)),
        ),  # integers
        (0.0, S, S / 10, 1.0),  # t = 0 gives theta0
    ]
    return _function_verdict(
        _name(4),
        sigmoid_mode,
        reference_sigmoid,
        cases,
        hints=SIGMOID_MISTAKES,
        show=False,
        scalar_case=_SIGMOID_SCALARS,
        **_SMOOTH_TOLERANCES,
    )


def _sigmoid_float32(t, S, theta0, var):
    t, S, theta0, var = (np.asarray(x, dtype=np.float32) for x in (t, S, theta0, var))
    return S / (1 + (S / theta0 - 1) * np.exp(-2 * S * var * t))


def _sigmoid_logistic(t, S, theta0, var):
    return S * theta0 / (theta0 + (S - theta0) * np.exp(-2 * S * var * t))


def _sigmoid_scalar_only(t, S, theta0, var):
    import math

    return S / (1 + (S / theta0 - 1) * math.exp(-2 * S * var * t))


def _sigmoid_decaying(t, S, theta0, var):
    return S / (1 + (S / theta0 - 1) * np.exp(2 * S * var * t))


EXERCISE = Exercise(
    4,
    _TITLES[4],
    answers=("sigmoid_mode",),
    check=_check_sigmoid,
    hidden=_hidden_sigmoid,
    minutes=10,
    reference=(reference_sigmoid,),
    valid=((_sigmoid_float32,), (_sigmoid_logistic,)),
    wrong=(
        *(((wrong,), hint[:40]) for hint, wrong in SIGMOID_MISTAKES.items()),
        ((_sigmoid_scalar_only,), "works on single numbers but raises on arrays"),
        ((_sigmoid_decaying,), None),
    ),
)
