"""Exercise 5 of Lesson 2: the exponent of a power law, fitted on log-log axes over a range of x.

The reference answer, the cases the self-check runs, the plausible mistakes with their hints, the self-check
(``_check_fit``), the grader's hidden check on fresh noisy curves (``_hidden_fit``), other valid forms of the
answer, and :data:`EXERCISE`, which ties them together.

Book: lessons/lesson02_emergence.md (Exercise 5).
"""

from __future__ import annotations

import numpy as np

from ... import emergence as em
from ...checks import Exercise, check_function
from .common import _hidden


def _in_range(x, y, low, high):
    keep = (x >= low) & (x <= high)
    return x[keep], y[keep]


def reference_fit(x, y, x_low, x_high):
    """Slope s of the least-squares line log y = s log x + c over x_low <= x <= x_high
    (Section 4, Exercise 5)."""
    return em.fit_power_law(x, y, x_range=(x_low, x_high)).slope


_X_FIT = np.geomspace(0.01, 1e4, 61)
_FIT_CASES = [
    (np.geomspace(1, 1e3, 30), 3 * np.geomspace(1, 1e3, 30) ** -0.7, 1.0, 1e3),
    (_X_FIT, (1 + _X_FIT) ** -0.5, 10.0, 1e4),
    (_X_FIT, np.exp(-_X_FIT / 3e3) / (1 + _X_FIT), 1.0, 100.0),
]


def _fit_linear(x, y, lo, hi):
    return np.polyfit(*_in_range(x, y, lo, hi), 1)[0]


def _fit_all_points(x, y, lo, hi):
    return np.polyfit(np.log(x), np.log(y), 1)[0]


def _fit_log_x_only(x, y, lo, hi):
    x_in, y_in = _in_range(x, y, lo, hi)
    return np.polyfit(np.log(x_in), y_in, 1)[0]


def _fit_swapped(x, y, lo, hi):
    return np.polyfit(*np.log(_in_range(x, y, lo, hi))[::-1], 1)[0]


def _fit_log_y_only(x, y, lo, hi):
    x_in, y_in = _in_range(x, y, lo, hi)
    return np.polyfit(x_in, np.log(y_in), 1)[0]


def _fit_intercept(x, y, lo, hi):
    return np.polyfit(*np.log(_in_range(x, y, lo, hi)), 1)[1]


_FIT_HINTS = {
    "You fitted y against x: a power law is a straight line only on log-log axes.": _fit_linear,
    "Your fit used every point: x_low and x_high say which ones to keep.": _fit_all_points,
    "Take the logarithm of both x and y, not of one of them only.": _fit_log_x_only,
    "You fitted log x against log y: check the order of the arguments of np.polyfit.": _fit_swapped,
}


def _check_fit(fit_exponent, show=True):
    return check_function(EXERCISE.name, fit_exponent, reference_fit, _FIT_CASES, hints=_FIT_HINTS, show=show)


def _hidden_fit(fit_exponent, rng):
    cases = []
    for _ in range(3):
        x = np.geomspace(10 ** rng.uniform(-3, 0), 10 ** rng.uniform(3, 6), int(rng.integers(40, 90)))
        cutoff = x[-1] * 10 ** rng.uniform(-2, 1)
        y = 10 ** rng.uniform(-1, 1) * x ** rng.uniform(-2, -0.2) * np.exp(-x / cutoff)
        y *= np.exp(0.05 * rng.standard_normal(x.size))  # a measured curve, not an exact law
        low = 10 ** rng.uniform(np.log10(x[0]), np.log10(x[-1]) - 2)  # at least two decades of points
        cases.append((x, y, float(low), float(low * 10 ** rng.uniform(2, 4))))
    return _hidden(EXERCISE.name, fit_exponent, reference_fit, cases)


# ---------------------------------------------------------------- other valid forms of the answer
def _fit_log10(x, y, x_low, x_high):
    keep = (x >= x_low) & (x <= x_high)
    return np.polyfit(np.log10(x[keep]), np.log10(y[keep]), 1)[0]


def _fit_lstsq(x, y, x_low, x_high):
    x_in, y_in = _in_range(np.asarray(x), np.asarray(y), x_low, x_high)
    design = np.stack([np.log(x_in), np.ones_like(x_in)], axis=1)
    return np.float32(np.linalg.lstsq(design, np.log(y_in), rcond=None)[0][0])


EXERCISE = Exercise(
    5,
    "fit_exponent",
    answers=("fit_exponent",),
    check=_check_fit,
    hidden=_hidden_fit,
    minutes=10,
    reference=(reference_fit,),
    valid=((_fit_log10,), (_fit_lstsq,)),
    wrong=tuple(((f,), hint) for hint, f in _FIT_HINTS.items())
    + (((_fit_log_y_only,), None), ((_fit_intercept,), None)),
)
