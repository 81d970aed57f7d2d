"""Every exercise of every lesson, through its registry (``labhelpers.lessons.lessonNN.EXERCISES``).

One test for all lessons: the reference answer and every other valid form pass both the self-check and
the grader's hidden check; every plausible mistake fails the self-check with the hint that names its cause
(or a generic hint, never a wrong cause); junk never passes and never raises; the lesson's notebook calls
``ref.self_check(N, ...)`` with the registry's names. Lesson-specific behaviour (a fit window judged by
what makes it right, say) is tested in ``test_lessonNN_answers.py``.
"""

from __future__ import annotations

import importlib
import re
import time
from pathlib import Path

import jupytext
import numpy as np
import pytest

from labhelpers.checks import CORRECT, NOT_ATTEMPTED, Exercises, Verdict

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted(p for p in (ROOT / "lessons").glob("lesson*.md"))
MODULES = {p.stem: importlib.import_module(f"labhelpers.lessons.{p.stem.split('_')[0]}") for p in LESSONS}
REGISTRIES = {name: module.EXERCISES for name, module in MODULES.items() if hasattr(module, "EXERCISES")}
CASES = [(lesson, number) for lesson, registry in REGISTRIES.items() for number in registry]
IDS = [f"{lesson.split('_')[0]}-ex{number}" for lesson, number in CASES]
SEEDS = (0, 1, 2)
HIDDEN_BUDGET_S = 2.0  # per exercise and seed: the grader runs every hidden check of a lesson in one cell


def _raises(*args, **kwargs):
    raise ValueError("a student's function that fails")


JUNK = {
    "a string": "0.5",
    "a list of strings": ["1", "2"],
    "None": None,
    "Ellipsis": ...,
    "an object": object(),
    "NaN": float("nan"),
    "a function returning text": lambda *args, **kwargs: "0.5",
    "a function returning None": lambda *args, **kwargs: None,
    "a function returning NaN": lambda *args, **kwargs: np.nan,
    "a function that raises": _raises,
}


def exercise(lesson, number):
    return REGISTRIES[lesson][number]


def _specific_hints(ex) -> list[str]:
    return [hint for _, hint in ex.wrong if hint]


def test_every_lesson_has_a_registry():
    assert LESSONS, "no lessons found"
    missing = sorted(set(MODULES) - set(REGISTRIES))
    assert not missing, f"lessons without an EXERCISES registry: {missing}"
    for lesson, registry in REGISTRIES.items():
        assert isinstance(registry, Exercises) and len(registry) >= 4, lesson
        assert MODULES[lesson].self_check == registry.self_check, f"{lesson}: self_check must be EXERCISES.self_check"


@pytest.mark.parametrize(("lesson", "number"), CASES, ids=IDS)
def test_reference_and_other_valid_forms_pass_both_checks(lesson, number):
    ex = exercise(lesson, number)
    assert ex.reference, f"{ex.name}: give the sample solution's answers as reference"
    for answers in [ex.reference, *ex.valid]:
        verdict = ex.check(*answers, show=False)
        assert verdict.status == CORRECT, f"{ex.name} on {answers!r}: {verdict.message}"
        for seed in SEEDS:
            start = time.perf_counter()
            verdict = ex.hidden(*answers, rng=np.random.default_rng(seed))
            seconds = time.perf_counter() - start
            assert isinstance(verdict, Verdict) and verdict.status == CORRECT, f"{ex.name}, seed {seed}: {verdict}"
            assert seconds < HIDDEN_BUDGET_S, f"{ex.name}: the hidden check took {seconds:.1f} s"


@pytest.mark.parametrize(("lesson", "number"), CASES, ids=IDS)
def test_plausible_mistakes_get_the_hint_that_names_their_cause(lesson, number):
    ex = exercise(lesson, number)
    assert len(ex.wrong) >= 2, f"{ex.name}: list at least two plausible wrong answers"
    specific = _specific_hints(ex)
    for answers, hint in ex.wrong:
        verdict = ex.check(*answers, show=False)
        assert verdict.status != CORRECT, f"{ex.name} accepted the wrong answer {answers!r}"
        if hint:
            assert hint in verdict.message, f"{ex.name}: expected the hint {hint!r}, got {verdict.message!r}"
        else:
            named = [h for h in specific if h in verdict.message]
            assert not named, f"{ex.name}: a generic mistake was told a specific cause: {verdict.message!r}"
        for seed in SEEDS:
            hidden = ex.hidden(*answers, rng=np.random.default_rng(seed))
            assert hidden.status != CORRECT, f"{ex.name}, seed {seed}: the hidden check accepted {answers!r}"


@pytest.mark.parametrize(("lesson", "number"), CASES, ids=IDS)
def test_junk_never_passes_and_never_raises(lesson, number):
    ex = exercise(lesson, number)
    for slot in range(len(ex.answers)):
        for what, junk in JUNK.items():
            answers = list(ex.reference)
            answers[slot] = junk
            verdict = ex.check(*answers, show=False)
            assert verdict.status != CORRECT, f"{ex.name} accepted {what} as {ex.answers[slot]}"
            if junk is None or junk is ...:
                assert verdict.status == NOT_ATTEMPTED, f"{ex.name}: {what} is 'not attempted', got {verdict}"
            assert ex.hidden(*answers, rng=np.random.default_rng(0)).status != CORRECT


@pytest.mark.parametrize("lesson", sorted(REGISTRIES))
def test_grade_reads_the_answers_from_a_notebooks_names(lesson):
    registry = REGISTRIES[lesson]
    namespace = {name: answer for ex in registry.values() for name, answer in zip(ex.answers, ex.reference)}
    graded = registry.grade(namespace, np.random.default_rng(7))
    assert {n: v.status for n, v in graded.items()} == dict.fromkeys(registry, CORRECT)
    graded = registry.grade({}, np.random.default_rng(7))
    assert {n: v.status for n, v in graded.items()} == dict.fromkeys(registry, NOT_ATTEMPTED)


@pytest.mark.parametrize("lesson", sorted(REGISTRIES))
def test_the_notebook_checks_each_exercise_with_the_registrys_names(lesson):
    registry = REGISTRIES[lesson]
    cells = jupytext.read(ROOT / "lessons" / f"{lesson}.md").cells
    calls = {}
    for cell in cells:
        if cell.cell_type == "code" and not cell.metadata.get("tags"):
            for number, names in re.findall(r"ref\.self_check\((\d+), ([^)]*)\)", cell.source):
                calls[int(number)] = tuple(n.strip() for n in names.split(",") if n.strip())
    assert sorted(calls) == list(registry), f"{lesson}: self-checks for {sorted(calls)}, registry has {list(registry)}"
    for number, names in calls.items():
        assert names == registry[number].answers, f"{lesson}, exercise {number}: {names} vs {registry[number].answers}"
