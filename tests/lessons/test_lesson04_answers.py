"""Lesson 4's exercises beyond the shared registry test (tests/lessons/test_exercises.py): a student who
hard-codes the visible cases passes the self-check but not the hidden one, the kernel check catches a p × p
factor that square networks hide, scalar-only functions get their own hint, the six starts of Exercise 6
are clearly rich or lazy by training and by the rule the hidden check uses, and the module's task samples
are the lesson's.
"""

import copy
from pathlib import Path

import jupytext
import numpy as np
import pytest

from labhelpers.checks import CORRECT, INCORRECT
from labhelpers.lessons import lesson04 as ref
from labhelpers.lessons.lesson04 import exercise1, exercise2, exercise3, exercise4, exercise5, exercise6, exercise7

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "lessons" / "lesson04_regimes.md"

# exercise number -> (reference, visible cases)
FUNCTIONS = {
    1: (ref.reference_scales, ref.SCALE_CASES),
    2: (ref.reference_weights, ref.WEIGHT_CASES),
    3: (ref.reference_speed, ref.SPEED_CASES),
    4: (ref.reference_ntk, ref.NTK_CASES),
    5: (ref.reference_distance, ref.DISTANCE_CASES),
    7: (ref.reference_signs, ref.SIGN_CASES),
}


def _same(a, b):
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return np.shape(a) == np.shape(b) and np.array_equal(a, b)


def hard_coded(reference, cases):
    """A student's function that returns the reference's outputs on the visible cases and guesses elsewhere."""
    table = [(copy.deepcopy(case), reference(*case)) for case in cases]

    def student(*args):
        for case, output in table:
            if len(case) == len(args) and all(_same(a, b) for a, b in zip(case, args)):
                return output
        guess = reference(*table[0][0])  # the right kind of output, for other inputs
        return tuple(np.ones_like(g) * 0.5 for g in guess) if isinstance(guess, tuple) else np.ones_like(guess)

    return student


@pytest.mark.parametrize("number", sorted(FUNCTIONS))
def test_hard_coding_the_visible_cases_passes_the_self_check_but_not_the_hidden_one(number):
    exercise = ref.EXERCISES[number]
    student = hard_coded(*FUNCTIONS[number])
    assert exercise.check(student, show=False).status == CORRECT
    for seed in range(5):
        hidden = exercise.hidden(student, rng=np.random.default_rng(seed))
        assert hidden.status == INCORRECT, f"{exercise.name}, seed {seed}: {hidden.message}"


@pytest.mark.parametrize("number", sorted(FUNCTIONS))
def test_hidden_cases_are_new_and_change_with_the_seed(number):
    """The grader's cases are not the notebook's, and another seed draws others (so they cannot be learned)."""
    hidden_cases = {
        1: exercise1._scale_cases,
        2: exercise2._weight_cases,
        3: exercise3._speed_cases,
        4: exercise4._ntk_cases,
        5: exercise5._distance_cases,
        7: exercise7._sign_cases,
    }[number]
    first, second = hidden_cases(np.random.default_rng(0)), hidden_cases(np.random.default_rng(1))
    visible = FUNCTIONS[number][1]
    for case in first:
        assert not any(len(case) == len(v) and all(_same(a, b) for a, b in zip(case, v)) for v in visible)
    assert any(not all(_same(a, b) for a, b in zip(x, y)) for x, y in zip(first, second))


def test_a_p_by_p_identity_fails_only_on_the_network_with_p_not_c():
    """I_p in place of I_c agrees with the kernel on the square networks: the check must still fail it."""
    wrong = exercise4._ntk_with_hidden_identity
    square = [case for case in ref.NTK_CASES if case[1].shape[0] == case[1].shape[1]]
    for W1, W2, X in square:
        np.testing.assert_allclose(wrong(W1, W2, X), ref.reference_ntk(W1, W2, X), rtol=1e-12)
    verdict = ref.self_check(4, wrong, show=False)
    assert verdict.status == INCORRECT and "p = 4 and c = 2" in verdict.message


def test_the_ntk_check_cases_include_every_shape_relation():
    shapes = [(W1.shape[0], W1.shape[1], W2.shape[1]) for W1, W2, _ in ref.NTK_CASES]
    assert any(p > c for _, p, c in shapes) and any(p == c for _, p, c in shapes)
    assert any(d != p for d, p, _ in shapes)


@pytest.mark.parametrize("number, name", [(1, "layer_scales"), (3, "mode_speed")])
def test_a_function_that_branches_on_its_values_gets_the_scalar_only_hint(number, name):
    """An `if` on the values works on numbers and raises on arrays (ValueError), like math.sqrt (TypeError)."""

    def branching(*args):
        return (1.0, 1.0) if args[0] > 100 else ref.EXERCISES[number].reference[0](*args)

    verdict = ref.self_check(number, branching, show=False)
    assert verdict.status == INCORRECT
    assert "works on single numbers but raises on arrays" in verdict.message and "ValueError" in verdict.message, (
        verdict.message
    )


def test_a_function_that_fails_on_numbers_is_not_called_scalar_only():
    def needs_arrays(theta, s, lam):
        return np.sqrt(lam**2 + 4 * theta**2) * (s - theta) + 0 * theta.shape[0]

    verdict = ref.self_check(3, needs_arrays, show=False)
    assert verdict.status == INCORRECT and "single numbers" not in verdict.message


def test_the_six_starts_are_clearly_rich_or_lazy():
    # A, B and E rich, C, D and F lazy, each at least a factor 5 from the level 0.01 (so thread counts
    # and rounding cannot move a start across it)
    assert ref.EXPECTED_RICH.tolist() == [1.0, 1.0, 0.0, 0.0, 1.0, 0.0]
    ratio = ref.START_DISTANCES / ref.RICH_ABOVE
    assert np.all((ratio > 5) | (ratio < 0.2)), ref.START_DISTANCES


def test_the_hidden_rule_for_the_regimes_agrees_with_training():
    """The hidden check judges Exercise 6 by |λ| against the border; on the six starts it says what training says,
    and no start sits within a factor 1.25 of the border."""
    by_rule = (np.abs(ref.START_LAMS) < exercise6._RICH_BELOW).astype(float)
    np.testing.assert_array_equal(by_rule, ref.EXPECTED_RICH)
    lams = np.abs(ref.START_LAMS)
    assert np.all((lams < exercise6._RICH_BELOW / 1.25) | (lams > 1.25 * exercise6._RICH_BELOW)), lams
    assert exercise6._RICH_BELOW < 2 * ref.S_TARGET.max()


def test_module_samples_are_the_lessons():
    """The mistakes that use the global X_train, and the six starts, need the lesson's own samples."""
    notebook = jupytext.read(SOURCE)
    (setup,) = [c.source for c in notebook.cells if c.cell_type == "code" and "X_train, _ = lh.whiten" in c.source]
    namespace: dict = {}
    exec(setup, namespace)
    np.testing.assert_array_equal(namespace["X_train"], ref.X_TRAIN)
    np.testing.assert_array_equal(namespace["Y_train"], ref.Y_TRAIN)
    np.testing.assert_array_equal(namespace["S_TARGET"], ref.S_TARGET)
