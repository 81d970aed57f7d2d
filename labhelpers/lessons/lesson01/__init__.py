"""Lesson 1's exercises: reference answers, visible test cases, common mistakes, and the registry whose
self-checks the lesson calls (``ref.self_check(N, ...)``) and whose hidden checks the grader runs.

One module per exercise, ``exercise1`` ... ``exercise6``, each with its reference, cases, hints, checks and
answer forms, and its ``EXERCISE``; ``common`` holds what several exercises share (the titles, the running
example, the check that adds notes to a message, the gradient flow). This package re-exports the names the
lesson and its tests use, and ties the exercises together in ``EXERCISES``.

Book: lessons/lesson01_feedback.md (its self-checks).
"""

from __future__ import annotations

from ...checks import Exercises
from . import exercise1, exercise2, exercise3, exercise4, exercise5, exercise6
from .common import EXAMPLE
from .exercise1 import FLOW_CASES, FLOW_MISTAKES, reference_flow
from .exercise2 import EULER_CASES, EULER_MISTAKES, reference_euler
from .exercise3 import DRIFT_CASES, reference_drift
from .exercise4 import SIGMOID_CASES, SIGMOID_MISTAKES, reference_sigmoid
from .exercise5 import HALF_RISE_CASES, HALF_RISE_MISTAKES, reference_half_rise
from .exercise6 import MODES, reference_order

__all__ = [
    "DRIFT_CASES",
    "EULER_CASES",
    "EULER_MISTAKES",
    "EXAMPLE",
    "EXERCISES",
    "FLOW_CASES",
    "FLOW_MISTAKES",
    "HALF_RISE_CASES",
    "HALF_RISE_MISTAKES",
    "MODES",
    "SIGMOID_CASES",
    "SIGMOID_MISTAKES",
    "reference_drift",
    "reference_euler",
    "reference_flow",
    "reference_half_rise",
    "reference_order",
    "reference_sigmoid",
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
