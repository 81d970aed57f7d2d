"""Reference answers, test cases and common mistakes of Lesson 2 (emergence and scaling laws).

Book: lessons/lesson02_emergence (its self-checks).
"""

from __future__ import annotations

import numpy as np

from .. import emergence as em
from ..core import saturation_time

__all__ = [
    "reference_frequencies",
    "FREQUENCY_CASES",
    "FREQUENCY_MISTAKES",
    "reference_skills",
    "SKILL_CASES",
    "SKILL_MISTAKES",
    "reference_emergence",
    "EMERGENCE_CASES",
    "EMERGENCE_MISTAKES",
    "reference_count",
    "COUNT_CASES",
    "COUNT_MISTAKES",
    "reference_fit",
    "FIT_CASES",
    "FIT_MISTAKES",
    "slope_on",
    "range_hints",
    "reference_seen",
    "SEEN_CASES",
    "SEEN_MISTAKES",
]


# ---------------------------------------------------------------- Exercise 1: power-law frequencies
def _normalise(weights):
    return weights / weights.sum()


def _ranks(n_tasks):
    return np.arange(1, n_tasks + 1, dtype=float)


def reference_frequencies(n_tasks, alpha):
    """Task frequencies p_k = k^-(alpha+1) / sum_j j^-(alpha+1), k = 1..n_tasks (Exercise 1)."""
    return em.power_law_frequencies(n_tasks, alpha)


FREQUENCY_CASES = [(5, 0.8), (12, 0.4), (3, 2.0)]


def _exponent_alpha(n, alpha):
    return _normalise(_ranks(n) ** -alpha)


def _not_normalised(n, alpha):
    return _ranks(n) ** -(alpha + 1)


def _divided_by_n(n, alpha):
    return _ranks(n) ** -(alpha + 1) / n


FREQUENCY_MISTAKES = {
    "Check the exponent of the weights: compare it with the formula for p_k above.": _exponent_alpha,
    "Your frequencies do not add up to 1: look at the denominator of p_k.": _not_normalised,
    "Dividing by the number of tasks does not make the frequencies add up to 1: look at the "
    "denominator of p_k.": _divided_by_n,
}


# ---------------------------------------------------------------- Exercise 2: the skill functions
def _parities(bits, subsets):
    return np.stack([bits[:, s].prod(axis=1) for s in subsets], axis=1)


def reference_skills(X, subsets):
    """Skill functions G[i, k] = g_k(x_i) of Eq. 11: the parity of subset k on task k's samples, else 0
    (Exercise 2)."""
    n_tasks = len(subsets)
    return X[:, :n_tasks] * _parities(X[:, n_tasks:], subsets)


def _parity_case(n_tasks, n_bits, bits_per_task, n, seed):
    problem = em.SparseParity(n_tasks, n_bits, bits_per_task, alpha=0.5, seed=seed)
    return problem.sample(n, seed=seed).X.astype(float), problem.subsets


def _summed_bits(X, subsets):
    bits = X[:, len(subsets) :]
    return X[:, : len(subsets)] * np.stack([bits[:, s].sum(axis=1) for s in subsets], axis=1)


SKILL_CASES = [_parity_case(3, 6, 2, 12, 1), _parity_case(5, 10, 3, 40, 2)]


def _all_tasks(X, subsets):
    return _parities(X[:, len(subsets) :], subsets)


def _bits_from_X(X, subsets):
    return X[:, : len(subsets)] * _parities(X, subsets)


SKILL_MISTAKES = {
    "Your g_k is nonzero on samples that ask for another task: look at the indicator in Eq. 11 "
    "and at the control bits.": _all_tasks,
    "The subsets index the random bits, which start after the n_tasks control bits: take them from "
    "`bits`, not from `X`.": _bits_from_X,
    "You added the chosen bits. With bits stored as ±1, how does the text write the parity?": _summed_bits,
}


# ---------------------------------------------------------------- Exercise 3: when a skill emerges
def reference_emergence(p, S, theta0, q=0.5):
    """Time t_q at which a skill of frequency p reaches strength q, Eq. 9 solved for t (Exercise 3)."""
    return saturation_time(q, S, theta0, variance=p)


def _time_to_reach(log_term, q_term, rate):
    return (log_term + q_term) / rate


EMERGENCE_CASES = [
    (np.array([0.5, 0.1, 0.02]), 1.0, 1e-3, 0.5),
    (0.2, 2.0, 0.05, 0.9),
    (np.array([0.3, 0.03]), 0.5, 1e-4, 0.1),
]


def _rate_without_2(p, S, theta0, q=0.5):
    return _time_to_reach(np.log(S / theta0 - 1), np.log(q / (1 - q)), S * p)


def _log_without_1(p, S, theta0, q=0.5):
    return _time_to_reach(np.log(S / theta0), np.log(q / (1 - q)), 2 * S * p)


def _q_term_sign(p, S, theta0, q=0.5):
    return _time_to_reach(np.log(S / theta0 - 1), np.log((1 - q) / q), 2 * S * p)


def _rate_without_S(p, S, theta0, q=0.5):
    return _time_to_reach(np.log(S / theta0 - 1), np.log(q / (1 - q)), 2 * p)


EMERGENCE_MISTAKES = {
    "Your skills emerge twice too late: compare your rate with the exponent of Eq. 9, factor by "
    "factor.": _rate_without_2,
    "Close! Check the logarithm that holds S/θ₀: set R_k = q in Eq. 9 and keep every term of its "
    "prefactor when you solve for t.": _log_without_1,
    "Check the sign of the q term: a skill reaches 90% after 50%, so t_q must grow with q.": _q_term_sign,
    "Your times do not change with S: in the exponent of Eq. 9 the target scale sets the speed of "
    "a skill as much as its frequency does.": _rate_without_S,
}


# ---------------------------------------------------------------- Exercise 4: skills by time T
def reference_count(T, t_first, alpha):
    """Number N(T) of skills whose half-rise time t_k = t_first k^(alpha+1) is at most T (Exercise 4)."""
    half_rise_times = t_first * np.arange(1, 100_001) ** (alpha + 1)
    return np.searchsorted(half_rise_times, T, side="right").astype(float)


COUNT_CASES = [
    (np.array([1.0, 7.3, 55.0, 1234.5]), 2.0, 0.8),
    (np.array([0.5, 40.0, 4000.0, 3.3e6]), 0.37, 1.5),
    (np.geomspace(3.1, 3.1e5, 6), 3.0, 0.4),
]


def _root_alpha(T, t1, alpha):
    return np.floor((T / t1) ** (1 / alpha))


def _power_instead_of_root(T, t1, alpha):
    return np.floor((T / t1) ** (alpha + 1))


def _count_not_rounded(T, t1, alpha):
    return (T / t1) ** (1 / (alpha + 1))


def _count_rounded(T, t1, alpha):
    return np.round((T / t1) ** (1 / (alpha + 1)))


def _count_rounded_up(T, t1, alpha):
    return np.ceil((T / t1) ** (1 / (alpha + 1)))


COUNT_MISTAKES = {
    "You took the root 1/α: which power of k appears in t_k = t₁ k^(α+1)?": _root_alpha,
    "You raised T/t₁ to the power α + 1, which turns a count into a time. Solve t₁ k^(α+1) = T for "
    "k instead.": _power_instead_of_root,
    "Your count is not a whole number: which whole numbers k have t_k ≤ T?": _count_not_rounded,
    "Rounding to the nearest whole number counts a skill before it has emerged: which whole "
    "numbers k have t_k ≤ T?": _count_rounded,
    "Rounding up counts the next skill before it has emerged: which way must you round?": _count_rounded_up,
}


# ---------------------------------------------------------------- Exercise 5: a power-law fit
def _in_range(x, y, low, high):
    keep = (x >= low) & (x <= high)
    return x[keep], y[keep]


def reference_fit(x, y, x_low, x_high):
    """Slope s of the least-squares line log y = s log x + c over x_low <= x <= x_high (Exercise 5)."""
    return em.fit_power_law(x, y, x_range=(x_low, x_high)).slope


_X_FIT = np.geomspace(0.01, 1e4, 61)
FIT_CASES = [
    (np.geomspace(1, 1e3, 30), 3 * np.geomspace(1, 1e3, 30) ** -0.7, 1.0, 1e3),
    (_X_FIT, (1 + _X_FIT) ** -0.5, 10.0, 1e4),
    (_X_FIT, np.exp(-_X_FIT / 3e3) / (1 + _X_FIT), 1.0, 100.0),
]


def _fit_linear(x, y, lo, hi):
    return np.polyfit(*_in_range(x, y, lo, hi), 1)[0]


def _fit_all_points(x, y, lo, hi):
    return np.polyfit(np.log(x), np.log(y), 1)[0]


def _fit_log_x_only(x, y, lo, hi):
    x_in, y_in = _in_range(x, y, lo, hi)
    return np.polyfit(np.log(x_in), y_in, 1)[0]


def _fit_swapped(x, y, lo, hi):
    return np.polyfit(*np.log(_in_range(x, y, lo, hi))[::-1], 1)[0]


FIT_MISTAKES = {
    "You fitted y against x: a power law is a straight line only on log-log axes.": _fit_linear,
    "Your fit used every point: x_low and x_high say which ones to keep.": _fit_all_points,
    "Take the logarithm of both x and y, not of one of them only.": _fit_log_x_only,
    "You fitted log x against log y: check the order of the arguments of np.polyfit.": _fit_swapped,
}


# ---------------------------------------------------------------- Exercise 6: where the law holds
_UNUSABLE_RANGE = (
    "Give a range of two times (t_low, t_high) with 0 < t_low < t_high and at least two points "
    "of the time grid between them."
)
_INSIDE_BOTH_ENDS = (
    "Stay well inside the first and the last emergence, away from both ends, and fit over a few decades."
)


def _blank(value):
    if value is None or value is Ellipsis:
        return True
    return isinstance(value, (tuple, list)) and any(v is Ellipsis for v in value)


def _usable(time_range, times):
    try:
        low, high = (float(v) for v in time_range)
    except (TypeError, ValueError):
        return False
    return 0 < low < high and np.sum((times >= low) & (times <= high)) >= 2


def slope_on(time_range, times, loss):
    """Fitted slope of the loss on the student's range (0 if unusable), compared with -alpha/(alpha+1)
    (Exercise 6)."""
    if _blank(time_range):
        return ...
    if not _usable(time_range, times):
        return 0.0
    return em.fit_power_law(times, loss, x_range=time_range).slope


def range_hints(time_range, times, t_first, t_last):
    """The hints of Exercise 6, as (predicate, message) pairs for :func:`labhelpers.checks.check`."""
    if _blank(time_range) or not _usable(time_range, times):
        return [
            (
                lambda a, e: True,
                _UNUSABLE_RANGE,
            )
        ]
    low, high = (float(v) for v in time_range)
    return [
        (
            lambda a, e: low < t_first,
            f"Your range starts before the first skill emerges (t ≈ {t_first:.2g}): on the plateau the "
            "loss hardly moves, and it flattens the fit. Start later.",
        ),
        (
            lambda a, e: high > t_last / 1000,
            f"Your range ends too close to the last skill (t ≈ {t_last:.2g}). As the supply of skills runs "
            "out, the loss falls faster than the law, and this bends the curve decades before t_last. "
            "Stop earlier.",
        ),
        (
            lambda a, e: True,
            _INSIDE_BOTH_ENDS,
        ),
    ]


# ---------------------------------------------------------------- Exercise 7: the chance a skill was seen
def reference_seen(D, p):
    """Probability that a task of frequency p occurs at least once among D samples (Exercise 7)."""
    return em.skill_strength_in_data(D, p)


SEEN_CASES = [
    (np.array([[1], [10], [100]]), np.array([0.5, 0.1, 0.01])),
    (0, 0.3),
    (np.array([3, 30, 300]), 0.02),
]
SEEN_MISTAKES = {
    "Your answer is the chance that all D samples *miss* the task: the question asks for the "
    "opposite event.": lambda D, p: (1 - p) ** D,
    "p^D is the chance that *every* sample asks for the task, but one sample is enough. Think of "
    "the event in which the task is not seen.": lambda D, p: 1 - p**D,
    "D p is the expected number of times the task is asked for, and can exceed 1. You want the "
    "probability that it is asked for at least once.": lambda D, p: D * p,
}
