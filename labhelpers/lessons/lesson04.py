"""Lesson 4's reference answers, test cases and tables of common mistakes, for its seven self-checks.

Book: lessons/lesson04_regimes (its self-checks).
"""

import numpy as np

from .. import regimes
from ..checks import differs_at
from ..core import layers_from_product, whiten

__all__ = [
    "DISTANCE_CASES",
    "DISTANCE_MISTAKES",
    "EXPECTED_RICH",
    "NTK_CASES",
    "NTK_MISTAKES",
    "REGIME_HINTS",
    "RICH_ABOVE",
    "RICH_OR_LAZY",
    "SCALE_CASES",
    "SCALE_MISTAKES",
    "SIGN_CASES",
    "SIGN_MISTAKES",
    "SPEED_CASES",
    "SPEED_MISTAKES",
    "START_DISTANCES",
    "START_LAMS",
    "START_NAMES",
    "START_THETAS",
    "WEIGHT_CASES",
    "WEIGHT_MISTAKES",
    "X_TRAIN",
    "Y_TRAIN",
    "reference_distance",
    "reference_ntk",
    "reference_scales",
    "reference_signs",
    "reference_speed",
    "reference_weights",
]


def _task_samples(seed=4):
    """The lesson's ``X_train`` and ``Y_train``: its Setup cell's draws, in the same order."""
    rng = np.random.default_rng(seed)
    s_target = np.array([3.0, 1.0, 0.3])
    u_task, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    v_task, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    beta = u_task @ np.diag(s_target) @ v_task.T
    x_train, _ = whiten(rng.standard_normal((12, 3)))
    return x_train, x_train @ beta


X_TRAIN, Y_TRAIN = _task_samples()  # the same samples as the lesson's X_train, Y_train

_rng = np.random.default_rng(44)


def _frame(n):
    return np.linalg.qr(_rng.standard_normal((n, n)))[0]


# ---------------------------------------------------------------- Exercise 1
def reference_scales(lam, theta0):
    """Layer scales (s1, s2) with s1 s2 = theta0 and s2² − s1² = lam (Exercise 1, Eq. 14 mode by mode)."""
    s2, s1 = layers_from_product(theta0, lam)  # s2^2 - s1^2 = lam
    return s1, s2


def _scales_from(radius, lam):
    return np.sqrt((radius - lam) / 2), np.sqrt((radius + lam) / 2)


def _squared_scales(lam, theta0):
    return tuple(s**2 for s in reference_scales(lam, theta0))


SCALE_CASES = [
    (0.0, 0.5),
    (2.0, np.array([0.1, 1.0, 3.0])),
    (np.array([-3.0, 0.5, 4.0]), 0.7),
    (-1.0, np.array([0.05, 2.0])),
]
SCALE_MISTAKES = {
    "Your layers are the wrong way round. This course writes Eq. 14 as "
    "W2 W2ᵀ − W1ᵀ W1 = λI (the sign of Eq. 8), so λ > 0 makes the "
    "*second* layer heavier: s2² − s1² = λ. Did you swap s1 and s2, or "
    "use the opposite sign convention?": lambda lam, th: reference_scales(lam, th)[::-1],
    "These are s1² and s2²: take one more square root.": _squared_scales,
    "Check the inner root against the quadratic equation in s1²: with your "
    "radius, the product s1 s2 is not θ0.": lambda lam, th: _scales_from(np.sqrt(lam**2 + th**2), lam),
}


# ---------------------------------------------------------------- Exercise 2
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


WEIGHT_MISTAKES = {
    "W1 W2 must not depend on the hidden frame: W1 = U diag(s1) Rᵀ and "
    "W2 = R diag(s2) Vᵀ, so that Rᵀ R = I cancels in the middle.": _untransposed,
    "W1 = U diag(s1) Rᵀ, with the hidden frame transposed, so that Rᵀ R = I cancels in W1 W2.": _bad_w1,
    "W2 = R diag(s2) Vᵀ starts with R itself, not Rᵀ, so that Rᵀ R = I cancels in W1 W2.": _bad_w2,
    "The teacher is x → xᵀ U S Vᵀ: W2 ends with Vᵀ, not V.": _bad_v,
    "Your W1 and W2 have each other's scales: W1 takes s1 and W2 takes s2, with s2² − s1² = λ.": _swapped,
}


# ---------------------------------------------------------------- Exercise 3
def reference_speed(theta, s, lam):
    """dθ/dt = sqrt(λ² + 4θ²) (s − θ) of one mode (Exercise 3, the mode equation of App. G)."""
    return np.hypot(lam, 2 * theta) * (s - theta)


SPEED_CASES = [
    (np.array([1e-3, 0.5, 2.0]), 2.0, 0.0),
    (np.array([0.1, 1.0]), np.array([1.0, 3.0]), 4.0),
    (0.7, 1.5, np.array([-5.0, 0.3, 20.0])),
]
SPEED_MISTAKES = {
    "The rate is sqrt(λ² + 4θ²): at λ = 0 it must be 2θ, as in Eq. 9. Is the 4 missing?": lambda th, s, lam: (
        np.sqrt(lam**2 + th**2) * (s - th)
    ),
    "Take the square root of λ² + 4θ²: the rate has the units of θ.": lambda th, s, lam: (
        (lam**2 + 4 * th**2) * (s - th)
    ),
    "|λ| + 2θ has the right limits but is not the rate: the two layer "
    "contributions add as s1² + s2² = sqrt(λ² + 4θ²).": lambda th, s, lam: (np.abs(lam) + 2 * th) * (s - th),
    "Gradient flow pulls θ towards s: the factor is s − θ, not θ − s.": lambda th, s, lam: (
        np.sqrt(lam**2 + 4 * th**2) * (th - s)
    ),
}


# ---------------------------------------------------------------- Exercise 4
def _network_case(d, p, c, n, seed):
    g = np.random.default_rng(seed)
    return (g.standard_normal((d, p)), g.standard_normal((p, c)), g.standard_normal((n, d)))


def reference_ntk(W1, W2, X):
    """Tangent kernel I_c ⊗ X W1 W1ᵀ Xᵀ + W2ᵀ W2 ⊗ X Xᵀ of x ↦ xᵀ W1 W2, output-major (Exercise 4)."""
    return regimes.ntk(W1, W2, X)


NTK_CASES = [_network_case(3, 2, 2, 5, 1), _network_case(4, 3, 3, 6, 2), _network_case(2, 2, 2, 3, 3)]


def _terms(W1, W2, X):
    return (np.kron(np.eye(W2.shape[1]), X @ W1 @ W1.T @ X.T), np.kron(W2.T @ W2, X @ X.T))


def _sample_major(W1, W2, X):
    return np.kron(X @ W1 @ W1.T @ X.T, np.eye(W2.shape[1])) + np.kron(X @ X.T, W2.T @ W2)


def _hidden_gram(W1, W2, X):
    return _terms(W1, W2, X)[0] + np.kron(W2 @ W2.T, X @ X.T)


def _second_layer_term(W1, W2, X):
    return _terms(W1, W2, X)[0]


def _first_layer_term(W1, W2, X):
    return _terms(W1, W2, X)[1]


NTK_MISTAKES = {
    "Rows are output-major: row k·n + i is output k on sample i. Which "
    "factor of np.kron sets the order of the row blocks?": _sample_major,
    "The first layer's term pairs outputs through W2ᵀ W2 (c × c), not W2 W2ᵀ (p × p).": _hidden_gram,
    "Half the kernel: you have the second layer's term (I ⊗ X W1 W1ᵀ Xᵀ) "
    "but not the first layer's (W2ᵀ W2 ⊗ X Xᵀ). K sums over all weights.": _second_layer_term,
    "Half the kernel: you have the first layer's term (W2ᵀ W2 ⊗ X Xᵀ) "
    "but not the second layer's (I ⊗ X W1 W1ᵀ Xᵀ). K sums over all weights.": _first_layer_term,
}


# ---------------------------------------------------------------- Exercise 5
def _kernels(start, end, X0, Xt):
    return (
        regimes.ntk(start["W1"], start["W2"], X0),
        regimes.ntk(end["W1"], end["W2"], Xt),
    )


def reference_distance(start, end, X):
    """Kernel distance 1 − ⟨K0, Kt⟩_F / (‖K0‖_F ‖Kt‖_F) of two weights on X (Exercise 5, Fort et al.)."""
    return regimes.kernel_distance(*_kernels(start, end, X, X))


def _weights(seed, scale=1.0):
    g = np.random.default_rng(seed)
    return {"W1": scale * g.standard_normal((3, 3)), "W2": scale * g.standard_normal((3, 3))}


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
DISTANCE_MISTAKES = {
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


# ---------------------------------------------------------------- Exercise 6
# Six starts of the square network, and their kernel distances after training on the lesson's task.
START_NAMES = ["A", "B", "C", "D", "E", "F"]
START_LAMS = np.array([0.0, 0.0, -20.0, 20.0, -1.0, 16.0])
START_THETAS = np.array([1e-3, 10.0, 1e-3, 1e-3, 3.0, 10.0])
RICH_ABOVE = 0.01  # a run whose kernel distance exceeds this is called rich
_starts = regimes.random_lambda_balanced(START_LAMS, START_THETAS[:, None], 3, 3, 3, seed=0)
START_DISTANCES = regimes.train_grid(
    _starts["W1"], _starts["W2"], X_TRAIN, Y_TRAIN, steps=3000, lr=0.01
).kernel_distance
EXPECTED_RICH = (START_DISTANCES > RICH_ABOVE).astype(float)

RICH_OR_LAZY = {"rich": 1.0, "lazy": 0.0}  # how word_answers scores the words

REGIME_HINTS = [
    (lambda a, e: np.any(a < 0), 'Write each answer as the word "lazy" or "rich", one per start.'),
    (
        lambda a, e: a[2] != a[3],
        "C and D differ only in the sign of λ. How does λ enter the mode "
        "equation, and does it matter which layer is the heavy one?",
    ),
    (
        differs_at(1),
        "Look again at B. Is a large start lazy by itself? With λ = 0 the "
        "layers stay balanced and each mode still ends at its own target s. "
        "Compare the kernel's shape at the start (all three modes equal) "
        "with its shape at the end.",
    ),
    (
        differs_at(2, 3),
        "Look again at C and D. Is a tiny start enough for rich learning? "
        "Take the mode equation with |λ| far above every target: which "
        "model's equation is it then?",
    ),
    (differs_at(4), "Look again at E: compare its |λ| with the largest target, s = 3."),
    (
        differs_at(5),
        "Look again at F: its absolute scale is large, but what does the mode equation compare |λ| with?",
    ),
    (
        lambda a, e: True,
        "Compare |λ| with the target strengths s = (3, 1, 0.3), and ask "
        "whether the start's size θ0 enters the kernel's shape.",
    ),
]


# ---------------------------------------------------------------- Exercise 7
def reference_signs(d, p, c):
    """(negative allowed, positive allowed) for Eq. 14 with widths d, p, c (Exercise 7, from the library)."""
    allowed = []
    for lam in (-1.0, 1.0):
        try:
            regimes.random_lambda_balanced(lam, 0.5, d, p, c)
            allowed.append(True)
        except ValueError:
            allowed.append(False)
    return tuple(allowed)


SIGN_CASES = [(3, 3, 3), (6, 4, 2), (2, 4, 6), (3, 5, 3), (5, 2, 4), (4, 4, 2), (2, 4, 4), (6, 6, 2)]
SIGN_MISTAKES = {
    "The rules are the wrong way round. Redo the argument above for "
    "p > c: which sign of λ does vᵀ (W2 W2ᵀ − W1ᵀ W1) v allow? (With λ "
    "defined as W1ᵀ W1 − W2 W2ᵀ you would get the opposite; this course "
    "uses the sign of Eq. 8.)": lambda d, p, c: (p <= c, p <= d),
    "Equal widths constrain nothing: when p ≤ c, W2 W2ᵀ can be any "
    "positive semi-definite p × p matrix. Only a hidden layer strictly "
    "wider than the output (or the input) fixes the sign of λ.": lambda d, p, c: (p < d, p < c),
    "You have the funnel's rule (p > c forbids λ > 0) but not its mirror "
    "image: what does a hidden layer wider than the input forbid?": lambda d, p, c: (True, p <= c),
    "You have one rule but not its mirror image: what does a hidden layer "
    "wider than the output forbid?": lambda d, p, c: (p <= d, True),
    "Compare the hidden width with each side on its own. The input width "
    "against the hidden width alone does not decide (try d = 3, p = 5, "
    "c = 3).": lambda d, p, c: (d >= p, d <= p),
}
