"""Lesson 5, Exercise 4: lazy or rich, the regime of each of six starts (A to F). The starts and their
weights, the final aligned share by the conservation law, the expected words and the hints for each wrong
start, the self-check and the grader's hidden check, other valid forms and plausible wrong answers, and the
registry entry ``EXERCISE``.

Book: lessons/lesson05_grokking.md (Exercise 4).
"""

from __future__ import annotations

import numpy as np

from ... import grokking as gk
from ...checks import Exercise, check, differs_at, word_answers
from .common import RICH_ABOVE, _start, _title

#: Six starts (width p, std of the weights, Z, target S), named A to F.
START_NAMES = ["A", "B", "C", "D", "E", "F"]
STARTS = [
    (50, 0.1, 1.0, 2.0),
    (50, 0.1, 1.0, 0.02),
    (50, 1.0, 1.0, 2.0),
    (50, 1.0, 1.0, 500.0),
    (2500, 1.0, 50.0, 10.0),
    (16, 1.0, 4.0, 10.0),
]
START_WEIGHTS = [_start(p, std, seed=k) for k, (p, std, _, _) in enumerate(STARTS)]


def final_share_theory(Sigma0, beta0, S):
    """Final aligned share (1 + S / Sigma_inf) / 2 (conservation law)."""
    return 0.5 * (1 + S / np.sqrt(S**2 + Sigma0**2 - beta0**2))


_start_shares = [
    final_share_theory(gk.weight_scale(w, Z), gk.slope(w, Z), S)
    for w, (_, _, Z, S) in zip(START_WEIGHTS, STARTS)
]
EXPECTED_RICH = (np.array(_start_shares) > RICH_ABOVE).astype(float)

RICH_OR_LAZY = {"rich": 1.0, "lazy": 0.0}  # how word_answers scores the words

REGIME_HINTS = [
    (lambda a, e: np.any(a < 0), 'Write each answer as the word "lazy" or "rich", one per start.'),
    (
        differs_at(0, 1),
        "A and B have the same weights and differ only in the target. "
        "Estimate Σ₀ ≈ p·std²/Z for them and compare it with each target S.",
    ),
    (
        differs_at(2, 3),
        "C and D have the same, larger weights and differ only in the target. "
        "Estimate their Σ₀ and compare it with each target S.",
    ),
    (
        differs_at(4),
        "Look again at E, the NTK start at width 2500: with Z = √p, how large is Σ₀ next to its target S?",
    ),
    (
        differs_at(5),
        "Look again at F, the NTK start at width 16: with Z = √p, how large is Σ₀ next to its target S?",
    ),
    (
        lambda a, e: True,
        "For each start estimate Σ₀ ≈ p·std²/Z and compare it with S: rich "
        "when Σ₀/S is well below 1, lazy when it is well above.",
    ),
]


def _check_regimes(regimes, show=True):
    return check(
        _title(4, "lazy or rich"),
        word_answers(regimes, RICH_OR_LAZY),
        EXPECTED_RICH,
        hints=REGIME_HINTS,
        show=show,
    )


def _hidden_regimes(regimes, rng):
    """The words against what makes them right: the final share by the conservation law, both from the
    estimate Sigma_0 = p std**2 / Z (beta_0 = 0) and from the very weights the lesson simulates (``rng`` is
    not needed)."""
    estimated = [final_share_theory(p * std**2 / Z, 0.0, S) for p, std, Z, S in STARTS]
    for shares in (estimated, _start_shares):
        verdict = check(
            _title(4, "lazy or rich"),
            word_answers(regimes, RICH_OR_LAZY),
            (np.array(shares) > RICH_ABOVE).astype(float),
            hints=REGIME_HINTS,
            show=False,
        )
        if not verdict.correct:
            return verdict
    return verdict


_REGIME_WORDS = ["rich", "lazy", "lazy", "rich", "lazy", "rich"]


def _flipped(*indices):
    return [("lazy" if w == "rich" else "rich") if k in indices else w for k, w in enumerate(_REGIME_WORDS)]


EXERCISE = Exercise(
    4,
    "lazy or rich",
    answers=("regimes",),
    check=_check_regimes,
    hidden=_hidden_regimes,
    minutes=15,
    reference=(list(_REGIME_WORDS),),
    valid=(
        (tuple(_REGIME_WORDS),),
        ([w.upper() for w in _REGIME_WORDS],),
        ([f" {w.capitalize()} " for w in _REGIME_WORDS],),
        (np.array(_REGIME_WORDS),),
    ),
    wrong=(
        ((_flipped(0),), "A and B have the same weights"),
        ((_flipped(1),), "A and B have the same weights"),
        ((_flipped(2),), "C and D have the same, larger weights"),
        ((_flipped(3),), "C and D have the same, larger weights"),
        ((_flipped(4),), "Look again at E"),
        ((_flipped(5),), "Look again at F"),
        ((["rich", "lazy", "lazy", "rich", "lazy", "fast"],), 'as the word "lazy" or "rich"'),
        (([1, 0, 0, 1, 0, 1],), 'as the word "lazy" or "rich"'),
        ((["rich"] * 6,), "A and B have the same weights"),
        ((_REGIME_WORDS[:5],), None),
    ),
)
