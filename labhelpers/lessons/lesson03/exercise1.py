"""Exercise 1 of Lesson 3, NC1: the reference ``reference_nc1``, the visible cases, the slips (a factor of
C, N or N/C; np.cov's N − 1; uncentred class means; per-class averages; the ratio upside down) with the hint
each gets, the self-check, the hidden check on fresh features, and the other valid forms.

Book: lessons/lesson03_collapse.md (Exercise 1).
"""

from __future__ import annotations

import numpy as np

from ... import collapse as co
from ...checks import Exercise, check_function
from .common import _clearer, _float32, _problem, _random_problem, _scatter


def reference_nc1(features, labels):
    """NC1 = (1/C) Tr(Sigma_W Sigma_B^+) of features (N, D) and labels (N,) (Exercise 1, App. F, Eq. 65)."""
    return co.nc1(features, labels)


def _trace_ratio(within, between, C):
    return np.trace(within @ np.linalg.pinv(between)) / C


def _times(factor):
    """The mistake that multiplies NC1 by ``factor(N, C)``."""

    def mistake(features, labels):
        return factor(len(labels), len(np.unique(labels))) * reference_nc1(features, labels)

    return mistake


def _per_class_within(features, labels):
    residuals, _, centred, C = _scatter(features, labels)
    within = sum(np.cov(residuals[labels == c].T, bias=True) for c in range(C))
    return _trace_ratio(within / C, centred.T @ centred / C, C)


def _uncentred_between(features, labels):
    residuals, means, _, C = _scatter(features, labels)
    within = residuals.T @ residuals / len(labels)
    return _trace_ratio(within, means.T @ means / C, C)


def _upside_down(features, labels):
    residuals, _, centred, C = _scatter(features, labels)
    within = residuals.T @ residuals / len(labels)
    return np.trace(centred.T @ centred / C @ np.linalg.pinv(within)) / C


def _with_inv(features, labels):
    residuals, _, centred, C = _scatter(features, labels)
    return np.trace(residuals.T @ residuals / len(labels) @ np.linalg.inv(centred.T @ centred / C)) / C


def _ratio_of_traces(features, labels):
    residuals, _, centred, C = _scatter(features, labels)
    return np.trace(residuals.T @ residuals) / len(labels) / (np.trace(centred.T @ centred) / C) / C


NC1_CASES = [
    _problem(4, 6, 7, seed=1)[:2],
    _problem(3, [4, 9, 6], 5, seed=2)[:2],  # classes of unequal size
    _problem(5, 8, 8, spread=0.05, seed=3)[:2],  # almost collapsed
    _problem(4, 10, 2, seed=4)[:2],  # D < C - 1
]
# Some slips give the same factor (Sigma_W over C, Sigma_B over N: N/C times too large): the hint names each.
NC1_MISTAKES = {
    "Divide the trace by the number of classes C: NC1 = (1/C) Tr(Σ_W Σ_B⁺).": _times(lambda N, C: C),
    "Your NC1 is C times too small: Σ_B is an average over the C classes (divide its sum by C), and the "
    "trace is divided by C only once.": _times(lambda N, C: 1 / C),
    "Your NC1 is N/C times too large: Σ_W averages over the N samples, Σ_B over the C classes.": _times(
        lambda N, C: N / C
    ),
    "Your NC1 is N times too large: Σ_W is an average, so divide its sum over the samples by N.": _times(
        lambda N, C: N
    ),
    "Divide the trace by the number of classes C, not by N.": _times(lambda N, C: C / N),
    "Σ_W divides by N, not by N − 1 (np.cov divides by N − 1 unless you pass bias=True).": _times(
        lambda N, C: N / (N - 1)
    ),
    "Σ_B divides by C, not by C − 1 (np.cov divides by C − 1 unless you pass bias=True).": _times(
        lambda N, C: (C - 1) / C
    ),
    "Σ_B is built from the *centred* class means μ_c − μ_G: without the "
    "centring it also measures how far the features sit from the origin.": _uncentred_between,
    "Σ_W averages over all N samples, (1/N) Σ_i (h_i − μ_yi)(h_i − μ_yi)ᵀ, "
    "not over classes: with unequal classes the two differ.": _per_class_within,
    "Your ratio is upside down: NC1 is the within-class spread measured in "
    "units of the between-class spread, Tr(Σ_W Σ_B⁺).": _upside_down,
}


def _check_nc1(nc1, show=True):
    name, student = "Exercise 1: nc1", _clearer(nc1)
    return check_function(name, student, reference_nc1, NC1_CASES, hints=NC1_MISTAKES, show=show)


def _hidden_nc1(nc1, rng):
    """Fresh features: 2-6 classes of unequal sizes, D = 2-11 (one case with D >= C, one with D < C - 1)."""
    C = int(rng.integers(2, 6))
    wide = _problem(C, rng.integers(3, 9, size=C), C + int(rng.integers(0, 5)), seed=int(rng.integers(2**32)))
    cases = [wide[:2]]
    cases += [_random_problem(rng)[:2] for _ in range(2)]
    cases.append(_problem(int(rng.integers(4, 7)), rng.integers(3, 8), 2, seed=int(rng.integers(2**32)))[:2])
    return check_function("Exercise 1: nc1", _clearer(nc1), reference_nc1, cases, show=False)


def _nc1_as_covariances(features, labels):
    """Sigma_W as the class covariances weighted by the class sizes (np.cov), the cyclic trace."""
    classes = np.unique(labels)
    N, C = len(labels), len(classes)
    parts = [features[labels == c] for c in classes]
    within = sum(len(p) * np.atleast_2d(np.cov(p.T, bias=True)) for p in parts) / N
    centred = np.stack([p.mean(axis=0) for p in parts]) - features.mean(axis=0)
    return np.trace(np.linalg.pinv(centred.T @ centred / C) @ within) / C


EXERCISE = Exercise(
    1,
    "nc1",
    answers=("nc1",),
    check=_check_nc1,
    hidden=_hidden_nc1,
    minutes=12,
    reference=(reference_nc1,),
    valid=(
        (_nc1_as_covariances,),
        (_float32(reference_nc1),),
        (lambda H, y: float(reference_nc1(H, y)),),
    ),
    wrong=(
        *(((mistake,), hint) for hint, mistake in NC1_MISTAKES.items()),
        ((_with_inv,), "pseudo-inverse"),
        ((_ratio_of_traces,), None),
    ),
)
