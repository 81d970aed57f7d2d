"""Lesson 1, Exercise 1 (diagonal_flow): the gradient flow of a diagonal linear network (Eq. 6): the
reference, the visible cases, the common mistakes and their hints, the self-check, the hidden check, and
answer forms that must pass or fail.

Book: lessons/lesson01_feedback.md (Exercise 1).
"""

from __future__ import annotations

import numpy as np

from ...checks import Exercise
from ...core import DiagonalLinearNetwork, teacher_moments
from .common import _TITLES, _flow, _function_verdict, _name

# The test cases are drawn in this order from one generator: FLOW_CASES first, then EULER_CASES.
_rng = np.random.default_rng(2025)


def reference_flow(a, b, S, var):
    """Exercise 1: the gradient flow ``(da/dt, db/dt)`` of a diagonal linear network (the paper's Eq. 6)."""
    model, moments = DiagonalLinearNetwork(len(S)), teacher_moments(var, S)
    flow = model.flow({"a": a, "b": b}, moments)
    return flow["a"], flow["b"]


FLOW_CASES = [(*_rng.uniform(-1, 1, (2, 3)), *_rng.uniform(0.5, 2, (2, 3))) for _ in range(3)]
FLOW_MISTAKES = {
    "Your da is a·(…) and your db is b·(…): each layer is scaled by its own size. Differentiate a·b with "
    "respect to a to see which factor is left, and return the pair in the order (da, db).": (
        lambda a, b, S, var: (a * var * (S - a * b), b * var * (S - a * b))
    ),
    "Your flow goes uphill: gradient flow follows −∂L/∂a, so check the sign of your residual.": (
        lambda a, b, S, var: (b * var * (a * b - S), a * var * (a * b - S))
    ),
    "Almost: a factor is missing. Look at the loss again: what multiplies each term (S − ab)²?": (
        lambda a, b, S, var: (b * (S - a * b), a * (S - a * b))
    ),
}
_FLOW_TOLERANCES = dict(rtol=1e-5, atol=1e-6)  # float32 answers pass


def _check_flow(diagonal_flow, show=True):
    return _function_verdict(
        _name(1),
        diagonal_flow,
        reference_flow,
        FLOW_CASES,
        hints=FLOW_MISTAKES,
        show=show,
        **_FLOW_TOLERANCES,
    )


def _hidden_flow(diagonal_flow, rng):
    cases = []
    for d in rng.integers(1, 6, size=3):
        a, b = rng.uniform(-2, 2, (2, d))
        cases.append((a, b, rng.uniform(-2, 3, d), rng.uniform(0.1, 3, d)))
    d = int(rng.integers(2, 6))
    balanced = rng.uniform(0.01, 1, d)
    cases.append((balanced, balanced.copy(), rng.integers(1, 4, d), np.ones(d, dtype=int)))  # integer S, var
    cases.append((np.zeros(d), np.zeros(d), rng.uniform(0.5, 2, d), rng.uniform(0.5, 2, d)))  # the saddle at 0
    return _function_verdict(
        _name(1), diagonal_flow, reference_flow, cases, hints=FLOW_MISTAKES, show=False, **_FLOW_TOLERANCES
    )


def _flow_as_lists(a, b, S, var):
    residual = var * (S - a * b)
    return [list(b * residual), list(a * residual)]


def _flow_float32(a, b, S, var):
    a, b, S, var = (np.asarray(x, dtype=np.float32) for x in (a, b, S, var))
    return b * var * (S - a * b), a * var * (S - a * b)


def _flow_expanded(a, b, S, var):
    return var * S * b - var * a * b**2, var * S * a - var * b * a**2


def _flow_twice_too_fast(a, b, S, var):
    return 2 * b * var * (S - a * b), 2 * a * var * (S - a * b)


def _flow_da_only(a, b, S, var):
    return b * var * (S - a * b)


def _flow_misplaced_variance(a, b, S, var):
    return b * (var * S - a * b), a * (var * S - a * b)


def _flow_swapped(a, b, S, var):
    da, db = _flow(a, b, S, var)
    return db, da


EXERCISE = Exercise(
    1,
    _TITLES[1],
    answers=("diagonal_flow",),
    check=_check_flow,
    hidden=_hidden_flow,
    minutes=10,
    reference=(reference_flow,),
    valid=((_flow_as_lists,), (_flow_float32,), (_flow_expanded,)),
    wrong=(
        *(((wrong,), hint[:40]) for hint, wrong in FLOW_MISTAKES.items()),
        ((_flow_swapped,), "in the order (da, db)"),
        ((_flow_twice_too_fast,), None),
        ((_flow_misplaced_variance,), None),
        ((_flow_da_only,), "should return 2 values"),
    ),
)
