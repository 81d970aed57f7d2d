"""Lesson 5, Exercise 1: ``conserved_quantity``, Sigma**2 - beta**2 of Eq. 15's network (conserved by gradient
flow). The reference answer, the visible cases and the common mistakes with their hints, the self-check and
the grader's hidden check, other valid forms and plausible wrong answers, and the registry entry ``EXERCISE``.

Book: lessons/lesson05_grokking.md (Exercise 1).
"""

from __future__ import annotations

import numpy as np

from ... import grokking as gk
from ...checks import Exercise, check_function
from .common import _gaussian_pair, _normalisation, _pair, _start, _title, _with_batch_hint


def reference_conserved(a, b, Z):
    """Exercise 1: Sigma**2 - beta**2 of Eq. 15's network, conserved by gradient flow (last axis: units)."""
    weights = {"a": a, "b": b}
    return gk.weight_scale(weights, Z) ** 2 - gk.slope(weights, Z) ** 2


def _sigma_beta(a, b, Z):
    return (np.sum(a**2 + b**2, -1) / (2 * Z), np.sum(a * b, -1) / Z)


CONSERVED_CASES = [
    (*_pair(_start(5, 0.7, 1)), 1.0),
    (*_pair(_start(8, 0.5, 2, (3,))), 2.5),
    (*_pair(_start(20, 1.0, 3)), np.sqrt(20.0)),
    (*_pair(gk.sign_init(6, 4, 0.8)), 2),
]
CONSERVED_MISTAKES = {
    "Both Σ and β carry the output normalisation 1/Z (see their definitions under Eq. 15). "
    "Did you leave out Z?": lambda a, b, Z: reference_conserved(a, b, 1.0),
    "Look again at the prefactor of Σ in its definition: with it, Σ = β when every aᵢ = bᵢ.": (
        lambda a, b, Z: (2 * _sigma_beta(a, b, Z)[0]) ** 2 - _sigma_beta(a, b, Z)[1] ** 2
    ),
    "Square both: the conserved quantity is Σ² − β², not Σ − β.": (
        lambda a, b, Z: np.subtract(*_sigma_beta(a, b, Z))
    ),
    "Σ² − β², in this order: it is never negative, since |β| ≤ Σ.": (
        lambda a, b, Z: -reference_conserved(a, b, Z)
    ),
}


def _check_conserved(conserved_quantity, show=True):
    verdict = check_function(
        _title(1, "conserved_quantity"),
        conserved_quantity,
        reference_conserved,
        CONSERVED_CASES,
        hints=CONSERVED_MISTAKES,
        show=False,
    )
    return _with_batch_hint(verdict, CONSERVED_CASES, show)


def _hidden_conserved(conserved_quantity, rng):
    cases = []
    for batch in [(), (int(rng.integers(2, 6)),), (2, int(rng.integers(2, 4)))]:
        p = int(rng.integers(2, 40))
        cases.append((*_gaussian_pair(rng, batch, p, rng.uniform(0.1, 1.5)), _normalisation(rng, p)))
    a = rng.standard_normal(int(rng.integers(3, 12)))
    cases += [
        (a, a.copy(), int(rng.integers(2, 5))),
        (a, -a, rng.uniform(0.5, 3.0)),
    ]  # all aligned, anti-aligned
    return check_function(
        _title(1, "conserved_quantity"),
        conserved_quantity,
        reference_conserved,
        cases,
        hints=CONSERVED_MISTAKES,
        show=False,
    )


def _conserved_as_list(a, b, Z):
    return np.asarray(reference_conserved(a, b, Z)).tolist()


def _conserved_float32(a, b, Z):
    return (
        np.float32(reference_conserved(a, b, Z))
        if np.ndim(a) == 1
        else reference_conserved(a, b, Z).astype("f4")
    )


def _conserved_factored(a, b, Z):
    Sigma = (np.einsum("...i,...i->...", a, a) + np.einsum("...i,...i->...", b, b)) / (2 * Z)
    beta = np.einsum("...i,...i->...", a, b) / Z
    return (Sigma - beta) * (Sigma + beta)


def _conserved_all_axes(a, b, Z):
    return (np.sum(a**2 + b**2) / (2 * Z)) ** 2 - (np.sum(a * b) / Z) ** 2


def _conserved_dot(a, b, Z):
    return (np.dot(a, a) + np.dot(b, b)) ** 2 / (2 * Z) ** 2 - (np.dot(a, b) / Z) ** 2


def _conserved_no_square_of_Z(a, b, Z):
    Sigma, beta = _sigma_beta(a, b, 1.0)
    return (Sigma**2 - beta**2) / Z


EXERCISE = Exercise(
    1,
    "conserved_quantity",
    answers=("conserved_quantity",),
    check=_check_conserved,
    hidden=_hidden_conserved,
    minutes=10,
    reference=(reference_conserved,),
    valid=((_conserved_as_list,), (_conserved_float32,), (_conserved_factored,)),
    wrong=(
        *(((fn,), hint) for hint, fn in CONSERVED_MISTAKES.items()),
        ((_conserved_all_axes,), "reduce the last axis only"),
        ((_conserved_dot,), "reduce the last axis only"),
        ((_conserved_no_square_of_Z,), None),
    ),
)
