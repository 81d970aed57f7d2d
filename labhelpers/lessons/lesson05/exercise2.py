"""Lesson 5, Exercise 2: ``final_growth``, the final growth factor gamma_+ of Theorem I.1 from the initial
weights. The reference answer, the visible cases and the common mistakes with their hints, the self-check and
the grader's hidden check, other valid forms and plausible wrong answers, and the registry entry ``EXERCISE``.

Book: lessons/lesson05_grokking.md (Exercise 2).
"""

from __future__ import annotations

import numpy as np

from ... import grokking as gk
from ...checks import Exercise, check_function
from .common import _gaussian_pair, _normalisation, _pair, _start, _title


def reference_growth(a0, b0, S, Z):
    """Exercise 2: the final growth factor gamma_+ of Theorem I.1, from the initial weights a0, b0."""
    A, B = gk.aligned_scales({"a": a0, "b": b0}, Z)
    return gk.growth_factors(A, B, S)[0]


def _growth_with(a0, b0, S, Z, sign=1.0, swap=False, four=4.0, norm=1.0, half=2.0):
    u2, v2 = np.sum((a0 + b0) ** 2, -1), np.sum((a0 - b0) ** 2, -1)
    A, B = u2 / (4 * Z) * norm, v2 / (4 * Z) * norm
    A, B = (B, A) if swap else (A, B)
    return (S + sign * np.sqrt(S**2 + four * A * B)) / (half * A)


GROWTH_CASES = [
    (*_pair(_start(5, 0.7, 4)), 1.0, 1.0),
    (*_pair(_start(30, 0.2, 5)), 2.0, 3.0),
    (*_pair(_start(3, 1.0, 6)), 0.5, 1),
    (*_pair(gk.sign_init(6, 4, 0.3)), 2, 2),
]
GROWTH_MISTAKES = {
    "That is γ₋, the negative root of the quadratic. The growth factor is its positive root: "
    "check the sign in front of the square root.": (
        lambda a0, b0, S, Z: _growth_with(a0, b0, S, Z, sign=-1.0)
    ),
    "A and B are the other way round: A belongs to the aligned components uᵢ = aᵢ + bᵢ, "
    "B to the anti-aligned vᵢ = aᵢ − bᵢ.": lambda a0, b0, S, Z: _growth_with(a0, b0, S, Z, swap=True),
    "Compare the term under the square root with the formula for γ₊, factor by factor.": (
        lambda a0, b0, S, Z: _growth_with(a0, b0, S, Z, four=1.0)
    ),
    "Check the normalisation of A and B: they must satisfy A + B = Σ₀ and A − B = β₀.": (
        lambda a0, b0, S, Z: _growth_with(a0, b0, S, Z, norm=4 * Z)
    ),
    "A and B both carry the output normalisation 1/(4Z): did you leave out Z?": (
        lambda a0, b0, S, Z: _growth_with(a0, b0, S, Z, norm=Z)
    ),
}


def _check_growth(final_growth, show=True):
    return check_function(
        _title(2, "final_growth"),
        final_growth,
        reference_growth,
        GROWTH_CASES,
        hints=GROWTH_MISTAKES,
        show=show,
    )


def _hidden_growth(final_growth, rng):
    cases = []
    for _ in range(3):
        p = int(rng.integers(2, 40))
        S = float(rng.uniform(0.2, 5.0)) if rng.random() < 0.5 else int(rng.integers(1, 6))
        cases.append((*_gaussian_pair(rng, (), p, rng.uniform(0.05, 1.5)), S, _normalisation(rng, p)))
    a = rng.standard_normal(int(rng.integers(3, 12)))
    noise = 0.05 * rng.standard_normal(a.size)
    cases += [(a, a + noise, 1.0, 2), (a, noise - a, 3, 1.0)]  # nearly aligned (B small), nearly anti-aligned
    return check_function(
        _title(2, "final_growth"), final_growth, reference_growth, cases, hints=GROWTH_MISTAKES, show=False
    )


def _growth_other_root_form(a0, b0, S, Z):
    """The same root as 2B / (sqrt(S**2 + 4AB) - S), from Sigma_0 and beta_0."""
    Sigma0, beta0 = np.sum(a0**2 + b0**2) / (2 * Z), np.sum(a0 * b0) / Z
    A, B = (Sigma0 + beta0) / 2, (Sigma0 - beta0) / 2
    return 2 * B / (np.sqrt(S**2 + 4 * A * B) - S)


def _growth_float32(a0, b0, S, Z):
    return np.float32(reference_growth(a0, b0, S, Z))


EXERCISE = Exercise(
    2,
    "final_growth",
    answers=("final_growth",),
    check=_check_growth,
    hidden=_hidden_growth,
    minutes=15,
    reference=(reference_growth,),
    valid=(
        (_growth_other_root_form,),
        (_growth_float32,),
        (lambda a0, b0, S, Z: _growth_with(a0, b0, S, Z),),
    ),
    wrong=(
        *(((fn,), hint) for hint, fn in GROWTH_MISTAKES.items()),
        ((lambda a0, b0, S, Z: _growth_with(a0, b0, S, Z, half=1.0),), None),
    ),
)
