"""Reference answers, self-checks and hidden checks of Lesson 3 (neural collapse): its registry ``EXERCISES``.

Each exercise has a self-check on the cases the lesson shows (``_check_*``, which ``self_check(N, ...)``
calls), a hidden check on fresh cases drawn at grading time (``_hidden_*``), the sample solution's answers,
other correct forms of them, and the plausible mistakes with the hint each gets.

Book: lessons/lesson03_collapse (its self-checks), and the grader (:mod:`labhelpers.grade`).
"""

from __future__ import annotations

import math

import numpy as np

from .. import collapse as co
from ..checks import Exercise, Exercises, check, check_function, make_verdict
from ..core import half_rise_time

__all__ = [
    "DUALITY_CASES",
    "DUALITY_MISTAKES",
    "ETF_CASES",
    "ETF_MISTAKES",
    "EXERCISES",
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
    "reference_etf_gram",
    "reference_learned_rank",
    "reference_mismatch",
    "reference_nc1",
    "reference_self_duality",
    "self_check",
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


def _random_problem(rng, spread=None):
    """A problem of :func:`_problem` with sizes drawn from ``rng``: 2-6 classes of unequal sizes, D = 2-11."""
    C = int(rng.integers(2, 7))
    counts = rng.integers(2, 10, size=C)
    D = int(rng.integers(2, 12))
    spread = float(10 ** rng.uniform(-1.5, 0.3)) if spread is None else spread
    return _problem(C, counts, D, spread=spread, seed=int(rng.integers(2**32)))


def _scatter(features, labels):
    """Residuals h_i - mu_yi, class means, centred means, number of classes."""
    classes = np.unique(labels)
    means = np.stack([features[labels == c].mean(axis=0) for c in classes])
    residuals = features - means[np.searchsorted(classes, labels)]
    return residuals, means, means - features.mean(axis=0), len(classes)


def _trace_ratio(within, between, C):
    return np.trace(within @ np.linalg.pinv(between)) / C


# Errors that numpy raises for a common mistake, and what the self-check says instead (a short sentence: the
# check shows at most 160 characters of an error).
_CLEARER_ERRORS = (
    (
        TypeError,
        ("0-dimensional arrays", "length-1 arrays", "size-1 arrays"),
        "the functions of the math module take single numbers, but later cells pass arrays: use numpy's",
    ),
    (
        np.linalg.LinAlgError,
        ("Singular matrix",),
        "Σ_B has rank C − 1 at most, so it has no inverse: use the pseudo-inverse np.linalg.pinv",
    ),
    (
        ValueError,
        ("negative integer powers",),
        "numpy cannot raise integers to negative powers: divide instead (1 / C, not C**-1)",
    ),
)


def _clearer(function):
    """``function`` (a student's), with the errors of ``_CLEARER_ERRORS`` re-raised with their explanation.

    Anything that is not a function is returned as it is, for the check to judge.
    """
    if not callable(function) or isinstance(function, np.ndarray):
        return function

    def call(*args):
        try:
            return function(*args)
        except (TypeError, ValueError) as error:
            try:
                text = str(error)
            except BaseException:  # a student's exception whose str() raises
                text = ""
            for kind, marks, explanation in _CLEARER_ERRORS:
                if isinstance(error, kind) and any(mark in text for mark in marks):
                    raise kind(explanation) from None
            raise

    return call


def _reworded(verdict, show, old, new):
    """``verdict`` with ``old`` replaced by ``new`` in its message, displayed if ``show``."""
    return make_verdict(verdict.name, verdict.status, verdict.message.replace(old, new), show=show)


# ---------------------------------------------------------------- Exercise 1: NC1


def reference_nc1(features, labels):
    """NC1 = (1/C) Tr(Sigma_W Sigma_B^+) of features (N, D) and labels (N,) (Exercise 1, App. F, Eq. 65)."""
    return co.nc1(features, labels)


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


# ---------------------------------------------------------------- Exercise 2: simplex ETF


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


def _times_s(t, s, theta0):
    return _rank_from(np.log(s / theta0 - 1) / 2 * s, t)


def _waiting(t, s, theta0):
    return len(s) - reference_learned_rank(t, s, theta0)


def _minus_one_outside(t, s, theta0):
    return _rank_from((np.log(s / theta0) - 1) / (2 * s), t)


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
    "Your stronger modes rise later: mind the brackets, `x / 2 * s` multiplies by s.": _times_s,
    "You counted the modes that are still waiting. Count those that have passed half their target.": _waiting,
}


def _check_rank(learned_rank, show=True):
    return check_function(
        "Exercise 3: learned_rank",
        _clearer(learned_rank),
        reference_learned_rank,
        RANK_CASES,
        hints=RANK_MISTAKES,
        show=show,
    )


def _hidden_rank(learned_rank, rng):
    """Fresh tasks: 1-5 modes in any order, one start or one per mode, integer s, random times."""
    cases = []
    for kind in ("one start", "one per mode", "integers"):
        r = int(rng.integers(1, 6))
        s = rng.integers(1, 6, size=r) if kind == "integers" else 10 ** rng.uniform(-0.7, 0.7, size=r)
        size = r if kind == "one per mode" else None
        low = -1 if kind == "one per mode" else -6  # starts not tiny: the -1 in ln(s/theta0 - 1) matters
        theta0 = np.min(s) * 10 ** rng.uniform(low, -0.5, size=size)
        end = 1.3 * np.max(half_rise_time(s, theta0))
        cases.append((np.sort(rng.uniform(0, end, size=int(rng.integers(500, 1500)))), s, theta0))
    name, student = "Exercise 3: learned_rank", _clearer(learned_rank)
    return check_function(name, student, reference_learned_rank, cases, show=False)


def _learned_rank_loop(t, s, theta0):
    """The same count with a loop over the times, as a list, from the equivalent ln((s - theta0)/theta0)."""
    rise = np.log((s - theta0) / theta0) / (2 * s)
    return [int(np.sum(time > rise)) for time in t]


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


def _check_ranks(ranks, show=True):
    return check("Exercise 4: rank of the features", ranks, EXPECTED_RANKS, hints=RANK_HINTS, show=show)


def _hidden_ranks(ranks, rng):
    """The ranks of what H Wᵀ must fit: the one-hot labels Y, and Y less the mean target the bias takes."""
    labels = rng.permutation(np.repeat(np.arange(N_CLASSES), N_PER_CLASS))
    Y = np.eye(N_CLASSES)[labels]
    fitted = [np.linalg.matrix_rank(Y), np.linalg.matrix_rank(Y - Y.mean(axis=0))]
    return check("Exercise 4: rank of the features", ranks, fitted, show=False)


# ---------------------------------------------------------------- Exercise 5: NC3 without a bias


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


def _check_duality(ufm_self_duality, show=True):
    return check_function(
        "Exercise 5: ufm_self_duality",
        _clearer(ufm_self_duality),
        reference_self_duality,
        DUALITY_CASES,
        hints=DUALITY_MISTAKES,
        show=show,
    )


def _hidden_duality(ufm_self_duality, rng):
    """Numbers of classes the lesson does not check, from 5 to 1000: a Python int, a numpy int, an array."""
    sizes = [int(C) for C in rng.integers(8, 1001, size=8) if int(C) not in DUALITY_CASES[:-1]]
    cases = [sizes[0], np.int64(sizes[1]), np.array(sizes[2:])]
    return check_function(
        "Exercise 5: ufm_self_duality", _clearer(ufm_self_duality), reference_self_duality, cases, show=False
    )


# ---------------------------------------------------------------- Exercise 6: NC4


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


# ---------------------------------------------------------------- the registry


def _as_list(function):
    """The same answer, returned as a (nested) list instead of an array."""
    return lambda *args: np.asarray(function(*args)).tolist()


def _float32(function):
    """The same answer, returned as float32."""
    return lambda *args: np.asarray(function(*args), dtype=np.float32)


def _sample_etf(C):
    centred = np.eye(C) - np.ones((C, C)) / C
    return centred * np.sqrt(C / (C - 1))


def _etf_by_row_norms(C):
    centred = np.eye(C) - 1 / C
    return centred / np.linalg.norm(centred, axis=1, keepdims=True)


def _sample_duality(C):
    return np.sqrt(2 - 2 * np.sqrt(1 - 1 / C))


EXERCISES = Exercises(
    [
        Exercise(
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
        ),
        Exercise(
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
        ),
        Exercise(
            3,
            "learned_rank",
            answers=("learned_rank",),
            check=_check_rank,
            hidden=_hidden_rank,
            minutes=12,
            reference=(reference_learned_rank,),
            valid=(
                (_learned_rank_loop,),
                (lambda t, s, theta0: _rank_from(np.log1p((s - 2 * theta0) / theta0) / (2 * s), t),),
                (lambda t, s, theta0: reference_learned_rank(t, s, theta0).astype(float),),
            ),
            wrong=(
                *(((mistake,), hint) for hint, mistake in RANK_MISTAKES.items()),
                ((lambda t, s, theta0: _rank_from(math.log(s / theta0 - 1) / (2 * s), t),), "math module"),
                ((_minus_one_outside,), None),
            ),
        ),
        Exercise(
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
        ),
        Exercise(
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
                ((_scalar_only,), "math module"),
                ((_negative_power,), "negative powers"),
            ),
        ),
        Exercise(
            6,
            "ncc_mismatch",
            answers=("ncc_mismatch",),
            check=_check_mismatch,
            hidden=_hidden_mismatch,
            minutes=8,
            reference=(reference_mismatch,),
            valid=((_mismatch_with_norms,), (lambda H, y, W, b: float(reference_mismatch(H, y, W, b)),)),
            wrong=tuple(((mistake,), hint) for hint, mistake in MISMATCH_MISTAKES.items()),
        ),
    ]
)
self_check = EXERCISES.self_check
