"""Lesson 1's reference answers, test cases and tables of common mistakes, for its self-checks.

Book: lessons/lesson01_feedback (its self-checks).
"""

import numpy as np

from ..core import DiagonalLinearNetwork, gradient_descent, half_rise_time, sigmoidal_mode, teacher_moments

__all__ = [
    "DRIFT_CASES",
    "EULER_CASES",
    "EULER_MISTAKES",
    "EXAMPLE",
    "FLOW_CASES",
    "FLOW_MISTAKES",
    "HALF_RISE_CASES",
    "HALF_RISE_MISTAKES",
    "SIGMOID_CASES",
    "SIGMOID_MISTAKES",
    "reference_drift",
    "reference_euler",
    "reference_flow",
    "reference_half_rise",
    "reference_order",
    "reference_sigmoid",
]

# The test cases are drawn in this order from one generator: FLOW_CASES first, then EULER_CASES.
_rng = np.random.default_rng(2025)

# The lesson's running example: three modes with different targets, started off balance.
EXAMPLE = dict(
    a0=np.array([0.3, 0.05, 0.6]),
    b0=np.array([0.1, 0.4, 0.2]),
    S=np.array([2.0, 1.0, 0.5]),
    var=np.ones(3),
)


def reference_flow(a, b, S, var):
    """Exercise 1: the gradient flow ``(da/dt, db/dt)`` of a diagonal linear network (the paper's Eq. 6)."""
    model, moments = DiagonalLinearNetwork(len(S)), teacher_moments(var, S)
    flow = model.flow({"a": a, "b": b}, moments)
    return flow["a"], flow["b"]


FLOW_CASES = [(*_rng.uniform(-1, 1, (2, 3)), *_rng.uniform(0.5, 2, (2, 3))) for _ in range(3)]
FLOW_MISTAKES = {
    "Each of your layers is scaled by its own size: differentiate a·b with respect to a and see "
    "which factor is left.": lambda a, b, S, var: (a * var * (S - a * b), b * var * (S - a * b)),
    "Your flow goes uphill: gradient flow follows −∂L/∂a, so check the sign of your residual.": (
        lambda a, b, S, var: (b * var * (a * b - S), a * var * (a * b - S))
    ),
    "Almost: a factor is missing. Look at the loss again: what multiplies each term (S − ab)²?": (
        lambda a, b, S, var: (b * (S - a * b), a * (S - a * b))
    ),
}


def reference_euler(a0, b0, S, var, dt, steps):
    """Exercise 2: the layers after 0, 1, ..., ``steps`` Euler steps of size ``dt`` of Eq. 6."""
    model, moments = DiagonalLinearNetwork(len(S)), teacher_moments(var, S)
    path = gradient_descent(model, {"a": a0, "b": b0}, lr=dt, steps=steps, moments=moments)
    return path.params["a"], path.params["b"]


EULER_CASES = [(*EXAMPLE.values(), 0.1, 20), (*_rng.uniform(0.1, 1, (4, 3)), 0.05, 30)]
EULER_MISTAKES = {
    "Your steps are too large: they ignore the step size dt. Compare with the Euler rule above the "
    "exercise.": lambda a0, b0, S, var, dt, steps: reference_euler(a0, b0, S, var, 1.0, steps),
}


def reference_drift(a0, b0, S, var, dt, t_max):
    """Exercise 3: the largest change of the imbalance ``a**2 - b**2`` (Eq. 8), Euler steps up to t_max."""
    a_path, b_path = reference_euler(a0, b0, S, var, dt, round(t_max / dt))
    C = a_path**2 - b_path**2
    return np.max(np.abs(C - C[0]))


DRIFT_CASES = [(*EXAMPLE.values(), dt, t_max) for dt, t_max in [(0.2, 4.0), (0.05, 4.0), (0.1, 2.0)]]


def reference_sigmoid(t, S, theta0, var):
    """Exercise 4: the product of a mode from a balanced start, the sigmoid of Eq. 9."""
    return sigmoidal_mode(t, S, theta0, variance=var)


SIGMOID_CASES = [
    (np.linspace(0, 10, 11), 1.0, 1e-3, 1.0),
    (np.linspace(0, 4, 9), 3.0, 1e-2, 0.5),
    (np.linspace(0, 6, 7), 0.5, 0.1, 2.0),
]
SIGMOID_MISTAKES = {
    "Your curve rises too late: your rate is half that of Eq. 9. Compare your exponent with Eq. 9 "
    "factor by factor.": lambda t, S, theta0, var: S / (1 + (S / theta0 - 1) * np.exp(-S * var * t)),
    "Your rate does not depend on the target S: look again at the exponent of Eq. 9.": (
        lambda t, S, theta0, var: S / (1 + (S / theta0 - 1) * np.exp(-2 * var * t))
    ),
    "At t = 0 your curve does not start at θ₀: evaluate Eq. 9 at t = 0 and compare the factor in "
    "front of your exponential.": lambda t, S, theta0, var: S / (1 + (S - theta0) * np.exp(-2 * S * var * t)),
}


def reference_half_rise(S, theta0, var):
    """Exercise 5: the time at which Eq. 9 reaches half its target, ``theta(t) = S / 2``."""
    return half_rise_time(S, theta0, variance=var)


HALF_RISE_CASES = [
    (1.0, 1e-3, 1.0),
    (np.array([2.0, 0.5]), np.array([1e-2, 1e-4]), np.array([0.5, 3.0])),
    (3.0, 1e-6, 0.2),
]
HALF_RISE_MISTAKES = {
    "Your times are twice too long: compare the rate in the exponent of Eq. 9 with the one you "
    "divide by.": lambda S, theta0, var: np.log(S / theta0 - 1) / (S * var),
    "Close! Your logarithm is slightly off: set θ(t) = S/2 in Eq. 9 and solve for the exponential "
    "exactly, dropping no term.": lambda S, theta0, var: np.log(S / theta0) / (2 * S * var),
    "Your times ignore the input variance E[x²]: where does it enter the exponent of Eq. 9?": (
        lambda S, theta0, var: np.log(S / theta0 - 1) / (2 * S)
    ),
}


def _largest_first(key):
    """Indices that sort ``key`` from largest to smallest (ties keep their order)."""
    return np.argsort(-key, kind="stable")


def reference_order(S, theta0, var):
    """Exercise 6: the order in which modes reach half their targets (Eq. 9), and the orders of common
    shortcuts as ``{hint: wrong order}``."""
    order = np.argsort(reference_half_rise(S, theta0, var))
    reversed_order = "You listed the modes last to first: the first learned has the shortest half-rise time."
    rates = (
        "This is the order of the rates alone. The plateau also depends on how far a mode starts "
        "from its target: look at the initial value of mode 3."
    )
    targets = "This is the order of the target scales alone: the input variance matters as much as S."
    variances = "This is the order of the input variances alone: the target scale matters as much."
    return order, {
        reversed_order: order[::-1],
        rates: _largest_first(S * var),
        targets: _largest_first(S),
        variances: _largest_first(var),
    }
