"""Exercise 2 of Lesson 3, the simplex ETF (NC2): the reference, judged by the Gram matrix of the vectors a
student returns (any rotation of an ETF gives the same), the visible numbers of classes, the slips
(orthonormal vectors, no rescaling, the squared length) with their hints, the self-check, the hidden check on
larger C, and the other valid forms.

Book: lessons/lesson03_collapse.md (Exercise 2).
"""

from __future__ import annotations

import numpy as np

from ... import collapse as co
from ...checks import Exercise, check_function, make_verdict
from .common import _clearer, _float32


def _gram_of(make_vectors):
    """Gram matrix of the rows that ``make_vectors(C)`` returns (any rotation of an ETF gives the same)."""

    def gram(C):
        vectors = make_vectors(C)
        if vectors is None or vectors is Ellipsis:
            return vectors
        try:
            array = np.asarray(vectors, dtype=float)
        except (TypeError, ValueError):  # text, ragged lists: the check says what it got
            return vectors
        if array.ndim != 2:
            shape = array.shape
            raise ValueError(f"simplex_etf should return a 2-D array, one vector per row; got shape {shape}")
        return array @ array.T

    return gram


def _reworded(verdict, show, old, new):
    """``verdict`` with ``old`` replaced by ``new`` in its message, displayed if ``show``."""
    return make_verdict(verdict.name, verdict.status, verdict.message.replace(old, new), show=show)


def reference_etf_gram(C):
    """Gram matrix of a simplex ETF of C unit vectors, cosines -1/(C-1) (Exercise 2, NC2, Eq. 66)."""
    return _gram_of(_reference_etf)(C)


def _reference_etf(C):
    return co.simplex_etf(C, C)


def _orthonormal(C):
    return np.eye(C)


def _not_rescaled(C):
    return np.eye(C) - 1 / C


def _rescaled_by_square(C):
    return C / (C - 1) * (np.eye(C) - 1 / C)


def _inverse_factor(C):
    return np.sqrt((C - 1) / C) * (np.eye(C) - 1 / C)


def _whole_norm(C):
    centred = np.eye(C) - 1 / C
    return centred / np.linalg.norm(centred)


ETF_CASES = [2, 3, 4, 10]
ETF_MISTAKES = {
    "These vectors are orthonormal (cosine 0). Remove their mean, so that "
    "they sum to zero: that is what makes the cosines negative.": _gram_of(_orthonormal),
    "Right directions, wrong length: removing the mean makes the basis "
    "vectors shorter than 1. Work out the length of e_c − 1/C and rescale "
    "to unit length.": _gram_of(_not_rescaled),
    "You divided by the squared length of e_c − 1/C, not by the length.": _gram_of(_rescaled_by_square),
}


def _check_etf(simplex_etf, show=True):
    student = _gram_of(_clearer(simplex_etf)) if callable(simplex_etf) else simplex_etf
    verdict = check_function(
        "Exercise 2: simplex_etf", student, reference_etf_gram, ETF_CASES, hints=ETF_MISTAKES, show=False
    )
    return _reworded(verdict, show, "the output", "the Gram matrix of your vectors")


def _hidden_etf(simplex_etf, rng):
    """Three numbers of classes from 5 to 40 that the lesson does not check, one as a numpy integer."""
    sizes = rng.choice([C for C in range(5, 41) if C not in ETF_CASES], size=3, replace=False)
    cases = [int(sizes[0]), int(sizes[1]), np.int64(sizes[2])]
    student = _gram_of(_clearer(simplex_etf)) if callable(simplex_etf) else simplex_etf
    verdict = check_function("Exercise 2: simplex_etf", student, reference_etf_gram, cases, show=False)
    return _reworded(verdict, False, "the output", "the Gram matrix of your vectors")


def _as_list(function):
    """The same answer, returned as a (nested) list instead of an array."""
    return lambda *args: np.asarray(function(*args)).tolist()


def _sample_etf(C):
    centred = np.eye(C) - np.ones((C, C)) / C
    return centred * np.sqrt(C / (C - 1))


def _etf_by_row_norms(C):
    centred = np.eye(C) - 1 / C
    return centred / np.linalg.norm(centred, axis=1, keepdims=True)


EXERCISE = Exercise(
    2,
    "simplex_etf",
    answers=("simplex_etf",),
    check=_check_etf,
    hidden=_hidden_etf,
    minutes=8,
    reference=(_reference_etf,),
    valid=(
        (_sample_etf,),
        (_etf_by_row_norms,),
        (lambda C: co.simplex_etf(C, C - 1, seed=3),),  # C vectors in C - 1 dimensions
        (lambda C: -_sample_etf(C),),
        (_as_list(_sample_etf),),
        (_float32(_sample_etf),),
    ),
    wrong=(
        ((_orthonormal,), "orthonormal"),
        ((_not_rescaled,), "wrong length"),
        ((_rescaled_by_square,), "squared length"),
        ((_inverse_factor,), None),
        ((_whole_norm,), None),
        ((lambda C: np.ones(C),), "2-D array"),
    ),
)
