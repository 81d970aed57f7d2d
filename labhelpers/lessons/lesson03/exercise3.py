"""Exercise 3 of Lesson 3, greedy learning: the reference ``reference_learned_rank`` (how many modes of
Eq. 12 are past half their target at each time), the visible tasks, the slips (the rate, the dropped −1, the
missing time scale, the brackets, the waiting modes) with their hints, the self-check, the hidden check on
fresh tasks, and the other valid forms.

Book: lessons/lesson03_collapse.md (Exercise 3).
"""

from __future__ import annotations

import math

import numpy as np

from ...checks import Exercise, check_function
from ...core import half_rise_time
from .common import _clearer


def reference_learned_rank(t, s, theta0):
    """Number of modes of Eq. 12 past half their target, s/2, at each time t (Exercise 3)."""
    rise = half_rise_time(s, theta0)
    times = np.asarray(t, dtype=float)[:, None]
    return (times > np.atleast_1d(rise)).sum(axis=1)


def _rank_from(rise, t):
    times = np.asarray(t, dtype=float)[:, None]
    return (times > np.atleast_1d(rise)).sum(axis=1)


def _rate_s(t, s, theta0):
    return _rank_from(np.log(s / theta0 - 1) / s, t)


def _log_ratio(t, s, theta0):
    return _rank_from(np.log(s / theta0) / (2 * s), t)


def _no_time_scale(t, s, theta0):
    return _rank_from(np.log(s / theta0 - 1) / 2, t)


def _times_s(t, s, theta0):
    return _rank_from(np.log(s / theta0 - 1) / 2 * s, t)


def _waiting(t, s, theta0):
    return len(s) - reference_learned_rank(t, s, theta0)


def _minus_one_outside(t, s, theta0):
    return _rank_from((np.log(s / theta0) - 1) / (2 * s), t)


RANK_CASES = [
    (np.linspace(0, 8, 161), np.array([3.0, 2.0, 1.0, 0.5]), 1e-3),
    (np.linspace(0, 3, 301), np.array([1.0, 0.9]), np.array([0.3, 1e-4])),
    (np.linspace(0, 40, 401), np.array([2.0, 2.0, 0.25]), 1e-6),
]
RANK_MISTAKES = {
    "Your modes rise twice as late as Eq. 12 says: look again at the rate in its exponent.": _rate_s,
    "Close! Solve θ(t) = s/2 in Eq. 12 exactly, without dropping any term: "
    "the difference matters when θ₀ is not tiny.": _log_ratio,
    "A stronger mode is learned sooner: how does the time scale of Eq. 12 "
    "depend on s? Did you forget it?": _no_time_scale,
    "Your stronger modes rise later: mind the brackets, `x / 2 * s` multiplies by s.": _times_s,
    "You counted the modes that are still waiting. Count those that have passed half their target.": _waiting,
}

# One mode, with a single s and theta0 (the times stay an array): an answer with `math.log` works on it.
_RANK_SCALARS = (np.linspace(0, 8, 161), 2.0, 1e-3)


def _check_rank(learned_rank, show=True):
    return check_function(
        "Exercise 3: learned_rank",
        _clearer(learned_rank),
        reference_learned_rank,
        RANK_CASES,
        hints=RANK_MISTAKES,
        scalar_case=_RANK_SCALARS,
        show=show,
    )


def _hidden_rank(learned_rank, rng):
    """Fresh tasks: 1-5 modes in any order, one start or one per mode, integer s, random times."""
    cases = []
    for kind in ("one start", "one per mode", "integers"):
        r = int(rng.integers(1, 6))
        s = rng.integers(1, 6, size=r) if kind == "integers" else 10 ** rng.uniform(-0.7, 0.7, size=r)
        size = r if kind == "one per mode" else None
        low = -1 if kind == "one per mode" else -6  # starts not tiny: the -1 in ln(s/theta0 - 1) matters
        theta0 = np.min(s) * 10 ** rng.uniform(low, -0.5, size=size)
        end = 1.3 * np.max(half_rise_time(s, theta0))
        cases.append((np.sort(rng.uniform(0, end, size=int(rng.integers(500, 1500)))), s, theta0))
    name, student = "Exercise 3: learned_rank", _clearer(learned_rank)
    return check_function(name, student, reference_learned_rank, cases, scalar_case=_RANK_SCALARS, show=False)


def _learned_rank_loop(t, s, theta0):
    """The same count with a loop over the times, as a list, from the equivalent ln((s - theta0)/theta0)."""
    rise = np.log((s - theta0) / theta0) / (2 * s)
    return [int(np.sum(time > rise)) for time in t]


EXERCISE = Exercise(
    3,
    "learned_rank",
    answers=("learned_rank",),
    check=_check_rank,
    hidden=_hidden_rank,
    minutes=12,
    reference=(reference_learned_rank,),
    valid=(
        (_learned_rank_loop,),
        (lambda t, s, theta0: _rank_from(np.log1p((s - 2 * theta0) / theta0) / (2 * s), t),),
        (lambda t, s, theta0: reference_learned_rank(t, s, theta0).astype(float),),
    ),
    wrong=(
        *(((mistake,), hint) for hint, mistake in RANK_MISTAKES.items()),
        (
            (lambda t, s, theta0: _rank_from(math.log(s / theta0 - 1) / (2 * s), t),),
            "works on single numbers but raises on arrays",
        ),
        ((_minus_one_outside,), None),
    ),
)
