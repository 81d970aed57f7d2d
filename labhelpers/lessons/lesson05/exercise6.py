"""Lesson 5, Exercise 6: ``takeover_time``, the first recorded time at which the aligned share (Exercise 3)
reaches a level. The reference answer, the visible cases (runs of the exact solution) and the common mistakes
with their hints, the self-check and the grader's hidden check, other valid forms and plausible wrong answers,
and the registry entry ``EXERCISE``.

Book: lessons/lesson05_grokking.md (Exercise 6).
"""

from __future__ import annotations

import numpy as np

from ... import grokking as gk
from ...checks import Exercise, check_function
from .common import BASE, RICH_ABOVE, _start, _title
from .exercise3 import _share_from_slope, reference_share


def reference_takeover(times, a, b, level=RICH_ABOVE):
    """Exercise 6: the first recorded time at which the aligned share (Exercise 3) reaches `level`."""
    return times[np.argmax(reference_share(a, b) >= level)]


def _takeover_case(w, S, seed, level):
    if seed == "anti":  # a start nearly anti-aligned (b = -a + noise): the share starts near 0
        start = {"a": w * BASE["a"], "b": w * (0.5 * BASE["b"] - BASE["a"])}
    else:
        start = {k: w * v for k, v in BASE.items()} if seed is None else _start(20, w, seed)
    times = np.geomspace(1e-3, 40.0, 80)
    run = gk.exact_solution(times, start["a"], start["b"], S)
    return times, run["a"], run["b"], level


TAKEOVER_CASES = [
    _takeover_case(1.0, 1.0, None, 0.9),
    _takeover_case(0.1, 1.0, 7, 0.9),
    _takeover_case(0.3, 2.0, 8, 0.8),
    _takeover_case(0.5, 1.0, None, 0.95),
    _takeover_case(0.5, 1.0, "anti", RICH_ABOVE)[:3],  # the default level, as later cells call it
]


def _first_index(times, a, b, level=RICH_ABOVE):
    return float(np.argmax(reference_share(a, b) >= level))


TAKEOVER_MISTAKES = {
    "That is the index of the time in `times`; return the time itself.": _first_index,
    "One step too early: that is the last time *below* the level. Return "
    "the first time at which the share is at least the level.": (
        lambda t, a, b, level=RICH_ABOVE: t[int(_first_index(t, a, b, level)) - 1]
    ),
    "Your share goes above 1: use your aligned_share of Exercise 3.": (
        lambda t, a, b, level=RICH_ABOVE: t[np.argmax(2 * reference_share(a, b) >= level)]
    ),
    "That is the last recorded time. You need the *first* one at which the share reaches the level.": (
        lambda t, a, b, level=RICH_ABOVE: t[-1]
    ),
}


def _check_takeover(takeover_time, show=True):
    return check_function(
        _title(6, "takeover_time"),
        takeover_time,
        reference_takeover,
        TAKEOVER_CASES,
        hints=TAKEOVER_MISTAKES,
        show=show,
    )


def _hidden_takeover_case(rng, first=False, std=(0.05, 0.5)):
    """A run of a fresh Gaussian start, and a level between two recorded shares that differ (or below the
    first)."""
    while True:
        start = gk.gaussian_init(int(rng.integers(5, 30)), rng.uniform(*std), seed=int(rng.integers(1000)))
        times = np.geomspace(rng.uniform(1e-4, 1e-2), rng.uniform(20.0, 60.0), int(rng.integers(40, 120)))
        run = gk.exact_solution(times, start["a"], start["b"], rng.uniform(0.5, 3.0))
        share = reference_share(run["a"], run["b"])
        steps = np.flatnonzero(np.diff(share) > 1e-5) + 1
        if first:
            return times, run["a"], run["b"], share[0] - 0.01
        if steps.size:
            j = int(rng.choice(steps))
            return times, run["a"], run["b"], (share[j - 1] + share[j]) / 2


def _hidden_takeover(takeover_time, rng):
    cases = [_hidden_takeover_case(rng) for _ in range(3)] + [_hidden_takeover_case(rng, first=True)]
    cases.append(_hidden_takeover_case(rng, std=(0.03, 0.1))[:3])  # a rich start, at the default level
    return check_function(
        _title(6, "takeover_time"),
        takeover_time,
        reference_takeover,
        cases,
        hints=TAKEOVER_MISTAKES,
        show=False,
    )


def _takeover_nonzero(times, a, b, level=RICH_ABOVE):
    return float(times[np.nonzero(reference_share(a, b) >= level)[0][0]])


def _takeover_loop(times, a, b, level=RICH_ABOVE):
    for t, share in zip(times, _share_from_slope(a, b)):
        if share >= level:
            return t
    return times[-1]


def _takeover_no_default(times, a, b, level):
    return reference_takeover(times, a, b, level)


def _takeover_time_of_max(times, a, b, level=RICH_ABOVE):
    return times[np.argmax(reference_share(a, b))]


def _takeover_anti_share(times, a, b, level=RICH_ABOVE):
    return times[np.argmax(1 - reference_share(a, b) >= level)]


EXERCISE = Exercise(
    6,
    "takeover_time",
    answers=("takeover_time",),
    check=_check_takeover,
    hidden=_hidden_takeover,
    minutes=10,
    reference=(reference_takeover,),
    valid=((_takeover_nonzero,), (_takeover_loop,)),
    wrong=(
        *(((fn,), hint) for hint, fn in TAKEOVER_MISTAKES.items()),
        ((_takeover_no_default,), "missing 1 required positional argument"),
        ((_takeover_time_of_max,), None),
        ((_takeover_anti_share,), None),
    ),
)
