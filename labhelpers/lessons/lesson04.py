"""Lesson 4's exercises: reference answers, visible and hidden test cases, hints for common mistakes, and the
registry that the lesson's self-checks, the grader and the tests share.

Book: lessons/lesson04_regimes (its seven self-checks, ``ref.self_check(N, ...)``).
"""

import warnings

import numpy as np

from .. import regimes
from ..checks import (
    INCORRECT,
    Exercise,
    Exercises,
    Verdict,
    check,
    check_function,
    differs_at,
    make_verdict,
    word_answers,
)
from ..core import layers_from_product, whiten

__all__ = [
    "DISTANCE_CASES",
    "EXERCISES",
    "EXPECTED_RICH",
    "NTK_CASES",
    "RICH_ABOVE",
    "SCALE_CASES",
    "SIGN_CASES",
    "SPEED_CASES",
    "START_DISTANCES",
    "START_LAMS",
    "START_NAMES",
    "START_THETAS",
    "S_TARGET",
    "WEIGHT_CASES",
    "X_TRAIN",
    "Y_TRAIN",
    "reference_distance",
    "reference_ntk",
    "reference_scales",
    "reference_signs",
    "reference_speed",
    "reference_weights",
    "self_check",
]

S_TARGET = np.array([3.0, 1.0, 0.3])  # the target strengths of the lesson's task


def _task_samples(seed=4):
    """The lesson's ``X_train`` and ``Y_train``: its Setup cell's draws, in the same order."""
    rng = np.random.default_rng(seed)
    u_task, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    v_task, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    beta = u_task @ np.diag(S_TARGET) @ v_task.T
    x_train, _ = whiten(rng.standard_normal((12, 3)))
    return x_train, x_train @ beta


X_TRAIN, Y_TRAIN = _task_samples()  # the same samples as the lesson's X_train, Y_train

_rng = np.random.default_rng(44)


def _frame(n, rng=_rng):
    """A random orthogonal n x n matrix."""
    return np.linalg.qr(rng.standard_normal((n, n)))[0]


# ---------------------------------------------------------------- shared by the checks
_SCALAR_ONLY = (
    "Your function works on single numbers but raises on arrays ({error}), and later cells call it on "
    "arrays. Use numpy's functions, which work entry by entry: np.sqrt rather than math.sqrt, np.where "
    "rather than an `if` on the values."
)


def _show(verdict, show):
    """Display a verdict made with ``show=False`` (the checks below may replace its message first)."""
    return make_verdict(verdict.name, verdict.status, verdict.message, show=show)


def _raises(function, args):
    """The exception ``function(*args)`` raises (its text), or ``None`` when it returns."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            function(*args)
    except BaseException as error:  # the student's function: whatever it raises is only looked at
        try:
            return f"{type(error).__name__}: {error}"[:120]
        except BaseException:
            return type(error).__name__
    return None


def _unless_scalar_only(verdict, function, scalar_args, cases):
    """``verdict``, or the scalar-only hint when ``function`` runs on numbers but raises on an array case."""
    if verdict.status != INCORRECT or not callable(function) or _raises(function, scalar_args) is not None:
        return verdict
    for case in cases:
        error = _raises(function, case)
        if error is not None:
            return Verdict(verdict.name, INCORRECT, _SCALAR_ONLY.format(error=error))
    return verdict


def _uniform(rng, low, high, size=None):
    return rng.uniform(low, high, size)


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
_SCALE_HINTS = {
    "Your layers are the wrong way round. This course writes Eq. 14 as "
    "W2 W2ᵀ − W1ᵀ W1 = λI (the sign of Eq. 8), so λ > 0 makes the "
    "*second* layer heavier: s2² − s1² = λ. Did you swap s1 and s2, or "
    "use the opposite sign convention?": lambda lam, th: reference_scales(lam, th)[::-1],
    "These are s1² and s2²: take one more square root.": _squared_scales,
    "Check the inner root against the quadratic equation in s1²: with your "
    "radius, the product s1 s2 is not θ0.": lambda lam, th: _scales_from(np.sqrt(lam**2 + th**2), lam),
}


def _scale_cases(rng):
    """Fresh inputs of the kinds the lesson uses: an array of lam with one theta0 (its figure), one lam with an
    array of theta0 (Exercise 2), both broadcast, integers, lam = 0, |lam| up to 20 and theta0 down to 1e-3."""
    lams = np.concatenate([[0.0], rng.uniform(-20, 20, 4)])
    thetas = 10.0 ** rng.uniform(-3, 1, 3)
    return [
        (lams, float(rng.uniform(0.05, 5))),
        (float(rng.uniform(-20, 20)), thetas),
        (lams[:, None], thetas[None, :]),
        (int(rng.integers(-6, 7)), int(rng.integers(1, 5))),
    ]


def _check_scales(layer_scales, show=True):
    verdict = check_function(
        "Exercise 1: layer_scales", layer_scales, reference_scales, SCALE_CASES, hints=_SCALE_HINTS, show=False
    )
    return _show(_unless_scalar_only(verdict, layer_scales, (1.0, 0.5), SCALE_CASES), show)


def _hidden_scales(layer_scales, rng):
    return check_function("Exercise 1: layer_scales", layer_scales, reference_scales, _scale_cases(rng), show=False)


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
    for n, lam in [(3, rng.uniform(0.5, 20)), (4, -rng.uniform(0.5, 20)), (2, int(rng.integers(1, 6))), (1, 0.0)]:
        theta0 = 10.0 ** rng.uniform(-3, 1, n)
        cases.append((lam if isinstance(lam, int) else float(lam), theta0, *(_frame(n, rng) for _ in range(3))))
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


# ---------------------------------------------------------------- Exercise 3
def reference_speed(theta, s, lam):
    """dθ/dt = sqrt(λ² + 4θ²) (s − θ) of one mode (Exercise 3, the mode equation of App. G)."""
    return np.hypot(lam, 2 * theta) * (s - theta)


SPEED_CASES = [
    (0.3, 1.0, 2.0),
    (np.array([1e-3, 0.5, 2.0]), 2.0, 0.0),
    (np.array([0.1, 1.0]), np.array([1.0, 3.0]), 4.0),
    (0.7, 1.5, np.array([-5.0, 0.3, 20.0])),
]
_SPEED_HINTS = {
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


def _speed_cases(rng):
    """Fresh inputs as the lesson's ODE cell gives them (three strengths, the three targets, one lam), and
    broadcast arrays, integers, lam = 0, negative lam, and a mode at its target (speed 0)."""
    thetas = 10.0 ** rng.uniform(-3, 0.5, 3)
    return [
        (thetas, S_TARGET, float(rng.uniform(-20, 20))),
        (thetas[:, None], S_TARGET[None, :], 0.0),
        (float(rng.uniform(0, 3)), float(rng.uniform(0, 3)), rng.uniform(-20, 20, 4)),
        (int(rng.integers(0, 4)), int(rng.integers(1, 4)), int(rng.integers(-8, 9))),
        (S_TARGET, S_TARGET, float(rng.uniform(-5, 5))),
    ]


def _check_speed(mode_speed, show=True):
    verdict = check_function(
        "Exercise 3: mode_speed", mode_speed, reference_speed, SPEED_CASES, hints=_SPEED_HINTS, show=False
    )
    return _show(_unless_scalar_only(verdict, mode_speed, (0.3, 1.0, 2.0), SPEED_CASES), show)


def _hidden_speed(mode_speed, rng):
    return check_function("Exercise 3: mode_speed", mode_speed, reference_speed, _speed_cases(rng), show=False)


# ---------------------------------------------------------------- Exercise 4
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
        square = check_function(name, two_layer_ntk, reference_ntk, NTK_CASES[:3], hints=_NTK_HINTS, show=False)
        if square.correct:
            verdict = Verdict(name, INCORRECT, _P_FOR_C)
        elif square.message in _NTK_HINTS:
            verdict = square
    return _show(verdict, show)


def _hidden_ntk(two_layer_ntk, rng):
    return check_function("Exercise 4: two_layer_ntk", two_layer_ntk, reference_ntk, _ntk_cases(rng), show=False)


# ---------------------------------------------------------------- Exercise 5
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
# What makes a start rich: |lam| below the border that the lesson's map finds (|lam| ≈ 5, under twice the
# largest target), whatever theta0. The hidden check judges the words against this rule.
_RICH_BELOW = 5.0

_RICH_OR_LAZY = {"rich": 1.0, "lazy": 0.0}  # how word_answers scores the words

_REGIME_HINTS = [
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


def _check_regimes(regimes, show=True):
    return check(
        "Exercise 6: lazy or rich",
        word_answers(regimes, _RICH_OR_LAZY),
        EXPECTED_RICH,
        hints=_REGIME_HINTS,
        show=show,
    )


def _hidden_regimes(regimes, rng):
    by_rule = (np.abs(START_LAMS) < _RICH_BELOW).astype(float)
    return check("Exercise 6: lazy or rich", word_answers(regimes, _RICH_OR_LAZY), by_rule, show=False)


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
_SIGN_HINTS = {
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


def _sign_cases(rng):
    """Three fresh shapes (widths 1 to 9, none of the visible ones) for each of the four answers."""
    cases, wanted = [], {(n, q): 3 for n in (False, True) for q in (False, True)}
    while any(wanted.values()):
        shape = tuple(int(k) for k in rng.integers(1, 10, 3))
        d, p, c = shape
        kind = (p <= d, p <= c)
        if wanted[kind] and shape not in SIGN_CASES:
            cases.append(shape)
            wanted[kind] -= 1
    return cases


def _check_signs(allowed_signs, show=True):
    return check_function(
        "Exercise 7: allowed_signs", allowed_signs, reference_signs, SIGN_CASES, hints=_SIGN_HINTS, show=show
    )


def _hidden_signs(allowed_signs, rng):
    # The visible shapes as well: twelve random ones may not tell every listed mistake from the rule.
    cases = _sign_cases(rng) + SIGN_CASES
    return check_function("Exercise 7: allowed_signs", allowed_signs, reference_signs, cases, show=False)


# ---------------------------------------------------------------- other correct answers, and plausible mistakes
def _as_float32(function):
    """The same answer, returned in float32 (as from a torch tensor or a float32 array)."""

    def float32(*args):
        result = function(*args)
        if isinstance(result, tuple):
            return tuple(np.asarray(r, dtype=np.float32) for r in result)
        return np.asarray(result, dtype=np.float32)

    return float32


def _scales_as_list(lam, theta0):
    return list(reference_scales(lam, theta0))


def _scales_by_division(lam, theta0):
    s2 = np.sqrt((np.sqrt(lam**2 + 4 * theta0**2) + lam) / 2)
    return theta0 / s2, s2


def _scales_with_math(lam, theta0):
    import math

    radius = math.sqrt(lam**2 + 4 * theta0**2)
    return math.sqrt((radius - lam) / 2), math.sqrt((radius + lam) / 2)


def _scales_without_half(lam, theta0):
    radius = np.sqrt(lam**2 + 4 * theta0**2)
    return np.sqrt(radius - lam), np.sqrt(radius + lam)


def _weights_by_broadcasting(lam, theta0, U, V, R):
    s1, s2 = reference_scales(lam, theta0)
    return [(U * s1) @ R.T, (R * s2) @ V.T]


def _weights_entrywise(lam, theta0, U, V, R):
    s1, s2 = reference_scales(lam, theta0)
    return U * np.diag(s1) * R.T, R * np.diag(s2) * V.T


def _speed_by_power(theta, s, lam):
    return (lam * lam + 4 * theta * theta) ** 0.5 * (s - theta)


def _speed_with_math(theta, s, lam):
    import math

    return math.sqrt(lam**2 + 4 * theta**2) * (s - theta)


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


def _distance_by_trace(start, end, X):
    K0, Kt = _kernels(start, end, X, X)
    return 1 - np.trace(K0.T @ Kt) / np.sqrt(np.vdot(K0, K0) * np.vdot(Kt, Kt))


def _distance_of_difference(start, end, X):
    K0, Kt = _kernels(start, end, X, X)
    return np.linalg.norm(K0 - Kt) / np.linalg.norm(K0)


def _distance_of_first_layers(start, end, X):
    A, B = start["W1"], end["W1"]
    return 1 - np.sum(A * B) / (np.linalg.norm(A) * np.linalg.norm(B))


_REGIMES = ["rich", "rich", "lazy", "lazy", "rich", "lazy"]


def _flipped(*indices):
    return [{"rich": "lazy", "lazy": "rich"}[w] if k in indices else w for k, w in enumerate(_REGIMES)]


def _signs_as_ints(d, p, c):
    return [int(not p > d), int(not p > c)]


def _signs_as_numpy(d, p, c):
    widths = np.array([d, c])
    return tuple(p <= widths)


def _hints(table):
    """The (answers, hint) pairs of a table of mistakes {hint: wrong function}."""
    return tuple(((wrong,), hint) for hint, wrong in table.items())


EXERCISES = Exercises(
    [
        Exercise(
            1,
            "layer_scales",
            answers=("layer_scales",),
            check=_check_scales,
            hidden=_hidden_scales,
            minutes=15,
            reference=(reference_scales,),
            valid=((_scales_as_list,), (_as_float32(reference_scales),), (_scales_by_division,)),
            wrong=_hints(_SCALE_HINTS)
            + (
                ((_scales_with_math,), "works on single numbers but raises on arrays"),
                ((_scales_without_half,), None),
                ((lambda lam, theta0: (np.sqrt(theta0), np.sqrt(theta0)),), None),
            ),
        ),
        Exercise(
            2,
            "balanced_weights",
            answers=("balanced_weights",),
            check=_check_weights,
            hidden=_hidden_weights,
            minutes=10,
            reference=(reference_weights,),
            valid=((_weights_by_broadcasting,), (_as_float32(reference_weights),)),
            wrong=_hints(_WEIGHT_HINTS) + (((_weights_entrywise,), None),),
        ),
        Exercise(
            3,
            "mode_speed",
            answers=("mode_speed",),
            check=_check_speed,
            hidden=_hidden_speed,
            minutes=10,
            reference=(reference_speed,),
            valid=(
                (lambda theta, s, lam: np.sqrt(lam**2 + 4 * theta**2) * (s - theta),),
                (_speed_by_power,),
                (_as_float32(reference_speed),),
            ),
            wrong=_hints(_SPEED_HINTS)
            + (
                ((_speed_with_math,), "works on single numbers but raises on arrays"),
                ((lambda theta, s, lam: (lam + 2 * theta) * (s - theta),), None),
                ((lambda theta, s, lam: np.sqrt(lam**2 + 4 * theta) * (s - theta),), None),
            ),
        ),
        Exercise(
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
        ),
        Exercise(
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
        ),
        Exercise(
            6,
            "lazy or rich",
            answers=("regimes",),
            check=_check_regimes,
            hidden=_hidden_regimes,
            minutes=10,
            reference=(_REGIMES,),
            valid=((tuple(_REGIMES),), ([f" {w.title()}" for w in _REGIMES],), (np.array(_REGIMES),)),
            wrong=(
                ((_flipped(1),), "Look again at B"),
                ((_flipped(2, 3),), "Look again at C and D"),
                ((_flipped(2),), "C and D differ only in the sign of λ"),
                ((_flipped(3),), "C and D differ only in the sign of λ"),
                ((_flipped(4),), "Look again at E"),
                ((_flipped(5),), "Look again at F"),
                ((_flipped(0),), "Compare |λ| with the target strengths"),
                ((_flipped(1, 2, 3, 4),), "Look again at B"),  # the start's size decides: large is lazy
                ((_REGIMES[:5] + ["slow"],), 'Write each answer as the word "lazy" or "rich"'),
                ((_REGIMES[:5],), None),
            ),
        ),
        Exercise(
            7,
            "allowed_signs",
            answers=("allowed_signs",),
            check=_check_signs,
            hidden=_hidden_signs,
            minutes=15,
            reference=(reference_signs,),
            valid=((_signs_as_ints,), (_signs_as_numpy,), (lambda d, p, c: (p <= d, p <= c),)),
            wrong=_hints(_SIGN_HINTS)
            + (
                ((lambda d, p, c: (p >= d, p >= c),), None),
                ((lambda d, p, c: (True, True),), None),
            ),
        ),
    ]
)
self_check = EXERCISES.self_check
