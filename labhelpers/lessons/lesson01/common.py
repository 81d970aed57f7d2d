"""Lesson 1's shared pieces: the exercises' titles, the running example, the check that adds notes to a
message, the gradient flow the answer forms build on, and the tolerance that lets float32 answers pass.

Book: lessons/lesson01_feedback.md (Exercises 1-6).
"""

from __future__ import annotations

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


def _function_verdict(name, student_fn, reference_fn, cases, *, show, notes=(), **options):
    """``check_function`` (``options``: its keywords), with ``notes``: pairs ``(predicate(message), extra)``
    whose extra text is added to an incorrect verdict's message."""
    verdict = check_function(name, student_fn, reference_fn, cases, show=False, **options)
    message = verdict.message
    if verdict.status == INCORRECT:
        for applies, extra in notes:
            if applies(message):
                message = f"{message} {extra}"
    return make_verdict(name, verdict.status, message, show=show)


# The gradient flow of Eq. 6, written out: the answer forms of Exercises 1-3 build on it.
def _flow(a, b, S, var):
    residual = var * (S - a * b)
    return b * residual, a * residual


_SMOOTH_TOLERANCES = dict(rtol=1e-5, atol=1e-9)  # float32 answers pass
