"""Exercise 3 of Lesson 2: the time t_q at which a skill reaches strength q (Eq. 9 solved for t).

The reference answer, the cases the self-check runs (arrays, and a column of frequencies against a row of
levels q as the lesson calls it), the plausible mistakes with their hints, the self-check
(``_check_emergence``, which tells a scalar-only answer so), the grader's hidden check on fresh cases
(``_hidden_emergence``), other valid forms of the answer, and :data:`EXERCISE`, which ties them together.

Book: lessons/lesson02_emergence.md (Exercise 3).
"""

from __future__ import annotations

import math

import numpy as np

from ...checks import Exercise, check_function
from ...core import saturation_time
from .common import _hidden


def reference_emergence(p, S, theta0, q=0.5):
    """Time t_q at which a skill of frequency p reaches strength q, Eq. 9 solved for t
    (Section 2, Exercise 3)."""
    return saturation_time(q, S, theta0, variance=p)


_EMERGENCE_SCALARS = (0.2, 2.0, 0.05, 0.9)
_EMERGENCE_CASES = [
    (np.array([0.5, 0.1, 0.02]), 1.0, 1e-3, 0.5),
    _EMERGENCE_SCALARS,
    (np.array([0.3, 0.03]), 0.5, 1e-4, 0.1),
    # as the lesson calls it: a column of frequencies against a row of levels q
    (np.array([[0.4], [0.05]]), 1.0, 1e-3, np.array([0.1, 0.5, 0.9])),
]


def _time_to_reach(log_term, q_term, rate):
    return (log_term + q_term) / rate


def _rate_without_2(p, S, theta0, q=0.5):
    return _time_to_reach(np.log(S / theta0 - 1), np.log(q / (1 - q)), S * p)


def _log_without_1(p, S, theta0, q=0.5):
    return _time_to_reach(np.log(S / theta0), np.log(q / (1 - q)), 2 * S * p)


def _q_term_sign(p, S, theta0, q=0.5):
    return _time_to_reach(np.log(S / theta0 - 1), np.log((1 - q) / q), 2 * S * p)


def _rate_without_S(p, S, theta0, q=0.5):
    return _time_to_reach(np.log(S / theta0 - 1), np.log(q / (1 - q)), 2 * p)


def _without_q(p, S, theta0, q=0.5):
    return _time_to_reach(np.log(S / theta0 - 1), 0.0 * np.asarray(q), 2 * S * p)


def _with_math_log(p, S, theta0, q=0.5):
    return (math.log(S / theta0 - 1) + math.log(q / (1 - q))) / (2 * S * p)


def _with_log10(p, S, theta0, q=0.5):
    return _time_to_reach(np.log10(S / theta0 - 1), np.log10(q / (1 - q)), 2 * S * p)


_EMERGENCE_HINTS = {
    "Your skills emerge twice too late: compare your rate with the exponent of Eq. 9, factor by "
    "factor.": _rate_without_2,
    "Close! Check the logarithm that holds S/θ₀: set R_k = q in Eq. 9 and keep every term of its "
    "prefactor when you solve for t.": _log_without_1,
    "Check the sign of the q term: a skill reaches 90% after 50%, so t_q must grow with q.": _q_term_sign,
    "Your times do not change with S: in the exponent of Eq. 9 the target scale sets the speed of "
    "a skill as much as its frequency does.": _rate_without_S,
    "Your times do not depend on q: that is the half-rise time only. Set R_k = q, not 1/2, before "
    "you solve for t.": _without_q,
}


def _check_emergence(emergence_time, show=True):
    return check_function(
        EXERCISE.name,
        emergence_time,
        reference_emergence,
        _EMERGENCE_CASES,
        hints=_EMERGENCE_HINTS,
        scalar_case=_EMERGENCE_SCALARS,
        show=show,
    )


def _hidden_emergence(emergence_time, rng):
    def parameters():
        S = float(rng.uniform(0.3, 3.0)) if rng.random() < 0.7 else int(rng.integers(1, 4))
        return S, S * float(10 ** rng.uniform(-6, -2))

    cases = []
    for _ in range(2):
        S, theta0 = parameters()
        p = rng.uniform(1e-3, 1.0, size=int(rng.integers(2, 7)))
        cases.append((p, S, theta0, float(rng.uniform(0.05, 0.95))))
    S, theta0 = parameters()
    p, q = rng.uniform(1e-3, 1.0, size=(int(rng.integers(2, 6)), 1)), rng.uniform(0.05, 0.95, size=3)
    cases += [(p, S, theta0, q), (float(rng.uniform(1e-3, 1.0)), S, theta0, float(rng.uniform(0.05, 0.95)))]
    cases.append((rng.uniform(1e-3, 1.0, size=3), S, theta0))  # the default level q = 1/2
    return _hidden(EXERCISE.name, emergence_time, reference_emergence, cases)


# ---------------------------------------------------------------- other valid forms of the answer
def _emergence_one_log(p, S, theta0, q=0.5):
    return np.log((S - theta0) / theta0 * q / (1 - q)) / (2 * S * p)


def _emergence_float32(p, S, theta0, q=0.5):
    return np.float32(reference_emergence(p, S, theta0, q))


EXERCISE = Exercise(
    3,
    "emergence_time",
    answers=("emergence_time",),
    check=_check_emergence,
    hidden=_hidden_emergence,
    minutes=15,
    reference=(reference_emergence,),
    valid=((_emergence_one_log,), (_emergence_float32,)),
    wrong=tuple(((f,), hint) for hint, f in _EMERGENCE_HINTS.items())
    + (((_with_math_log,), "works on single numbers but raises on arrays"), ((_with_log10,), None)),
)
