"""Lesson 1's exercises: reference answers, visible test cases, common mistakes, and the registry whose
self-checks the lesson calls (``ref.self_check(N, ...)``) and whose hidden checks the grader runs.

Book: lessons/lesson01_feedback (its self-checks).
"""

from __future__ import annotations

import re

import numpy as np

from ..checks import CORRECT, INCORRECT, Exercise, Exercises, Verdict, check, check_function, make_verdict
from ..core import DiagonalLinearNetwork, gradient_descent, half_rise_time, sigmoidal_mode, teacher_moments

__all__ = [
    "DRIFT_CASES",
    "EULER_CASES",
    "EULER_MISTAKES",
    "EXAMPLE",
    "EXERCISES",
    "FLOW_CASES",
    "FLOW_MISTAKES",
    "HALF_RISE_CASES",
    "HALF_RISE_MISTAKES",
    "MODES",
    "SIGMOID_CASES",
    "SIGMOID_MISTAKES",
    "reference_drift",
    "reference_euler",
    "reference_flow",
    "reference_half_rise",
    "reference_order",
    "reference_sigmoid",
    "self_check",
]

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


# The test cases are drawn in this order from one generator: FLOW_CASES first, then EULER_CASES.
_rng = np.random.default_rng(2025)

# The lesson's running example: three modes with different targets, started off balance.
EXAMPLE = dict(
    a0=np.array([0.3, 0.05, 0.6]),
    b0=np.array([0.1, 0.4, 0.2]),
    S=np.array([2.0, 1.0, 0.5]),
    var=np.ones(3),
)

# Exercise 6's table: four modes of one network, all started balanced.
MODES = dict(
    S=np.array([2.0, 1.0, 0.5, 3.0]),
    theta0=np.array([1e-3, 1e-3, 1e-3, 1e-10]),
    var=np.array([1.0, 1.0, 2.5, 1.0]),
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


# ---------------------------------------------------------------- Exercise 1: the gradient flow (Eq. 6)
def reference_flow(a, b, S, var):
    """Exercise 1: the gradient flow ``(da/dt, db/dt)`` of a diagonal linear network (the paper's Eq. 6)."""
    model, moments = DiagonalLinearNetwork(len(S)), teacher_moments(var, S)
    flow = model.flow({"a": a, "b": b}, moments)
    return flow["a"], flow["b"]


FLOW_CASES = [(*_rng.uniform(-1, 1, (2, 3)), *_rng.uniform(0.5, 2, (2, 3))) for _ in range(3)]
FLOW_MISTAKES = {
    "Your da is a·(…) and your db is b·(…): each layer is scaled by its own size. Differentiate a·b with "
    "respect to a to see which factor is left, and return the pair in the order (da, db).": (
        lambda a, b, S, var: (a * var * (S - a * b), b * var * (S - a * b))
    ),
    "Your flow goes uphill: gradient flow follows −∂L/∂a, so check the sign of your residual.": (
        lambda a, b, S, var: (b * var * (a * b - S), a * var * (a * b - S))
    ),
    "Almost: a factor is missing. Look at the loss again: what multiplies each term (S − ab)²?": (
        lambda a, b, S, var: (b * (S - a * b), a * (S - a * b))
    ),
}
_FLOW_TOLERANCES = dict(rtol=1e-5, atol=1e-6)  # float32 answers pass


def _check_flow(diagonal_flow, show=True):
    return _function_verdict(
        _name(1), diagonal_flow, reference_flow, FLOW_CASES, hints=FLOW_MISTAKES, show=show, **_FLOW_TOLERANCES
    )


def _hidden_flow(diagonal_flow, rng):
    cases = []
    for d in rng.integers(1, 6, size=3):
        a, b = rng.uniform(-2, 2, (2, d))
        cases.append((a, b, rng.uniform(-2, 3, d), rng.uniform(0.1, 3, d)))
    d = int(rng.integers(2, 6))
    balanced = rng.uniform(0.01, 1, d)
    cases.append((balanced, balanced.copy(), rng.integers(1, 4, d), np.ones(d, dtype=int)))  # integer S, var
    cases.append((np.zeros(d), np.zeros(d), rng.uniform(0.5, 2, d), rng.uniform(0.5, 2, d)))  # the saddle at 0
    return _function_verdict(
        _name(1), diagonal_flow, reference_flow, cases, hints=FLOW_MISTAKES, show=False, **_FLOW_TOLERANCES
    )


def _flow(a, b, S, var):
    residual = var * (S - a * b)
    return b * residual, a * residual


def _flow_as_lists(a, b, S, var):
    residual = var * (S - a * b)
    return [list(b * residual), list(a * residual)]


def _flow_float32(a, b, S, var):
    a, b, S, var = (np.asarray(x, dtype=np.float32) for x in (a, b, S, var))
    return b * var * (S - a * b), a * var * (S - a * b)


def _flow_expanded(a, b, S, var):
    return var * S * b - var * a * b**2, var * S * a - var * b * a**2


def _flow_twice_too_fast(a, b, S, var):
    return 2 * b * var * (S - a * b), 2 * a * var * (S - a * b)


def _flow_da_only(a, b, S, var):
    return b * var * (S - a * b)


def _flow_misplaced_variance(a, b, S, var):
    return b * (var * S - a * b), a * (var * S - a * b)


def _flow_swapped(a, b, S, var):
    da, db = _flow(a, b, S, var)
    return db, da


# ---------------------------------------------------------------- Exercise 2: Euler steps
def reference_euler(a0, b0, S, var, dt, steps):
    """Exercise 2: the layers after 0, 1, ..., ``steps`` Euler steps of size ``dt`` of Eq. 6."""
    model, moments = DiagonalLinearNetwork(len(S)), teacher_moments(var, S)
    path = gradient_descent(model, {"a": a0, "b": b0}, lr=dt, steps=steps, moments=moments)
    return path.params["a"], path.params["b"]


# The first case is called as the lesson's figure calls it, with keywords.
EULER_CASES = [dict(EXAMPLE, dt=0.1, steps=20), (*_rng.uniform(0.1, 1, (4, 3)), 0.05, 30)]


def _euler_steps(a0, b0, S, var, dt, steps, step):
    """The path of an Euler-like rule ``step(a_start, b_start, a, b) -> (a_next, b_next)``; a mistake that
    overflows is kept finite (the check needs numbers to compare, and a student's inf gets its own message)."""
    a_path, b_path = [np.asarray(a0, dtype=float)], [np.asarray(b0, dtype=float)]
    with np.errstate(all="ignore"):
        for _ in range(steps):
            a_next, b_next = step(a_path[0], b_path[0], a_path[-1], b_path[-1])
            a_path.append(a_next)
            b_path.append(b_next)
    return tuple(np.nan_to_num(np.array(p), nan=1e300, posinf=1e300, neginf=-1e300) for p in (a_path, b_path))


def _euler_flow_at_start(a0, b0, S, var, dt, steps):
    da, db = _flow(np.asarray(a0), np.asarray(b0), S, var)
    return _euler_steps(a0, b0, S, var, dt, steps, lambda a_, b_, a, b: (a + dt * da, b + dt * db))


def _euler_from_start(a0, b0, S, var, dt, steps):
    def step(a_start, b_start, a, b):
        da, db = _flow(a, b, S, var)
        return a_start + dt * da, b_start + dt * db

    return _euler_steps(a0, b0, S, var, dt, steps, step)


def _euler_updated_a(a0, b0, S, var, dt, steps):
    def step(a_start, b_start, a, b):
        a_next = a + dt * _flow(a, b, S, var)[0]
        return a_next, b + dt * _flow(a_next, b, S, var)[1]

    return _euler_steps(a0, b0, S, var, dt, steps, step)


def _euler_without_dt(a0, b0, S, var, dt, steps):
    def step(a_start, b_start, a, b):
        da, db = _flow(a, b, S, var)
        return a + da, b + db

    return _euler_steps(a0, b0, S, var, dt, steps, step)


def _euler_downhill_sign(a0, b0, S, var, dt, steps):
    def step(a_start, b_start, a, b):
        da, db = _flow(a, b, S, var)
        return a - dt * da, b - dt * db

    return _euler_steps(a0, b0, S, var, dt, steps, step)


EULER_MISTAKES = {
    "Your steps are too large: they ignore the step size dt. Compare with the Euler rule above the "
    "exercise.": _euler_without_dt,
    "Every one of your steps uses the flow at the start (a0, b0): compute it from the latest values, "
    "`a_path[-1]` and `b_path[-1]`.": _euler_flow_at_start,
    "Each of your steps starts again from a0 and b0: add Δt times the flow to the latest values, "
    "`a_path[-1]` and `b_path[-1]`.": _euler_from_start,
    "Your b step uses the a you have just updated: compute both derivatives from the old values, then "
    "update both layers.": _euler_updated_a,
    "Your steps go against the flow: Euler's rule adds Δt times the derivative.": _euler_downhill_sign,
}


def _one_row_off(message: str) -> bool:
    shapes = re.search(r"shape \((\d+), (\d+)\), but it is an array of shape \((\d+), (\d+)\)", message)
    return bool(shapes) and abs(int(shapes[1]) - int(shapes[3])) == 1 and shapes[2] == shapes[4]


_EULER_NOTES = (
    (_one_row_off, "Your path is one row off: it holds the starting values and one row per step, `steps + 1` rows."),
)


def _check_euler(euler_path, show=True):
    return _function_verdict(
        _name(2), euler_path, reference_euler, EULER_CASES, hints=EULER_MISTAKES, show=show, notes=_EULER_NOTES
    )


def _hidden_euler(euler_path, rng):
    cases = []
    for d in rng.integers(1, 5, size=3):
        a0, b0 = rng.uniform(-1, 1, (2, d))
        S, var = rng.uniform(0.2, 2, d), rng.uniform(0.5, 2, d)
        cases.append(
            dict(a0=a0, b0=b0, S=S, var=var, dt=float(rng.choice([0.01, 0.05, 0.1])), steps=rng.integers(1, 40))
        )
    d = int(rng.integers(2, 5))
    cases.append((rng.uniform(0.1, 1, d), rng.uniform(0.1, 1, d), rng.integers(1, 3, d), np.ones(d, dtype=int), 0.1, 1))
    return _function_verdict(
        _name(2), euler_path, reference_euler, cases, hints=EULER_MISTAKES, show=False, notes=_EULER_NOTES
    )


def _euler_preallocated(a0, b0, S, var, dt, steps):
    a_path, b_path = np.zeros((steps + 1, len(a0))), np.zeros((steps + 1, len(b0)))
    a_path[0], b_path[0] = a0, b0
    for k in range(steps):
        da, db = _flow(a_path[k], b_path[k], S, var)
        a_path[k + 1], b_path[k + 1] = a_path[k] + dt * da, b_path[k] + dt * db
    return a_path, b_path


def _euler_lists(a0, b0, S, var, dt, steps):
    a_path, b_path = reference_euler(a0, b0, S, var, dt, steps)
    return list(a_path), list(b_path)


def _euler_one_short(a0, b0, S, var, dt, steps):
    a_path, b_path = reference_euler(a0, b0, S, var, dt, steps)
    return a_path[1:], b_path[1:]


# ---------------------------------------------------------------- Exercise 3: the drift of the imbalance (Eq. 8)
def reference_drift(a0, b0, S, var, dt, t_max):
    """Exercise 3: the largest change of the imbalance ``a**2 - b**2`` (Eq. 8), Euler steps up to t_max."""
    a_path, b_path = reference_euler(a0, b0, S, var, dt, round(t_max / dt))
    C = a_path**2 - b_path**2
    return np.max(np.abs(C - C[0]))


# Called with keywords, as the lesson's figure calls it; 0.7 / 0.1 is 6.999... in floating point.
DRIFT_CASES = [dict(EXAMPLE, dt=dt, t_max=t_max) for dt, t_max in [(0.2, 4.0), (0.05, 4.0), (0.1, 2.0), (0.1, 0.7)]]


def _drift_truncated(a0, b0, S, var, dt, t_max):
    a_path, b_path = reference_euler(a0, b0, S, var, dt, int(t_max / dt))
    C = a_path**2 - b_path**2
    return np.max(np.abs(C - C[0]))


def _drift_signed(a0, b0, S, var, dt, t_max):
    a_path, b_path = reference_euler(a0, b0, S, var, dt, round(t_max / dt))
    C = a_path**2 - b_path**2
    return np.max(C - C[0])


DRIFT_MISTAKES = {
    "Your number of steps is one short when t_max / dt falls just below a whole number in floating point "
    "(0.7 / 0.1 gives 6.999...): round it to the nearest integer instead of cutting off the decimals.": (
        _drift_truncated
    ),
    "Take the absolute value of the change: an imbalance can move down as well as up, and the drift is "
    "the largest change either way.": _drift_signed,
}


def _check_drift(imbalance_drift, show=True):
    return _function_verdict(_name(3), imbalance_drift, reference_drift, DRIFT_CASES, hints=DRIFT_MISTAKES, show=show)


def _hidden_drift(imbalance_drift, rng):
    cases = []
    for d in rng.integers(1, 5, size=3):
        a0, b0 = rng.uniform(0.05, 1, (2, d))
        dt = float(rng.choice([0.05, 0.1, 0.2]))
        t_max = int(rng.integers(3, 40)) * dt  # t_max / dt may fall just short of the whole number
        cases.append(dict(a0=a0, b0=b0, S=rng.uniform(0.5, 2, d), var=rng.uniform(0.5, 2, d), dt=dt, t_max=t_max))
    cases.append(dict(EXAMPLE, dt=0.1, t_max=0.3))  # 0.3 / 0.1 = 2.9999...
    return _function_verdict(_name(3), imbalance_drift, reference_drift, cases, hints=DRIFT_MISTAKES, show=False)


def _drift_loop(a0, b0, S, var, dt, t_max):
    a, b = np.asarray(a0, dtype=float), np.asarray(b0, dtype=float)
    C0, largest = a**2 - b**2, 0.0
    for _ in range(int(round(t_max / dt))):
        da, db = _flow(a, b, S, var)
        a, b = a + dt * da, b + dt * db
        largest = max(largest, float(np.max(np.abs(a**2 - b**2 - C0))))
    return largest


def _drift_factored(a0, b0, S, var, dt, t_max):
    a_path, b_path = reference_euler(a0, b0, S, var, dt, int(t_max / dt + 0.5))
    return float(np.abs((a_path - b_path) * (a_path + b_path) - (a0 - b0) * (a0 + b0)).max())


def _drift_per_mode(a0, b0, S, var, dt, t_max):
    a_path, b_path = reference_euler(a0, b0, S, var, dt, round(t_max / dt))
    C = a_path**2 - b_path**2
    return np.max(np.abs(C - C[0]), axis=0)


def _drift_relative(a0, b0, S, var, dt, t_max):
    a_path, b_path = reference_euler(a0, b0, S, var, dt, round(t_max / dt))
    C = a_path**2 - b_path**2
    return np.max(np.abs(C - C[0]) / np.abs(C[0]))


# ---------------------------------------------------------------- Exercise 4: the sigmoidal mode (Eq. 9)
def reference_sigmoid(t, S, theta0, var):
    """Exercise 4: the product of a mode from a balanced start, the sigmoid of Eq. 9."""
    return sigmoidal_mode(t, S, theta0, variance=var)


SIGMOID_CASES = [
    (np.linspace(0, 10, 11), 1.0, 1e-3, 1.0),
    (np.linspace(0, 4, 9), 3.0, 1e-2, 0.5),
    (np.linspace(0, 6, 7), 0.5, 0.1, 2.0),
    (np.linspace(0, 12, 7)[:, None], np.array([2.0, 1.0, 0.5]), 1e-3, 1.0),  # as the lesson's figure calls it
]
SIGMOID_MISTAKES = {
    "Your curve rises too late: your rate is half that of Eq. 9. Compare your exponent with Eq. 9 "
    "factor by factor.": lambda t, S, theta0, var: S / (1 + (S / theta0 - 1) * np.exp(-S * var * t)),
    "Your rate does not depend on the target S: look again at the exponent of Eq. 9.": (
        lambda t, S, theta0, var: S / (1 + (S / theta0 - 1) * np.exp(-2 * var * t))
    ),
    "Your rate does not depend on the input variance E[x²]: look again at the exponent of Eq. 9.": (
        lambda t, S, theta0, var: S / (1 + (S / theta0 - 1) * np.exp(-2 * S * t))
    ),
    "At t = 0 your curve does not start at θ₀: evaluate Eq. 9 at t = 0 and compare the factor in "
    "front of your exponential.": lambda t, S, theta0, var: S / (1 + (S - theta0) * np.exp(-2 * S * var * t)),
}
_SMOOTH_TOLERANCES = dict(rtol=1e-5, atol=1e-9)  # float32 answers pass


def _check_sigmoid(sigmoid_mode, show=True):
    return _function_verdict(
        _name(4),
        sigmoid_mode,
        reference_sigmoid,
        SIGMOID_CASES,
        hints=SIGMOID_MISTAKES,
        show=show,
        **_SMOOTH_TOLERANCES,
    )


def _hidden_sigmoid(sigmoid_mode, rng):
    k = int(rng.integers(2, 5))
    S = rng.uniform(0.2, 3, k)
    cases = [
        (np.sort(rng.uniform(0, 15, 12)), float(S[0]), float(S[0]) * 10 ** rng.uniform(-8, -1), rng.uniform(0.2, 3)),
        (np.sort(rng.uniform(0, 15, 9))[:, None], S, S * 10 ** rng.uniform(-8, -1, k), rng.uniform(0.2, 3, k)),
        (np.arange(0, 8), int(rng.integers(1, 4)), 10 ** rng.uniform(-6, -2), int(rng.integers(1, 3))),  # integers
        (0.0, S, S / 10, 1.0),  # t = 0 gives theta0
    ]
    return _function_verdict(
        _name(4), sigmoid_mode, reference_sigmoid, cases, hints=SIGMOID_MISTAKES, show=False, **_SMOOTH_TOLERANCES
    )


def _sigmoid_float32(t, S, theta0, var):
    t, S, theta0, var = (np.asarray(x, dtype=np.float32) for x in (t, S, theta0, var))
    return S / (1 + (S / theta0 - 1) * np.exp(-2 * S * var * t))


def _sigmoid_logistic(t, S, theta0, var):
    return S * theta0 / (theta0 + (S - theta0) * np.exp(-2 * S * var * t))


def _sigmoid_scalar_only(t, S, theta0, var):
    import math

    return S / (1 + (S / theta0 - 1) * math.exp(-2 * S * var * t))


def _sigmoid_decaying(t, S, theta0, var):
    return S / (1 + (S / theta0 - 1) * np.exp(2 * S * var * t))


# ---------------------------------------------------------------- Exercise 5: the half-rise time
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
    "Your logarithm is in base 10: the exponential of Eq. 9 is undone by the natural logarithm, `np.log`.": (
        lambda S, theta0, var: np.log10(S / theta0 - 1) / (2 * S * var)
    ),
}


def _check_half_rise(half_rise_time, show=True):
    return _function_verdict(
        _name(5),
        half_rise_time,
        reference_half_rise,
        HALF_RISE_CASES,
        hints=HALF_RISE_MISTAKES,
        show=show,
        **_SMOOTH_TOLERANCES,
    )


def _hidden_half_rise(half_rise_time, rng):
    k = int(rng.integers(2, 6))
    S = rng.uniform(0.2, 3, k)
    cases = [
        (S, S * 10 ** rng.uniform(-10, -0.7, k), rng.uniform(0.2, 3, k)),
        (float(S[0]), float(S[0]) * 10 ** rng.uniform(-10, -0.7), float(rng.uniform(0.2, 3))),
        (int(rng.integers(1, 5)), 10 ** rng.uniform(-6, -1), int(rng.integers(1, 4))),  # integer S and variance
        (S, 1e-3, 1.0),  # arrays and scalars mixed
    ]
    return _function_verdict(
        _name(5), half_rise_time, reference_half_rise, cases, hints=HALF_RISE_MISTAKES, show=False, **_SMOOTH_TOLERANCES
    )


def _half_rise_float32(S, theta0, var):
    S, theta0, var = (np.asarray(x, dtype=np.float32) for x in (S, theta0, var))
    return np.log(S / theta0 - 1) / (2 * S * var)


def _half_rise_difference_of_logs(S, theta0, var):
    return (np.log(S - theta0) - np.log(theta0)) / (2 * S * var)


def _half_rise_scalar_only(S, theta0, var):
    import math

    return math.log(S / theta0 - 1) / (2 * S * var)


def _half_rise_inverted(S, theta0, var):
    return np.log(theta0 / S - 1) / (2 * S * var)


# ---------------------------------------------------------------- Exercise 6: the order of learning
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


_ORDER_HINTS = [
    (lambda answer, expected: np.array_equal(answer, expected + 1), "Number the modes from 0, as the table does."),
    (
        lambda answer, expected: not np.all(answer == np.round(answer)),
        "Give the mode numbers (0 to 3), not their half-rise times.",
    ),
]


def _check_order(order, show=True):
    expected, mistakes = reference_order(**MODES)
    hints = [(lambda a, e, w=wrong: np.array_equal(a, w), hint) for hint, wrong in mistakes.items()] + _ORDER_HINTS
    return check(_name(6), order, expected, rtol=0, atol=0, hints=hints, show=show)


def _hidden_order(order, rng):
    """What makes an order right: it lists every mode once, and the half-rise times increase along it."""
    verdict = _check_order(order, show=False)  # reads the answer safely, whatever it is
    if verdict.status != CORRECT:
        return verdict
    times = reference_half_rise(**MODES)
    modes = np.asarray(order, dtype=float).ravel()
    listed = modes.astype(int)
    every_mode_once = np.array_equal(listed, modes) and sorted(listed.tolist()) == list(range(len(times)))
    if every_mode_once and np.all(np.diff(times[listed]) > 0):
        return verdict
    return Verdict(_name(6), INCORRECT, "Your order does not list the modes by increasing half-rise time.")


# ---------------------------------------------------------------- the registry
EXERCISES = Exercises(
    [
        Exercise(
            1,
            _TITLES[1],
            answers=("diagonal_flow",),
            check=_check_flow,
            hidden=_hidden_flow,
            minutes=10,
            reference=(reference_flow,),
            valid=((_flow_as_lists,), (_flow_float32,), (_flow_expanded,)),
            wrong=(
                *(((wrong,), hint[:40]) for hint, wrong in FLOW_MISTAKES.items()),
                ((_flow_swapped,), "in the order (da, db)"),
                ((_flow_twice_too_fast,), None),
                ((_flow_misplaced_variance,), None),
                ((_flow_da_only,), "should return 2 values"),
            ),
        ),
        Exercise(
            2,
            _TITLES[2],
            answers=("euler_path",),
            check=_check_euler,
            hidden=_hidden_euler,
            minutes=12,
            reference=(reference_euler,),
            valid=((_euler_preallocated,), (_euler_lists,)),
            wrong=(
                *(((wrong,), hint[:40]) for hint, wrong in EULER_MISTAKES.items()),
                ((_euler_one_short,), "one row off"),
            ),
        ),
        Exercise(
            3,
            _TITLES[3],
            answers=("imbalance_drift",),
            check=_check_drift,
            hidden=_hidden_drift,
            minutes=10,
            reference=(reference_drift,),
            valid=((_drift_loop,), (_drift_factored,)),
            wrong=(
                *(((wrong,), hint[:40]) for hint, wrong in DRIFT_MISTAKES.items()),
                ((_drift_per_mode,), "should be a single number"),
                ((_drift_relative,), None),
            ),
        ),
        Exercise(
            4,
            _TITLES[4],
            answers=("sigmoid_mode",),
            check=_check_sigmoid,
            hidden=_hidden_sigmoid,
            minutes=10,
            reference=(reference_sigmoid,),
            valid=((_sigmoid_float32,), (_sigmoid_logistic,)),
            wrong=(
                *(((wrong,), hint[:40]) for hint, wrong in SIGMOID_MISTAKES.items()),
                ((_sigmoid_scalar_only,), "not on arrays"),
                ((_sigmoid_decaying,), None),
            ),
        ),
        Exercise(
            5,
            _TITLES[5],
            answers=("half_rise_time",),
            check=_check_half_rise,
            hidden=_hidden_half_rise,
            minutes=10,
            reference=(reference_half_rise,),
            valid=((_half_rise_float32,), (_half_rise_difference_of_logs,)),
            wrong=(
                *(((wrong,), hint[:40]) for hint, wrong in HALF_RISE_MISTAKES.items()),
                ((_half_rise_scalar_only,), "not on arrays"),
                ((_half_rise_inverted,), "NaN"),
            ),
        ),
        Exercise(
            6,
            _TITLES[6],
            answers=("order",),
            check=_check_order,
            hidden=_hidden_order,
            minutes=8,
            reference=(reference_order(**MODES)[0],),
            valid=(([0, 2, 1, 3],), ((0, 2, 1, 3),), (np.array([0.0, 2.0, 1.0, 3.0]),)),
            wrong=(
                *(((list(wrong),), hint[:40]) for hint, wrong in reference_order(**MODES)[1].items()),
                (([1, 3, 2, 4],), "Number the modes from 0"),
                ((np.sort(reference_half_rise(**MODES)),), "not their half-rise times"),
                (([0, 1, 2, 3],), None),
            ),
        ),
    ]
)
self_check = EXERCISES.self_check
