"""Exercise 4 of Lesson 3, the rank of the trained features (Eq. 13), without and with a bias: the expected
ranks, the hints for the likely wrong pairs (swapped, the feature dimension D, the N rows), the self-check,
and the hidden check, which judges the answer by the ranks of what H Wᵀ must fit.

Book: lessons/lesson03_collapse.md (Exercise 4).
"""

from __future__ import annotations

import numpy as np

from ...checks import Exercise, check
from .common import FEATURE_DIM, N_CLASSES, N_PER_CLASS

#: Exercise 4 (Eq. 13): the rank of the trained features, without and with a bias.
EXPECTED_RANKS = np.array([N_CLASSES, N_CLASSES - 1], dtype=float)
RANK_HINTS = [
    (lambda a, e: a[0] == e[1] and a[1] == e[0], "You have the two answers the wrong way round."),
    (
        lambda a, e: FEATURE_DIM in a,
        f"{FEATURE_DIM} is the feature dimension D: the rank of the small random "
        "start. Gradient flow grows only the directions the labels need; the "
        "others stay at the size of the start.",
    ),
    (
        lambda a, e: N_CLASSES * N_PER_CLASS in a,
        "H has N = 20 rows but only D = 10 columns, and training keeps only the directions the labels need.",
    ),
    (
        lambda a, e: a[0] != e[0],
        "Without a bias the outputs H Wᵀ must equal the one-hot labels Y. "
        "What is the rank of Y, and what does that force on H?",
    ),
    (
        lambda a, e: True,
        "With a bias, b is fitted first and takes the mean target of each "
        "output; H Wᵀ fits only what is left. Subtract that mean from the "
        "one-hot labels: what is the rank of the result?",
    ),
]


def _check_ranks(ranks, show=True):
    return check("Exercise 4: rank of the features", ranks, EXPECTED_RANKS, hints=RANK_HINTS, show=show)


def _hidden_ranks(ranks, rng):
    """The ranks of what H Wᵀ must fit: the one-hot labels Y, and Y less the mean target the bias takes."""
    labels = rng.permutation(np.repeat(np.arange(N_CLASSES), N_PER_CLASS))
    Y = np.eye(N_CLASSES)[labels]
    fitted = [np.linalg.matrix_rank(Y), np.linalg.matrix_rank(Y - Y.mean(axis=0))]
    return check("Exercise 4: rank of the features", ranks, fitted, show=False)


EXERCISE = Exercise(
    4,
    "rank of the features",
    answers=("ranks",),
    check=_check_ranks,
    hidden=_hidden_ranks,
    minutes=8,
    reference=([N_CLASSES, N_CLASSES - 1],),
    valid=(
        ((4, 3),),
        (np.array([4.0, 3.0]),),
        (np.array([4, 3], dtype=np.float32),),
        ([np.int64(4), 3],),
    ),
    wrong=(
        (([3, 4],), "wrong way round"),
        (([10, 10],), "feature dimension D"),
        (([20, 19],), "N = 20 rows"),
        (([3, 3],), "rank of Y"),
        (([4, 4],), "fitted first"),
        (([4, 2],), "fitted first"),
        (([4],), None),
    ),
)
