"""Lesson 1's reference answers (labhelpers.lessons.lesson01): each passes its own self-check, agrees with the
lesson's worked solutions, and each common mistake in its tables gets its own hint."""

from __future__ import annotations

from pathlib import Path

import jupytext
import numpy as np
import pytest

from labhelpers.checks import CORRECT, INCORRECT, check, check_function
from labhelpers.lessons import lesson01 as ref

LESSON = Path(__file__).resolve().parents[2] / "lessons" / "lesson01_feedback.md"

EXERCISES = [  # (the lesson's function name, reference, cases, mistakes)
    ("diagonal_flow", ref.reference_flow, ref.FLOW_CASES, ref.FLOW_MISTAKES),
    ("euler_path", ref.reference_euler, ref.EULER_CASES, ref.EULER_MISTAKES),
    ("imbalance_drift", ref.reference_drift, ref.DRIFT_CASES, {}),
    ("sigmoid_mode", ref.reference_sigmoid, ref.SIGMOID_CASES, ref.SIGMOID_MISTAKES),
    ("half_rise_time", ref.reference_half_rise, ref.HALF_RISE_CASES, ref.HALF_RISE_MISTAKES),
]
MODES = (np.array([2.0, 1.0, 0.5, 3.0]), np.array([1e-3, 1e-3, 1e-3, 1e-10]), np.array([1.0, 1.0, 2.5, 1.0]))


def lesson_namespace(tag: str | None) -> dict:
    """Run the lesson's function cells tagged ``tag`` (or, for None, the cell defining EXAMPLE), with numpy."""
    namespace: dict = {"np": np}
    for cell in jupytext.read(LESSON).cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code":
            continue
        if (tag in tags and cell.source.startswith("def ")) or (tag is None and cell.source.startswith("EXAMPLE =")):
            exec(cell.source, namespace)
    return namespace


@pytest.mark.parametrize("name, reference, cases, mistakes", EXERCISES, ids=[e[0] for e in EXERCISES])
def test_reference_passes_its_own_check(name, reference, cases, mistakes):
    assert check_function(name, reference, reference, cases, hints=mistakes, show=False).status == CORRECT


@pytest.mark.parametrize("name, reference, cases, mistakes", EXERCISES, ids=[e[0] for e in EXERCISES])
def test_the_lessons_worked_solution_passes(name, reference, cases, mistakes):
    solution = lesson_namespace("solution")[name]
    assert check_function(name, solution, reference, cases, hints=mistakes, show=False).status == CORRECT


@pytest.mark.parametrize(
    "name, reference, cases, hint, wrong",
    [(e[0], e[1], e[2], hint, wrong) for e in EXERCISES for hint, wrong in e[3].items()],
    ids=[f"{e[0]}-{i}" for e in EXERCISES for i in range(len(e[3]))],
)
def test_each_mistake_gets_its_own_hint(name, reference, cases, hint, wrong):
    _, _, _, mistakes = next(e for e in EXERCISES if e[0] == name)
    verdict = check_function(name, wrong, reference, cases, hints=mistakes, show=False)
    assert verdict.status == INCORRECT
    assert hint in verdict.message
    assert [h for h in mistakes if h in verdict.message] == [hint], "one hint, the mistake's own"


def test_order_of_learning_and_its_shortcuts():
    expected, mistakes = ref.reference_order(*MODES)
    assert list(expected) == [0, 2, 1, 3]  # the lesson's table: mode 3 comes last
    assert check("order", [0, 2, 1, 3], expected, rtol=0, atol=0, hints=mistakes, show=False).status == CORRECT
    orders = [tuple(o) for o in mistakes.values()]
    assert len(set(orders)) == len(orders) and tuple(expected) not in orders, "each shortcut is told apart"
    for hint, wrong in mistakes.items():
        verdict = check("order", list(wrong), expected, rtol=0, atol=0, hints=mistakes, show=False)
        assert verdict.status == INCORRECT and hint in verdict.message


def test_the_lessons_example_is_the_modules():
    example = lesson_namespace(None)["EXAMPLE"]
    assert example.keys() == ref.EXAMPLE.keys()
    for key in example:
        np.testing.assert_array_equal(example[key], ref.EXAMPLE[key])


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
