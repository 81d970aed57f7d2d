"""Lesson 4, Exercise 7 (``allowed_signs``): which signs of λ the widths d, p, c allow in Eq. 14 — the
reference, the visible and hidden cases, the hints for common mistakes, the checks, and the other valid
and the wrong answers the tests try.

Book: lessons/lesson04_regimes.md (Exercise 7).
"""

import numpy as np

from ... import regimes
from ...checks import Exercise, check_function
from .common import _hints


def reference_signs(d, p, c):
    """(negative allowed, positive allowed) for Eq. 14 with widths d, p, c (Exercise 7, from the library)."""
    allowed = []
    for lam in (-1.0, 1.0):
        try:
            regimes.random_lambda_balanced(lam, 0.5, d, p, c)
            allowed.append(True)
        except ValueError:
            allowed.append(False)
    return tuple(allowed)


SIGN_CASES = [(3, 3, 3), (6, 4, 2), (2, 4, 6), (3, 5, 3), (5, 2, 4), (4, 4, 2), (2, 4, 4), (6, 6, 2)]
_SIGN_HINTS = {
    "The rules are the wrong way round. Redo the argument above for "
    "p > c: which sign of λ does vᵀ (W2 W2ᵀ − W1ᵀ W1) v allow? (With λ "
    "defined as W1ᵀ W1 − W2 W2ᵀ you would get the opposite; this course "
    "uses the sign of Eq. 8.)": lambda d, p, c: (p <= c, p <= d),
    "Equal widths constrain nothing: when p ≤ c, W2 W2ᵀ can be any "
    "positive semi-definite p × p matrix. Only a hidden layer strictly "
    "wider than the output (or the input) fixes the sign of λ.": lambda d, p, c: (p < d, p < c),
    "You have the funnel's rule (p > c forbids λ > 0) but not its mirror "
    "image: what does a hidden layer wider than the input forbid?": lambda d, p, c: (True, p <= c),
    "You have one rule but not its mirror image: what does a hidden layer "
    "wider than the output forbid?": lambda d, p, c: (p <= d, True),
    "Compare the hidden width with each side on its own. The input width "
    "against the hidden width alone does not decide (try d = 3, p = 5, "
    "c = 3).": lambda d, p, c: (d >= p, d <= p),
}


def _sign_cases(rng):
    """Three fresh shapes (widths 1 to 9, none of the visible ones) for each of the four answers."""
    cases, wanted = [], {(n, q): 3 for n in (False, True) for q in (False, True)}
    while any(wanted.values()):
        shape = tuple(int(k) for k in rng.integers(1, 10, 3))
        d, p, c = shape
        kind = (p <= d, p <= c)
        if wanted[kind] and shape not in SIGN_CASES:
            cases.append(shape)
            wanted[kind] -= 1
    return cases


def _check_signs(allowed_signs, show=True):
    return check_function(
        "Exercise 7: allowed_signs", allowed_signs, reference_signs, SIGN_CASES, hints=_SIGN_HINTS, show=show
    )


def _hidden_signs(allowed_signs, rng):
    # The visible shapes as well: twelve random ones may not tell every listed mistake from the rule.
    cases = _sign_cases(rng) + SIGN_CASES
    return check_function("Exercise 7: allowed_signs", allowed_signs, reference_signs, cases, show=False)


# ------------------------------------------------------ other correct answers, and plausible mistakes
def _signs_as_ints(d, p, c):
    return [int(not p > d), int(not p > c)]


def _signs_as_numpy(d, p, c):
    widths = np.array([d, c])
    return tuple(p <= widths)


EXERCISE = Exercise(
    7,
    "allowed_signs",
    answers=("allowed_signs",),
    check=_check_signs,
    hidden=_hidden_signs,
    minutes=15,
    reference=(reference_signs,),
    valid=((_signs_as_ints,), (_signs_as_numpy,), (lambda d, p, c: (p <= d, p <= c),)),
    wrong=_hints(_SIGN_HINTS)
    + (
        ((lambda d, p, c: (p >= d, p >= c),), None),
        ((lambda d, p, c: (True, True),), None),
    ),
)
