"""Lesson 4, Exercise 1 (``layer_scales``): the layer scales s1, s2 of a λ-balanced start with product θ0 —
the reference, the visible and hidden cases, the hints for common mistakes, the checks, and the other
valid and the wrong answers the tests try.

Book: lessons/lesson04_regimes.md (Exercise 1).
"""

import numpy as np

from ...checks import Exercise, check_function
from ...core import layers_from_product
from .common import _as_float32, _hints


def reference_scales(lam, theta0):
    """Layer scales (s1, s2) with s1 s2 = theta0 and s2² − s1² = lam (Exercise 1, Eq. 14 mode by mode)."""
    s2, s1 = layers_from_product(theta0, lam)  # s2^2 - s1^2 = lam
    return s1, s2


def _scales_from(radius, lam):
    return np.sqrt((radius - lam) / 2), np.sqrt((radius + lam) / 2)


def _squared_scales(lam, theta0):
    return tuple(s**2 for s in reference_scales(lam, theta0))


SCALE_CASES = [
    (0.0, 0.5),
    (2.0, np.array([0.1, 1.0, 3.0])),
    (np.array([-3.0, 0.5, 4.0]), 0.7),
    (-1.0, np.array([0.05, 2.0])),
]
_SCALE_HINTS = {
    "Your layers are the wrong way round. This course writes Eq. 14 as "
    "W2 W2ᵀ − W1ᵀ W1 = λI (the sign of Eq. 8), so λ > 0 makes the "
    "*second* layer heavier: s2² − s1² = λ. Did you swap s1 and s2, or "
    "use the opposite sign convention?": lambda lam, th: reference_scales(lam, th)[::-1],
    "These are s1² and s2²: take one more square root.": _squared_scales,
    "Check the inner root against the quadratic equation in s1²: with your "
    "radius, the product s1 s2 is not θ0.": lambda lam, th: _scales_from(np.sqrt(lam**2 + th**2), lam),
}


def _scale_cases(rng):
    """Fresh inputs of the kinds the lesson uses: an array of lam with one theta0 (its figure), one lam with
    an array of theta0 (Exercise 2), both broadcast, integers, lam = 0, |lam| up to 20 and theta0 down to
    1e-3."""
    lams = np.concatenate([[0.0], rng.uniform(-20, 20, 4)])
    thetas = 10.0 ** rng.uniform(-3, 1, 3)
    return [
        (lams, float(rng.uniform(0.05, 5))),
        (float(rng.uniform(-20, 20)), thetas),
        (lams[:, None], thetas[None, :]),
        (int(rng.integers(-6, 7)), int(rng.integers(1, 5))),
    ]


def _check_scales(layer_scales, show=True):
    return check_function(
        "Exercise 1: layer_scales",
        layer_scales,
        reference_scales,
        SCALE_CASES,
        hints=_SCALE_HINTS,
        scalar_case=(1.0, 0.5),
        show=show,
    )


def _hidden_scales(layer_scales, rng):
    return check_function(
        "Exercise 1: layer_scales",
        layer_scales,
        reference_scales,
        _scale_cases(rng),
        show=False,
    )


# ------------------------------------------------------ other correct answers, and plausible mistakes
def _scales_as_list(lam, theta0):
    return list(reference_scales(lam, theta0))


def _scales_by_division(lam, theta0):
    s2 = np.sqrt((np.sqrt(lam**2 + 4 * theta0**2) + lam) / 2)
    return theta0 / s2, s2


def _scales_with_math(lam, theta0):
    import math

    radius = math.sqrt(lam**2 + 4 * theta0**2)
    return math.sqrt((radius - lam) / 2), math.sqrt((radius + lam) / 2)


def _scales_without_half(lam, theta0):
    radius = np.sqrt(lam**2 + 4 * theta0**2)
    return np.sqrt(radius - lam), np.sqrt(radius + lam)


EXERCISE = Exercise(
    1,
    "layer_scales",
    answers=("layer_scales",),
    check=_check_scales,
    hidden=_hidden_scales,
    minutes=15,
    reference=(reference_scales,),
    valid=((_scales_as_list,), (_as_float32(reference_scales),), (_scales_by_division,)),
    wrong=_hints(_SCALE_HINTS)
    + (
        ((_scales_with_math,), "works on single numbers but raises on arrays"),
        ((_scales_without_half,), None),
        ((lambda lam, theta0: (np.sqrt(theta0), np.sqrt(theta0)),), None),
    ),
)
