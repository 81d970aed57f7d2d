"""Lesson 5, Exercise 3: ``aligned_share``, the share A / Sigma of the weight scale carried by the aligned
components a + b. The reference answer (Exercise 6 uses it too), the visible cases and the common mistakes
with their hints, the self-check and the grader's hidden check, other valid forms and plausible wrong answers,
and the registry entry ``EXERCISE``.

Book: lessons/lesson05_grokking.md (Exercise 3).
"""

from __future__ import annotations

import numpy as np

from ...checks import Exercise, check_function
from .common import _gaussian_pair, _title, _with_batch_hint


def reference_share(a, b):
    """Exercise 3: the share A / Sigma of the weight scale carried by the aligned components a + b."""
    return np.sum((a + b) ** 2, -1) / (2 * np.sum(a**2 + b**2, -1))


_g3 = np.random.default_rng(33)
SHARE_CASES = [
    (_g3.standard_normal(7), _g3.standard_normal(7)),
    (_g3.standard_normal((4, 9)), _g3.standard_normal((4, 9))),
    tuple(_g3.standard_normal((2, 3, 2, 5))),
]
SHARE_MISTAKES = {
    "Your share goes above 1, which a share cannot: count the denominator again. "
    "What do (aᵢ + bᵢ)² and (aᵢ − bᵢ)² add up to?": lambda a, b: 2 * reference_share(a, b),
    "You compared the norms themselves; Σ, A and B are sums of *squares*.": (
        lambda a, b: (
            np.linalg.norm(a + b, axis=-1) / (np.linalg.norm(a + b, axis=-1) + np.linalg.norm(a - b, axis=-1))
        )
    ),
    "That is the anti-aligned share, B/Σ. The aligned share uses aᵢ + bᵢ.": (
        lambda a, b: 1 - reference_share(a, b)
    ),
}


def _check_share(aligned_share, show=True):
    verdict = check_function(
        _title(3, "aligned_share"),
        aligned_share,
        reference_share,
        SHARE_CASES,
        hints=SHARE_MISTAKES,
        show=False,
    )
    return _with_batch_hint(verdict, SHARE_CASES, show)


def _hidden_share(aligned_share, rng):
    cases = [_gaussian_pair(rng, batch, int(rng.integers(2, 30)), 1.0) for batch in [(), (5,), (2, 3)]]
    a = rng.standard_normal((3, int(rng.integers(2, 10))))
    cases += [(a, np.zeros_like(a)), (a, a.copy()), (a, -a)]  # shares 1/2, 1 and 0
    return check_function(
        _title(3, "aligned_share"), aligned_share, reference_share, cases, hints=SHARE_MISTAKES, show=False
    )


def _share_from_slope(a, b):
    """(1 + beta / Sigma) / 2: the same share, since A = (Sigma + beta) / 2."""
    return (1 + 2 * np.sum(a * b, axis=-1) / np.sum(a**2 + b**2, axis=-1)) / 2


def _share_float32(a, b):
    return reference_share(a, b).astype(np.float32)


def _share_all_axes(a, b):
    return np.sum((a + b) ** 2) / np.sum((a + b) ** 2 + (a - b) ** 2)


def _share_matmul(a, b):
    return (a + b) @ (a + b) / ((a + b) @ (a + b) + (a - b) @ (a - b))


def _share_aligned_over_anti(a, b):
    return np.sum((a + b) ** 2, -1) / np.sum((a - b) ** 2, -1)


EXERCISE = Exercise(
    3,
    "aligned_share",
    answers=("aligned_share",),
    check=_check_share,
    hidden=_hidden_share,
    minutes=10,
    reference=(reference_share,),
    valid=((_share_from_slope,), (_share_float32,)),
    wrong=(
        *(((fn,), hint) for hint, fn in SHARE_MISTAKES.items()),
        ((_share_all_axes,), "reduce the last axis only"),
        ((_share_matmul,), "reduce the last axis only"),
        ((_share_aligned_over_anti,), None),
    ),
)
