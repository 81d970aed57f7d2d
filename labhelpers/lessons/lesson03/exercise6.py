"""Exercise 6 of Lesson 3, NC4: the reference ``reference_mismatch`` (the share of samples where the
network's decision is not the nearest class mean), the visible problems, the slips (no bias, an error rate
instead of the mismatch, argmin for argmax, centred means, agreement, a count) with their hints, the
self-check, the hidden check on fresh problems that tell every slip apart, and the other valid forms.

Book: lessons/lesson03_collapse.md (Exercise 6).
"""

from __future__ import annotations

import numpy as np

from ... import collapse as co
from ...checks import Exercise, check_function
from .common import _clearer, _problem, _random_problem, _scatter


def reference_mismatch(features, labels, W, b):
    """NC4: share of samples where argmax_c (W h + b)_c is not the nearest class mean (Exercise 6, Eq. 68)."""
    return co.nc4(features, labels, W, b)


def _nearest(features, centres):
    distances = ((features[:, None, :] - centres[None]) ** 2).sum(axis=-1)
    return distances.argmin(axis=1)


def _no_bias(H, y, W, b):
    return reference_mismatch(H, y, W, None)


def _network_error(H, y, W, b):
    return np.mean((H @ W.T + b).argmax(axis=1) != y)


def _ncc_error(H, y, W, b):
    return np.mean(_nearest(H, _scatter(H, y)[1]) != y)


def _argmin(H, y, W, b):
    return np.mean((H @ W.T + b).argmin(axis=1) != _nearest(H, _scatter(H, y)[1]))


def _centred_means(H, y, W, b):
    return np.mean((H @ W.T + b).argmax(axis=1) != _nearest(H, _scatter(H, y)[2]))


def _farthest(H, y, W, b):
    distances = ((H[:, None, :] - _scatter(H, y)[1][None]) ** 2).sum(axis=-1)
    return np.mean((H @ W.T + b).argmax(axis=1) != distances.argmax(axis=1))


def _agreement(H, y, W, b):
    return 1 - reference_mismatch(H, y, W, b)


def _count(H, y, W, b):
    return len(y) * reference_mismatch(H, y, W, b)


MISMATCH_CASES = [
    _problem(4, 6, 5, seed=5),
    _problem(3, [5, 8, 4], 6, seed=6),
    _problem(5, 6, 3, spread=0.5, seed=7),
]
MISMATCH_MISTAKES = {
    "The network's decision is argmax_c (W h + b)_c: include the bias.": _no_bias,
    "NC4 compares the network with the nearest-class-mean rule, not with the "
    "labels: this is the network's error rate.": _network_error,
    "This is the error rate of the nearest-class-mean rule. NC4 compares "
    "that rule with the network's decision, argmax_c (W h + b)_c.": _ncc_error,
    "The network picks the *largest* output: argmax, not argmin.": _argmin,
    "The nearest-class-mean rule picks the *smallest* distance: argmin, not argmax.": _farthest,
    "The nearest-class-mean rule uses the means μ_c, not the centred μ_c − μ_G.": _centred_means,
    "You measured how often the two rules agree: NC4 is the share where they disagree.": _agreement,
    "NC4 is a share of the samples, between 0 and 1: divide the number of disagreements by N.": _count,
}


def _check_mismatch(ncc_mismatch, show=True):
    return check_function(
        "Exercise 6: ncc_mismatch",
        _clearer(ncc_mismatch),
        reference_mismatch,
        MISMATCH_CASES,
        hints=MISMATCH_MISTAKES,
        show=show,
    )


def _hidden_mismatch(ncc_mismatch, rng):
    """Fresh features away from the origin, overlapping classes, large biases; and a classifier close to the
    nearest-class-mean rule (scores mu_c . h - |mu_c|^2 / 2, perturbed)."""
    cases = []
    for _ in range(100):  # keep the draws on which every known mistake gives another value than NC4
        features, labels, W, b = _random_problem(rng, spread=float(rng.uniform(1.0, 2.5)))
        case = (features + 3 * rng.standard_normal(features.shape[1]), labels, W, 3 * b)
        nc4 = reference_mismatch(*case)
        if all(not np.isclose(mistake(*case), nc4) for mistake in MISMATCH_MISTAKES.values()):
            cases.append(case)
        if len(cases) == 2:
            break
    features, labels, _, _ = _random_problem(rng, spread=0.7)
    features = features + 3 * rng.standard_normal(features.shape[1])
    means = _scatter(features, labels)[1]
    W = means + 0.2 * rng.standard_normal(means.shape)
    cases.append((features, labels, W, -0.5 * (W**2).sum(axis=1)))
    name, student = "Exercise 6: ncc_mismatch", _clearer(ncc_mismatch)
    return check_function(name, student, reference_mismatch, cases, show=False)


def _mismatch_with_norms(features, labels, W, b):
    """The same share with the classes from np.unique, np.linalg.norm distances and a count over N."""
    classes = np.unique(labels)
    means = np.stack([features[labels == c].mean(axis=0) for c in classes])
    network = np.argmax(features @ W.T + b[None, :], axis=1)
    nearest = np.linalg.norm(features[:, None, :] - means[None], axis=-1).argmin(axis=1)
    return np.float32(np.count_nonzero(network != nearest) / len(labels))


EXERCISE = Exercise(
    6,
    "ncc_mismatch",
    answers=("ncc_mismatch",),
    check=_check_mismatch,
    hidden=_hidden_mismatch,
    minutes=8,
    reference=(reference_mismatch,),
    valid=((_mismatch_with_norms,), (lambda H, y, W, b: float(reference_mismatch(H, y, W, b)),)),
    wrong=tuple(((mistake,), hint) for hint, mistake in MISMATCH_MISTAKES.items()),
)
