"""Lesson 4's exercises: reference answers, visible and hidden test cases, hints for common mistakes, and the
registry that the lesson's self-checks, the grader and the tests share.

One module per exercise, ``exercise1`` ... ``exercise7``, holds that exercise's reference, cases, hints,
checks and the other valid and the wrong answers, and its ``EXERCISE``; ``common`` holds the lesson's task
samples and the helpers several checks share. This module gathers the seven in ``EXERCISES`` and re-exports
the names the lesson and its tests use, so that they stay ``ref.<name>``.

Book: lessons/lesson04_regimes.md (its seven self-checks, ``ref.self_check(N, ...)``).
"""

from ...checks import Exercises
from . import exercise1, exercise2, exercise3, exercise4, exercise5, exercise6, exercise7
from .common import S_TARGET, X_TRAIN, Y_TRAIN
from .exercise1 import SCALE_CASES, reference_scales
from .exercise2 import WEIGHT_CASES, reference_weights
from .exercise3 import SPEED_CASES, reference_speed
from .exercise4 import NTK_CASES, reference_ntk
from .exercise5 import DISTANCE_CASES, reference_distance
from .exercise6 import EXPECTED_RICH, RICH_ABOVE, START_DISTANCES, START_LAMS, START_NAMES, START_THETAS
from .exercise7 import SIGN_CASES, reference_signs

__all__ = [
    "DISTANCE_CASES",
    "EXERCISES",
    "EXPECTED_RICH",
    "NTK_CASES",
    "RICH_ABOVE",
    "SCALE_CASES",
    "SIGN_CASES",
    "SPEED_CASES",
    "START_DISTANCES",
    "START_LAMS",
    "START_NAMES",
    "START_THETAS",
    "S_TARGET",
    "WEIGHT_CASES",
    "X_TRAIN",
    "Y_TRAIN",
    "reference_distance",
    "reference_ntk",
    "reference_scales",
    "reference_signs",
    "reference_speed",
    "reference_weights",
    "self_check",
]

EXERCISES = Exercises(
    [
        exercise1.EXERCISE,
        exercise2.EXERCISE,
        exercise3.EXERCISE,
        exercise4.EXERCISE,
        exercise5.EXERCISE,
        exercise6.EXERCISE,
        exercise7.EXERCISE,
    ]
)
self_check = EXERCISES.self_check
