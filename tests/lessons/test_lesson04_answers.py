"""Lesson 4's reference answers (labhelpers.lessons.lesson04): each passes its own self-check, each common
mistake gets its own hint, the module's task samples are the lesson's, and the student copy holds none of it.
"""

import inspect
from pathlib import Path

import jupytext
import matplotlib
import nbformat
import numpy as np
import pytest

from labhelpers.checks import check, check_function, word_answers
from labhelpers.lessons import lesson04 as ref

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "lessons" / "lesson04_regimes.md"
STUDENT = ROOT / "lessons" / "student" / "lesson04_regimes.ipynb"

# (exercise, reference, cases, mistakes), as the lesson's self-checks pass them
FUNCTION_CHECKS = [
    ("Exercise 1", ref.reference_scales, ref.SCALE_CASES, ref.SCALE_MISTAKES),
    ("Exercise 2", ref.reference_weights, ref.WEIGHT_CASES, ref.WEIGHT_MISTAKES),
    ("Exercise 3", ref.reference_speed, ref.SPEED_CASES, ref.SPEED_MISTAKES),
    ("Exercise 4", ref.reference_ntk, ref.NTK_CASES, ref.NTK_MISTAKES),
    ("Exercise 5", ref.reference_distance, ref.DISTANCE_CASES, ref.DISTANCE_MISTAKES),
    ("Exercise 7", ref.reference_signs, ref.SIGN_CASES, ref.SIGN_MISTAKES),
]
IDS = [name for name, *_ in FUNCTION_CHECKS]


@pytest.mark.parametrize("name, reference, cases, mistakes", FUNCTION_CHECKS, ids=IDS)
def test_reference_passes_its_own_check(name, reference, cases, mistakes):
    verdict = check_function(name, reference, reference, cases, hints=mistakes, show=False)
    assert verdict.status == "correct", verdict.message


MISTAKES = [
    pytest.param(name, reference, cases, mistakes, message, id=f"{name}: {message[:40]}")
    for name, reference, cases, mistakes in FUNCTION_CHECKS
    for message in mistakes
]


@pytest.mark.parametrize("name, reference, cases, mistakes, message", MISTAKES)
def test_each_mistake_gets_its_own_hint(name, reference, cases, mistakes, message):
    verdict = check_function(name, mistakes[message], reference, cases, hints=mistakes, show=False)
    assert verdict.status == "incorrect"
    assert message in verdict.message, verdict.message


def regime_verdict(words):
    return check(
        "Exercise 6",
        word_answers(words, ref.RICH_OR_LAZY),
        ref.EXPECTED_RICH,
        hints=ref.REGIME_HINTS,
        show=False,
    )


def test_the_six_starts_are_clearly_rich_or_lazy():
    # A, B and E rich, C, D and F lazy, each at least a factor 5 from the level 0.01 (so thread counts
    # and rounding cannot move a start across it)
    assert ref.EXPECTED_RICH.tolist() == [1.0, 1.0, 0.0, 0.0, 1.0, 0.0]
    ratio = ref.START_DISTANCES / ref.RICH_ABOVE
    assert np.all((ratio > 5) | (ratio < 0.2)), ref.START_DISTANCES


RIGHT = ["rich", "rich", "lazy", "lazy", "rich", "lazy"]
FLIP = {"rich": "lazy", "lazy": "rich"}


@pytest.mark.parametrize(
    "flipped, hint_index",
    [((1,), 2), ((2, 3), 3), ((2,), 1), ((3,), 1), ((4,), 4), ((5,), 5), ((0,), 6)],
)
def test_each_wrong_regime_gets_its_hint(flipped, hint_index):
    words = [FLIP[w] if k in flipped else w for k, w in enumerate(RIGHT)]
    verdict = regime_verdict(words)
    assert verdict.status == "incorrect"
    assert ref.REGIME_HINTS[hint_index][1] in verdict.message, verdict.message


def test_regime_words_are_checked():
    assert regime_verdict(RIGHT).status == "correct"
    verdict = regime_verdict(["rich", "rich", "lazy", "lazy", "rich", "slow"])
    assert ref.REGIME_HINTS[0][1] in verdict.message


def test_module_samples_are_the_lessons():
    """The mistakes that use the global X_train, and the six starts, need the lesson's own samples."""
    notebook = jupytext.read(SOURCE)
    (setup,) = [c.source for c in notebook.cells if c.cell_type == "code" and "X_train, _ = lh.whiten" in c.source]
    namespace: dict = {}
    exec(setup, namespace)
    np.testing.assert_array_equal(namespace["X_train"], ref.X_TRAIN)
    np.testing.assert_array_equal(namespace["Y_train"], ref.Y_TRAIN)


def test_student_copy_holds_no_line_of_the_answers():
    student = nbformat.read(STUDENT, as_version=4)
    shown = {line.strip() for cell in student.cells for line in cell.source.splitlines()}
    answer_lines = {
        line.strip()
        for line in inspect.getsource(ref).splitlines()
        if len(line.strip()) > 12 and not line.strip().startswith(("#", '"""', "def ", "return (", "import", "from"))
    }
    generic = {"return s1, s2", "g = np.random.default_rng(seed)"}  # the stub's return, the teacher's generator
    leaked = sorted(answer_lines & shown - generic)
    assert not leaked, leaked
    assert "reference_" not in "".join(c.source for c in student.cells if "lessons import" not in c.source).replace(
        "ref.reference_", ""
    )
