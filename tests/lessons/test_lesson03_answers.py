"""Lesson 3's registry (labhelpers.lessons.lesson03.EXERCISES): what the shared test does not cover.

``tests/lessons/test_exercises.py`` feeds each exercise its reference, its other valid forms, its plausible
mistakes and junk. Here: the lesson's own sample solutions pass both checks; a student who hard-codes the
visible cases passes the self-check but not the hidden one; answers that only work on single numbers are
refused with a hint saying so, because later cells call them on arrays; slips that give the same number get
a hint that names every one of them; Exercise 4 is judged by the ranks of what the features must fit.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import jupytext
import numpy as np
import pytest

from labhelpers.checks import CORRECT, INCORRECT, NOT_ATTEMPTED
from labhelpers.lessons import lesson03 as ref

LESSON = Path(__file__).resolve().parents[2] / "lessons" / "lesson03_collapse.md"
SEEDS = range(5)


def rng(seed=0):
    return np.random.default_rng(seed)


def exercise(number):
    return ref.EXERCISES[number]


@pytest.fixture(scope="module")
def solutions():
    """The names the lesson's solution cells define, run as the notebook runs them."""
    namespace = {"np": np, "N_CLASSES": ref.N_CLASSES, "N_PER_CLASS": ref.N_PER_CLASS}
    for cell in jupytext.read(LESSON).cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "code" and "solution" in tags and "hide-input" in tags:
            exec(cell.source, namespace)  # noqa: S102 - the lesson's own code
    return namespace


@pytest.mark.parametrize("number", range(1, 7))
def test_the_lessons_sample_solutions_pass_both_checks(solutions, number):
    ex = exercise(number)
    answers = [solutions[name] for name in ex.answers]
    verdict = ex.check(*answers, show=False)
    assert verdict.status == CORRECT and verdict.name == ex.name, verdict
    for seed in SEEDS:
        assert ex.hidden(*answers, rng=rng(seed)).status == CORRECT


def test_verdicts_carry_the_registrys_names():
    for ex in ref.EXERCISES.values():
        assert ex.check(*ex.reference, show=False).name == ex.name
        assert ex.hidden(*ex.reference, rng=rng()).name == ex.name


# ---------------------------------------------------------------- hard-coded answers


def _same(a, b):
    try:
        return np.shape(a) == np.shape(b) and np.array_equal(a, b)
    except TypeError:
        return False


def hard_coded(cases, reference, otherwise):
    """A student's function that returns the reference's outputs on the visible cases only."""

    def student(*args):
        for case in cases:
            case = case if isinstance(case, tuple) else (case,)
            if len(case) == len(args) and all(_same(a, b) for a, b in zip(args, case)):
                return reference(*args)
        return otherwise(*args)

    return student


HARD_CODED = {
    1: hard_coded(ref.NC1_CASES, ref.reference_nc1, lambda H, y: 0.5),
    2: hard_coded(ref.ETF_CASES, lambda C: ref.EXERCISES[2].reference[0](C), np.eye),
    3: hard_coded(ref.RANK_CASES, ref.reference_learned_rank, lambda t, s, theta0: np.zeros(len(t), dtype=int)),
    5: hard_coded(ref.DUALITY_CASES, ref.reference_self_duality, lambda C: 0.5 + 0 * np.asarray(C, dtype=float)),
    6: hard_coded(ref.MISMATCH_CASES, ref.reference_mismatch, lambda H, y, W, b: 0.0),
}


@pytest.mark.parametrize("number", sorted(HARD_CODED))
def test_hard_coding_the_visible_cases_fails_the_hidden_check(number):
    ex = exercise(number)
    student = HARD_CODED[number]
    assert ex.check(student, show=False).status == CORRECT
    for seed in SEEDS:
        verdict = ex.hidden(student, rng=rng(seed))
        assert verdict.status == INCORRECT, f"{ex.name}, seed {seed}: {verdict}"


def test_the_hidden_cases_change_with_the_seed_and_avoid_the_visible_ones():
    """The grader draws new cases for each run; the numbers of classes are never the lesson's."""
    seen = set()
    for seed in range(20):
        calls = []

        def simplex_etf(C, calls=calls):
            calls.append(int(C))
            return np.eye(C)

        exercise(2).hidden(simplex_etf, rng=rng(seed))
        assert not set(calls) & set(ref.ETF_CASES)
        seen.add(tuple(calls))
    assert len(seen) > 15


# ---------------------------------------------------------------- arrays where later cells pass arrays


def test_exercise_5_is_checked_on_the_array_the_figure_uses():
    arrays = [case for case in ref.DUALITY_CASES if np.ndim(case) == 1]
    assert arrays and np.array_equal(arrays[0], np.arange(2, 8))
    np.testing.assert_allclose(
        ref.reference_self_duality(np.arange(2, 8)), [ref.reference_self_duality(C) for C in range(2, 8)], rtol=1e-12
    )


@pytest.mark.parametrize(
    ("number", "student"),
    [
        (5, lambda C: math.sqrt(2 - 2 * math.sqrt(1 - 1 / C))),
        (3, lambda t, s, theta0: (np.asarray(t)[:, None] > math.log(s / theta0 - 1) / (2 * s)).sum(axis=1)),
    ],
    ids=["ex5-math.sqrt", "ex3-math.log"],
)
def test_a_scalar_only_answer_is_refused_with_a_hint_saying_why(number, student):
    verdict = exercise(number).check(student, show=False)
    assert (
        verdict.status == INCORRECT
        and "works on single numbers but raises on arrays" in verdict.message
        and "numpy's functions" in verdict.message
    )


def test_a_branch_on_a_single_number_is_refused():
    def ufm_self_duality(C):
        if C > 1:  # fine for one C, ambiguous for an array
            return np.sqrt(2 - 2 * np.sqrt(1 - 1 / C))
        return 0.0

    verdict = exercise(5).check(ufm_self_duality, show=False)
    assert verdict.status == INCORRECT and "C=[2, 3, 4, 5, 6, 7]" in verdict.message


def test_integer_classes_to_a_negative_power_get_a_hint():
    verdict = exercise(5).check(lambda C: np.sqrt(2 - 2 * np.sqrt(1 - C**-1)), show=False)
    assert verdict.status == INCORRECT and "negative powers" in verdict.message


# ---------------------------------------------------------------- Exercise 1: hints that name the actual cause


def _nc1(within_by, between_by, trace_by, inverse=np.linalg.pinv):
    """NC1 as a student writes it, with the normalisations given as functions of (N, C)."""

    def nc1(features, labels):
        classes = np.unique(labels)
        C, N = len(classes), len(labels)
        means = np.stack([features[labels == c].mean(axis=0) for c in classes])
        residuals = features - means[np.searchsorted(classes, labels)]
        centred = means - features.mean(axis=0)
        within = residuals.T @ residuals / within_by(N, C)
        between = centred.T @ centred / between_by(N, C)
        return np.trace(within @ inverse(between)) / trace_by(N, C)

    return nc1


@pytest.mark.parametrize(
    ("slip", "student", "words"),
    [
        (
            "no 1/C before the trace",
            _nc1(lambda N, C: N, lambda N, C: C, lambda N, C: 1),
            "Divide the trace by the number of classes C",
        ),
        ("no 1/C in Sigma_B", _nc1(lambda N, C: N, lambda N, C: 1, lambda N, C: C), "Σ_B is an average over the C"),
        ("trace over C twice", _nc1(lambda N, C: N, lambda N, C: C, lambda N, C: C * C), "divided by C only once"),
        ("Sigma_W over C", _nc1(lambda N, C: C, lambda N, C: C, lambda N, C: C), "Σ_W averages over the N samples"),
        ("Sigma_B over N", _nc1(lambda N, C: N, lambda N, C: N, lambda N, C: C), "Σ_B over the C classes"),
        ("Sigma_W not divided", _nc1(lambda N, C: 1, lambda N, C: C, lambda N, C: C), "N times too large"),
        ("trace over N", _nc1(lambda N, C: N, lambda N, C: C, lambda N, C: N), "C, not by N"),
        ("np.cov default", _nc1(lambda N, C: N - 1, lambda N, C: C, lambda N, C: C), "not by N − 1"),
        ("inverse", _nc1(lambda N, C: N, lambda N, C: C, lambda N, C: C, np.linalg.inv), "pseudo-inverse"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_exercise_1_slips_that_give_the_same_number_get_a_hint_naming_each(slip, student, words):
    verdict = exercise(1).check(student, show=False)
    assert verdict.status == INCORRECT and words in verdict.message, (slip, verdict.message)
    assert exercise(1).hidden(student, rng=rng()).status == INCORRECT


# ---------------------------------------------------------------- Exercise 2: judged by the Gram matrix


def test_exercise_2_accepts_any_rotation_and_more_dimensions():
    def rotated(C):
        rotation = np.linalg.qr(rng(C).standard_normal((C, C)))[0]
        return (np.eye(C) - 1 / C) * np.sqrt(C / (C - 1)) @ rotation

    def embedded(C):
        return ref.co.simplex_etf(C, C + 3, seed=2)

    for student in (rotated, embedded):
        assert exercise(2).check(student, show=False).status == CORRECT
        assert exercise(2).hidden(student, rng=rng()).status == CORRECT


def test_exercise_2_talks_about_the_gram_matrix_and_wants_rows():
    verdict = exercise(2).check(lambda C: 2 * (np.eye(C) - 1 / C) * np.sqrt(C / (C - 1)), show=False)
    assert "Gram matrix of your vectors" in verdict.message and "factor 4" in verdict.message
    verdict = exercise(2).check(lambda C: np.zeros(C), show=False)
    assert verdict.status == INCORRECT and "2-D array" in verdict.message
    assert exercise(2).check(lambda C: [["a"] * C] * C, show=False).status == INCORRECT


# ---------------------------------------------------------------- Exercise 4: the ranks of what H must fit


@pytest.mark.parametrize(
    ("ranks", "status", "words"),
    [
        ([4, 3], CORRECT, None),
        (np.array([4.0, 3.0]), CORRECT, None),
        ([3, 4], INCORRECT, "wrong way round"),
        ([10, 10], INCORRECT, "feature dimension D"),
        ([20, 19], INCORRECT, "N = 20 rows"),
        ([3, 3], INCORRECT, "rank of Y"),
        ([4, 4], INCORRECT, "fitted first"),
        ([4, 3.5], INCORRECT, "fitted first"),
        (["4", "3"], INCORRECT, "text"),
        (..., NOT_ATTEMPTED, None),
    ],
)
def test_exercise_4_ranks(ranks, status, words):
    verdict = ref.self_check(4, ranks, show=False)
    assert verdict.status == status, verdict.message
    if words:
        assert words in verdict.message, verdict.message


def test_exercise_4_hidden_check_computes_the_ranks_of_the_targets():
    """Y has rank C; Y less its column means (what the bias takes) has rank C - 1; nothing else passes."""
    for seed in SEEDS:
        assert exercise(4).hidden([4, 3], rng=rng(seed)).status == CORRECT
        for wrong in ([4, 4], [3, 3], [4.5, 3], [4, 3, 0]):
            assert exercise(4).hidden(wrong, rng=rng(seed)).status == INCORRECT


# ---------------------------------------------------------------- Exercise 6: the hidden cases


def test_exercise_6_hidden_check_has_a_classifier_close_to_the_nearest_mean_rule():
    """A student who ignores the bias or the classifier entirely is caught on fresh data."""
    for seed in SEEDS:
        assert exercise(6).hidden(lambda H, y, W, b: 0.0, rng=rng(seed)).status == INCORRECT
        assert exercise(6).hidden(ref._no_bias, rng=rng(seed)).status == INCORRECT


# ---------------------------------------------------------------- what the module gives away, and to whom


def test_no_hint_writes_out_the_answer():
    """The hints point to the idea; none holds the formula or code of a sample solution."""
    answers = [
        "ln(s/θ₀ − 1)",
        "/(2 s)",
        "/ (2 * s)",
        "sqrt(C/(C − 1))",
        "sqrt(1 − 1/C)",
        "sqrt(C) sqrt(C − 1)",
        "Y − 1 1ᵀ/C",
        "np.sqrt",
        "argmin(axis=1)",
    ]
    tables = [ref.NC1_MISTAKES, ref.ETF_MISTAKES, ref.RANK_MISTAKES, ref.DUALITY_MISTAKES, ref.MISMATCH_MISTAKES]
    messages = [m for table in tables for m in table] + [m for _, m in ref.RANK_HINTS]
    messages += [explanation for *_, explanation in ref._CLEARER_ERRORS]
    for message in messages:
        assert not [a for a in answers if a in message], message


def test_the_constants_are_the_lessons():
    assert (ref.N_CLASSES, ref.N_PER_CLASS, ref.FEATURE_DIM) == (4, 5, 10)
    np.testing.assert_array_equal(ref.EXPECTED_RANKS, [4.0, 3.0])
    # NC3 of the bias-free model does not depend on n; C = 4 gives sqrt(2 - sqrt(3)).
    assert ref.reference_self_duality(4) == pytest.approx(np.sqrt(2 - np.sqrt(3)), rel=1e-12)
    assert ref.reference_self_duality(4, n_per_class=9) == pytest.approx(ref.reference_self_duality(4), rel=1e-12)
    assert 60 <= ref.EXERCISES.minutes <= 80


def test_labhelpers_does_not_import_the_answers():
    code = "import sys, labhelpers; print('labhelpers.lessons.lesson03' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False"


def test_public_names():
    assert all(hasattr(ref, name) for name in ref.__all__)
    assert all(name.startswith("reference_") or name.isupper() or name == "self_check" for name in ref.__all__)
