"""The reference answers of Lesson 3 (labhelpers/lessons/lesson03.py) against the lesson's self-checks.

Each reference passes its own check, so do the lesson's sample solutions, and each mistake in a table gets
its own hint (not an earlier one, not the generic one). Exercise 4 (two numbers, with predicate hints) is
checked with the answers a student is likely to give.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from labhelpers.checks import check, check_function
from labhelpers.lessons import lesson03 as ref

# The lesson's sample solutions (its `solution` cells), written as a student would.


def nc1(features, labels):
    classes = np.unique(labels)
    C, N = len(classes), len(labels)
    means = np.stack([features[labels == c].mean(axis=0) for c in classes])
    residuals = features - means[np.searchsorted(classes, labels)]
    centred_means = means - features.mean(axis=0)
    within = residuals.T @ residuals / N
    between = centred_means.T @ centred_means / C
    return np.trace(within @ np.linalg.pinv(between)) / C


def simplex_etf(C):
    centred = np.eye(C) - np.ones((C, C)) / C
    return centred * np.sqrt(C / (C - 1))


def learned_rank(t, s, theta0):
    rise = np.log(s / theta0 - 1) / (2 * s)
    return (np.asarray(t)[:, None] > rise).sum(axis=1)


def ufm_self_duality(C):
    cosine = np.sqrt(1 - 1 / C)
    return np.sqrt(2 - 2 * cosine)


def ncc_mismatch(features, labels, W, b):
    means = np.stack([features[labels == c].mean(axis=0) for c in range(W.shape[0])])
    network = (features @ W.T + b).argmax(axis=1)
    distances = ((features[:, None, :] - means[None]) ** 2).sum(axis=-1)
    nearest = distances.argmin(axis=1)
    return np.mean(network != nearest)


# The ETF check compares Gram matrices: the student's function goes through ref.gram_of, a mistake does not.
EXERCISES = {
    "nc1": (nc1, ref.reference_nc1, ref.NC1_CASES, ref.NC1_MISTAKES),
    "etf": (ref.gram_of(simplex_etf), ref.reference_etf_gram, ref.ETF_CASES, ref.ETF_MISTAKES),
    "rank": (learned_rank, ref.reference_learned_rank, ref.RANK_CASES, ref.RANK_MISTAKES),
    "duality": (ufm_self_duality, ref.reference_self_duality, ref.DUALITY_CASES, ref.DUALITY_MISTAKES),
    "mismatch": (ncc_mismatch, ref.reference_mismatch, ref.MISMATCH_CASES, ref.MISMATCH_MISTAKES),
}


@pytest.mark.parametrize("exercise", EXERCISES)
def test_reference_and_sample_solution_pass_their_check(exercise):
    solution, reference, cases, mistakes = EXERCISES[exercise]
    for answer in (reference, solution):
        verdict = check_function(exercise, answer, reference, cases, hints=mistakes, show=False)
        assert verdict.status == "correct", verdict.message


@pytest.mark.parametrize("exercise", EXERCISES)
def test_each_mistake_gets_its_own_hint(exercise):
    _, reference, cases, mistakes = EXERCISES[exercise]
    assert len(mistakes) >= 3
    for message, mistake in mistakes.items():
        verdict = check_function(exercise, mistake, reference, cases, hints=mistakes, show=False)
        assert verdict.status == "incorrect"
        assert message in verdict.message, (message, verdict.message)


def test_the_etf_mistakes_are_caught_through_the_gram_matrix():
    """A student's wrong vectors reach the check as their Gram matrix, as in the lesson."""
    vectors = {
        "orthonormal": np.eye,
        "wrong length": lambda C: np.eye(C) - 1 / C,
        "squared length": lambda C: C / (C - 1) * (np.eye(C) - 1 / C),
    }
    for message in ref.ETF_MISTAKES:
        student = next(f for key, f in vectors.items() if key in message)
        verdict = check_function(
            "etf", ref.gram_of(student), ref.reference_etf_gram, ref.ETF_CASES, hints=ref.ETF_MISTAKES, show=False
        )
        assert verdict.status == "incorrect" and message in verdict.message, (message, verdict.message)


@pytest.mark.parametrize(
    ("ranks", "status", "words"),
    [
        ([4, 3], "correct", None),
        (np.array([4.0, 3.0]), "correct", None),
        ([3, 4], "incorrect", "wrong way round"),
        ([10, 10], "incorrect", "feature dimension D"),
        ([20, 19], "incorrect", "N = 20 rows"),
        ([3, 3], "incorrect", "rank of Y"),
        ([4, 4], "incorrect", "fitted first"),
        (..., "not attempted", None),
    ],
)
def test_exercise_4_ranks(ranks, status, words):
    verdict = check("Exercise 4", ranks, ref.EXPECTED_RANKS, hints=ref.RANK_HINTS, show=False)
    assert verdict.status == status, verdict.message
    if words:
        assert words in verdict.message, verdict.message


def test_no_hint_writes_out_the_answer():
    """The hints point to the idea; none holds the formula or code of a sample solution."""
    answers = [
        "ln(s/θ₀ − 1)",
        "/(2 s)",
        "sqrt(C/(C − 1))",
        "sqrt(1 − 1/C)",
        "sqrt(C) sqrt(C − 1)",
        "Y − 1 1ᵀ/C",
        "np.sqrt",
    ]
    messages = [m for *_, mistakes in EXERCISES.values() for m in mistakes]
    messages += [m for _, m in ref.RANK_HINTS]
    for message in messages:
        assert not [a for a in answers if a in message], message


def test_the_constants_are_the_lessons():
    assert (ref.N_CLASSES, ref.N_PER_CLASS, ref.FEATURE_DIM) == (4, 5, 10)
    np.testing.assert_array_equal(ref.EXPECTED_RANKS, [4.0, 3.0])
    # NC3 of the bias-free model does not depend on n; C = 4 gives sqrt(2 - sqrt(3)).
    assert ref.reference_self_duality(4) == pytest.approx(np.sqrt(2 - np.sqrt(3)), rel=1e-12)
    assert ref.reference_self_duality(4, n_per_class=9) == pytest.approx(ref.reference_self_duality(4), rel=1e-12)


def test_labhelpers_does_not_import_the_answers():
    code = "import sys, labhelpers; print('labhelpers.lessons.lesson03' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False"


def test_public_names():
    assert all(hasattr(ref, name) for name in ref.__all__)
    assert all(name.startswith(("reference_", "gram_of")) or name.isupper() for name in ref.__all__)
