"""Exercise 4 of Lesson 2: the number N(T) of skills that have emerged by time T.

The reference answer, the cases the self-check runs, the plausible mistakes with their hints (wrong roots,
wrong rounding), the self-check (``_check_count``, which tells a scalar-only answer so), the grader's hidden
check on fresh cases (``_hidden_count``, exact: a count has no tolerance), other valid forms of the answer,
and :data:`EXERCISE`, which ties them together.

Book: lessons/lesson02_emergence.md (Exercise 4).
"""

from __future__ import annotations

import math

import numpy as np

from ...checks import Exercise, check_function
from .common import _hidden


def reference_count(T, t_first, alpha):
    """Number N(T) of skills whose half-rise time t_k = t_first k^(alpha+1) is at most T
    (Section 3, Exercise 4)."""
    half_rise_times = t_first * np.arange(1, 100_001) ** (alpha + 1)
    return np.searchsorted(half_rise_times, T, side="right").astype(float)


_COUNT_SCALARS = (55.0, 2.0, 0.8)
_COUNT_CASES = [
    (np.array([1.0, 7.3, 55.0, 1234.5]), 2.0, 0.8),
    (np.array([0.5, 40.0, 4000.0, 3.3e6]), 0.37, 1.5),
    (np.geomspace(3.1, 3.1e5, 6), 3.0, 0.4),
]


def _root_alpha(T, t1, alpha):
    return np.floor((T / t1) ** (1 / alpha))


def _power_instead_of_root(T, t1, alpha):
    return np.floor((T / t1) ** (alpha + 1))


def _count_not_rounded(T, t1, alpha):
    return (T / t1) ** (1 / (alpha + 1))


def _count_rounded(T, t1, alpha):
    return np.round((T / t1) ** (1 / (alpha + 1)))


def _count_rounded_up(T, t1, alpha):
    return np.ceil((T / t1) ** (1 / (alpha + 1)))


def _count_with_math_floor(T, t1, alpha):
    return math.floor((T / t1) ** (1 / (alpha + 1)))


def _count_with_int(T, t1, alpha):
    return int((T / t1) ** (1 / (alpha + 1)))


def _count_precedence(T, t1, alpha):
    return np.floor((T / t1) ** (1 / alpha + 1))


_COUNT_HINTS = {
    "You took the root 1/α: which power of k appears in t_k = t₁ k^(α+1)?": _root_alpha,
    "You raised T/t₁ to the power α + 1, which turns a count into a time. Solve t₁ k^(α+1) = T for "
    "k instead.": _power_instead_of_root,
    "Your count is not a whole number: which whole numbers k have t_k ≤ T?": _count_not_rounded,
    "Rounding to the nearest whole number counts a skill before it has emerged: which whole "
    "numbers k have t_k ≤ T?": _count_rounded,
    "Rounding up counts the next skill before it has emerged: which way must you round?": _count_rounded_up,
}


def _check_count(skills_emerged, show=True):
    return check_function(
        EXERCISE.name,
        skills_emerged,
        reference_count,
        _COUNT_CASES,
        hints=_COUNT_HINTS,
        scalar_case=_COUNT_SCALARS,
        show=show,
    )


def _hidden_count(skills_emerged, rng):
    cases = []
    for _ in range(4):
        t_first = float(10 ** rng.uniform(-1, 2)) if rng.random() < 0.75 else int(rng.integers(1, 10))
        ratios = np.sort(10 ** rng.uniform(-1, 5, size=int(rng.integers(3, 9))))  # T/t_first, some below 1
        cases.append((t_first * ratios, t_first, float(rng.uniform(0.2, 2.5))))
    return _hidden(EXERCISE.name, skills_emerged, reference_count, cases, rtol=0, atol=0)


# ---------------------------------------------------------------- other valid forms of the answer
def _count_as_int(T, t_first, alpha):
    return np.floor(np.exp(np.log(T / t_first) / (alpha + 1))).astype(int)


def _count_one_by_one(T, t_first, alpha):
    return [math.floor((t / t_first) ** (1 / (alpha + 1))) for t in T]


EXERCISE = Exercise(
    4,
    "skills_emerged",
    answers=("skills_emerged",),
    check=_check_count,
    hidden=_hidden_count,
    minutes=10,
    reference=(reference_count,),
    valid=((_count_as_int,), (_count_one_by_one,)),
    wrong=tuple(((f,), hint) for hint, f in _COUNT_HINTS.items())
    + (
        ((_count_with_math_floor,), "works on single numbers but raises on arrays"),
        ((_count_with_int,), "works on single numbers but raises on arrays"),
        ((_count_precedence,), None),
    ),
)
