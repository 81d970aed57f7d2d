"""Lesson 4, Exercise 2 (``balanced_weights``): λ-balanced weights W1 = U diag(s1) Rᵀ, W2 = R diag(s2) Vᵀ —
the reference, the visible and hidden cases, the hints for common mistakes, the checks, and the other
valid and the wrong answers the tests try.

The generator ``_rng`` draws the visible frames here and then Exercise 5's visible inputs (one generator for
both, in that order, as before the lesson's module was split).

Book: lessons/lesson04_regimes.md (Exercise 2).
"""

import numpy as np

from ...checks import Exercise, check_function
from .common import _as_float32, _hints
from .exercise1 import reference_scales

_rng = np.random.default_rng(44)


def _frame(n, rng=_rng):
    """A random orthogonal n x n matrix."""
    return np.linalg.qr(rng.standard_normal((n, n)))[0]


def reference_weights(lam, theta0, U, V, R):
    """λ-balanced weights W1 = U diag(s1) Rᵀ, W2 = R diag(s2) Vᵀ (Exercise 2, Eq. 14)."""
    s1, s2 = reference_scales(lam, theta0)
    return U @ np.diag(s1) @ R.T, R @ np.diag(s2) @ V.T


WEIGHT_CASES = [
    (1.5, np.array([2.0, 0.5, 0.1]), _frame(3), _frame(3), _frame(3)),
    (-0.7, np.array([1.0, 0.3]), _frame(2), _frame(2), _frame(2)),
    (0.0, np.array([0.4, 0.2, 3.0]), _frame(3), _frame(3), _frame(3)),
]


def _untransposed(lam, theta0, U, V, R):
    s1, s2 = reference_scales(lam, theta0)
    return U @ np.diag(s1) @ R, R.T @ np.diag(s2) @ V.T


def _bad_w1(lam, theta0, U, V, R):
    return _untransposed(lam, theta0, U, V, R)[0], reference_weights(lam, theta0, U, V, R)[1]


def _bad_w2(lam, theta0, U, V, R):
    return reference_weights(lam, theta0, U, V, R)[0], _untransposed(lam, theta0, U, V, R)[1]


def _bad_v(lam, theta0, U, V, R):
    return reference_weights(lam, theta0, U, V, R)[0], reference_weights(lam, theta0, U, V.T, R)[1]


def _swapped(lam, theta0, U, V, R):
    return reference_weights(-lam, theta0, U, V, R)


def _without_frame(lam, theta0, U, V, R):
    return reference_weights(lam, theta0, U, V, np.eye(len(R)))


_WEIGHT_HINTS = {
    "W1 W2 must not depend on the hidden frame: W1 = U diag(s1) Rᵀ and "
    "W2 = R diag(s2) Vᵀ, so that Rᵀ R = I cancels in the middle.": _untransposed,
    "W1 = U diag(s1) Rᵀ, with the hidden frame transposed, so that Rᵀ R = I cancels in W1 W2.": _bad_w1,
    "W2 = R diag(s2) Vᵀ starts with R itself, not Rᵀ, so that Rᵀ R = I cancels in W1 W2.": _bad_w2,
    "The teacher is x → xᵀ U S Vᵀ: W2 ends with Vᵀ, not V.": _bad_v,
    "Your W1 and W2 have each other's scales: W1 takes s1 and W2 takes s2, with s2² − s1² = λ.": _swapped,
    "Your weights leave out the hidden frame R. Without it they are λ-balanced too, but they are not "
    "the weights asked for: W1 = U diag(s1) Rᵀ and W2 = R diag(s2) Vᵀ.": _without_frame,
}


def _weight_cases(rng):
    """Fresh frames of sizes 1 to 4, lam of both signs (one an integer, one 0) and strengths down to 1e-3."""
    cases = []
    for n, lam in [
        (3, rng.uniform(0.5, 20)),
        (4, -rng.uniform(0.5, 20)),
        (2, int(rng.integers(1, 6))),
        (1, 0.0),
    ]:
        theta0 = 10.0 ** rng.uniform(-3, 1, n)
        frames = (_frame(n, rng) for _ in range(3))
        cases.append((lam if isinstance(lam, int) else float(lam), theta0, *frames))
    return cases


def _check_weights(balanced_weights, show=True):
    return check_function(
        "Exercise 2: balanced_weights",
        balanced_weights,
        reference_weights,
        WEIGHT_CASES,
        hints=_WEIGHT_HINTS,
        show=show,
    )


def _hidden_weights(balanced_weights, rng):
    return check_function(
        "Exercise 2: balanced_weights", balanced_weights, reference_weights, _weight_cases(rng), show=False
    )


# ------------------------------------------------------ other correct answers, and plausible mistakes
def _weights_by_broadcasting(lam, theta0, U, V, R):
    s1, s2 = reference_scales(lam, theta0)
    return [(U * s1) @ R.T, (R * s2) @ V.T]


def _weights_entrywise(lam, theta0, U, V, R):
    s1, s2 = reference_scales(lam, theta0)
    return U * np.diag(s1) * R.T, R * np.diag(s2) * V.T


EXERCISE = Exercise(
    2,
    "balanced_weights",
    answers=("balanced_weights",),
    check=_check_weights,
    hidden=_hidden_weights,
    minutes=10,
    reference=(reference_weights,),
    valid=((_weights_by_broadcasting,), (_as_float32(reference_weights),)),
    wrong=_hints(_WEIGHT_HINTS) + (((_weights_entrywise,), None),),
)
