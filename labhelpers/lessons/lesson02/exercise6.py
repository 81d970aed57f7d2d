"""Exercise 6 of Lesson 2: the range of times where the loss follows the scaling law.

The lesson's skill model of Sections 3 and 4 (its constants, its 100 000 skills and its loss curve, each
computed once), the reference range, the rules a range must obey (after the first emergence, well before
the last, at least two decades long) and the slope it must give (within 3% of the predicted exponent), the
self-check (``_check_range``, on the lesson's curve), the grader's hidden check (``_hidden_range``, on a fresh
grid of times through ``_loss_at``), and :data:`EXERCISE`, with the valid and wrong ranges tests feed it.

Book: lessons/lesson02_emergence.md (Exercise 6).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ... import emergence as em
from ...checks import CORRECT, INCORRECT, NOT_ATTEMPTED, Exercise, Verdict, make_verdict

_ALPHA, _S, _THETA0, _N_SKILLS = 0.8, 1.0, 1e-3, 100_000  # the lesson's skill model of Sections 3 and 4
_RTOL_SLOPE = 0.03
_MIN_DECADES = 2.0
_END_MARGIN = 100.0  # the loss bends away from the law about two decades before the last skill emerges


@lru_cache(maxsize=1)
def _law():
    """Frequencies, first and last half-rise times and predicted slope of the lesson's 100 000 skills."""
    p_law = em.power_law_frequencies(_N_SKILLS, _ALPHA)
    t_law = em.emergence_time(p_law, target_scale=_S, theta0=_THETA0)
    return p_law, float(t_law[0]), float(t_law[-1]), float(em.scaling_exponents(_ALPHA).time)


@lru_cache(maxsize=1)
def _lesson_curve():
    """The lesson's loss curve L(t) on its time grid (Section 3): about a second to compute."""
    times = np.geomspace(0.01, 2e10, 241)
    return times, em.loss_in_time(times, _law()[0], target_scale=_S, theta0=_THETA0)


def reference_range():
    """The sample solution's fitting range: a decade after the first emergence to three before the last
    (Section 4, Exercise 6)."""
    _, t_first, t_last, _ = _law()
    return (10 * t_first, t_last / 1000)


def _read_range(time_range):
    """``(status, message, (t_low, t_high))``: the student's range as two floats, or why it cannot be used."""
    if time_range is None or time_range is Ellipsis:
        message = "Replace the `...` with your range `(t_low, t_high)`, then run this cell again."
        return NOT_ATTEMPTED, message, None
    if isinstance(time_range, (tuple, list)) and any(v is Ellipsis for v in time_range):
        return NOT_ATTEMPTED, "Replace each `...` with a time, then run this cell again.", None
    if callable(time_range) and not isinstance(time_range, np.ndarray):
        return INCORRECT, "Your range is a function; give two times `(t_low, t_high)`.", None
    values = np.asarray(time_range, dtype=object).ravel().tolist()
    if any(isinstance(v, (str, bytes)) for v in values):
        return INCORRECT, "Your range holds text; give two numbers `(t_low, t_high)`, not strings.", None
    array = np.asarray(time_range)
    if array.dtype.kind not in "iuf" or array.shape != (2,):
        return INCORRECT, "Give your range as two numbers `(t_low, t_high)`.", None
    low, high = (float(v) for v in array)
    if not (math.isfinite(low) and math.isfinite(high) and 0 < low < high):
        return INCORRECT, "Give a range of two times (t_low, t_high) with 0 < t_low < t_high.", None
    return CORRECT, "", (low, high)


def _range_problems(low, high):
    """What is wrong with a range by rule (its place on the curve and its length), whatever slope it gives."""
    _, t_first, t_last, _ = _law()
    problems = []
    if low < t_first:
        problems.append(
            f"Your range starts before the first skill emerges (t ≈ {t_first:.2g}): on the plateau the "
            "loss hardly moves, which is not the law, even where a slope averaged over your range comes "
            "out right. Start later."
        )
    if high > t_last / _END_MARGIN:
        problems.append(
            f"Your range ends too close to the last skill (t ≈ {t_last:.2g}). As the supply of skills runs "
            "out, the loss falls faster than the law, and this bends the curve decades before t_last. Stop "
            "earlier."
        )
    if not problems and high / low < 10**_MIN_DECADES:
        problems.append(
            f"Your range spans a factor {high / low:.3g} in time, less than {_MIN_DECADES:g} decades: too "
            "short to measure an exponent. Widen it, staying inside the first and the last emergence."
        )
    return problems


def _judge_range(time_range, curve, rtol=_RTOL_SLOPE):
    """The verdict's status and message; ``curve(t_low, t_high)`` gives the times and losses to fit."""
    status, message, bounds = _read_range(time_range)
    if bounds is None:
        return status, message
    problems = _range_problems(*bounds)
    if problems:
        return INCORRECT, " ".join(problems)
    slope = em.fit_power_law(*curve(*bounds), x_range=bounds).slope
    predicted = _law()[3]
    if abs(slope / predicted - 1) <= rtol:
        return CORRECT, f"On your range the loss has slope {slope:.3f}, within 3% of the prediction."
    if abs(slope) > abs(predicted):
        return INCORRECT, (
            f"On your range the loss falls faster than the law (slope {slope:.3f}): your range ends where "
            "the supply of skills runs out and the curve bends down. Stop earlier."
        )
    return INCORRECT, (
        f"On your range the loss falls more slowly than the law (slope {slope:.3f}): your range starts where "
        "the first few skills still come one step at a time. Start later."
    )


def _judge_safely(time_range, curve, rtol=_RTOL_SLOPE):
    try:
        return _judge_range(time_range, curve, rtol)
    # a student's object whose __array__ or __float__ misbehaves
    except BaseException as error:  # noqa: BLE001
        return INCORRECT, f"Your range could not be read as two numbers ({type(error).__name__})."


def _check_range(time_range, show=True):
    status, message = _judge_safely(time_range, lambda low, high: _lesson_curve())
    return make_verdict(EXERCISE.name, status, message, show=show)


def _loss_at(times):
    """The lesson's loss L(t) = S^2/2 sum_k p_k (1 - R_k(t))^2 with R_k(t) of Eq. 9, written out: the same
    values as ``em.loss_in_time`` (to rounding), ten times faster, for the hidden check's fresh grids."""
    p_law = _law()[0]
    with np.errstate(over="ignore"):  # exp overflows to inf for skills long learned: 1 - R_k = 0
        gap = 1 / (1 + np.exp(2 * _S * p_law * times[:, None]) / (_S / _THETA0 - 1))
    return 0.5 * _S**2 * (p_law * gap**2).sum(axis=1)


def _hidden_range(time_range, rng):
    """The same rules, and the slope on a fresh grid of 30-50 times inside the range, within 3.5% (a margin
    for the grid)."""
    n = int(rng.integers(30, 51))
    fractions = (np.arange(n) + rng.uniform()) / n

    def fresh_grid(low, high):
        times = low * (high / low) ** fractions
        return times, _loss_at(times)

    return Verdict(EXERCISE.name, *_judge_safely(time_range, fresh_grid, rtol=_RTOL_SLOPE + 0.005))


EXERCISE = Exercise(
    6,
    "where the law holds",
    answers=("time_range",),
    check=_check_range,
    hidden=_hidden_range,
    minutes=10,
    reference=(reference_range(),),
    valid=(([100, 1e6],), (np.array([20.0, 2e7], dtype=np.float32),), ((10, 10**7),)),
    wrong=(
        (((0.65, 3e7),), "starts before the first skill emerges"),
        (((0.01, 2e10),), "starts before the first skill emerges"),
        (((65.0, 6.5e9),), "ends too close to the last skill"),
        (((100.0, 1e8),), "ends too close to the last skill"),
        (((5e5, 6e7),), "falls faster than the law"),
        (((1e3, 1e4),), "less than 2 decades"),
        (((1e6, 100.0),), "0 < t_low < t_high"),
        ((("100", "1e6"),), "holds text"),
    ),
)
