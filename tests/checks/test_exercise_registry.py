"""The exercise registry (labhelpers.checks.exercises) on a toy lesson: a doubling function and a number."""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers.checks import CORRECT, INCORRECT, NOT_ATTEMPTED, Exercise, Exercises, check, check_function


def _double(x):
    return 2 * np.asarray(x, dtype=float)


def _check_double(fn, show=True):
    return check_function("Exercise 1: double", fn, _double, [(1.0,), (np.arange(3.0),)], show=show)


def _hidden_double(fn, rng):
    cases = [(rng.normal(size=4),), (float(rng.uniform(1, 2)),)]
    return check_function("Exercise 1: double", fn, _double, cases, show=False)


def _check_half(value, show=True):
    return check("Exercise 2: half", value, 0.5, show=show)


def _hidden_half(value, rng):
    return check("Exercise 2: half", value, 0.5, rtol=1e-12, show=False)


def registry(**changes):
    first = dict(number=1, title="double", answers=("double",), check=_check_double, hidden=_hidden_double, minutes=5)
    first.update(changes)
    return Exercises(
        [
            Exercise(**first),
            Exercise(2, "half", ("half",), _check_half, _hidden_half, 5, reference=(0.5,)),
        ]
    )


def test_grade_needs_the_self_check_and_the_hidden_check():
    exercises = registry()
    rng = np.random.default_rng(0)

    def memorised(x):  # right on the visible cases only
        x = np.asarray(x, dtype=float)
        return 2 * x if x.shape == (3,) or float(x.sum()) == 1.0 else x

    graded = exercises.grade({"double": memorised, "half": 0.5}, rng)
    assert graded[1].status == INCORRECT and "hidden cases" in graded[1].message
    assert graded[2].status == CORRECT
    assert exercises.grade({"double": _double}, rng)[2].status == NOT_ATTEMPTED
    assert exercises.minutes == 10 and list(exercises) == [1, 2] and exercises[2].name == "Exercise 2: half"


def test_a_check_that_raises_is_graded_incorrect_not_a_crash():
    def broken(*args, **kwargs):
        raise RuntimeError("instructor bug")

    graded = registry(check=broken).grade({"double": _double, "half": 0.5}, np.random.default_rng(0))
    assert graded[1].status == INCORRECT and "RuntimeError" in graded[1].message
    assert graded[2].status == CORRECT


def test_self_check_refuses_the_lesson_authors_mistakes():
    exercises = registry()
    assert exercises.self_check(1, _double, show=False).status == CORRECT
    with pytest.raises(ValueError, match="number must be one of 1..2"):
        exercises.self_check(3, _double)
    with pytest.raises(ValueError, match="needs 1 answers"):
        exercises.self_check(1, _double, _double)
    with pytest.raises(KeyError, match="exercises 1..2"):
        exercises[5]


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        (dict(number=0), "number must be a positive int"),
        (dict(answers="double"), "answers must be a non-empty tuple"),
        (dict(check=None), "check must be callable"),
        (dict(minutes=0), "minutes must be an int"),
        (dict(reference=(1, 2)), "one answer per name"),
        (dict(valid=((1, 2),)), r"valid\[0\]"),
        (dict(wrong=(((1,), 3),)), r"wrong\[0\]"),
    ],
)
def test_bad_exercises_are_refused_with_the_field_named(changes, match):
    with pytest.raises(ValueError, match=match):
        registry(**changes)


def test_exercises_must_be_numbered_in_order():
    half = Exercise(2, "half", ("half",), _check_half, _hidden_half, 5)
    with pytest.raises(ValueError, match=r"numbered 1..1 in order, got \[2\]"):
        Exercises([half])
    with pytest.raises(ValueError, match="non-empty list of Exercise"):
        Exercises([])
