"""Lesson 1, Exercise 2 (euler_path): Euler steps of the gradient flow: the reference, the visible cases, the
common mistakes and their hints, the self-check, the hidden check, and answer forms that must pass or fail.

Book: lessons/lesson01_feedback.md (Exercise 2).
"""

from __future__ import annotations

import re

import numpy as np

from ...checks import Exercise
from ...core import DiagonalLinearNetwork, gradient_descent, teacher_moments
from .common import _TITLES, EXAMPLE, _flow, _function_verdict, _name

# EULER_CASES are drawn after FLOW_CASES, from the same generator: importing it from exercise1 keeps
# that order.
from .exercise1 import _rng


def reference_euler(a0, b0, S, var, dt, steps):
    """Exercise 2: the layers after 0, 1, ..., ``steps`` Euler steps of size ``dt`` of Eq. 6."""
    model, moments = DiagonalLinearNetwork(len(S)), teacher_moments(var, S)
    path = gradient_descent(model, {"a": a0, "b": b0}, lr=dt, steps=steps, moments=moments)
    return path.params["a"], path.params["b"]


# The first case is called as the lesson's figure calls it, with keywords.
EULER_CASES = [dict(EXAMPLE, dt=0.1, steps=20), (*_rng.uniform(0.1, 1, (4, 3)), 0.05, 30)]


def _euler_steps(a0, b0, S, var, dt, steps, step):
    """The path of an Euler-like rule ``step(a_start, b_start, a, b) -> (a_next, b_next)``; a mistake
    that overflows is kept finite (the check needs numbers to compare, and a student's inf gets its own
    message)."""
    a_path, b_path = [np.asarray(a0, dtype=float)], [np.asarray(b0, dtype=float)]
    with np.errstate(all="ignore"):
        for _ in range(steps):
            a_next, b_next = step(a_path[0], b_path[0], a_path[-1], b_path[-1])
            a_path.append(a_next)
            b_path.append(b_next)
    return tuple(np.nan_to_num(np.array(p), nan=1e300, posinf=1e300, neginf=-1e300) for p in (a_path, b_path))


def _euler_flow_at_start(a0, b0, S, var, dt, steps):
    da, db = _flow(np.asarray(a0), np.asarray(b0), S, var)
    return _euler_steps(a0, b0, S, var, dt, steps, lambda a_, b_, a, b: (a + dt * da, b + dt * db))


def _euler_from_start(a0, b0, S, var, dt, steps):
    def step(a_start, b_start, a, b):
        da, db = _flow(a, b, S, var)
        return a_start + dt * da, b_start + dt * db

    return _euler_steps(a0, b0, S, var, dt, steps, step)


def _euler_updated_a(a0, b0, S, var, dt, steps):
    def step(a_start, b_start, a, b):
        a_next = a + dt * _flow(a, b, S, var)[0]
        return a_next, b + dt * _flow(a_next, b, S, var)[1]

    return _euler_steps(a0, b0, S, var, dt, steps, step)


def _euler_without_dt(a0, b0, S, var, dt, steps):
    def step(a_start, b_start, a, b):
        da, db = _flow(a, b, S, var)
        return a + da, b + db

    return _euler_steps(a0, b0, S, var, dt, steps, step)


def _euler_downhill_sign(a0, b0, S, var, dt, steps):
    def step(a_start, b_start, a, b):
        da, db = _flow(a, b, S, var)
        return a - dt * da, b - dt * db

    return _euler_steps(a0, b0, S, var, dt, steps, step)


EULER_MISTAKES = {
    "Your steps are too large: they ignore the step size dt. Compare with the Euler rule above the "
    "exercise.": _euler_without_dt,
    "Every one of your steps uses the flow at the start (a0, b0): compute it from the latest values, "
    "`a_path[-1]` and `b_path[-1]`.": _euler_flow_at_start,
    "Each of your steps starts again from a0 and b0: add Δt times the flow to the latest values, "
    "`a_path[-1]` and `b_path[-1]`.": _euler_from_start,
    "Your b step uses the a you have just updated: compute both derivatives from the old values, then "
    "update both layers.": _euler_updated_a,
    "Your steps go against the flow: Euler's rule adds Δt times the derivative.": _euler_downhill_sign,
}


def _one_row_off(message: str) -> bool:
    shapes = re.search(r"shape \((\d+), (\d+)\), but it is an array of shape \((\d+), (\d+)\)", message)
    return bool(shapes) and abs(int(shapes[1]) - int(shapes[3])) == 1 and shapes[2] == shapes[4]


_EULER_NOTES = (
    (
        _one_row_off,
        "Your path is one row off: it holds the starting values and one row per step, `steps + 1` rows.",
    ),
)


def _check_euler(euler_path, show=True):
    return _function_verdict(
        _name(2),
        euler_path,
        reference_euler,
        EULER_CASES,
        hints=EULER_MISTAKES,
        show=show,
        notes=_EULER_NOTES,
    )


def _hidden_euler(euler_path, rng):
    cases = []
    for d in rng.integers(1, 5, size=3):
        a0, b0 = rng.uniform(-1, 1, (2, d))
        S, var = rng.uniform(0.2, 2, d), rng.uniform(0.5, 2, d)
        cases.append(
            dict(a0=a0, b0=b0, S=S, var=var, dt=float(rng.choice([0.01, 0.05, 0.1])), steps=rng.integers(1, 40))
        )
    d = int(rng.integers(2, 5))
    cases.append((rng.uniform(0.1, 1, d), rng.uniform(0.1, 1, d), rng.integers(1, 3, d), np.ones(d, dtype=int), 0.1, 1))
    return _function_verdict(
        _name(2), euler_path, reference_euler, cases, hints=EULER_MISTAKES, show=False, notes=_EULER_NOTES
    )


def _euler_preallocated(a0, b0, S, var, dt, steps):
    a_path, b_path = np.zeros((steps + 1, len(a0))), np.zeros((steps + 1, len(b0)))
    a_path[0], b_path[0] = a0, b0
    for k in range(steps):
        da, db = _flow(a_path[k], b_path[k], S, var)
        a_path[k + 1], b_path[k + 1] = a_path[k] + dt * da, b_path[k] + dt * db
    return a_path, b_path


def _euler_lists(a0, b0, S, var, dt, steps):
    a_path, b_path = reference_euler(a0, b0, S, var, dt, steps)
    return list(a_path), list(b_path)


def _euler_one_short(a0, b0, S, var, dt, steps):
    a_path, b_path = reference_euler(a0, b0, S, var, dt, steps)
    return a_path[1:], b_path[1:]


EXERCISE = Exercise(
    2,
    _TITLES[2],
    answers=("euler_path",),
    check=_check_euler,
    hidden=_hidden_euler,
    minutes=12,
    reference=(reference_euler,),
    valid=((_euler_preallocated,), (_euler_lists,)),
    wrong=(
        *(((wrong,), hint[:40]) for hint, wrong in EULER_MISTAKES.items()),
        ((_euler_one_short,), "one row off"),
    ),
)
