"""Reference answers, self-checks and hidden checks of Lesson 2 (emergence and scaling laws).

Each exercise has a self-check on the cases the notebook shows (``_check_*``), a hidden check on fresh
cases drawn at grading time (``_hidden_*``), the sample solution's answers, other valid forms and plausible
mistakes with the hint each gets; :data:`EXERCISES` gathers them.

Book: lessons/lesson02_emergence (its self-checks) and the grader (labhelpers.grade).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .. import emergence as em
from ..checks import CORRECT, INCORRECT, NOT_ATTEMPTED, Exercise, Exercises, Verdict, check_function, make_verdict
from ..core import saturation_time

__all__ = [
    "reference_frequencies",
    "reference_skills",
    "reference_emergence",
    "reference_count",
    "reference_fit",
    "reference_range",
    "reference_seen",
    "EXERCISES",
    "self_check",
]

_ARRAYS_HINT = (
    "It works on single numbers but not on arrays, and the cells below give it arrays: a function that "
    "takes one number at a time (from the `math` module, or `int` and `float`) cannot take an array. Use "
    "numpy's functions, which work on every entry at once."
)


def _name(number: int) -> str:
    return EXERCISES[number].name


def _shown(verdict: Verdict, show: bool) -> Verdict:
    return make_verdict(verdict.name, verdict.status, verdict.message, show=show)


def _check_on_arrays(number, student, reference, cases, hints, scalar_case, show):
    """``check_function`` on ``cases``; a function that fails on arrays but not on ``scalar_case`` is told so."""
    name = _name(number)
    verdict = check_function(name, student, reference, cases, hints=hints, show=False)
    if verdict.status == INCORRECT and "raised TypeError" in verdict.message:
        on_numbers = check_function(name, student, reference, [scalar_case], show=False)
        if on_numbers.status == CORRECT:
            verdict = Verdict(name, INCORRECT, f"{verdict.message} {_ARRAYS_HINT}")
    return _shown(verdict, show)


def _hidden(number, student, reference, cases, rtol=1e-6, atol=1e-9):
    return check_function(_name(number), student, reference, cases, rtol=rtol, atol=atol, show=False)


# ---------------------------------------------------------------- Exercise 1: power-law frequencies
def reference_frequencies(n_tasks, alpha):
    """Task frequencies p_k = k^-(alpha+1) / sum_j j^-(alpha+1), k = 1..n_tasks (Section 1, Exercise 1)."""
    return em.power_law_frequencies(n_tasks, alpha)


_FREQUENCY_CASES = [(5, 0.8), (12, 0.4), (3, 2.0)]


def _ranks(n):
    return np.arange(1, n + 1, dtype=float)


def _exponent_alpha(n, alpha):
    return _ranks(n) ** -alpha / np.sum(_ranks(n) ** -alpha)


def _not_normalised(n, alpha):
    return _ranks(n) ** -(alpha + 1)


def _divided_by_n(n, alpha):
    return _ranks(n) ** -(alpha + 1) / n


def _rarest_first(n, alpha):
    return _ranks(n) ** (alpha + 1) / np.sum(_ranks(n) ** (alpha + 1))


def _from_rank_0(n, alpha):
    ranks = np.arange(n, dtype=float)
    return ranks ** -(alpha + 1) / np.sum(ranks ** -(alpha + 1))


_FREQUENCY_HINTS = {
    "Check the exponent of the weights: compare it with the formula for p_k above.": _exponent_alpha,
    "Your frequencies do not add up to 1: look at the denominator of p_k.": _not_normalised,
    "Dividing by the number of tasks does not make the frequencies add up to 1: look at the "
    "denominator of p_k.": _divided_by_n,
    "Your frequencies grow with the rank: the most frequent task comes first, so check the sign of "
    "the exponent.": _rarest_first,
}


def _check_frequencies(power_law_frequencies, show=True):
    return check_function(
        _name(1), power_law_frequencies, reference_frequencies, _FREQUENCY_CASES, hints=_FREQUENCY_HINTS, show=show
    )


def _hidden_frequencies(power_law_frequencies, rng):
    cases = [(int(rng.integers(1, 60)), float(rng.uniform(0.0, 3.0))) for _ in range(4)]
    cases += [(1, float(rng.uniform(0.1, 2.0))), (int(rng.integers(2, 30)), float(rng.integers(1, 4)))]
    return _hidden(1, power_law_frequencies, reference_frequencies, cases)


# ---------------------------------------------------------------- Exercise 2: the skill functions
def _parities(bits, subsets):
    return np.stack([bits[:, s].prod(axis=1) for s in subsets], axis=1)


def reference_skills(X, subsets):
    """Skill functions G[i, k] = g_k(x_i) of Eq. 11: the parity of subset k on task k's samples, else 0
    (Section 1, Exercise 2)."""
    n_tasks = len(subsets)
    return X[:, :n_tasks] * _parities(X[:, n_tasks:], subsets)


def _parity_case(n_tasks, n_bits, bits_per_task, n, seed, dtype=float):
    problem = em.SparseParity(n_tasks, n_bits, bits_per_task, alpha=0.5, seed=seed)
    return problem.sample(n, seed=seed).X.astype(dtype), problem.subsets


# the last case as the lesson's cells give it: float32 samples
_SKILL_CASES = [_parity_case(3, 6, 2, 12, 1), _parity_case(5, 10, 3, 40, 2), _parity_case(8, 24, 3, 30, 0, np.float32)]


def _all_tasks(X, subsets):
    return _parities(X[:, len(subsets) :], subsets)


def _bits_from_X(X, subsets):
    return X[:, : len(subsets)] * _parities(X, subsets)


def _summed_bits(X, subsets):
    bits = X[:, len(subsets) :]
    return X[:, : len(subsets)] * np.stack([bits[:, s].sum(axis=1) for s in subsets], axis=1)


def _parity_mod_2(X, subsets):
    bits = X[:, len(subsets) :]
    return X[:, : len(subsets)] * np.stack([bits[:, s].sum(axis=1) % 2 for s in subsets], axis=1)


_SKILL_HINTS = {
    "Your g_k is nonzero on samples that ask for another task: look at the indicator in Eq. 11 "
    "and at the control bits.": _all_tasks,
    "The subsets index the random bits, which start after the n_tasks control bits: take them from "
    "`bits`, not from `X`.": _bits_from_X,
    "You added the chosen bits. With bits stored as ±1, how does the text write the parity?": _summed_bits,
}


def _check_skills(skill_functions, show=True):
    return check_function(_name(2), skill_functions, reference_skills, _SKILL_CASES, hints=_SKILL_HINTS, show=show)


def _hidden_skills(skill_functions, rng):
    cases = []
    for dtype in (np.float32, float, int):
        n_tasks, m = int(rng.integers(2, 9)), int(rng.integers(1, 5))
        n_bits = int(rng.integers(m + 1, 3 * m + 8))
        seed = int(rng.integers(2**31))
        cases.append(_parity_case(n_tasks, n_bits, m, int(rng.integers(20, 60)), seed, dtype))
    return _hidden(2, skill_functions, reference_skills, cases)


# ---------------------------------------------------------------- Exercise 3: when a skill emerges
def reference_emergence(p, S, theta0, q=0.5):
    """Time t_q at which a skill of frequency p reaches strength q, Eq. 9 solved for t (Section 2, Exercise 3)."""
    return saturation_time(q, S, theta0, variance=p)


_EMERGENCE_SCALARS = (0.2, 2.0, 0.05, 0.9)
_EMERGENCE_CASES = [
    (np.array([0.5, 0.1, 0.02]), 1.0, 1e-3, 0.5),
    _EMERGENCE_SCALARS,
    (np.array([0.3, 0.03]), 0.5, 1e-4, 0.1),
    # as the lesson calls it: a column of frequencies against a row of levels q
    (np.array([[0.4], [0.05]]), 1.0, 1e-3, np.array([0.1, 0.5, 0.9])),
]


def _time_to_reach(log_term, q_term, rate):
    return (log_term + q_term) / rate


def _rate_without_2(p, S, theta0, q=0.5):
    return _time_to_reach(np.log(S / theta0 - 1), np.log(q / (1 - q)), S * p)


def _log_without_1(p, S, theta0, q=0.5):
    return _time_to_reach(np.log(S / theta0), np.log(q / (1 - q)), 2 * S * p)


def _q_term_sign(p, S, theta0, q=0.5):
    return _time_to_reach(np.log(S / theta0 - 1), np.log((1 - q) / q), 2 * S * p)


def _rate_without_S(p, S, theta0, q=0.5):
    return _time_to_reach(np.log(S / theta0 - 1), np.log(q / (1 - q)), 2 * p)


def _without_q(p, S, theta0, q=0.5):
    return _time_to_reach(np.log(S / theta0 - 1), 0.0 * np.asarray(q), 2 * S * p)


def _with_math_log(p, S, theta0, q=0.5):
    return (math.log(S / theta0 - 1) + math.log(q / (1 - q))) / (2 * S * p)


def _with_log10(p, S, theta0, q=0.5):
    return _time_to_reach(np.log10(S / theta0 - 1), np.log10(q / (1 - q)), 2 * S * p)


_EMERGENCE_HINTS = {
    "Your skills emerge twice too late: compare your rate with the exponent of Eq. 9, factor by "
    "factor.": _rate_without_2,
    "Close! Check the logarithm that holds S/θ₀: set R_k = q in Eq. 9 and keep every term of its "
    "prefactor when you solve for t.": _log_without_1,
    "Check the sign of the q term: a skill reaches 90% after 50%, so t_q must grow with q.": _q_term_sign,
    "Your times do not change with S: in the exponent of Eq. 9 the target scale sets the speed of "
    "a skill as much as its frequency does.": _rate_without_S,
    "Your times do not depend on q: that is the half-rise time only. Set R_k = q, not 1/2, before "
    "you solve for t.": _without_q,
}


def _check_emergence(emergence_time, show=True):
    return _check_on_arrays(
        3, emergence_time, reference_emergence, _EMERGENCE_CASES, _EMERGENCE_HINTS, _EMERGENCE_SCALARS, show
    )


def _hidden_emergence(emergence_time, rng):
    def parameters():
        S = float(rng.uniform(0.3, 3.0)) if rng.random() < 0.7 else int(rng.integers(1, 4))
        return S, S * float(10 ** rng.uniform(-6, -2))

    cases = []
    for _ in range(2):
        S, theta0 = parameters()
        cases.append((rng.uniform(1e-3, 1.0, size=int(rng.integers(2, 7))), S, theta0, float(rng.uniform(0.05, 0.95))))
    S, theta0 = parameters()
    p, q = rng.uniform(1e-3, 1.0, size=(int(rng.integers(2, 6)), 1)), rng.uniform(0.05, 0.95, size=3)
    cases += [(p, S, theta0, q), (float(rng.uniform(1e-3, 1.0)), S, theta0, float(rng.uniform(0.05, 0.95)))]
    cases.append((rng.uniform(1e-3, 1.0, size=3), S, theta0))  # the default level q = 1/2
    return _hidden(3, emergence_time, reference_emergence, cases)


# ---------------------------------------------------------------- Exercise 4: skills by time T
def reference_count(T, t_first, alpha):
    """Number N(T) of skills whose half-rise time t_k = t_first k^(alpha+1) is at most T (Section 3, Exercise 4)."""
    half_rise_times = t_first * np.arange(1, 100_001) ** (alpha + 1)
    return np.searchsorted(half_rise_times, T, side="right").astype(float)


_COUNT_SCALARS = (55.0, 2.0, 0.8)
_COUNT_CASES = [
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


def _count_with_math_floor(T, t1, alpha):
    return math.floor((T / t1) ** (1 / (alpha + 1)))


def _count_with_int(T, t1, alpha):
    return int((T / t1) ** (1 / (alpha + 1)))


def _count_precedence(T, t1, alpha):
    return np.floor((T / t1) ** (1 / alpha + 1))


_COUNT_HINTS = {
    "You took the root 1/α: which power of k appears in t_k = t₁ k^(α+1)?": _root_alpha,
    "You raised T/t₁ to the power α + 1, which turns a count into a time. Solve t₁ k^(α+1) = T for "
    "k instead.": _power_instead_of_root,
    "Your count is not a whole number: which whole numbers k have t_k ≤ T?": _count_not_rounded,
    "Rounding to the nearest whole number counts a skill before it has emerged: which whole "
    "numbers k have t_k ≤ T?": _count_rounded,
    "Rounding up counts the next skill before it has emerged: which way must you round?": _count_rounded_up,
}


def _check_count(skills_emerged, show=True):
    return _check_on_arrays(4, skills_emerged, reference_count, _COUNT_CASES, _COUNT_HINTS, _COUNT_SCALARS, show)


def _hidden_count(skills_emerged, rng):
    cases = []
    for _ in range(4):
        t_first = float(10 ** rng.uniform(-1, 2)) if rng.random() < 0.75 else int(rng.integers(1, 10))
        ratios = np.sort(10 ** rng.uniform(-1, 5, size=int(rng.integers(3, 9))))  # T/t_first, some below 1
        cases.append((t_first * ratios, t_first, float(rng.uniform(0.2, 2.5))))
    return _hidden(4, skills_emerged, reference_count, cases, rtol=0, atol=0)


# ---------------------------------------------------------------- Exercise 5: a power-law fit
def _in_range(x, y, low, high):
    keep = (x >= low) & (x <= high)
    return x[keep], y[keep]


def reference_fit(x, y, x_low, x_high):
    """Slope s of the least-squares line log y = s log x + c over x_low <= x <= x_high (Section 4, Exercise 5)."""
    return em.fit_power_law(x, y, x_range=(x_low, x_high)).slope


_X_FIT = np.geomspace(0.01, 1e4, 61)
_FIT_CASES = [
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


def _fit_log_y_only(x, y, lo, hi):
    x_in, y_in = _in_range(x, y, lo, hi)
    return np.polyfit(x_in, np.log(y_in), 1)[0]


def _fit_intercept(x, y, lo, hi):
    return np.polyfit(*np.log(_in_range(x, y, lo, hi)), 1)[1]


_FIT_HINTS = {
    "You fitted y against x: a power law is a straight line only on log-log axes.": _fit_linear,
    "Your fit used every point: x_low and x_high say which ones to keep.": _fit_all_points,
    "Take the logarithm of both x and y, not of one of them only.": _fit_log_x_only,
    "You fitted log x against log y: check the order of the arguments of np.polyfit.": _fit_swapped,
}


def _check_fit(fit_exponent, show=True):
    return check_function(_name(5), fit_exponent, reference_fit, _FIT_CASES, hints=_FIT_HINTS, show=show)


def _hidden_fit(fit_exponent, rng):
    cases = []
    for _ in range(3):
        x = np.geomspace(10 ** rng.uniform(-3, 0), 10 ** rng.uniform(3, 6), int(rng.integers(40, 90)))
        cutoff = x[-1] * 10 ** rng.uniform(-2, 1)
        y = 10 ** rng.uniform(-1, 1) * x ** rng.uniform(-2, -0.2) * np.exp(-x / cutoff)
        y *= np.exp(0.05 * rng.standard_normal(x.size))  # a measured curve, not an exact law
        low = 10 ** rng.uniform(np.log10(x[0]), np.log10(x[-1]) - 2)  # at least two decades of points
        cases.append((x, y, float(low), float(low * 10 ** rng.uniform(2, 4))))
    return _hidden(5, fit_exponent, reference_fit, cases)


# ---------------------------------------------------------------- Exercise 6: where the law holds
_ALPHA, _S, _THETA0, _N_SKILLS = 0.8, 1.0, 1e-3, 100_000  # the lesson's skill model of Sections 3 and 4
_RTOL_SLOPE = 0.03
_MIN_DECADES = 2.0
_END_MARGIN = 100.0  # the loss bends away from the law about two decades before the last skill emerges


@lru_cache(maxsize=1)
def _law():
    """Frequencies, first and last half-rise times and predicted slope of the lesson's 100 000 skills."""
    p_law = em.power_law_frequencies(_N_SKILLS, _ALPHA)
    t_law = em.emergence_time(p_law, target_scale=_S, theta0=_THETA0)
    return p_law, float(t_law[0]), float(t_law[-1]), float(em.scaling_exponents(_ALPHA).time)


@lru_cache(maxsize=1)
def _lesson_curve():
    """The lesson's loss curve L(t) on its time grid (Section 3): about a second to compute."""
    times = np.geomspace(0.01, 2e10, 241)
    return times, em.loss_in_time(times, _law()[0], target_scale=_S, theta0=_THETA0)


def reference_range():
    """The sample solution's fitting range: a decade after the first emergence to three before the last
    (Section 4, Exercise 6)."""
    _, t_first, t_last, _ = _law()
    return (10 * t_first, t_last / 1000)


def _read_range(time_range):
    """``(status, message, (t_low, t_high))``: the student's range as two floats, or why it cannot be used."""
    if time_range is None or time_range is Ellipsis:
        return NOT_ATTEMPTED, "Replace the `...` with your range `(t_low, t_high)`, then run this cell again.", None
    if isinstance(time_range, (tuple, list)) and any(v is Ellipsis for v in time_range):
        return NOT_ATTEMPTED, "Replace each `...` with a time, then run this cell again.", None
    if callable(time_range) and not isinstance(time_range, np.ndarray):
        return INCORRECT, "Your range is a function; give two times `(t_low, t_high)`.", None
    values = np.asarray(time_range, dtype=object).ravel().tolist()
    if any(isinstance(v, (str, bytes)) for v in values):
        return INCORRECT, "Your range holds text; give two numbers `(t_low, t_high)`, not strings.", None
    array = np.asarray(time_range)
    if array.dtype.kind not in "iuf" or array.shape != (2,):
        return INCORRECT, "Give your range as two numbers `(t_low, t_high)`.", None
    low, high = (float(v) for v in array)
    if not (math.isfinite(low) and math.isfinite(high) and 0 < low < high):
        return INCORRECT, "Give a range of two times (t_low, t_high) with 0 < t_low < t_high.", None
    return CORRECT, "", (low, high)


def _range_problems(low, high):
    """What is wrong with a range by rule (its place on the curve and its length), whatever slope it gives."""
    _, t_first, t_last, _ = _law()
    problems = []
    if low < t_first:
        problems.append(
            f"Your range starts before the first skill emerges (t ≈ {t_first:.2g}): on the plateau the loss "
            "hardly moves, which is not the law, even where a slope averaged over your range comes out right. "
            "Start later."
        )
    if high > t_last / _END_MARGIN:
        problems.append(
            f"Your range ends too close to the last skill (t ≈ {t_last:.2g}). As the supply of skills runs out, "
            "the loss falls faster than the law, and this bends the curve decades before t_last. Stop earlier."
        )
    if not problems and high / low < 10**_MIN_DECADES:
        problems.append(
            f"Your range spans a factor {high / low:.3g} in time, less than {_MIN_DECADES:g} decades: too short "
            "to measure an exponent. Widen it, staying inside the first and the last emergence."
        )
    return problems


def _judge_range(time_range, curve, rtol=_RTOL_SLOPE):
    """The verdict's status and message; ``curve(t_low, t_high)`` gives the times and losses to fit."""
    status, message, bounds = _read_range(time_range)
    if bounds is None:
        return status, message
    problems = _range_problems(*bounds)
    if problems:
        return INCORRECT, " ".join(problems)
    slope = em.fit_power_law(*curve(*bounds), x_range=bounds).slope
    predicted = _law()[3]
    if abs(slope / predicted - 1) <= rtol:
        return CORRECT, f"On your range the loss has slope {slope:.3f}, within 3% of the prediction."
    if abs(slope) > abs(predicted):
        return INCORRECT, (
            f"On your range the loss falls faster than the law (slope {slope:.3f}): your range ends where the "
            "supply of skills runs out and the curve bends down. Stop earlier."
        )
    return INCORRECT, (
        f"On your range the loss falls more slowly than the law (slope {slope:.3f}): your range starts where "
        "the first few skills still come one step at a time. Start later."
    )


def _judge_safely(time_range, curve, rtol=_RTOL_SLOPE):
    try:
        return _judge_range(time_range, curve, rtol)
    except BaseException as error:  # noqa: BLE001 - a student's object whose __array__ or __float__ misbehaves
        return INCORRECT, f"Your range could not be read as two numbers ({type(error).__name__})."


def _check_range(time_range, show=True):
    status, message = _judge_safely(time_range, lambda low, high: _lesson_curve())
    return make_verdict(_name(6), status, message, show=show)


def _loss_at(times):
    """The lesson's loss L(t) = S^2/2 sum_k p_k (1 - R_k(t))^2 with R_k(t) of Eq. 9, written out: the same values
    as ``em.loss_in_time`` (to rounding), ten times faster, for the hidden check's fresh grids."""
    p_law = _law()[0]
    with np.errstate(over="ignore"):  # exp overflows to inf for skills long learned: 1 - R_k = 0
        gap = 1 / (1 + np.exp(2 * _S * p_law * times[:, None]) / (_S / _THETA0 - 1))
    return 0.5 * _S**2 * (p_law * gap**2).sum(axis=1)


def _hidden_range(time_range, rng):
    """The same rules, and the slope on a fresh grid of 30-50 times inside the range, within 3.5% (a margin
    for the grid)."""
    n = int(rng.integers(30, 51))
    fractions = (np.arange(n) + rng.uniform()) / n

    def fresh_grid(low, high):
        times = low * (high / low) ** fractions
        return times, _loss_at(times)

    return Verdict(_name(6), *_judge_safely(time_range, fresh_grid, rtol=_RTOL_SLOPE + 0.005))


# ---------------------------------------------------------------- Exercise 7: the chance a skill was seen
def reference_seen(D, p):
    """Probability that a task of frequency p occurs at least once among D samples (Section 5, Exercise 7)."""
    return em.skill_strength_in_data(D, p)


_SEEN_SCALARS = (10, 0.1)
_SEEN_CASES = [
    (np.array([[1], [10], [100]]), np.array([0.5, 0.1, 0.01])),
    (0, 0.3),
    (np.array([3, 30, 300]), 0.02),
    (30, np.array([0.4, 0.2, 0.05, 0.001])),  # as the lesson calls it: one D, every task's frequency
]


def _seen_miss(D, p):
    return (1 - p) ** D


def _seen_every(D, p):
    return 1 - p**D


def _seen_expected(D, p):
    return D * p


def _seen_with_math(D, p):
    return 1 - math.pow(1 - p, D)


def _seen_one_short(D, p):
    return 1 - (1 - p) ** (np.asarray(D) - 1)


_SEEN_HINTS = {
    "Your answer is the chance that all D samples *miss* the task: the question asks for the "
    "opposite event.": _seen_miss,
    "p^D is the chance that *every* sample asks for the task, but one sample is enough. Think of "
    "the event in which the task is not seen.": _seen_every,
    "D p is the expected number of times the task is asked for, and can exceed 1. You want the "
    "probability that it is asked for at least once.": _seen_expected,
}


def _check_seen(seen_probability, show=True):
    return _check_on_arrays(7, seen_probability, reference_seen, _SEEN_CASES, _SEEN_HINTS, _SEEN_SCALARS, show)


def _hidden_seen(seen_probability, rng):
    p = 10 ** rng.uniform(-5, -0.1, size=int(rng.integers(3, 8)))
    D = rng.integers(0, 10**5, size=(int(rng.integers(2, 5)), 1))
    cases = [(D, p), (int(rng.integers(1, 1000)), p), (D[:, 0], float(p[0])), (0, p)]
    return _hidden(7, seen_probability, reference_seen, cases)


# ---------------------------------------------------------------- other valid forms of the answers
def _frequencies_as_list(n_tasks, alpha):
    weights = [k ** -(alpha + 1) for k in range(1, n_tasks + 1)]
    return [w / sum(weights) for w in weights]


def _frequencies_float32(n_tasks, alpha):
    return reference_frequencies(n_tasks, alpha).astype(np.float32)


def _skills_without_loop(X, subsets):
    n_tasks = len(subsets)
    parity = np.stack([np.prod(X[:, n_tasks:][:, s], axis=1) for s in subsets], axis=1)
    return np.where(X[:, :n_tasks] == 1, parity, 0).astype(int)


def _emergence_one_log(p, S, theta0, q=0.5):
    return np.log((S - theta0) / theta0 * q / (1 - q)) / (2 * S * p)


def _emergence_float32(p, S, theta0, q=0.5):
    return np.float32(reference_emergence(p, S, theta0, q))


def _count_as_int(T, t_first, alpha):
    return np.floor(np.exp(np.log(T / t_first) / (alpha + 1))).astype(int)


def _count_one_by_one(T, t_first, alpha):
    return [math.floor((t / t_first) ** (1 / (alpha + 1))) for t in T]


def _fit_log10(x, y, x_low, x_high):
    keep = (x >= x_low) & (x <= x_high)
    return np.polyfit(np.log10(x[keep]), np.log10(y[keep]), 1)[0]


def _fit_lstsq(x, y, x_low, x_high):
    x_in, y_in = _in_range(np.asarray(x), np.asarray(y), x_low, x_high)
    design = np.stack([np.log(x_in), np.ones_like(x_in)], axis=1)
    return np.float32(np.linalg.lstsq(design, np.log(y_in), rcond=None)[0][0])


def _seen_expm1(D, p):
    return -np.expm1(D * np.log1p(-np.asarray(p)))


# ---------------------------------------------------------------- the registry
EXERCISES = Exercises(
    [
        Exercise(
            1,
            "power_law_frequencies",
            answers=("power_law_frequencies",),
            check=_check_frequencies,
            hidden=_hidden_frequencies,
            minutes=10,
            reference=(reference_frequencies,),
            valid=((_frequencies_as_list,), (_frequencies_float32,)),
            wrong=tuple(((f,), hint) for hint, f in _FREQUENCY_HINTS.items()) + (((_from_rank_0,), None),),
        ),
        Exercise(
            2,
            "skill_functions",
            answers=("skill_functions",),
            check=_check_skills,
            hidden=_hidden_skills,
            minutes=15,
            reference=(reference_skills,),
            valid=((_skills_without_loop,),),
            wrong=tuple(((f,), hint) for hint, f in _SKILL_HINTS.items()) + (((_parity_mod_2,), None),),
        ),
        Exercise(
            3,
            "emergence_time",
            answers=("emergence_time",),
            check=_check_emergence,
            hidden=_hidden_emergence,
            minutes=15,
            reference=(reference_emergence,),
            valid=((_emergence_one_log,), (_emergence_float32,)),
            wrong=tuple(((f,), hint) for hint, f in _EMERGENCE_HINTS.items())
            + (((_with_math_log,), "works on single numbers but not on arrays"), ((_with_log10,), None)),
        ),
        Exercise(
            4,
            "skills_emerged",
            answers=("skills_emerged",),
            check=_check_count,
            hidden=_hidden_count,
            minutes=10,
            reference=(reference_count,),
            valid=((_count_as_int,), (_count_one_by_one,)),
            wrong=tuple(((f,), hint) for hint, f in _COUNT_HINTS.items())
            + (
                ((_count_with_math_floor,), "works on single numbers but not on arrays"),
                ((_count_with_int,), "works on single numbers but not on arrays"),
                ((_count_precedence,), None),
            ),
        ),
        Exercise(
            5,
            "fit_exponent",
            answers=("fit_exponent",),
            check=_check_fit,
            hidden=_hidden_fit,
            minutes=10,
            reference=(reference_fit,),
            valid=((_fit_log10,), (_fit_lstsq,)),
            wrong=tuple(((f,), hint) for hint, f in _FIT_HINTS.items())
            + (((_fit_log_y_only,), None), ((_fit_intercept,), None)),
        ),
        Exercise(
            6,
            "where the law holds",
            answers=("time_range",),
            check=_check_range,
            hidden=_hidden_range,
            minutes=10,
            reference=(reference_range(),),
            valid=(([100, 1e6],), (np.array([20.0, 2e7], dtype=np.float32),), ((10, 10**7),)),
            wrong=(
                (((0.65, 3e7),), "starts before the first skill emerges"),
                (((0.01, 2e10),), "starts before the first skill emerges"),
                (((65.0, 6.5e9),), "ends too close to the last skill"),
                (((100.0, 1e8),), "ends too close to the last skill"),
                (((5e5, 6e7),), "falls faster than the law"),
                (((1e3, 1e4),), "less than 2 decades"),
                (((1e6, 100.0),), "0 < t_low < t_high"),
                ((("100", "1e6"),), "holds text"),
            ),
        ),
        Exercise(
            7,
            "seen_probability",
            answers=("seen_probability",),
            check=_check_seen,
            hidden=_hidden_seen,
            minutes=5,
            reference=(reference_seen,),
            valid=((_seen_expm1,),),
            wrong=tuple(((f,), hint) for hint, f in _SEEN_HINTS.items())
            + (((_seen_with_math,), "works on single numbers but not on arrays"), ((_seen_one_short,), None)),
        ),
    ]
)
self_check = EXERCISES.self_check
