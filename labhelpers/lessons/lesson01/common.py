"""Lesson 1's shared pieces: the exercises' titles, the running example, the check that adds a hint for
scalar-only (``math``) answers, the gradient flow the answer forms build on, and the tolerance that lets
float32 answers pass.

Book: lessons/lesson01_feedback.md (Exercises 1-6).
"""

from __future__ import annotations

import re

import numpy as np

from ...checks import INCORRECT, check_function, make_verdict

_TITLES = {
    1: "diagonal_flow",
    2: "euler_path",
    3: "imbalance_drift",
    4: "sigmoid_mode",
    5: "half_rise_time",
    6: "order of learning",
}


def _name(number: int) -> str:
    return f"Exercise {number}: {_TITLES[number]}"


# The lesson's running example: three modes with different targets, started off balance.
EXAMPLE = dict(
    a0=np.array([0.3, 0.05, 0.6]),
    b0=np.array([0.1, 0.4, 0.2]),
    S=np.array([2.0, 1.0, 0.5]),
    var=np.ones(3),
)

# A student's function that uses the `math` module fails on arrays with one of these TypeErrors.
_SCALAR_ONLY = re.compile(r"converted to Python scalars|must be real number|only length-1 arrays")
_ARRAYS_HINT = (
    "Your function works on single numbers but not on arrays, as the lesson's later cells need: use numpy's "
    "functions (`np.exp`, `np.log`), which work entry by entry, not those of the `math` module."
)


def _function_verdict(name, student_fn, reference_fn, cases, *, show, hints=None, rtol=1e-6, atol=1e-9, notes=()):
    """``check_function``, with a hint for scalar-only (``math``) answers and ``notes``: pairs
    ``(predicate(message), extra)`` whose extra text is added to an incorrect verdict's message."""
    verdict = check_function(name, student_fn, reference_fn, cases, rtol=rtol, atol=atol, hints=hints, show=False)
    message = verdict.message
    if verdict.status == INCORRECT:
        if _SCALAR_ONLY.search(message):
            message = f"{message} {_ARRAYS_HINT}"
        for applies, extra in notes:
            if applies(message):
                message = f"{message} {extra}"
    return make_verdict(name, verdict.status, message, show=show)


# The gradient flow of Eq. 6, written out: the answer forms of Exercises 1-3 build on it.
def _flow(a, b, S, var):
    residual = var * (S - a * b)
    return b * residual, a * residual


_SMOOTH_TOLERANCES = dict(rtol=1e-5, atol=1e-9)  # float32 answers pass
