"""Lesson 4, Exercise 5 (``kernel_distance_between``): the kernel distance of two weights on the same inputs —
the reference, the visible and hidden cases, the hints for common mistakes, the checks, and the other
valid and the wrong answers the tests try.

Book: lessons/lesson04_regimes.md (Exercise 5).
"""

import numpy as np

from ... import regimes
from ...checks import Exercise, check_function
from .common import X_TRAIN, _as_float32, _hints
from .exercise2 import _rng  # the visible inputs go on drawing from Exercise 2's generator, after its frames


def _kernels(start, end, X0, Xt):
    return (
        regimes.ntk(start["W1"], start["W2"], X0),
        regimes.ntk(end["W1"], end["W2"], Xt),
    )


def reference_distance(start, end, X):
    """Kernel distance 1 − ⟨K0, Kt⟩_F / (‖K0‖_F ‖Kt‖_F) of two weights on X (Exercise 5, Fort et al.)."""
    return regimes.kernel_distance(*_kernels(start, end, X, X))


def _weights(seed, scale=1.0, shape=(3, 3, 3)):
    g = np.random.default_rng(seed)
    d, p, c = shape
    return {"W1": scale * g.standard_normal((d, p)), "W2": scale * g.standard_normal((p, c))}


def _with_global_inputs(start, end, X):
    return regimes.kernel_distance(*_kernels(start, end, X_TRAIN, X_TRAIN))


def _start_on_global_inputs(start, end, X):
    return regimes.kernel_distance(*_kernels(start, end, X_TRAIN, X))


def _cosine(start, end, X):
    K0, Kt = _kernels(start, end, X, X)
    return np.sum(K0 * Kt) / (np.linalg.norm(K0) * np.linalg.norm(Kt))


def _unnormalised(start, end, X):
    K0, Kt = _kernels(start, end, X, X)
    return 1 - np.sum(K0 * Kt)


def _start_norm_squared(start, end, X):
    K0, Kt = _kernels(start, end, X, X)
    return 1 - np.sum(K0 * Kt) / np.linalg.norm(K0) ** 2


def _matmul(start, end, X):
    K0, Kt = _kernels(start, end, X, X)
    return 1 - np.sum(K0 @ Kt) / (np.linalg.norm(K0) * np.linalg.norm(Kt))


def _spectral_norms(start, end, X):
    K0, Kt = _kernels(start, end, X, X)
    return 1 - np.sum(K0 * Kt) / (np.linalg.norm(K0, 2) * np.linalg.norm(Kt, 2))


DISTANCE_CASES = [
    (_weights(5), _weights(6), _rng.standard_normal((12, 3))),
    (_weights(7), _weights(7, 2.0), _rng.standard_normal((12, 3))),
    (_weights(8, 0.3), _weights(9), _rng.standard_normal((12, 3))),
]
_DISTANCE_HINTS = {
    "Normalise the kernels: divide ⟨K0, Kt⟩ by ‖K0‖ ‖Kt‖ (Frobenius "
    "norms), so that only their shapes count, not their sizes.": _unnormalised,
    "That is the cosine of the angle between the kernels. The distance "
    "is one minus it: 0 when the kernel keeps its shape.": _cosine,
    "Divide by the product of both norms, ‖K0‖ ‖Kt‖, not by ‖K0‖².": _start_norm_squared,
    "⟨K0, Kt⟩ is the sum of the entry-wise products, not the sum of the matrix product K0 @ Kt.": _matmul,
    "Use the Frobenius norm, np.linalg.norm(K), not the spectral norm (ord=2).": _spectral_norms,
    "Your function uses the global X_train instead of its argument X. "
    "Compute both kernels on the inputs X you are given: kernels of "
    "different data cannot be compared.": _with_global_inputs,
    "Your starting kernel comes from the global X_train, the end kernel "
    "from X. Kernels of different data cannot be compared: the same "
    "weights give a different matrix on other samples. Use X for both.": _start_on_global_inputs,
}


def _distance_cases(rng):
    """Fresh weights of other widths and sample counts, and an end that is the start scaled (distance 0)."""
    seeds = rng.integers(0, 2**31, 4)
    shape = tuple(int(k) for k in rng.integers(1, 5, 3))
    start = _weights(seeds[0], shape=shape)
    return [
        (start, _weights(seeds[1], shape=shape), rng.standard_normal((int(rng.integers(2, 9)), shape[0]))),
        (start, {key: 1.5 * w for key, w in start.items()}, rng.standard_normal((5, shape[0]))),
        (_weights(seeds[2], 0.1), _weights(seeds[3]), rng.standard_normal((12, 3))),
    ]


def _check_distance(kernel_distance_between, show=True):
    return check_function(
        "Exercise 5: kernel_distance_between",
        kernel_distance_between,
        reference_distance,
        DISTANCE_CASES,
        hints=_DISTANCE_HINTS,
        show=show,
    )


def _hidden_distance(kernel_distance_between, rng):
    return check_function(
        "Exercise 5: kernel_distance_between",
        kernel_distance_between,
        reference_distance,
        _distance_cases(rng),
        show=False,
    )


# ------------------------------------------------------ other correct answers, and plausible mistakes
def _distance_by_trace(start, end, X):
    K0, Kt = _kernels(start, end, X, X)
    return 1 - np.trace(K0.T @ Kt) / np.sqrt(np.vdot(K0, K0) * np.vdot(Kt, Kt))


def _distance_of_difference(start, end, X):
    K0, Kt = _kernels(start, end, X, X)
    return np.linalg.norm(K0 - Kt) / np.linalg.norm(K0)


def _distance_of_first_layers(start, end, X):
    A, B = start["W1"], end["W1"]
    return 1 - np.sum(A * B) / (np.linalg.norm(A) * np.linalg.norm(B))


EXERCISE = Exercise(
    5,
    "kernel_distance_between",
    answers=("kernel_distance_between",),
    check=_check_distance,
    hidden=_hidden_distance,
    minutes=15,
    reference=(reference_distance,),
    valid=((_distance_by_trace,), (_as_float32(reference_distance),)),
    wrong=_hints(_DISTANCE_HINTS)
    + (
        ((_distance_of_difference,), None),
        ((_distance_of_first_layers,), None),
    ),
)
