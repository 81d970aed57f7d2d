"""What is particular to Lesson 2's self-checks (labhelpers/lessons/lesson02/).

The generic checks (reference and valid forms pass, each mistake gets its hint, junk never passes) are in
tests/lessons/test_exercises.py. Here: the lesson's own sample solutions pass both checks; a function that
hard-codes the visible cases fails the hidden check; a scalar-only answer is told that it fails on arrays
(Exercises 3, 4, 7); and Exercise 6 judges a fitting range by where it lies, not only by the slope it gives.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

import labhelpers as lh
from labhelpers.lessons import lesson02 as ref

ALPHA, S, THETA0 = 0.8, 1.0, 1e-3  # the lesson's constants
SEEDS = (0, 1, 2)
ARRAYS_HINT = "works on single numbers but raises on arrays"

# The lesson's sample solutions (its `solution` cells), written as a student would.


def power_law_frequencies(n_tasks, alpha):
    ranks = np.arange(1, n_tasks + 1)
    weights = ranks ** -(alpha + 1.0)
    return weights / weights.sum()


def skill_functions(X, subsets):
    n_tasks = len(subsets)
    control, bits = X[:, :n_tasks], X[:, n_tasks:]
    G = np.zeros((len(X), n_tasks))
    for k in range(n_tasks):
        G[:, k] = control[:, k] * np.prod(bits[:, subsets[k]], axis=1)
    return G


def emergence_time(p, S, theta0, q=0.5):
    return (np.log(S / theta0 - 1) + np.log(q / (1 - q))) / (2 * S * p)


def skills_emerged(T, t_first, alpha):
    return np.floor((T / t_first) ** (1 / (alpha + 1)))


def fit_exponent(x, y, x_low, x_high):
    keep = (x >= x_low) & (x <= x_high)
    return np.polyfit(np.log(x[keep]), np.log(y[keep]), 1)[0]


def seen_probability(D, p):
    return 1 - (1 - p) ** D


SOLUTIONS = {
    1: (power_law_frequencies, ref._FREQUENCY_CASES),
    2: (skill_functions, ref._SKILL_CASES),
    3: (emergence_time, ref._EMERGENCE_CASES),
    4: (skills_emerged, ref._COUNT_CASES),
    5: (fit_exponent, ref._FIT_CASES),
    7: (seen_probability, ref._SEEN_CASES),
}


@pytest.mark.parametrize("number", SOLUTIONS)
def test_the_lessons_sample_solutions_pass_both_checks(number):
    exercise, solution = ref.EXERCISES[number], SOLUTIONS[number][0]
    assert exercise.check(solution, show=False).status == "correct"
    for seed in SEEDS:
        verdict = exercise.hidden(solution, rng=np.random.default_rng(seed))
        assert verdict.status == "correct", verdict.message


def _hard_coded(reference, cases):
    """A student's function that returns the right outputs for the notebook's cases only."""

    def answer(*args):
        for case in cases:
            case = case if isinstance(case, tuple) else (case,)
            same = len(case) == len(args) and all(
                np.shape(a) == np.shape(c) and np.array_equal(a, c) for a, c in zip(args, case)
            )
            if same:
                return reference(*args)
        return 1.1 * np.asarray(reference(*args)) + 1.0

    return answer


@pytest.mark.parametrize("number", SOLUTIONS)
def test_hard_coding_the_visible_cases_passes_the_self_check_but_not_the_hidden_one(number):
    exercise = ref.EXERCISES[number]
    answer = _hard_coded(exercise.reference[0], SOLUTIONS[number][1])
    assert exercise.check(answer, show=False).status == "correct"
    for seed in SEEDS:
        assert exercise.hidden(answer, rng=np.random.default_rng(seed)).status == "incorrect"


# ---------------------------------------------------------------- scalar-only answers (Exercises 3, 4, 7)
def emergence_time_with_math(p, S, theta0, q=0.5):
    return (math.log(S / theta0 - 1) + math.log(q / (1 - q))) / (2 * S * p)


def test_a_math_log_answer_works_on_numbers_but_fails_the_check_as_the_lesson_would():
    """Exercise 3: the cell after the check calls emergence_time(p_hat[:, None], S, THETA0, levels)."""
    p_hat, levels = np.array([0.4, 0.2, 0.05]), np.array([0.1, 0.5, 0.9])
    assert math.isclose(emergence_time_with_math(0.2, S, THETA0, 0.9), emergence_time(0.2, S, THETA0, 0.9))
    assert np.allclose(emergence_time_with_math(p_hat, S, THETA0), emergence_time(p_hat, S, THETA0))
    with pytest.raises(TypeError):
        emergence_time_with_math(p_hat[:, None], S, THETA0, levels)
    verdict = ref.self_check(3, emergence_time_with_math, show=False)
    assert verdict.status == "incorrect" and ARRAYS_HINT in verdict.message
    assert ref.EXERCISES[3].hidden(emergence_time_with_math, rng=np.random.default_rng(0)).status == "incorrect"


def test_the_arrays_hint_is_given_only_to_functions_that_work_on_numbers():
    def fails_everywhere(p, S, theta0, q=0.5):
        raise TypeError("unsupported operand")

    def wrong_on_numbers(T, t_first, alpha):
        return math.floor(2 * (T / t_first) ** (1 / (alpha + 1)))

    for number, answer in ((3, fails_everywhere), (4, wrong_on_numbers)):
        verdict = ref.self_check(number, answer, show=False)
        assert verdict.status == "incorrect" and ARRAYS_HINT not in verdict.message, verdict.message


# ---------------------------------------------------------------- Exercise 6: a fitting range
@pytest.fixture(scope="module")
def loss_curve():
    """The lesson's loss of the skill model with 100 000 skills (Section 3), as its cells compute it."""
    p_law = lh.emergence.power_law_frequencies(100_000, ALPHA)
    t_law = lh.emergence.emergence_time(p_law, target_scale=S, theta0=THETA0)
    times = np.geomspace(0.01, 2e10, 241)
    loss = lh.emergence.loss_in_time(times, p_law, target_scale=S, theta0=THETA0)
    return times, loss, t_law[0], t_law[-1]


def _slope_error(time_range, loss_curve):
    times, loss = loss_curve[:2]
    slope = lh.emergence.fit_power_law(times, loss, x_range=time_range).slope
    return abs(slope / lh.emergence.scaling_exponents(ALPHA).time - 1)


def test_exercise_6_refuses_a_range_on_the_plateau_even_when_its_slope_is_right(loss_curve):
    """The issue's defect: (t_first/10, t_last/100) gives the right slope within 3 % (0.1 % in fact)."""
    _, _, t_first, t_last = loss_curve
    for time_range in [(t_first / 10, t_last / 100), (0.65, 3e7), (0.9 * t_first, 1e6)]:
        assert _slope_error(time_range, loss_curve) < 0.03, time_range  # what the old check accepted
        verdict = ref.self_check(6, time_range, show=False)
        assert verdict.status == "incorrect" and "starts before the first skill emerges" in verdict.message
        assert "t ≈ 6.5" in verdict.message
        assert ref.EXERCISES[6].hidden(time_range, rng=np.random.default_rng(0)).status == "incorrect"


def test_exercise_6_refuses_every_range_that_starts_on_the_plateau(loss_curve):
    _, _, t_first, t_last = loss_curve
    rng = np.random.default_rng(11)
    for _ in range(40):
        low = 10 ** rng.uniform(-2, np.log10(t_first))
        high = 10 ** rng.uniform(np.log10(low) + 2, np.log10(t_last / 100))
        verdict = ref.self_check(6, (low, high), show=False)
        assert verdict.status == "incorrect" and "starts before the first skill emerges" in verdict.message


def test_exercise_6_accepts_ranges_inside_both_ends_in_both_checks(loss_curve):
    """Ranges from t_first to a decade or more before t_last/100, over three decades or more, fit within 3 %."""
    _, _, t_first, t_last = loss_curve
    rng = np.random.default_rng(5)
    for _ in range(25):
        low = 10 ** rng.uniform(np.log10(t_first), 3.5)
        high = 10 ** rng.uniform(np.log10(low) + 3, np.log10(t_last / 1000))
        assert ref.self_check(6, (low, high), show=False).status == "correct", (low, high)
        for seed in SEEDS:
            verdict = ref.EXERCISES[6].hidden((low, high), rng=np.random.default_rng(seed))
            assert verdict.status == "correct", ((low, high), verdict.message)


def test_exercise_6_names_the_end_that_bends_the_slope(loss_curve):
    """A range inside the rules whose end is late enough to steepen the fit beyond 3 % is told to stop earlier."""
    _, _, _, t_last = loss_curve
    for late in [(1e5, t_last / 150), (5e5, 6e7)]:
        assert _slope_error(late, loss_curve) > 0.03
        verdict = ref.self_check(6, late, show=False)
        assert verdict.status == "incorrect" and "falls faster than the law" in verdict.message
        assert ref.EXERCISES[6].hidden(late, rng=np.random.default_rng(0)).status == "incorrect"


@pytest.mark.parametrize(
    "time_range",
    [(True, 1e6), np.array([[10.0, 1e6]]), {"low": 10.0}, (10.0, float("inf")), (10 + 0j, 1e6), (10.0,), 1e3],
)
def test_exercise_6_never_accepts_or_raises_on_a_malformed_range(time_range):
    assert ref.self_check(6, time_range, show=False).status == "incorrect"
    assert ref.EXERCISES[6].hidden(time_range, rng=np.random.default_rng(0)).status == "incorrect"


def test_exercise_6_blank_ranges_are_not_attempted():
    for blank in (..., None, (..., 1e6), [10.0, ...]):
        assert ref.self_check(6, blank, show=False).status == "not attempted"


def test_the_hidden_loss_is_the_lessons_loss(loss_curve):
    times, loss = loss_curve[:2]
    assert np.allclose(ref._loss_at(times), loss, rtol=1e-12, atol=0)


# ---------------------------------------------------------------- hints and imports
def test_no_hint_writes_out_the_answer():
    """The hints point to the idea; none holds the code of a sample solution."""
    answers = ["np.floor", "weights.sum()", "1 - (1 - p)", "(1 − p)^D", "2 S p", "control[:, k] *", "ln(S/θ₀ − 1)"]
    messages = [ex.check(*wrong, show=False).message for ex in ref.EXERCISES.values() for wrong, _ in ex.wrong]
    assert messages
    for message in messages:
        assert not [a for a in answers if a in message], message


def test_labhelpers_does_not_import_the_answers():
    code = "import sys, labhelpers; print('labhelpers.lessons.lesson02' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False"


def test_public_names():
    assert all(hasattr(ref, name) for name in ref.__all__)
    assert set(ref.__all__) == {f"reference_{n}" for n in ("frequencies", "skills", "emergence", "count", "fit")} | {
        "reference_range",
        "reference_seen",
        "EXERCISES",
        "self_check",
    }
