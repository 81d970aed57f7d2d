"""Lesson 5's reference answers (labhelpers.lessons.lesson05): each passes its own self-check, each listed
mistake gets its own hint, and the student copy shows none of them."""

from __future__ import annotations

import inspect
from pathlib import Path

import nbformat
import numpy as np
import pytest

from labhelpers import grokking as gk
from labhelpers.checks import CORRECT, INCORRECT, check, check_function, word_answers
from labhelpers.lessons import lesson05 as ref

STUDENT_COPY = Path(__file__).resolve().parents[2] / "lessons" / "student" / "lesson05_grokking.ipynb"

EXERCISES = {
    "conserved": (ref.reference_conserved, ref.CONSERVED_CASES, ref.CONSERVED_MISTAKES),
    "growth": (ref.reference_growth, ref.GROWTH_CASES, ref.GROWTH_MISTAKES),
    "share": (ref.reference_share, ref.SHARE_CASES, ref.SHARE_MISTAKES),
    "ratio": (ref.reference_ratio, ref.RATIO_CASES, ref.RATIO_MISTAKES),
    "takeover": (ref.reference_takeover, ref.TAKEOVER_CASES, ref.TAKEOVER_MISTAKES),
}


@pytest.mark.parametrize("exercise", EXERCISES)
def test_reference_passes_its_own_check(exercise):
    reference, cases, mistakes = EXERCISES[exercise]
    verdict = check_function(exercise, reference, reference, cases, hints=mistakes, show=False)
    assert verdict.status == CORRECT, verdict.message


@pytest.mark.parametrize(
    ("exercise", "k"), [(name, k) for name, (_, _, mistakes) in EXERCISES.items() for k in range(len(mistakes))]
)
def test_each_mistake_gets_its_own_hint(exercise, k):
    reference, cases, mistakes = EXERCISES[exercise]
    message, wrong = list(mistakes.items())[k]
    verdict = check_function(exercise, wrong, reference, cases, hints=mistakes, show=False)
    assert verdict.status == INCORRECT
    assert verdict.message == message


def test_base_start_is_the_lessons():
    """BASE has the Setup's weight scale 0.2, output 0 and width 50 (the lesson builds it the same way)."""
    assert ref.BASE["a"].shape == ref.BASE["b"].shape == (ref.P_WIDTH,)
    assert gk.weight_scale(ref.BASE) == pytest.approx(ref.SIGMA_UNIT, rel=1e-12)
    assert gk.slope(ref.BASE) == pytest.approx(0.0, abs=1e-12)


def test_expected_regimes_follow_the_ratio():
    """Rich (1) exactly where the estimate Sigma_0/S = p std^2 / (Z S) is below 0.75 (Section 3)."""
    estimate = np.array([p * std**2 / (Z * S) for p, std, Z, S in ref.STARTS])
    np.testing.assert_array_equal(ref.EXPECTED_RICH, [1.0, 0.0, 0.0, 1.0, 0.0, 1.0])
    np.testing.assert_array_equal(ref.EXPECTED_RICH, (estimate < 0.75).astype(float))


@pytest.mark.parametrize(
    ("flip", "hint"),
    [(0, 1), (1, 1), (2, 2), (3, 2), (4, 3), (5, 4)],
)
def test_regime_hints_name_the_wrong_start(flip, hint):
    words = ["rich" if e else "lazy" for e in ref.EXPECTED_RICH]
    words[flip] = "lazy" if words[flip] == "rich" else "rich"
    verdict = check("ex4", word_answers(words, ref.RICH_OR_LAZY), ref.EXPECTED_RICH, hints=ref.REGIME_HINTS, show=False)
    assert verdict.status == INCORRECT
    assert verdict.message == ref.REGIME_HINTS[hint][1]


def test_regime_hint_for_other_words():
    words = ["rich", "lazy", "lazy", "rich", "lazy", "fast"]
    verdict = check("ex4", word_answers(words, ref.RICH_OR_LAZY), ref.EXPECTED_RICH, hints=ref.REGIME_HINTS, show=False)
    assert verdict.message == ref.REGIME_HINTS[0][1]


def test_student_copy_shows_no_reference_code_and_no_hint():
    """No code line of the module (beyond trivial ones and BASE, built as in the Setup cell) and no hint text
    appears in the student copy."""
    cells = nbformat.read(STUDENT_COPY, as_version=4).cells
    text = "\n".join(c.source for c in cells)
    module_lines = {line.strip() for line in inspect.getsource(ref).splitlines()}
    module_lines -= {line.strip() for line in inspect.getsource(ref._base_start).splitlines()}
    leaked = [
        line
        for line in module_lines
        if len(line) > 25 and not line.startswith(("#", '"', "from ", "import ")) and line in text
    ]
    assert leaked == []
    hints = [m for _, _, mistakes in EXERCISES.values() for m in mistakes] + [h for _, h in ref.REGIME_HINTS]
    assert [h for h in hints if h[:40] in text] == []
    assert "def reference_" not in text
