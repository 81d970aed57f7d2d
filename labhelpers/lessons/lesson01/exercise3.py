"""Lesson 1, Exercise 3 (imbalance_drift): the drift of the imbalance ``a**2 - b**2`` (Eq. 8) under Euler
steps: the reference, the visible cases, the common mistakes and their hints, the self-check, the hidden
check, and answer forms that must pass or fail.

Book: lessons/lesson01_feedback.md (Exercise 3).
"""

from __future__ import annotations

import numpy as np

from ...checks import Exercise
from .common import _TITLES, EXAMPLE, _flow, _function_verdict, _name
from .exercise2 import reference_euler


def reference_drift(a0, b0, S, var, dt, t_max):
    """Exercise 3: the largest change of the imbalance ``a**2 - b**2`` (Eq. 8), Euler steps up to t_max."""
    a_path, b_path = reference_euler(a0, b0, S, var, dt, round(t_max / dt))
    C = a_path**2 - b_path**2
    return np.max(np.abs(C - C[0]))


# Called with keywords, as the lesson's figure calls it; 0.7 / 0.1 is 6.999... in floating point.
DRIFT_CASES = [dict(EXAMPLE, dt=dt, t_max=t_max) for dt, t_max in [(0.2, 4.0), (0.05, 4.0), (0.1, 2.0), (0.1, 0.7)]]


def _drift_truncated(a0, b0, S, var, dt, t_max):
    a_path, b_path = reference_euler(a0, b0, S, var, dt, int(t_max / dt))
    C = a_path**2 - b_path**2
    return np.max(np.abs(C - C[0]))


def _drift_signed(a0, b0, S, var, dt, t_max):
    a_path, b_path = reference_euler(a0, b0, S, var, dt, round(t_max / dt))
    C = a_path**2 - b_path**2
    return np.max(C - C[0])


DRIFT_MISTAKES = {
    "Your number of steps is one short when t_max / dt falls just below a whole number in floating point "
    "(0.7 / 0.1 gives 6.999...): round it to the nearest integer instead of cutting off the decimals.": (
        _drift_truncated
    ),
    "Take the absolute value of the change: an imbalance can move down as well as up, and the drift is "
    "the largest change either way.": _drift_signed,
}


def _check_drift(imbalance_drift, show=True):
    return _function_verdict(_name(3), imbalance_drift, reference_drift, DRIFT_CASES, hints=DRIFT_MISTAKES, show=show)


def _hidden_drift(imbalance_drift, rng):
    cases = []
    for d in rng.integers(1, 5, size=3):
        a0, b0 = rng.uniform(0.05, 1, (2, d))
        dt = float(rng.choice([0.05, 0.1, 0.2]))
        t_max = int(rng.integers(3, 40)) * dt  # t_max / dt may fall just short of the whole number
        cases.append(dict(a0=a0, b0=b0, S=rng.uniform(0.5, 2, d), var=rng.uniform(0.5, 2, d), dt=dt, t_max=t_max))
    cases.append(dict(EXAMPLE, dt=0.1, t_max=0.3))  # 0.3 / 0.1 = 2.9999...
    return _function_verdict(_name(3), imbalance_drift, reference_drift, cases, hints=DRIFT_MISTAKES, show=False)


def _drift_loop(a0, b0, S, var, dt, t_max):
    a, b = np.asarray(a0, dtype=float), np.asarray(b0, dtype=float)
    C0, largest = a**2 - b**2, 0.0
    for _ in range(int(round(t_max / dt))):
        da, db = _flow(a, b, S, var)
        a, b = a + dt * da, b + dt * db
        largest = max(largest, float(np.max(np.abs(a**2 - b**2 - C0))))
    return largest


def _drift_factored(a0, b0, S, var, dt, t_max):
    a_path, b_path = reference_euler(a0, b0, S, var, dt, int(t_max / dt + 0.5))
    return float(np.abs((a_path - b_path) * (a_path + b_path) - (a0 - b0) * (a0 + b0)).max())


def _drift_per_mode(a0, b0, S, var, dt, t_max):
    a_path, b_path = reference_euler(a0, b0, S, var, dt, round(t_max / dt))
    C = a_path**2 - b_path**2
    return np.max(np.abs(C - C[0]), axis=0)


def _drift_relative(a0, b0, S, var, dt, t_max):
    a_path, b_path = reference_euler(a0, b0, S, var, dt, round(t_max / dt))
    C = a_path**2 - b_path**2
    return np.max(np.abs(C - C[0]) / np.abs(C[0]))


EXERCISE = Exercise(
    3,
    _TITLES[3],
    answers=("imbalance_drift",),
    check=_check_drift,
    hidden=_hidden_drift,
    minutes=10,
    reference=(reference_drift,),
    valid=((_drift_loop,), (_drift_factored,)),
    wrong=(
        *(((wrong,), hint[:40]) for hint, wrong in DRIFT_MISTAKES.items()),
        ((_drift_per_mode,), "should be a single number"),
        ((_drift_relative,), None),
    ),
)
