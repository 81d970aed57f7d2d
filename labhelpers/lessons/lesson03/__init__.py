"""Reference answers, self-checks and hidden checks of Lesson 3 (neural collapse): its registry ``EXERCISES``.

Each exercise has a self-check on the cases the lesson shows (``_check_*``, which ``self_check(N, ...)``
calls), a hidden check on fresh cases drawn at grading time (``_hidden_*``), the sample solution's answers,
other correct forms of them, and the plausible mistakes with the hint each gets.

One module per exercise, ``exercise1`` (NC1) ... ``exercise6`` (NC4), each ending with its ``EXERCISE``;
``common`` holds what several of them share (the sizes of the feature model, the random problems, the class
scatter, the wrapper that explains numpy's errors for common slips). This package re-exports the names the
lesson and its tests use, and ties the exercises together in ``EXERCISES``.

Book: lessons/lesson03_collapse.md (its self-checks), and the grader (:mod:`labhelpers.grade`).
"""

from __future__ import annotations

from ... import collapse as co  # noqa: F401 - the tests reach the chapter package as ref.co
from ...checks import Exercises
from . import exercise1, exercise2, exercise3, exercise4, exercise5, exercise6
from .common import _CLEARER_ERRORS as _CLEARER_ERRORS  # for the tests, as before the split
from .common import FEATURE_DIM, N_CLASSES, N_PER_CLASS
from .exercise1 import NC1_CASES, NC1_MISTAKES, reference_nc1
from .exercise2 import ETF_CASES, ETF_MISTAKES, reference_etf_gram
from .exercise3 import RANK_CASES, RANK_MISTAKES, reference_learned_rank
from .exercise4 import EXPECTED_RANKS, RANK_HINTS
from .exercise5 import DUALITY_CASES, DUALITY_MISTAKES, reference_self_duality
from .exercise6 import MISMATCH_CASES, MISMATCH_MISTAKES, reference_mismatch
from .exercise6 import _no_bias as _no_bias  # for the tests, as before the split

__all__ = [
    "DUALITY_CASES",
    "DUALITY_MISTAKES",
    "ETF_CASES",
    "ETF_MISTAKES",
    "EXERCISES",
    "EXPECTED_RANKS",
    "FEATURE_DIM",
    "MISMATCH_CASES",
    "MISMATCH_MISTAKES",
    "N_CLASSES",
    "N_PER_CLASS",
    "NC1_CASES",
    "NC1_MISTAKES",
    "RANK_CASES",
    "RANK_HINTS",
    "RANK_MISTAKES",
    "reference_etf_gram",
    "reference_learned_rank",
    "reference_mismatch",
    "reference_nc1",
    "reference_self_duality",
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
