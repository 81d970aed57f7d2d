"""Reference answers, test cases and common mistakes for the self-checks of Lesson 3 (neural collapse).

Book: lessons/lesson03_collapse (its self-checks).
"""

from __future__ import annotations

import numpy as np

from .. import collapse as co
from ..core import half_rise_time

__all__ = [
    "DUALITY_CASES",
    "DUALITY_MISTAKES",
    "ETF_CASES",
    "ETF_MISTAKES",
    "EXPECTED_RANKS",
    "FEATURE_DIM",
    "MISMATCH_CASES",
    "MISMATCH_MISTAKES",
    "N_CLASSES",
    "N_PER_CLASS",
    "NC1_CASES",
    "NC1_MISTAKES",
    "RANK_CASES",
    "RANK_HINTS",
    "RANK_MISTAKES",
    "gram_of",
    "reference_etf_gram",
    "reference_learned_rank",
    "reference_mismatch",
    "reference_nc1",
    "reference_self_duality",
]

# C, n, D of the unconstrained feature model of the lesson's Sections 4-5 (the lesson's Setup cell).
N_CLASSES, N_PER_CLASS, FEATURE_DIM = 4, 5, 10


def _problem(C, counts, D, spread=1.0, seed=0):
    """Features around C random centres, labels, a classifier, a bias."""
    g = np.random.default_rng(seed)
    labels = g.permutation(np.repeat(np.arange(C), counts))
    centres = g.standard_normal((C, D))
    features = centres[labels] + spread * g.standard_normal((labels.size, D))
    return features, labels, g.standard_normal((C, D)), g.standard_normal(C)


def _scatter(features, labels):
    """Residuals h_i - mu_yi, class means, centred means, number of classes."""
    classes = np.unique(labels)
    means = np.stack([features[labels == c].mean(axis=0) for c in classes])
    residuals = features - means[np.searchsorted(classes, labels)]
    return residuals, means, means - features.mean(axis=0), len(classes)


def _trace_ratio(within, between, C):
    return np.trace(within @ np.linalg.pinv(between)) / C


# ---------------------------------------------------------------- Exercise 1: NC1


def reference_nc1(features, labels):
    """NC1 = (1/C) Tr(Sigma_W Sigma_B^+) of features (N, D) and labels (N,) (Exercise 1, App. F)."""
    return co.nc1(features, labels)


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


def _times_classes(features, labels):
    return len(np.unique(labels)) * reference_nc1(features, labels)


def _between_over_samples(features, labels):
    return reference_nc1(features, labels) * len(labels) / len(np.unique(labels))


NC1_CASES = [
    _problem(4, 6, 7, seed=1)[:2],
    _problem(3, [4, 9, 6], 5, seed=2)[:2],  # classes of unequal size
    _problem(5, 8, 8, spread=0.05, seed=3)[:2],  # almost collapsed
    _problem(4, 10, 2, seed=4)[:2],  # D < C - 1
]
NC1_MISTAKES = {
    "Divide the trace by the number of classes C: NC1 = (1/C) Tr(Σ_W Σ_B⁺).": _times_classes,
    "Σ_B is built from the *centred* class means μ_c − μ_G: without the "
    "centring it also measures how far the features sit from the origin.": _uncentred_between,
    "Σ_W averages over all N samples, (1/N) Σ_i (h_i − μ_yi)(h_i − μ_yi)ᵀ, "
    "not over classes: with unequal classes the two differ.": _per_class_within,
    "Your ratio is upside down: NC1 is the within-class spread measured in "
    "units of the between-class spread, Tr(Σ_W Σ_B⁺).": _upside_down,
    "Σ_B averages over the C classes, (1/C) Σ_c, not over the N samples.": _between_over_samples,
}


# ---------------------------------------------------------------- Exercise 2: simplex ETF


def gram_of(make_vectors):
    """Gram matrix of the rows your function returns (any rotation passes)."""

    def gram(C):
        vectors = make_vectors(C)
        if vectors is None or vectors is Ellipsis:
            return vectors
        vectors = np.asarray(vectors, dtype=float)
        return vectors @ vectors.T

    return gram


def reference_etf_gram(C):
    """Gram matrix of a simplex ETF of C unit vectors, cosines -1/(C-1) (Exercise 2, NC2)."""
    return gram_of(lambda C: co.simplex_etf(C, C))(C)


def _orthonormal(C):
    return np.eye(C)


def _not_rescaled(C):
    return np.eye(C) - 1 / C


def _rescaled_by_square(C):
    return (C / (C - 1)) ** 2 * (np.eye(C) - 1 / C)


ETF_CASES = [2, 3, 4, 10]
ETF_MISTAKES = {
    "These vectors are orthonormal (cosine 0). Remove their mean, so that "
    "they sum to zero: that is what makes the cosines negative.": _orthonormal,
    "Right directions, wrong length: removing the mean makes the basis "
    "vectors shorter than 1. Work out the length of e_c − 1/C and rescale "
    "to unit length.": _not_rescaled,
    "You divided by the squared length of e_c − 1/C, not by the length.": _rescaled_by_square,
}


# ---------------------------------------------------------------- Exercise 3: greedy learning


def reference_learned_rank(t, s, theta0):
    """Number of modes of Eq. 12 past half their target, s/2, at each time t (Exercise 3)."""
    rise = half_rise_time(s, theta0)
    times = np.asarray(t, dtype=float)[:, None]
    return (times > np.atleast_1d(rise)).sum(axis=1)


def _rank_from(rise, t):
    times = np.asarray(t, dtype=float)[:, None]
    return (times > np.atleast_1d(rise)).sum(axis=1)


def _rate_s(t, s, theta0):
    return _rank_from(np.log(s / theta0 - 1) / s, t)


def _log_ratio(t, s, theta0):
    return _rank_from(np.log(s / theta0) / (2 * s), t)


def _no_time_scale(t, s, theta0):
    return _rank_from(np.log(s / theta0 - 1) / 2, t)


def _waiting(t, s, theta0):
    return len(s) - reference_learned_rank(t, s, theta0)


RANK_CASES = [
    (np.linspace(0, 8, 161), np.array([3.0, 2.0, 1.0, 0.5]), 1e-3),
    (np.linspace(0, 3, 301), np.array([1.0, 0.9]), np.array([0.3, 1e-4])),
    (np.linspace(0, 40, 401), np.array([2.0, 2.0, 0.25]), 1e-6),
]
RANK_MISTAKES = {
    "Your modes rise twice as late as Eq. 12 says: look again at the rate in its exponent.": _rate_s,
    "Close! Solve θ(t) = s/2 in Eq. 12 exactly, without dropping any term: "
    "the difference matters when θ₀ is not tiny.": _log_ratio,
    "A stronger mode is learned sooner: how does the time scale of Eq. 12 "
    "depend on s? Did you forget it?": _no_time_scale,
    "You counted the modes that are still waiting. Count those that have passed half their target.": _waiting,
}


# ---------------------------------------------------------------- Exercise 4: rank of the features

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


# ---------------------------------------------------------------- Exercise 5: NC3 without a bias


def reference_self_duality(C, n_per_class=N_PER_CLASS):
    """NC3 = ||W/||W|| - M/||M|| ||_F of the trained bias-free feature model, C classes (Exercise 5)."""
    return co.ufm_limit(C, n_per_class)["self_duality"]


def _no_root(C):
    return 2 - 2 * np.sqrt(1 - 1 / C)


def _cosine_unrooted(C):
    return np.sqrt(2 - 2 * (1 - 1 / C))


def _dropped_two(C):
    return np.sqrt(1 - np.sqrt(1 - 1 / C))


DUALITY_CASES = [2, 3, 4, 10, 100]
DUALITY_MISTAKES = {
    "NC3 is a Frobenius norm: take the square root of 2 − 2 cos.": _no_root,
    "Check your cosine: it is ⟨R, R − 1 r̄ᵀ⟩ divided by the product of the "
    "two Frobenius norms, ‖R‖ and ‖R − 1 r̄ᵀ‖, which are not equal.": _cosine_unrooted,
    "For unit-norm A and B, ‖A − B‖² = 2 − 2⟨A, B⟩: did you drop a 2?": _dropped_two,
}


# ---------------------------------------------------------------- Exercise 6: NC4


def reference_mismatch(features, labels, W, b):
    """NC4: share of samples where argmax_c (W h + b)_c is not the nearest class mean (Exercise 6, App. F)."""
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
    "The nearest-class-mean rule uses the means μ_c, not the centred μ_c − μ_G.": _centred_means,
}
