"""Lesson 4, Exercise 4 (``two_layer_ntk``): the tangent kernel of the linear network x ↦ xᵀ W1 W2 — the
reference, the visible and hidden cases, the hints for common mistakes (and the one for a p × p factor
that only the network with p ≠ c shows), the checks, and the other valid and the wrong answers the tests
try.

Book: lessons/lesson04_regimes.md (Exercise 4).
"""

import numpy as np

from ... import regimes
from ...checks import INCORRECT, Exercise, Verdict, check_function
from .common import _as_float32, _hints, _show


def _network_case(d, p, c, n, seed):
    g = np.random.default_rng(seed)
    return (g.standard_normal((d, p)), g.standard_normal((p, c)), g.standard_normal((n, d)))


def reference_ntk(W1, W2, X):
    """Tangent kernel I_c ⊗ X W1 W1ᵀ Xᵀ + W2ᵀ W2 ⊗ X Xᵀ of x ↦ xᵀ W1 W2, output-major (Exercise 4)."""
    return regimes.ntk(W1, W2, X)


# The last case has a hidden layer wider than the output (p = 4, c = 2), where a c x c factor and a p x p one
# (I_c or I_p, W2ᵀ W2 or W2 W2ᵀ) differ in shape; the first three show the hints that compare values.
NTK_CASES = [
    _network_case(3, 2, 2, 5, 1),
    _network_case(4, 3, 3, 6, 2),
    _network_case(2, 2, 2, 3, 3),
    _network_case(5, 4, 2, 4, 4),
]


def _terms(W1, W2, X):
    return (np.kron(np.eye(W2.shape[1]), X @ W1 @ W1.T @ X.T), np.kron(W2.T @ W2, X @ X.T))


def _sample_major(W1, W2, X):
    return np.kron(X @ W1 @ W1.T @ X.T, np.eye(W2.shape[1])) + np.kron(X @ X.T, W2.T @ W2)


def _hidden_gram(W1, W2, X):
    return np.kron(np.eye(W2.shape[0]), X @ W1 @ W1.T @ X.T) + np.kron(W2 @ W2.T, X @ X.T)


def _second_layer_term(W1, W2, X):
    return _terms(W1, W2, X)[0]


def _first_layer_term(W1, W2, X):
    return _terms(W1, W2, X)[1]


_NTK_HINTS = {
    "Rows are output-major: row k·n + i is output k on sample i. Which "
    "factor of np.kron sets the order of the row blocks?": _sample_major,
    "The first layer's term pairs outputs through W2ᵀ W2 (c × c), not W2 W2ᵀ (p × p).": _hidden_gram,
    "Half the kernel: you have the second layer's term (I ⊗ X W1 W1ᵀ Xᵀ) "
    "but not the first layer's (W2ᵀ W2 ⊗ X Xᵀ). K sums over all weights.": _second_layer_term,
    "Half the kernel: you have the first layer's term (W2ᵀ W2 ⊗ X Xᵀ) "
    "but not the second layer's (I ⊗ X W1 W1ᵀ Xᵀ). K sums over all weights.": _first_layer_term,
}
_P_FOR_C = (
    "Your kernel is right when the hidden width p equals the number of outputs c, but not on the network "
    "with p = 4 and c = 2: a factor that should be c × c (I_c, W2ᵀ W2, with c = W2.shape[1]) is p × p."
)


def _ntk_cases(rng):
    """Fresh networks of widths 1 to 5 (a single output, a hidden layer wider or narrower than the output)."""
    shapes = [(int(rng.integers(2, 6)), int(rng.integers(3, 6)), 1), (2, 1, 3)]
    shapes.append(tuple(int(k) for k in rng.integers(1, 6, 3)))
    return [_network_case(d, p, c, int(rng.integers(2, 6)), rng) for d, p, c in shapes]


def _check_ntk(two_layer_ntk, show=True):
    name = "Exercise 4: two_layer_ntk"
    verdict = check_function(name, two_layer_ntk, reference_ntk, NTK_CASES, hints=_NTK_HINTS, show=False)
    if verdict.status == INCORRECT and verdict.message not in _NTK_HINTS:
        # a shape error on the p != c network hides the hints: see how the square networks fare
        square = check_function(
            name,
            two_layer_ntk,
            reference_ntk,
            NTK_CASES[:3],
            hints=_NTK_HINTS,
            show=False,
        )
        if square.correct:
            verdict = Verdict(name, INCORRECT, _P_FOR_C)
        elif square.message in _NTK_HINTS:
            verdict = square
    return _show(verdict, show)


def _hidden_ntk(two_layer_ntk, rng):
    return check_function(
        "Exercise 4: two_layer_ntk",
        two_layer_ntk,
        reference_ntk,
        _ntk_cases(rng),
        show=False,
    )


# ------------------------------------------------------ other correct answers, and plausible mistakes
def _ntk_by_einsum(W1, W2, X):
    hidden, c, n = X @ W1, W2.shape[1], len(X)
    first = np.einsum("kl,ij->kilj", np.eye(c), hidden @ hidden.T)
    second = np.einsum("kl,ij->kilj", W2.T @ W2, X @ X.T)
    return (first + second).reshape(c * n, c * n).tolist()


def _ntk_with_hidden_identity(W1, W2, X):
    return np.kron(np.eye(W2.shape[0]), X @ W1 @ W1.T @ X.T) + np.kron(W2.T @ W2, X @ X.T)


def _ntk_old_hidden_gram(W1, W2, X):
    return _terms(W1, W2, X)[0] + np.kron(W2 @ W2.T, X @ X.T)


def _ntk_factors_swapped(W1, W2, X):
    return np.kron(np.eye(W2.shape[1]), X @ X.T) + np.kron(W2.T @ W2, X @ W1 @ W1.T @ X.T)


EXERCISE = Exercise(
    4,
    "two_layer_ntk",
    answers=("two_layer_ntk",),
    check=_check_ntk,
    hidden=_hidden_ntk,
    minutes=20,
    reference=(reference_ntk,),
    valid=((_ntk_by_einsum,), (_as_float32(reference_ntk),), (lambda W1, W2, X: sum(_terms(W1, W2, X)),)),
    wrong=_hints(_NTK_HINTS)
    + (
        ((_ntk_old_hidden_gram,), "pairs outputs through W2ᵀ W2 (c × c), not W2 W2ᵀ (p × p)"),
        ((_ntk_with_hidden_identity,), "should be c × c (I_c, W2ᵀ W2, with c = W2.shape[1]) is p × p"),
        ((_ntk_factors_swapped,), None),
    ),
)
