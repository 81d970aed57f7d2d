"""Lesson 4, Exercise 6 (lazy or rich): the six starts, their kernel distances after training on the lesson's
task and the verdict they give, the rule the hidden check judges by, the hints, the checks, and the other
valid and the wrong answers the tests try.

Book: lessons/lesson04_regimes.md (Exercise 6).
"""

import numpy as np

from ... import regimes
from ...checks import Exercise, check, differs_at, word_answers
from .common import X_TRAIN, Y_TRAIN

# Six starts of the square network, and their kernel distances after training on the lesson's task.
START_NAMES = ["A", "B", "C", "D", "E", "F"]
START_LAMS = np.array([0.0, 0.0, -20.0, 20.0, -1.0, 16.0])
START_THETAS = np.array([1e-3, 10.0, 1e-3, 1e-3, 3.0, 10.0])
RICH_ABOVE = 0.01  # a run whose kernel distance exceeds this is called rich
_starts = regimes.random_lambda_balanced(START_LAMS, START_THETAS[:, None], 3, 3, 3, seed=0)
START_DISTANCES = regimes.train_grid(
    _starts["W1"], _starts["W2"], X_TRAIN, Y_TRAIN, steps=3000, lr=0.01
).kernel_distance
EXPECTED_RICH = (START_DISTANCES > RICH_ABOVE).astype(float)
# What makes a start rich: |lam| below the border that the lesson's map finds (|lam| ≈ 5, under twice the
# largest target), whatever theta0. The hidden check judges the words against this rule.
_RICH_BELOW = 5.0

_RICH_OR_LAZY = {"rich": 1.0, "lazy": 0.0}  # how word_answers scores the words

_REGIME_HINTS = [
    (lambda a, e: np.any(a < 0), 'Write each answer as the word "lazy" or "rich", one per start.'),
    (
        lambda a, e: a[2] != a[3],
        "C and D differ only in the sign of λ. How does λ enter the mode "
        "equation, and does it matter which layer is the heavy one?",
    ),
    (
        differs_at(1),
        "Look again at B. Is a large start lazy by itself? With λ = 0 the "
        "layers stay balanced and each mode still ends at its own target s. "
        "Compare the kernel's shape at the start (all three modes equal) "
        "with its shape at the end.",
    ),
    (
        differs_at(2, 3),
        "Look again at C and D. Is a tiny start enough for rich learning? "
        "Take the mode equation with |λ| far above every target: which "
        "model's equation is it then?",
    ),
    (differs_at(4), "Look again at E: compare its |λ| with the largest target, s = 3."),
    (
        differs_at(5),
        "Look again at F: its absolute scale is large, but what does the mode equation compare |λ| with?",
    ),
    (
        lambda a, e: True,
        "Compare |λ| with the target strengths s = (3, 1, 0.3), and ask "
        "whether the start's size θ0 enters the kernel's shape.",
    ),
]


def _check_regimes(regimes, show=True):
    return check(
        "Exercise 6: lazy or rich",
        word_answers(regimes, _RICH_OR_LAZY),
        EXPECTED_RICH,
        hints=_REGIME_HINTS,
        show=show,
    )


def _hidden_regimes(regimes, rng):
    by_rule = (np.abs(START_LAMS) < _RICH_BELOW).astype(float)
    return check("Exercise 6: lazy or rich", word_answers(regimes, _RICH_OR_LAZY), by_rule, show=False)


# ------------------------------------------------------ other correct answers, and plausible mistakes
_REGIMES = ["rich", "rich", "lazy", "lazy", "rich", "lazy"]


def _flipped(*indices):
    return [{"rich": "lazy", "lazy": "rich"}[w] if k in indices else w for k, w in enumerate(_REGIMES)]


EXERCISE = Exercise(
    6,
    "lazy or rich",
    answers=("regimes",),
    check=_check_regimes,
    hidden=_hidden_regimes,
    minutes=10,
    reference=(_REGIMES,),
    valid=((tuple(_REGIMES),), ([f" {w.title()}" for w in _REGIMES],), (np.array(_REGIMES),)),
    wrong=(
        ((_flipped(1),), "Look again at B"),
        ((_flipped(2, 3),), "Look again at C and D"),
        ((_flipped(2),), "C and D differ only in the sign of λ"),
        ((_flipped(3),), "C and D differ only in the sign of λ"),
        ((_flipped(4),), "Look again at E"),
        ((_flipped(5),), "Look again at F"),
        ((_flipped(0),), "Compare |λ| with the target strengths"),
        ((_flipped(1, 2, 3, 4),), "Look again at B"),  # the start's size decides: large is lazy
        ((_REGIMES[:5] + ["slow"],), 'Write each answer as the word "lazy" or "rich"'),
        ((_REGIMES[:5],), None),
    ),
)
