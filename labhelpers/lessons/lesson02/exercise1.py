"""Exercise 1 of Lesson 2: the task frequencies p_k = k^-(alpha+1) / sum_j j^-(alpha+1) of the power law.

The reference answer, the cases the self-check runs, the plausible mistakes with their hints, the self-check
(``_check_frequencies``), the grader's hidden check on fresh cases (``_hidden_frequencies``), other valid
forms of the answer, and :data:`EXERCISE`, which ties them together.

Book: lessons/lesson02_emergence.md (Exercise 1).
"""

from __future__ import annotations

import numpy as np

from ... import emergence as em
from ...checks import Exercise, check_function
from .common import _hidden


def reference_frequencies(n_tasks, alpha):
    """Task frequencies p_k = k^-(alpha+1) / sum_j j^-(alpha+1), k = 1..n_tasks (Section 1, Exercise 1)."""
    return em.power_law_frequencies(n_tasks, alpha)


_FREQUENCY_CASES = [(5, 0.8), (12, 0.4), (3, 2.0)]


def _ranks(n):
    return np.arange(1, n + 1, dtype=float)


def _exponent_alpha(n, alpha):
    return _ranks(n) ** -alpha / np.sum(_ranks(n) ** -alpha)


def _not_normalised(n, alpha):
    return _ranks(n) ** -(alpha + 1)


def _divided_by_n(n, alpha):
    return _ranks(n) ** -(alpha + 1) / n


def _rarest_first(n, alpha):
    return _ranks(n) ** (alpha + 1) / np.sum(_ranks(n) ** (alpha + 1))


def _from_rank_0(n, alpha):
    ranks = np.arange(n, dtype=float)
    return ranks ** -(alpha + 1) / np.sum(ranks ** -(alpha + 1))


_FREQUENCY_HINTS = {
    "Check the exponent of the weights: compare it with the formula for p_k above.": _exponent_alpha,
    "Your frequencies do not add up to 1: look at the denominator of p_k.": _not_normalised,
    "Dividing by the number of tasks does not make the frequencies add up to 1: look at the "
    "denominator of p_k.": _divided_by_n,
    "Your frequencies grow with the rank: the most frequent task comes first, so check the sign of "
    "the exponent.": _rarest_first,
}


def _check_frequencies(power_law_frequencies, show=True):
    return check_function(
        EXERCISE.name,
        power_law_frequencies,
        reference_frequencies,
        _FREQUENCY_CASES,
        hints=_FREQUENCY_HINTS,
        show=show,
    )


def _hidden_frequencies(power_law_frequencies, rng):
    cases = [(int(rng.integers(1, 60)), float(rng.uniform(0.0, 3.0))) for _ in range(4)]
    cases += [(1, float(rng.uniform(0.1, 2.0))), (int(rng.integers(2, 30)), float(rng.integers(1, 4)))]
    return _hidden(EXERCISE.name, power_law_frequencies, reference_frequencies, cases)


# ---------------------------------------------------------------- other valid forms of the answer
def _frequencies_as_list(n_tasks, alpha):
    weights = [k ** -(alpha + 1) for k in range(1, n_tasks + 1)]
    return [w / sum(weights) for w in weights]


def _frequencies_float32(n_tasks, alpha):
    return reference_frequencies(n_tasks, alpha).astype(np.float32)


EXERCISE = Exercise(
    1,
    "power_law_frequencies",
    answers=("power_law_frequencies",),
    check=_check_frequencies,
    hidden=_hidden_frequencies,
    minutes=10,
    reference=(reference_frequencies,),
    valid=((_frequencies_as_list,), (_frequencies_float32,)),
    wrong=tuple(((f,), hint) for hint, f in _FREQUENCY_HINTS.items()) + (((_from_rank_0,), None),),
)
