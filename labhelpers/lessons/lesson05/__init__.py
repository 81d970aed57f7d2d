"""Lesson 5's exercises (grokking, Eq. 15's toy model): reference answers, visible and hidden test cases,
tables of common mistakes, and the registry ``EXERCISES`` whose ``self_check`` the lesson's check cells call.

One module per exercise, ``exercise1`` ... ``exercise6``, each ending with its registry entry ``EXERCISE``;
``common`` holds the Setup's constants, the base start ``BASE`` and the helpers several exercises share. The
names the lesson (``ref.…``) and the tests use are re-exported here.

Book: lessons/lesson05_grokking.md (its self-checks, Exercises 1-6) and the grader (:mod:`labhelpers.grade`).
"""

from __future__ import annotations

from ...checks import Exercises
from . import exercise1, exercise2, exercise3, exercise4, exercise5, exercise6
from .common import _BATCH_HINT as _BATCH_HINT  # read by the tests
from .common import BASE, P_WIDTH, RICH_ABOVE, SIGMA_UNIT
from .common import _base_start as _base_start  # read by the tests
from .exercise1 import CONSERVED_CASES, CONSERVED_MISTAKES, reference_conserved
from .exercise2 import GROWTH_CASES, GROWTH_MISTAKES, reference_growth
from .exercise3 import SHARE_CASES, SHARE_MISTAKES, reference_share
from .exercise4 import (
    EXPECTED_RICH,
    REGIME_HINTS,
    RICH_OR_LAZY,
    START_NAMES,
    START_WEIGHTS,
    STARTS,
    final_share_theory,
)
from .exercise5 import RATIO_CASES, RATIO_MISTAKES, reference_ratio
from .exercise6 import TAKEOVER_CASES, TAKEOVER_MISTAKES, reference_takeover

__all__ = [
    "BASE",
    "CONSERVED_CASES",
    "CONSERVED_MISTAKES",
    "EXERCISES",
    "EXPECTED_RICH",
    "GROWTH_CASES",
    "GROWTH_MISTAKES",
    "P_WIDTH",
    "RATIO_CASES",
    "RATIO_MISTAKES",
    "REGIME_HINTS",
    "RICH_ABOVE",
    "RICH_OR_LAZY",
    "SHARE_CASES",
    "SHARE_MISTAKES",
    "SIGMA_UNIT",
    "STARTS",
    "START_NAMES",
    "START_WEIGHTS",
    "TAKEOVER_CASES",
    "TAKEOVER_MISTAKES",
    "final_share_theory",
    "reference_conserved",
    "reference_growth",
    "reference_ratio",
    "reference_share",
    "reference_takeover",
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
    ]
)
self_check = EXERCISES.self_check
