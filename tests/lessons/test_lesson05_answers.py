"""Lesson 5's exercises beyond the shared registry test (tests/lessons/test_exercises.py): the lesson's own
constants, the regime hints, the batch hint, the hidden checks against answers that only learned the visible
cases, and the student copy showing no hint."""

from __future__ import annotations

import inspect
from pathlib import Path

import nbformat
import numpy as np
import pytest

from labhelpers import grokking as gk
from labhelpers.checks import CORRECT, INCORRECT
from labhelpers.lessons import lesson05 as ref

STUDENT_COPY = Path(__file__).resolve().parents[2] / "lessons" / "student" / "lesson05_grokking.ipynb"

#: The function exercises and their visible cases.
VISIBLE = {
    1: ref.CONSERVED_CASES,
    2: ref.GROWTH_CASES,
    3: ref.SHARE_CASES,
    5: ref.RATIO_CASES,
    6: ref.TAKEOVER_CASES,
}


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


@pytest.mark.parametrize(("flip", "hint"), [(0, 1), (1, 1), (2, 2), (3, 2), (4, 3), (5, 4)])
def test_regime_hints_name_the_wrong_start(flip, hint):
    words = ["rich" if e else "lazy" for e in ref.EXPECTED_RICH]
    words[flip] = "lazy" if words[flip] == "rich" else "rich"
    verdict = ref.self_check(4, words, show=False)
    assert verdict.status == INCORRECT
    assert verdict.message == ref.REGIME_HINTS[hint][1]


def test_visible_takeover_cases_reach_their_level_after_the_first_time():
    """Each visible case of Exercise 6 has a first crossing strictly inside the record, so that returning the
    first or the last recorded time is wrong."""
    for times, a, b, *level in ref.TAKEOVER_CASES:
        share = ref.reference_share(a, b)
        first = np.argmax(share >= (level[0] if level else ref.RICH_ABOVE))
        assert 0 < first < len(times) - 1


@pytest.mark.parametrize("number", [1, 3])
def test_a_one_dimensional_answer_is_told_to_reduce_the_last_axis(number):
    """np.dot works on one set of weights; the hint says why it fails on the batch, and only there."""

    def dotted(a, b, *Z):
        return ref.EXERCISES[number].reference[0](np.asarray(a), np.asarray(b), *Z) if np.ndim(a) == 1 else a @ b

    verdict = ref.self_check(number, dotted, show=False)
    assert verdict.status == INCORRECT
    assert "raised ValueError" in verdict.message and "reduce the last axis only" in verdict.message
    wrong_value = ref.self_check(number, lambda a, b, *Z: np.zeros(np.shape(a)[:-1]), show=False)
    assert "reduce the last axis only" not in wrong_value.message


def test_the_effective_ratio_must_broadcast():
    """A scalar-only answer (math.pow) fails on the visible case with arrays, which the exercise asks for."""
    import math

    def scalar_only(w, S, kappa, c, sigma_unit):
        return math.pow(w, 2) * kappa * c * sigma_unit / S

    verdict = ref.self_check(5, scalar_only, show=False)
    assert verdict.status == INCORRECT and "Test input 6 of 6" in verdict.message


def _hard_coded(number):
    """A student's function that returns the reference's outputs on the visible inputs only, and 0 elsewhere."""
    cases = VISIBLE[number]
    reference = ref.EXERCISES[number].reference[0]

    def same(x, y):
        return np.shape(x) == np.shape(y) and np.array_equal(x, y)

    def answer(*args):
        for case in cases:
            if len(case) == len(args) and all(same(x, y) for x, y in zip(case, args)):
                return reference(*args)
        return 0.0 * np.asarray(reference(*args))

    return answer


@pytest.mark.parametrize("number", sorted(VISIBLE))
def test_an_answer_that_learned_the_visible_cases_fails_the_hidden_check(number):
    exercise = ref.EXERCISES[number]
    answer = _hard_coded(number)
    assert exercise.check(answer, show=False).status == CORRECT
    for seed in range(5):
        hidden = exercise.hidden(answer, rng=np.random.default_rng(seed))
        assert hidden.status == INCORRECT, f"{exercise.name}, seed {seed}"


def test_hidden_regimes_check_what_makes_them_right():
    """Rich exactly where the conservation law's final share is above 0.9, for the estimate and the weights."""
    words = ["rich" if e else "lazy" for e in ref.EXPECTED_RICH]
    assert ref.EXERCISES[4].hidden(words, rng=np.random.default_rng(0)).status == CORRECT
    assert ref.EXERCISES[4].hidden(["lazy"] * 6, rng=np.random.default_rng(0)).status == INCORRECT


def test_hidden_cases_differ_from_run_to_run():
    """The grader's cases come from its rng: two seeds give different inputs (here: of Exercise 5)."""
    seen = []
    for seed in (0, 1):
        calls = []
        ref.EXERCISES[5].hidden(
            lambda *args, calls=calls: calls.append(args) or ref.reference_ratio(*args), rng=np.random.default_rng(seed)
        )
        seen.append(calls[0])
    assert seen[0] != seen[1]


def test_student_copy_shows_no_reference_code_and_no_hint():
    """No code line of the package (beyond trivial ones and BASE, built as in the Setup cell) and no hint text
    appears in the student copy."""
    cells = nbformat.read(STUDENT_COPY, as_version=4).cells
    text = "\n".join(c.source for c in cells)
    package = Path(ref.__file__).parent  # the package's modules: __init__, common, exercise1 ... exercise6
    module_lines = {line.strip() for path in package.glob("*.py") for line in path.read_text().splitlines()}
    module_lines -= {line.strip() for line in inspect.getsource(ref._base_start).splitlines()}
    leaked = [
        line
        for line in module_lines
        if len(line) > 25 and not line.startswith(("#", '"', "from ", "import ")) and line in text
    ]
    assert leaked == []
    hints = [hint for exercise in ref.EXERCISES.values() for _, hint in exercise.wrong if hint]
    hints += [h for _, h in ref.REGIME_HINTS] + [ref._BATCH_HINT[:40]]
    assert [h for h in hints if h[:40] in text] == []
    assert "def reference_" not in text
