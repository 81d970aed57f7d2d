"""Reference answers, self-checks and hidden checks of Lesson 2 (emergence and scaling laws).

One module per exercise (``exercise1`` ... ``exercise7``): each holds its exercise's reference answer, the
self-check on the cases the notebook shows (``_check_*``), the hidden check on fresh cases drawn at grading
time (``_hidden_*``), other valid forms and plausible mistakes with the hint each gets, and its ``EXERCISE``;
``common`` holds what several of them share. This package gathers them in :data:`EXERCISES`.

The lesson imports it as ``from labhelpers.lessons import lesson02 as ref`` and checks exercise N with
``ref.self_check(N, answer)``; the grader (labhelpers.grade) calls ``EXERCISES.grade``. The cases of the
self-checks and ``_loss_at`` are re-exported too, for the tests (tests/lessons/test_lesson02_answers.py).

Book: lessons/lesson02_emergence.md (its self-checks) and the grader (labhelpers.grade).
"""

from __future__ import annotations

from ...checks import Exercises
from . import exercise1, exercise2, exercise3, exercise4, exercise5, exercise6, exercise7
from .exercise1 import _FREQUENCY_CASES as _FREQUENCY_CASES
from .exercise1 import reference_frequencies
from .exercise2 import _SKILL_CASES as _SKILL_CASES
from .exercise2 import reference_skills
from .exercise3 import _EMERGENCE_CASES as _EMERGENCE_CASES
from .exercise3 import reference_emergence
from .exercise4 import _COUNT_CASES as _COUNT_CASES
from .exercise4 import reference_count
from .exercise5 import _FIT_CASES as _FIT_CASES
from .exercise5 import reference_fit
from .exercise6 import _loss_at as _loss_at
from .exercise6 import reference_range
from .exercise7 import _SEEN_CASES as _SEEN_CASES
from .exercise7 import reference_seen

__all__ = [
    "reference_frequencies",
    "reference_skills",
    "reference_emergence",
    "reference_count",
    "reference_fit",
    "reference_range",
    "reference_seen",
    "EXERCISES",
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
