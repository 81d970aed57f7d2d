"""Lesson 4, Exercise 3 (``mode_speed``): the speed dθ/dt = sqrt(λ² + 4θ²) (s − θ) of one mode — the
reference, the visible and hidden cases, the hints for common mistakes, the checks, and the other valid
and the wrong answers the tests try.

Book: lessons/lesson04_regimes.md (Exercise 3).
"""

import numpy as np

from ...checks import Exercise, check_function
from .common import S_TARGET, _as_float32, _hints


def reference_speed(theta, s, lam):
    """dθ/dt = sqrt(λ² + 4θ²) (s − θ) of one mode (Exercise 3, the mode equation of App. G)."""
    return np.hypot(lam, 2 * theta) * (s - theta)


SPEED_CASES = [
    (0.3, 1.0, 2.0),
    (np.array([1e-3, 0.5, 2.0]), 2.0, 0.0),
    (np.array([0.1, 1.0]), np.array([1.0, 3.0]), 4.0),
    (0.7, 1.5, np.array([-5.0, 0.3, 20.0])),
]
_SPEED_HINTS = {
    "The rate is sqrt(λ² + 4θ²): at λ = 0 it must be 2θ, as in Eq. 9. Is the 4 missing?": lambda th, s, lam: (
        np.sqrt(lam**2 + th**2) * (s - th)
    ),
    "Take the square root of λ² + 4θ²: the rate has the units of θ.": lambda th, s, lam: (
        (lam**2 + 4 * th**2) * (s - th)
    ),
    "|λ| + 2θ has the right limits but is not the rate: the two layer "
    "contributions add as s1² + s2² = sqrt(λ² + 4θ²).": lambda th, s, lam: (np.abs(lam) + 2 * th) * (s - th),
    "Gradient flow pulls θ towards s: the factor is s − θ, not θ − s.": lambda th, s, lam: (
        np.sqrt(lam**2 + 4 * th**2) * (th - s)
    ),
}


def _speed_cases(rng):
    """Fresh inputs as the lesson's ODE cell gives them (three strengths, the three targets, one lam), and
    broadcast arrays, integers, lam = 0, negative lam, and a mode at its target (speed 0)."""
    thetas = 10.0 ** rng.uniform(-3, 0.5, 3)
    return [
        (thetas, S_TARGET, float(rng.uniform(-20, 20))),
        (thetas[:, None], S_TARGET[None, :], 0.0),
        (float(rng.uniform(0, 3)), float(rng.uniform(0, 3)), rng.uniform(-20, 20, 4)),
        (int(rng.integers(0, 4)), int(rng.integers(1, 4)), int(rng.integers(-8, 9))),
        (S_TARGET, S_TARGET, float(rng.uniform(-5, 5))),
    ]


def _check_speed(mode_speed, show=True):
    return check_function(
        "Exercise 3: mode_speed",
        mode_speed,
        reference_speed,
        SPEED_CASES,
        hints=_SPEED_HINTS,
        scalar_case=(0.3, 1.0, 2.0),
        show=show,
    )


def _hidden_speed(mode_speed, rng):
    return check_function(
        "Exercise 3: mode_speed",
        mode_speed,
        reference_speed,
        _speed_cases(rng),
        show=False,
    )


# ------------------------------------------------------ other correct answers, and plausible mistakes
def _speed_by_power(theta, s, lam):
    return (lam * lam + 4 * theta * theta) ** 0.5 * (s - theta)


def _speed_with_math(theta, s, lam):
    import math

    return math.sqrt(lam**2 + 4 * theta**2) * (s - theta)


EXERCISE = Exercise(
    3,
    "mode_speed",
    answers=("mode_speed",),
    check=_check_speed,
    hidden=_hidden_speed,
    minutes=10,
    reference=(reference_speed,),
    valid=(
        (lambda theta, s, lam: np.sqrt(lam**2 + 4 * theta**2) * (s - theta),),
        (_speed_by_power,),
        (_as_float32(reference_speed),),
    ),
    wrong=_hints(_SPEED_HINTS)
    + (
        ((_speed_with_math,), "works on single numbers but raises on arrays"),
        ((lambda theta, s, lam: (lam + 2 * theta) * (s - theta),), None),
        ((lambda theta, s, lam: np.sqrt(lam**2 + 4 * theta) * (s - theta),), None),
    ),
)
