"""Exercise 2 of Lesson 2: the skill functions g_k of the multitask sparse parity problem (Eq. 11).

The reference answer, the cases the self-check runs (sparse parity samples, the last one in float32 as the
lesson's cells give it), the plausible mistakes with their hints, the self-check (``_check_skills``), the
grader's hidden check on fresh problems (``_hidden_skills``), another valid form of the answer, and
:data:`EXERCISE`, which ties them together.

Book: lessons/lesson02_emergence.md (Exercise 2).
"""

from __future__ import annotations

import numpy as np

from ... import emergence as em
from ...checks import Exercise, check_function
from .common import _hidden


def _parities(bits, subsets):
    return np.stack([bits[:, s].prod(axis=1) for s in subsets], axis=1)


def reference_skills(X, subsets):
    """Skill functions G[i, k] = g_k(x_i) of Eq. 11: the parity of subset k on task k's samples, else 0
    (Section 1, Exercise 2)."""
    n_tasks = len(subsets)
    return X[:, :n_tasks] * _parities(X[:, n_tasks:], subsets)


def _parity_case(n_tasks, n_bits, bits_per_task, n, seed, dtype=float):
    problem = em.SparseParity(n_tasks, n_bits, bits_per_task, alpha=0.5, seed=seed)
    return problem.sample(n, seed=seed).X.astype(dtype), problem.subsets


# the last case as the lesson's cells give it: float32 samples
_SKILL_CASES = [
    _parity_case(3, 6, 2, 12, 1),
    _parity_case(5, 10, 3, 40, 2),
    _parity_case(8, 24, 3, 30, 0, np.float32),
]


def _all_tasks(X, subsets):
    return _parities(X[:, len(subsets) :], subsets)


def _bits_from_X(X, subsets):
    return X[:, : len(subsets)] * _parities(X, subsets)


def _summed_bits(X, subsets):
    bits = X[:, len(subsets) :]
    return X[:, : len(subsets)] * np.stack([bits[:, s].sum(axis=1) for s in subsets], axis=1)


def _parity_mod_2(X, subsets):
    bits = X[:, len(subsets) :]
    return X[:, : len(subsets)] * np.stack([bits[:, s].sum(axis=1) % 2 for s in subsets], axis=1)


_SKILL_HINTS = {
    "Your g_k is nonzero on samples that ask for another task: look at the indicator in Eq. 11 "
    "and at the control bits.": _all_tasks,
    "The subsets index the random bits, which start after the n_tasks control bits: take them from "
    "`bits`, not from `X`.": _bits_from_X,
    "You added the chosen bits. With bits stored as ±1, how does the text write the parity?": _summed_bits,
}


def _check_skills(skill_functions, show=True):
    return check_function(
        EXERCISE.name,
        skill_functions,
        reference_skills,
        _SKILL_CASES,
        hints=_SKILL_HINTS,
        show=show,
    )


def _hidden_skills(skill_functions, rng):
    cases = []
    for dtype in (np.float32, float, int):
        n_tasks, m = int(rng.integers(2, 9)), int(rng.integers(1, 5))
        n_bits = int(rng.integers(m + 1, 3 * m + 8))
        seed = int(rng.integers(2**31))
        cases.append(_parity_case(n_tasks, n_bits, m, int(rng.integers(20, 60)), seed, dtype))
    return _hidden(EXERCISE.name, skill_functions, reference_skills, cases)


# ---------------------------------------------------------------- other valid forms of the answer
def _skills_without_loop(X, subsets):
    n_tasks = len(subsets)
    parity = np.stack([np.prod(X[:, n_tasks:][:, s], axis=1) for s in subsets], axis=1)
    return np.where(X[:, :n_tasks] == 1, parity, 0).astype(int)


EXERCISE = Exercise(
    2,
    "skill_functions",
    answers=("skill_functions",),
    check=_check_skills,
    hidden=_hidden_skills,
    minutes=15,
    reference=(reference_skills,),
    valid=((_skills_without_loop,),),
    wrong=tuple(((f,), hint) for hint, f in _SKILL_HINTS.items()) + (((_parity_mod_2,), None),),
)
