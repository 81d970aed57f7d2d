"""Exercise 7 of Lesson 2: the probability that a task was seen at least once among D samples.

The reference answer, the cases the self-check runs (a column of D against a row of frequencies, as the
lesson calls it), the plausible mistakes with their hints, the self-check (``_check_seen``, which tells a
scalar-only answer so), the grader's hidden check on fresh cases (``_hidden_seen``), another valid form of
the answer, and :data:`EXERCISE`, which ties them together.

Book: lessons/lesson02_emergence.md (Exercise 7).
"""

from __future__ import annotations

import math

import numpy as np

from ... import emergence as em
from ...checks import Exercise, check_function
from .common import _hidden


def reference_seen(D, p):
    """Probability that a task of frequency p occurs at least once among D samples (Section 5, Exercise 7)."""
    return em.skill_strength_in_data(D, p)


_SEEN_SCALARS = (10, 0.1)
_SEEN_CASES = [
    (np.array([[1], [10], [100]]), np.array([0.5, 0.1, 0.01])),
    (0, 0.3),
    (np.array([3, 30, 300]), 0.02),
    (30, np.array([0.4, 0.2, 0.05, 0.001])),  # as the lesson calls it: one D, every task's frequency
]


def _seen_miss(D, p):
    return (1 - p) ** D


def _seen_every(D, p):
    return 1 - p**D


def _seen_expected(D, p):
    return D * p


def _seen_with_math(D, p):
    return 1 - math.pow(1 - p, D)


def _seen_one_short(D, p):
    return 1 - (1 - p) ** (np.asarray(D) - 1)


_SEEN_HINTS = {
    "Your answer is the chance that all D samples *miss* the task: the question asks for the "
    "opposite event.": _seen_miss,
    "p^D is the chance that *every* sample asks for the task, but one sample is enough. Think of "
    "the event in which the task is not seen.": _seen_every,
    "D p is the expected number of times the task is asked for, and can exceed 1. You want the "
    "probability that it is asked for at least once.": _seen_expected,
}


def _check_seen(seen_probability, show=True):
    return check_function(
        EXERCISE.name,
        seen_probability,
        reference_seen,
        _SEEN_CASES,
        hints=_SEEN_HINTS,
        scalar_case=_SEEN_SCALARS,
        show=show,
    )


def _hidden_seen(seen_probability, rng):
    p = 10 ** rng.uniform(-5, -0.1, size=int(rng.integers(3, 8)))
    D = rng.integers(0, 10**5, size=(int(rng.integers(2, 5)), 1))
    cases = [(D, p), (int(rng.integers(1, 1000)), p), (D[:, 0], float(p[0])), (0, p)]
    return _hidden(EXERCISE.name, seen_probability, reference_seen, cases)


# ---------------------------------------------------------------- other valid forms of the answer
def _seen_expm1(D, p):
    return -np.expm1(D * np.log1p(-np.asarray(p)))


EXERCISE = Exercise(
    7,
    "seen_probability",
    answers=("seen_probability",),
    check=_check_seen,
    hidden=_hidden_seen,
    minutes=5,
    reference=(reference_seen,),
    valid=((_seen_expm1,),),
    wrong=tuple(((f,), hint) for hint, f in _SEEN_HINTS.items())
    + (((_seen_with_math,), "works on single numbers but raises on arrays"), ((_seen_one_short,), None)),
)
