"""The reference answers of Lesson 2 (labhelpers/lessons/lesson02.py) against the lesson's self-checks.

Each reference passes its own check, so do the lesson's sample solutions, and each mistake in a table gets
its own hint (not an earlier one, not the generic one). Exercise 6 (a range, not a function) is checked on the
lesson's loss curve.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import labhelpers as lh
from labhelpers.checks import check, check_function
from labhelpers.lessons import lesson02 as ref

ALPHA, S, THETA0 = 0.8, 1.0, 1e-3  # the lesson's constants

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


EXERCISES = {
    "frequencies": (power_law_frequencies, ref.reference_frequencies, ref.FREQUENCY_CASES, ref.FREQUENCY_MISTAKES),
    "skills": (skill_functions, ref.reference_skills, ref.SKILL_CASES, ref.SKILL_MISTAKES),
    "emergence": (emergence_time, ref.reference_emergence, ref.EMERGENCE_CASES, ref.EMERGENCE_MISTAKES),
    "count": (skills_emerged, ref.reference_count, ref.COUNT_CASES, ref.COUNT_MISTAKES),
    "fit": (fit_exponent, ref.reference_fit, ref.FIT_CASES, ref.FIT_MISTAKES),
    "seen": (seen_probability, ref.reference_seen, ref.SEEN_CASES, ref.SEEN_MISTAKES),
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


def test_no_hint_writes_out_the_answer():
    """The hints point to the idea; none holds the code of a sample solution."""
    answers = ["np.floor", "weights.sum()", "1 - (1 - p)", "(1 − p)^D", "2 S p", "control[:, k] *", "ln(S/θ₀ − 1)"]
    messages = [m for *_, mistakes in EXERCISES.values() for m in mistakes]
    messages += [m for _, m in ref.range_hints((1.0, 10.0), np.geomspace(0.1, 100, 31), 2.0, 1e9)]
    for message in messages:
        assert not [a for a in answers if a in message], message


@pytest.fixture(scope="module")
def loss_curve():
    """The lesson's loss of the skill model with 100 000 skills (Section 3)."""
    p_law = lh.emergence.power_law_frequencies(100_000, ALPHA)
    t_law = lh.emergence.emergence_time(p_law, target_scale=S, theta0=THETA0)
    times = np.geomspace(0.01, 2e10, 241)
    loss = lh.emergence.loss_in_time(times, p_law, target_scale=S, theta0=THETA0)
    return times, loss, t_law[0], t_law[-1]


def _range_verdict(time_range, loss_curve):
    times, loss, t_first, t_last = loss_curve
    predicted = lh.emergence.scaling_exponents(ALPHA).time
    return check(
        "Exercise 6",
        ref.slope_on(time_range, times, loss),
        predicted,
        rtol=0.03,
        hints=ref.range_hints(time_range, times, t_first, t_last),
        show=False,
    )


def test_exercise_6_sample_range_passes_and_bad_ranges_get_hints(loss_curve):
    times, loss, t_first, t_last = loss_curve
    assert _range_verdict((10 * t_first, t_last / 1000), loss_curve).status == "correct"
    assert _range_verdict(..., loss_curve).status == "not attempted"
    too_late = _range_verdict((10 * t_first, t_last), loss_curve)
    assert too_late.status == "incorrect" and "ends too close to the last skill" in too_late.message
    unusable = _range_verdict((5.0, 1.0), loss_curve)
    assert unusable.status == "incorrect" and "0 < t_low < t_high" in unusable.message


def test_labhelpers_does_not_import_the_answers():
    code = "import sys, labhelpers; print('labhelpers.lessons.lesson02' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False"


def test_public_names():
    assert all(hasattr(ref, name) for name in ref.__all__)
    assert all(name.startswith(("reference_", "slope_on", "range_hints")) or name.isupper() for name in ref.__all__)
