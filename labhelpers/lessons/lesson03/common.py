"""What several exercises of Lesson 3 share: the sizes of its feature model, the random problems its checks
draw (features around class centres, a classifier, a bias), the class scatter, and the wrapper that turns
numpy's errors for common slips into a sentence a student can act on.

Book: lessons/lesson03_collapse.md (Exercises 1-6).
"""

from __future__ import annotations

import numpy as np

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


# Errors that numpy raises for a common mistake, and what the self-check says instead (a short sentence: the
# check shows at most 160 characters of an error). A `math` function given an array is check_function's
# scalar_case (Exercises 3 and 5).
_CLEARER_ERRORS = (
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
        except ValueError as error:  # LinAlgError is one
            try:
                text = str(error)
            except BaseException:  # a student's exception whose str() raises
                text = ""
            for kind, marks, explanation in _CLEARER_ERRORS:
                if isinstance(error, kind) and any(mark in text for mark in marks):
                    raise kind(explanation) from None
            raise

    return call


def _float32(function):
    """The same answer, returned as float32."""
    return lambda *args: np.asarray(function(*args), dtype=np.float32)
