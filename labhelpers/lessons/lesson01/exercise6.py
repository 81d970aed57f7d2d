"""Lesson 1, Exercise 6 (order of learning): the order in which the modes of the lesson's table reach half
their targets: the table, the reference order and the orders of common shortcuts, the self-check, the hidden
check (judged by the half-rise times), and answers that must pass or fail.

Book: lessons/lesson01_feedback.md (Exercise 6).
"""

from __future__ import annotations

import numpy as np

from ...checks import CORRECT, INCORRECT, Exercise, Verdict, check
from .common import _TITLES, _name
from .exercise5 import reference_half_rise

# Exercise 6's table: four modes of one network, all started balanced.
MODES = dict(
    S=np.array([2.0, 1.0, 0.5, 3.0]),
    theta0=np.array([1e-3, 1e-3, 1e-3, 1e-10]),
    var=np.array([1.0, 1.0, 2.5, 1.0]),
)


def _largest_first(key):
    """Indices that sort ``key`` from largest to smallest (ties keep their order)."""
    return np.argsort(-key, kind="stable")


def reference_order(S, theta0, var):
    """Exercise 6: the order in which modes reach half their targets (Eq. 9), and the orders of common
    shortcuts as ``{hint: wrong order}``."""
    order = np.argsort(reference_half_rise(S, theta0, var))
    reversed_order = "You listed the modes last to first: the first learned has the shortest half-rise time."
    rates = (
        "This is the order of the rates alone. The plateau also depends on how far a mode starts "
        "from its target: look at the initial value of mode 3."
    )
    targets = "This is the order of the target scales alone: the input variance matters as much as S."
    variances = "This is the order of the input variances alone: the target scale matters as much."
    return order, {
        reversed_order: order[::-1],
        rates: _largest_first(S * var),
        targets: _largest_first(S),
        variances: _largest_first(var),
    }


_ORDER_HINTS = [
    (
        lambda answer, expected: np.array_equal(answer, expected + 1),
        "Number the modes from 0, as the table does.",
    ),
    (
        lambda answer, expected: not np.all(answer == np.round(answer)),
        "Give the mode numbers (0 to 3), not their half-rise times.",
    ),
]


def _check_order(order, show=True):
    expected, mistakes = reference_order(**MODES)
    hints = [(lambda a, e, w=wrong: np.array_equal(a, w), hint) for hint, wrong in mistakes.items()] + _ORDER_HINTS
    return check(_name(6), order, expected, rtol=0, atol=0, hints=hints, show=show)


def _hidden_order(order, rng):
    """What makes an order right: it lists every mode once, and the half-rise times increase along it."""
    verdict = _check_order(order, show=False)  # reads the answer safely, whatever it is
    if verdict.status != CORRECT:
        return verdict
    times = reference_half_rise(**MODES)
    modes = np.asarray(order, dtype=float).ravel()
    listed = modes.astype(int)
    every_mode_once = np.array_equal(listed, modes) and sorted(listed.tolist()) == list(range(len(times)))
    if every_mode_once and np.all(np.diff(times[listed]) > 0):
        return verdict
    return Verdict(_name(6), INCORRECT, "Your order does not list the modes by increasing half-rise time.")


EXERCISE = Exercise(
    6,
    _TITLES[6],
    answers=("order",),
    check=_check_order,
    hidden=_hidden_order,
    minutes=8,
    reference=(reference_order(**MODES)[0],),
    valid=(([0, 2, 1, 3],), ((0, 2, 1, 3),), (np.array([0.0, 2.0, 1.0, 3.0]),)),
    wrong=(
        *(((list(wrong),), hint[:40]) for hint, wrong in reference_order(**MODES)[1].items()),
        (([1, 3, 2, 4],), "Number the modes from 0"),
        ((np.sort(reference_half_rise(**MODES)),), "not their half-rise times"),
        (([0, 1, 2, 3],), None),
    ),
)
