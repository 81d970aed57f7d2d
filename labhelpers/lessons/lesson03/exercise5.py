"""Exercise 5 of Lesson 3, NC3 without a bias: the reference ``reference_self_duality`` (the distance
between the normalised classifier and class means of the trained bias-free feature model), the visible
numbers of classes, the slips (no square root, the cosine, a dropped 2) with their hints, the self-check, the
hidden check on larger C, and the other valid forms.

Book: lessons/lesson03_collapse.md (Exercise 5).
"""

from __future__ import annotations

import math

import numpy as np

from ... import collapse as co
from ...checks import Exercise, check_function
from .common import N_PER_CLASS, _clearer, _float32


def reference_self_duality(C, n_per_class=N_PER_CLASS):
    """NC3 = ||W/||W|| - M/||M|| ||_F of the trained bias-free feature model, C classes (Exercise 5, Eq. 67).

    ``C`` is a number of classes or an array of them (the lesson calls the answer on ``np.arange(2, 8)``).
    """
    if np.ndim(C) == 0:
        return co.ufm_limit(C, n_per_class)["self_duality"]
    values = [co.ufm_limit(int(c), n_per_class)["self_duality"] for c in np.ravel(C)]
    return np.array(values).reshape(np.shape(C))


def _no_root(C):
    return 2 - 2 * np.sqrt(1 - 1 / C)


def _cosine_unrooted(C):
    return np.sqrt(2 - 2 * (1 - 1 / C))


def _dropped_two(C):
    return np.sqrt(1 - np.sqrt(1 - 1 / C))


def _plus_sign(C):
    return np.sqrt(2 + 2 * np.sqrt(1 - 1 / C))


def _scalar_only(C):
    return math.sqrt(2 - 2 * math.sqrt(1 - 1 / C))


def _negative_power(C):
    return np.sqrt(2 - 2 * np.sqrt(1 - C**-1))


DUALITY_CASES = [2, 3, 4, 10, 100, np.arange(2, 8)]  # the last as the lesson's figure calls it
DUALITY_MISTAKES = {
    "NC3 is a Frobenius norm: take the square root of 2 − 2 cos.": _no_root,
    "Check your cosine: it is ⟨R, R − 1 r̄ᵀ⟩ divided by the product of the "
    "two Frobenius norms, ‖R‖ and ‖R − 1 r̄ᵀ‖, which are not equal.": _cosine_unrooted,
    "For unit-norm A and B, ‖A − B‖² = 2 − 2⟨A, B⟩: did you drop a 2?": _dropped_two,
}

_DUALITY_SCALARS = (4,)  # one number of classes: an answer with `math.sqrt` works on it


def _check_duality(ufm_self_duality, show=True):
    return check_function(
        "Exercise 5: ufm_self_duality",
        _clearer(ufm_self_duality),
        reference_self_duality,
        DUALITY_CASES,
        hints=DUALITY_MISTAKES,
        scalar_case=_DUALITY_SCALARS,
        show=show,
    )


def _hidden_duality(ufm_self_duality, rng):
    """Numbers of classes the lesson does not check, from 5 to 1000: a Python int, a numpy int, an array."""
    sizes = [int(C) for C in rng.integers(8, 1001, size=8) if int(C) not in DUALITY_CASES[:-1]]
    cases = [sizes[0], np.int64(sizes[1]), np.array(sizes[2:])]
    return check_function(
        "Exercise 5: ufm_self_duality",
        _clearer(ufm_self_duality),
        reference_self_duality,
        cases,
        scalar_case=_DUALITY_SCALARS,
        show=False,
    )


def _sample_duality(C):
    return np.sqrt(2 - 2 * np.sqrt(1 - 1 / C))


EXERCISE = Exercise(
    5,
    "ufm_self_duality",
    answers=("ufm_self_duality",),
    check=_check_duality,
    hidden=_hidden_duality,
    minutes=15,
    reference=(reference_self_duality,),
    valid=(
        (_sample_duality,),
        (lambda C: np.sqrt(2 / C / (1 + np.sqrt(1 - 1 / C))),),
        (lambda C: 2 * np.sin(np.arccos(np.sqrt((C - 1) / C)) / 2),),  # |A - B| = 2 sin(angle / 2)
        (np.vectorize(lambda C: math.sqrt(2 - 2 * math.sqrt(1 - 1 / C))),),
        (_float32(_sample_duality),),
    ),
    wrong=(
        *(((mistake,), hint) for hint, mistake in DUALITY_MISTAKES.items()),
        ((_plus_sign,), None),
        ((_scalar_only,), "works on single numbers but raises on arrays"),
        ((_negative_power,), "negative powers"),
    ),
)
