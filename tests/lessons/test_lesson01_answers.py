"""Lesson 1's exercises (labhelpers.lessons.lesson01), beyond what tests/lessons/test_exercises.py checks for
every lesson: the lesson's worked solutions pass, its data are the module's, the visible checks call the
functions as the later cells do, and a student who hard-codes the visible cases fails the hidden check."""

from __future__ import annotations

import math
from pathlib import Path

import jupytext
import numpy as np
import pytest

from labhelpers.checks import CORRECT, INCORRECT
from labhelpers.lessons import lesson01 as ref

LESSON = Path(__file__).resolve().parents[2] / "lessons" / "lesson01_feedback.md"
FUNCTIONS = {  # exercise number: (the lesson's function name, reference, visible cases)
    1: ("diagonal_flow", ref.reference_flow, ref.FLOW_CASES),
    2: ("euler_path", ref.reference_euler, ref.EULER_CASES),
    3: ("imbalance_drift", ref.reference_drift, ref.DRIFT_CASES),
    4: ("sigmoid_mode", ref.reference_sigmoid, ref.SIGMOID_CASES),
    5: ("half_rise_time", ref.reference_half_rise, ref.HALF_RISE_CASES),
}
SEEDS = range(5)


def lesson_namespace(tags: set[str], starts: tuple[str, ...], namespace: dict | None = None) -> dict:
    """Run the lesson's code cells that carry every tag in ``tags`` and start with one of ``starts``, in
    ``namespace`` (a fresh one with numpy by default)."""
    namespace = {"np": np} if namespace is None else namespace
    for cell in jupytext.read(LESSON).cells:
        if cell.cell_type == "code" and tags <= set(cell.metadata.get("tags", [])) and cell.source.startswith(starts):
            exec(cell.source, namespace)
    return namespace


def _values(case) -> tuple:
    return tuple(case.values()) if isinstance(case, dict) else tuple(case)


def hard_coded(reference, cases):
    """A student's function that returns the reference's outputs on the visible cases only, 10 % off elsewhere."""
    known = [_values(case) for case in cases]

    def answer(*args, **kwargs):
        values = (*args, *kwargs.values())
        output = reference(*values)
        seen = any(
            len(values) == len(case)
            and all(np.shape(x) == np.shape(y) and np.array_equal(x, y) for x, y in zip(values, case))
            for case in known
        )
        if seen:
            return output
        return tuple(1.1 * np.asarray(o) for o in output) if isinstance(output, tuple) else 1.1 * np.asarray(output)

    return answer


def test_the_lessons_worked_solutions_pass_both_checks():
    solutions = lesson_namespace({"solution"}, ("def ",))
    for number, (name, _, _) in FUNCTIONS.items():
        assert ref.self_check(number, solutions[name], show=False).status == CORRECT, name
        assert ref.EXERCISES[number].hidden(solutions[name], rng=np.random.default_rng(0)).status == CORRECT, name
    lesson_namespace(set(), ("modes_",), solutions)
    order = lesson_namespace({"solution"}, ("order =",), solutions)["order"]
    assert ref.self_check(6, order, show=False).status == CORRECT


def test_the_lessons_example_and_table_are_the_modules():
    namespace = lesson_namespace(set(), ("EXAMPLE =", "modes_"))
    for key, value in ref.EXAMPLE.items():
        np.testing.assert_array_equal(namespace["EXAMPLE"][key], value)
    for key, value in ref.MODES.items():
        np.testing.assert_array_equal(namespace[f"modes_{key}"], value)


def test_the_cases_are_the_ones_the_notebook_drew():
    """The cases were drawn in the notebook from default_rng(2025), FLOW_CASES first: the module keeps them."""
    rng = np.random.default_rng(2025)
    flow = [(*rng.uniform(-1, 1, (2, 3)), *rng.uniform(0.5, 2, (2, 3))) for _ in range(3)]
    euler = rng.uniform(0.1, 1, (4, 3))
    for ours, theirs in zip(ref.FLOW_CASES, flow, strict=True):
        for x, y in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(x, y)
    for x, y in zip(ref.EULER_CASES[1][:4], euler, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("number", sorted(FUNCTIONS))
def test_hard_coding_the_visible_cases_passes_the_self_check_but_not_the_hidden_one(number):
    _, reference, cases = FUNCTIONS[number]
    cheat = hard_coded(reference, cases)
    assert ref.self_check(number, cheat, show=False).status == CORRECT
    for seed in SEEDS:
        assert ref.EXERCISES[number].hidden(cheat, rng=np.random.default_rng(seed)).status == INCORRECT, seed


def test_the_order_and_its_shortcuts_are_all_different():
    expected, shortcuts = ref.reference_order(**ref.MODES)
    assert list(expected) == [0, 2, 1, 3]  # the lesson's table: mode 3, with the largest target, comes last
    orders = [tuple(o) for o in shortcuts.values()]
    assert len(set(orders)) == len(orders) and tuple(expected) not in orders, "each shortcut is told apart"


def test_the_order_is_judged_by_the_half_rise_times():
    times = ref.reference_half_rise(**ref.MODES)
    assert np.all(np.diff(times[[0, 2, 1, 3]]) > 0)
    for wrong in ([0, 2, 1], [0, 2, 1, 3, 3], [0, 2, 2, 3], [0.0, 2.0, 1.0, 3.5]):
        assert ref.self_check(6, wrong, show=False).status == INCORRECT, wrong
        assert ref.EXERCISES[6].hidden(wrong, rng=np.random.default_rng(0)).status == INCORRECT, wrong


def test_the_euler_check_calls_the_function_with_keywords_as_the_figure_does():
    def renamed(x0, y0, S, var, dt, steps):  # right numbers, but `euler_path(**EXAMPLE, ...)` would fail
        return ref.reference_euler(x0, y0, S, var, dt, steps)

    verdict = ref.self_check(2, renamed, show=False)
    assert verdict.status == INCORRECT and "unexpected keyword argument" in verdict.message


def test_the_drift_check_holds_a_step_count_that_truncation_gets_wrong():
    counts = [(c["t_max"] / c["dt"], round(c["t_max"] / c["dt"])) for c in ref.DRIFT_CASES]
    assert any(int(ratio) != rounded for ratio, rounded in counts)


def test_a_sigmoid_that_works_only_on_a_row_of_times_fails_as_the_figure_would():
    def one_row(t, S, theta0, var):  # a loop over the times: fine for a 1-D t, wrong for t[:, None] with arrays S
        out = np.empty(len(t))
        for k, tk in enumerate(t):
            out[k] = S / (1 + (S / theta0 - 1) * np.exp(-2 * S * var * tk))
        return out

    verdict = ref.self_check(4, one_row, show=False)
    assert verdict.status == INCORRECT and "Test input 4 of 4" in verdict.message


@pytest.mark.parametrize(
    ("number", "answer"),
    [
        (4, lambda t, S, theta0, var: S / (1 + (S / theta0 - 1) * math.exp(-2 * S * var * t))),
        (5, lambda S, theta0, var: math.log(S / theta0 - 1) / (2 * S * var)),
    ],
    ids=["math.exp", "math.log"],
)
def test_a_scalar_only_math_answer_is_told_to_use_numpy(number, answer):
    verdict = ref.self_check(number, answer, show=False)
    assert (
        verdict.status == INCORRECT
        and "works on single numbers but raises on arrays" in verdict.message
        and "numpy's functions" in verdict.message
    )


def test_numpy_answers_are_not_told_about_math():
    wrong_rate = lambda S, theta0, var: np.log(S / theta0 - 1) / (3 * S * var)  # noqa: E731
    verdict = ref.self_check(5, wrong_rate, show=False)
    assert verdict.status == INCORRECT and "math" not in verdict.message
