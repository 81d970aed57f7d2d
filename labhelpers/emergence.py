"""Emergence and scaling laws from the skill model (Sec. 4.3-4.4, App. E; Nam et al. 2024a).

The skill model (Eq. 11) is a diagonal linear network whose features are the skill functions ``g_k``
of the multitask sparse parity problem (:mod:`labhelpers.parity`):

``f(x) = sum_k a_k b_k g_k(x)``, target ``f*(x) = S sum_k g_k(x)``, loss ``L = 1/2 E[(f* - f)^2]``.

Because ``E[g_k g_l] = δ_kl p_k``, the skills are independent modes with input variance ``p_k``: each
``theta_k = a_k b_k`` follows Eq. 9 with ``E[x_i^2] -> p_k``, and the *skill strength*
``R_k = theta_k / S`` rises sigmoidally at a time ``∝ 1/p_k ∝ k^(alpha+1)``. The loss is

``L = S^2/2 sum_k p_k (1 - R_k)^2``                                            (:func:`skill_loss`)

and limiting one resource at a time gives the resource laws of App. E:

- time ``T`` (infinite data and parameters): ``R_k(T)`` from Eq. 9, ``L(T) ~ T^(-alpha/(alpha+1))``;
- data ``D`` (infinite time): skill ``k`` is learned iff it appears in the training set at least once
  (App. E, Eq. 60), so ``E[L(D)] = S^2/2 sum_k p_k (1 - p_k)^D ~ D^(-alpha/(alpha+1))``;
- parameters ``N`` (only the first ``N`` skills in the model, infinite time):
  ``L(N) = S^2/2 sum_{k >= N} p_k ~ N^(-alpha)`` (0-based ``k``: the skills beyond the first ``N``).

A trained network is compared with the skill model through three calibration helpers, one per
resource: :func:`fit_time_scale` (optimiser steps per unit of gradient-flow time, and the effective
initial strength), and :func:`fit_threshold` for data (samples of a skill needed to learn it: the
``shots`` of :func:`skill_strength_in_data`) and for parameters (hidden units needed per skill).
:func:`crossing_time` reads emergence times off any recorded curve.

Skills are indexed from 0 as in :mod:`labhelpers.parity`. Every closed form is vectorised numpy; sums
over skills are taken in chunks of the other axis so that a million skills fit in memory.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import betainc

from . import _validation as check
from .data import Moments, empirical_moments, teacher_moments
from .models import DiagonalLinearNetwork
from .modes import half_rise_time, sigmoidal_mode
from .parity import ParityData, SparseParity
from .simulate import Trajectory, gradient_flow

_CHUNK_ENTRIES = 2**22  # entries of a (grid chunk, skills) block: ~32 MB in float64


def _frequencies(frequencies, *, allow_zero: bool = False) -> np.ndarray:
    p = check.positive("frequencies", frequencies, allow_zero=allow_zero)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"frequencies must be a non-empty 1-D array (one p_k per skill); got {check._describe(p)}")
    return _probabilities("frequencies", p)


def _probabilities(name: str, value) -> np.ndarray:
    array = check.positive(name, value, allow_zero=True)
    if np.any(array > 1):
        raise ValueError(f"{name} must be probabilities in [0, 1]; got a maximum of {array.max()}")
    return array


def _miss_probability(D: np.ndarray, p: np.ndarray, shots: float = 1.0) -> np.ndarray:
    """``P(Bin(D, p) < shots)``: the chance that ``D`` samples hold fewer than ``shots`` of a skill.

    ``(1 - p)^D`` for one shot. Otherwise ``I_{1-p}(D - shots + 1, shots)`` (regularised incomplete
    beta), which is the binomial lower tail for integer ``D`` and stays accurate when it is tiny; 1 when
    ``D < shots``.
    """
    if shots == 1.0:
        certain = p >= 1.0
        log_miss = np.log1p(-np.where(certain, 0.0, p))
        return np.where(certain, (D == 0).astype(float), np.exp(D * log_miss))
    enough = D >= shots
    tail = betainc(np.where(enough, D - shots + 1.0, 1.0), shots, 1.0 - p)
    return np.where(enough, tail, 1.0)


def _sum_over_skills(grid: np.ndarray, p: np.ndarray, term) -> np.ndarray:
    """``sum_k term(grid[..., None], p)`` over the skill axis, in chunks of the flattened grid."""
    flat = grid.ravel()
    out = np.empty(flat.shape)
    step = max(1, _CHUNK_ENTRIES // p.size)
    for start in range(0, flat.size, step):
        out[start : start + step] = term(flat[start : start + step, None], p).sum(axis=1)
    return out.reshape(grid.shape)


# ---------------------------------------------------------------------------- skill strengths
def skill_strength(t, frequencies, *, target_scale=1.0, theta0=1e-3) -> np.ndarray:
    """Strength ``R_k(t) = theta_k(t) / S`` of each skill under gradient flow (Eq. 9 with ``E[x^2] -> p_k``).

    ``R_k(t) = 1 / (1 + (S/theta0 - 1) exp(-2 S p_k t))``: a sigmoid in ``log t``, delayed until
    ``t ≈ ln(S/theta0) / (2 S p_k)``. A skill with ``p_k = 0`` (absent from a finite training set, with
    empirical frequencies in place of ``p_k``) never moves: ``R_k = theta0 / S``.

    Parameters
    ----------
    t : array_like
        Times ``>= 0``; broadcast against ``frequencies`` (use ``t[:, None]`` for a (T, n_skills) table).
    frequencies : array_like
        Skill frequencies ``p_k >= 0`` (e.g. :func:`labhelpers.parity.power_law_frequencies`, or
        :meth:`labhelpers.parity.SparseParity.empirical_frequencies` of a training set).
    target_scale : float or array_like
        Target scale ``S > 0`` of every skill.
    theta0 : float or array_like
        Initial ``theta_k = a_k(0) b_k(0)`` from a balanced start, ``0 < theta0 < S``.

    Returns
    -------
    numpy.ndarray
        ``R_k(t)``, the broadcast shape of the arguments, values in ``[theta0/S, 1)``.
    """
    t, p, S, theta0 = check.broadcastable(t=t, frequencies=frequencies, target_scale=target_scale, theta0=theta0)
    check.positive("frequencies", p, allow_zero=True)
    check.positive("target_scale", S)
    check.positive("t", t, allow_zero=True)
    if np.any(theta0 <= 0) or np.any(theta0 >= S):
        raise ValueError(
            f"theta0 must lie in (0, target_scale) for a skill that rises from small; got {check._describe(theta0)}"
        )
    present = p > 0
    theta = sigmoidal_mode(t, S, theta0, variance=np.where(present, p, 1.0))
    return np.where(present, theta, theta0) / S


def emergence_time(frequencies, *, target_scale=1.0, theta0=1e-3) -> np.ndarray:
    """Time at which each skill reaches half strength, ``ln(S/theta0 - 1) / (2 S p_k)`` (from Eq. 9).

    Proportional to ``1/p_k ∝ k^(alpha+1)`` for power-law frequencies. Needs ``p_k > 0`` and
    ``0 < theta0 < S/2``.
    """
    p = _frequencies(frequencies)
    return half_rise_time(target_scale, theta0, variance=p)


def skill_strength_in_data(n_samples, frequencies, *, shots=1) -> np.ndarray:
    """Expected strength of each skill after training to convergence on ``n_samples`` samples (App. E, Eq. 60).

    Assumption (Nam et al. 2024a): a skill is learned (``R_k = 1``) iff the training set holds at least
    ``shots`` samples that ask for it, and not at all otherwise. The skill model itself learns every
    skill it sees once (``shots = 1``: with ``D`` independent samples the probability is
    ``1 - (1 - p_k)^D``); a network that needs several examples of a skill to generalise is described by a
    larger ``shots``, the probability that a binomial ``Bin(D, p_k)`` count reaches it. Because each
    ``R_k`` is 0 or 1, the expected loss is ``S^2/2 sum_k p_k (1 - E[R_k])`` (:func:`loss_in_data`), not
    ``skill_loss`` of the expected strengths. For one given training set, use its empirical frequencies
    in :func:`skill_strength` instead.

    Parameters
    ----------
    n_samples : array_like
        Training-set sizes ``D >= 0``; broadcast against ``frequencies`` (``D[:, None]`` for a table).
        Non-integer sizes interpolate smoothly (through the regularised incomplete beta function).
    frequencies : array_like
        Skill frequencies ``p_k`` in ``[0, 1]``.
    shots : float
        Samples of a skill needed to learn it, ``>= 1`` (default 1, the skill model).

    Returns
    -------
    numpy.ndarray
        ``P(Bin(D, p_k) >= shots)`` in the broadcast shape; ``1 - (1 - p_k)^D`` for ``shots = 1``.
    """
    D, p = check.broadcastable(n_samples=n_samples, frequencies=frequencies)
    check.positive("n_samples", D, allow_zero=True)
    _probabilities("frequencies", p)
    shots = _shots(shots)
    if shots == 1.0:
        certain = p >= 1.0
        # -expm1 keeps full precision for rare skills, where 1 - (1 - p)^D ≈ D p is tiny.
        return np.where(certain, (D > 0).astype(float), -np.expm1(D * np.log1p(-np.where(certain, 0.0, p))))
    enough = D >= shots
    # I_p(shots, D - shots + 1) is the upper binomial tail itself: no cancellation when it is tiny.
    return np.where(enough, betainc(shots, np.where(enough, D - shots + 1.0, 1.0), p), 0.0)


def _shots(value) -> float:
    shots = check.positive_scalar("shots", value)
    if shots < 1:
        raise ValueError(f"shots must be at least 1 (samples of a skill needed to learn it); got {shots:g}")
    return shots


def skill_strength_in_parameters(n_skills, n_tasks: int) -> np.ndarray:
    """Strength of each skill after training to convergence with only the first ``n_skills`` in the model.

    ``R_k = 1`` for ``k < N`` and ``0`` otherwise (App. E, Eq. 60): a skill the model lacks is never
    learned, one it has is learned fully.

    Parameters
    ----------
    n_skills : array_like of int
        Numbers ``N`` of skills in the model, ``0 <= N``; broadcast against the skill axis (``N[:, None]``
        for a table).
    n_tasks : int
        Number of skills of the problem.

    Returns
    -------
    numpy.ndarray
        Shape ``broadcast(N, (n_tasks,))``, entries 0 or 1.
    """
    n_tasks = check.positive_int("n_tasks", n_tasks)
    N = _counts("n_skills", n_skills)
    return (np.arange(n_tasks) < N).astype(float)


def _counts(name: str, value) -> np.ndarray:
    array = check.positive(name, value, allow_zero=True)
    if np.any(array != np.round(array)):
        raise ValueError(f"{name} must hold whole numbers; got {check._describe(value)}")
    return array


# ---------------------------------------------------------------------------- losses
def skill_loss(strengths, frequencies, *, target_scale=1.0) -> np.ndarray:
    """Population loss of the skill model from its skill strengths: ``L = S^2/2 sum_k p_k (1 - R_k)^2``.

    Follows from Eq. 2 and ``E[g_k g_l] = δ_kl p_k``. The last axis of ``strengths`` is the skill axis.

    Parameters
    ----------
    strengths : array_like, shape (..., n_skills)
        Skill strengths ``R_k``.
    frequencies : array_like, shape (n_skills,)
        Skill frequencies ``p_k``.
    target_scale : float
        Target scale ``S > 0``.

    Returns
    -------
    numpy.ndarray, shape (...)
    """
    R = check.as_array("strengths", strengths)
    p = _frequencies(frequencies, allow_zero=True)
    S = check.positive_scalar("target_scale", target_scale)
    if R.ndim == 0 or R.shape[-1] != p.size:
        raise ValueError(f"strengths must end in the skill axis of length {p.size}; got shape {R.shape}")
    return 0.5 * S**2 * ((1.0 - R) ** 2 @ p)


def loss_in_time(t, frequencies, *, target_scale=1.0, theta0=1e-3) -> np.ndarray:
    """``L(T) = S^2/2 sum_k p_k (1 - R_k(T))^2`` with ``R_k`` from :func:`skill_strength` (Eq. 9, 11).

    Scales as ``T^(-alpha/(alpha+1))`` between the first and the last skill's emergence time.

    Parameters
    ----------
    t : array_like
        Times ``>= 0``, any shape.
    frequencies : array_like, shape (n_skills,)
        Skill frequencies ``p_k``.
    target_scale, theta0 : float
        As in :func:`skill_strength`.

    Returns
    -------
    numpy.ndarray
        The loss at each time, shape of ``t``.
    """
    T = check.positive("t", t, allow_zero=True)
    p = _frequencies(frequencies, allow_zero=True)
    S = check.positive_scalar("target_scale", target_scale)
    theta0 = check.positive_scalar("theta0", theta0)
    skill_strength(0.0, p[:1], target_scale=S, theta0=theta0)  # validates theta0 against S once
    return _sum_over_skills(
        T, p, lambda t_, p_: 0.5 * S**2 * p_ * (1.0 - skill_strength(t_, p_, target_scale=S, theta0=theta0)) ** 2
    )


def loss_in_data(n_samples, frequencies, *, target_scale=1.0, shots=1) -> np.ndarray:
    """Expected loss after training to convergence on ``D`` samples: ``S^2/2 sum_k p_k (1 - p_k)^D`` (App. E).

    Under the assumption of :func:`skill_strength_in_data` (a skill is learned iff it appears, or iff it
    appears at least ``shots`` times: then ``(1 - p_k)^D`` becomes ``P(Bin(D, p_k) < shots)``). Scales as
    ``D^(-alpha/(alpha+1))`` for any fixed ``shots``.

    Parameters
    ----------
    n_samples : array_like
        Training-set sizes ``D >= 0``, any shape.
    frequencies : array_like, shape (n_skills,)
        Skill frequencies ``p_k``.
    target_scale : float
        Target scale ``S > 0``.
    shots : float
        Samples of a skill needed to learn it, ``>= 1`` (default 1, the skill model).

    Returns
    -------
    numpy.ndarray
        The loss for each ``D``, shape of ``n_samples``.
    """
    D = check.positive("n_samples", n_samples, allow_zero=True)
    p = _frequencies(frequencies, allow_zero=True)
    S = check.positive_scalar("target_scale", target_scale)
    shots = _shots(shots)
    return _sum_over_skills(D, p, lambda d_, p_: 0.5 * S**2 * p_ * _miss_probability(d_, p_, shots))


def loss_in_parameters(n_skills, frequencies, *, target_scale=1.0) -> np.ndarray:
    """Loss after training to convergence with only the first ``N`` skills: ``S^2/2 sum_{k >= N} p_k`` (App. E).

    Scales as ``N^(-alpha)``. The tail sums are accumulated from the rarest skill upwards, so they keep
    full relative precision even when they are tiny.

    Parameters
    ----------
    n_skills : array_like of int
        Numbers ``N`` of skills in the model, ``0 <= N <= n_skills_total``.
    frequencies : array_like, shape (n_skills_total,)
        Skill frequencies ``p_k``.
    target_scale : float
        Target scale ``S > 0``.

    Returns
    -------
    numpy.ndarray
        The loss for each ``N``, shape of ``n_skills``.
    """
    p = _frequencies(frequencies, allow_zero=True)
    N = _counts("n_skills", n_skills)
    S = check.positive_scalar("target_scale", target_scale)
    if np.any(N > p.size):
        raise ValueError(f"n_skills must be at most the number of skills {p.size}; got {check._describe(N)}")
    tails = np.append(np.cumsum(p[::-1])[::-1], 0.0)  # tails[N] = sum_{k >= N} p_k
    return 0.5 * S**2 * tails[N.astype(int)]


# ---------------------------------------------------------------------------- exponents
class ResourceExponents(NamedTuple):
    """Predicted exponents of the loss in each resource, ``L ~ resource^exponent`` (App. E)."""

    time: np.ndarray | float
    data: np.ndarray | float
    parameters: np.ndarray | float


def scaling_exponents(alpha) -> ResourceExponents:
    """Exponents of the resource laws for frequencies ``p_k ∝ k^-(alpha+1)``: time and data
    ``-alpha/(alpha+1)``, parameters ``-alpha`` (App. E; Michaud et al. 2023; Nam et al. 2024a).

    Broadcasts over ``alpha >= 0``; returns floats for a scalar ``alpha``.
    """
    a = check.positive("alpha", alpha, allow_zero=True)
    time_data = -a / (a + 1.0)
    if a.ndim == 0:
        return ResourceExponents(float(time_data), float(time_data), float(-a))
    return ResourceExponents(time_data, time_data.copy(), -a)


class PowerLawFit(NamedTuple):
    """A fitted power law ``y = prefactor * x^slope``; call it to evaluate the fitted line."""

    slope: float
    prefactor: float

    def __call__(self, x) -> np.ndarray:
        return self.prefactor * np.asarray(x, dtype=float) ** self.slope


def fit_power_law(x, y, *, x_range=None) -> PowerLawFit:
    """Least-squares fit of ``log y = slope * log x + log prefactor`` over ``x_range``.

    Each point counts once, so give points evenly spaced in ``log x`` (e.g. ``np.geomspace``) for a fit
    that weighs every decade alike.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Positive abscissae and values (e.g. times and losses).
    x_range : (float, float), optional
        Use only the points with ``x_range[0] <= x <= x_range[1]`` (default: all).

    Returns
    -------
    PowerLawFit
        ``(slope, prefactor)``; ``slope`` is the exponent to compare with :func:`scaling_exponents`.
    """
    x = check.as_array("x", x, ndim=1)
    y = check.as_array("y", y, ndim=1)
    check.same_length(x=x, y=y)
    if x_range is not None:
        bounds = check.as_array("x_range", x_range, ndim=1)
        if bounds.shape != (2,) or not bounds[0] < bounds[1]:
            raise ValueError(f"x_range must be two increasing numbers (low, high); got {check._describe(x_range)}")
        keep = (x >= bounds[0]) & (x <= bounds[1])
        x, y = x[keep], y[keep]
    if x.size < 2 or np.unique(x).size < 2:
        raise ValueError(f"fit_power_law needs at least 2 distinct x values in x_range; got {x.size} points")
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("x and y must be strictly positive in the fitted range (their logs are fitted)")
    slope, intercept = np.polyfit(np.log(x), np.log(y), 1)
    return PowerLawFit(float(slope), float(np.exp(intercept)))


# ---------------------------------------------------------------------------- simulation of the skill model
def skill_moments(frequencies, *, target_scale=1.0) -> Moments:
    """Population second moments of the skill model: skills as inputs of variance ``p_k``, target ``S sum_k g_k``.

    The skill model is the diagonal linear network (Eq. 3) on these moments (Eq. 11), i.e.
    :func:`labhelpers.data.teacher_moments` with variances ``p_k`` and target scales ``S``.
    """
    p = _frequencies(frequencies)
    S = check.positive_scalar("target_scale", target_scale)
    return teacher_moments(p, np.full(p.size, S))


def empirical_skill_moments(problem: SparseParity, data: ParityData, *, target_scale=1.0) -> Moments:
    """Second moments of the skill functions on a finite sample (the skill model fitted to a training set).

    With ``G = problem.skills(X)`` and targets ``S y``: ``sigma_xx = G^T G / n`` is diagonal with the
    empirical task frequencies ``p̂_k`` and ``sigma_xy = S p̂_k``, so each skill follows Eq. 9 with
    ``p_k -> p̂_k`` (:func:`skill_strength` with empirical frequencies). Skills absent from the sample
    have zero moments and never move.

    Parameters
    ----------
    problem : SparseParity
        The problem that produced ``data``.
    data : ParityData
        A sample ``(X, task, y)``, e.g. ``problem.sample(D, seed)``.
    target_scale : float
        Target scale ``S > 0``.
    """
    if not isinstance(problem, SparseParity):
        raise ValueError(f"problem must be a labhelpers.parity.SparseParity; got {type(problem).__name__}")
    if not isinstance(data, ParityData):
        raise ValueError(
            f"data must be a labhelpers.parity.ParityData (from problem.sample); got {type(data).__name__}"
        )
    S = check.positive_scalar("target_scale", target_scale)
    G = problem.skills(data.X)
    return empirical_moments(G, S * np.asarray(data.y, dtype=float))


def simulate_skill_model(
    moments: Moments,
    *,
    theta0=1e-3,
    t_max=None,
    n_times: int = 201,
    times=None,
    rtol: float = 1e-12,
    atol: float = 1e-14,
) -> Trajectory:
    """Gradient flow of the skill model (Eq. 11) from a balanced start ``a_k(0) = b_k(0) = sqrt(theta0)``.

    Integrates the diagonal linear network's flow (Eq. 6) numerically with
    :func:`labhelpers.simulate.gradient_flow`, to test :func:`skill_strength` against. The moments are
    dense matrices: keep the number of skills to a few hundred.

    Parameters
    ----------
    moments : Moments
        From :func:`skill_moments` (population) or :func:`empirical_skill_moments` (a training set).
    theta0 : float
        Initial ``theta_k = a_k b_k > 0`` of every skill.
    t_max, n_times, times
        Recorded times, as in :func:`labhelpers.simulate.gradient_flow`.
    rtol, atol : float
        Solver tolerances. Tighter than :func:`~labhelpers.simulate.gradient_flow`'s defaults: frequent
        skills sit at their fixed point for a long time while rare ones rise. There an explicit solver left
        to its stability limit lets rounding errors of 1e-7 to 1e-6 (relative, depending on the CPU) build
        up, so the step is also capped at ``1 / rate`` of the fastest learned skill (``rate = 2 S p_k``,
        Eq. 9); the error then stays near 1e-12.

    Returns
    -------
    Trajectory
        ``end_to_end[:, k, 0]`` is ``theta_k(t)``; divide by ``S`` for the skill strengths.
    """
    if not isinstance(moments, Moments):
        raise ValueError(
            f"moments must be a labhelpers.data.Moments (e.g. from skill_moments); got {type(moments).__name__}"
        )
    theta0 = check.positive_scalar("theta0", theta0)
    n_skills = moments.input_dim
    a0 = np.full(n_skills, np.sqrt(theta0))
    trajectory = gradient_flow(
        DiagonalLinearNetwork(n_skills),
        {"a": a0, "b": a0.copy()},
        moments,
        t_max=t_max,
        n_times=n_times,
        times=times,
        rtol=rtol,
        atol=atol,
        max_step=_stable_step(moments),
    )
    trajectory.info["model"] = f"skill model (Eq. 11), {n_skills} skills, theta0={theta0}"
    return trajectory


def _stable_step(moments: Moments) -> float | None:
    """``1 / rate`` of the fastest skill at its fixed point, ``rate = 2 |sigma_xy_k|`` (Eq. 9), or None."""
    fastest = 2.0 * float(np.max(np.abs(moments.sigma_xy))) if moments.sigma_xy.size else 0.0
    return 1.0 / fastest if fastest > 0 else None


# ---------------------------------------------------------------------------- reading and calibrating curves
def crossing_time(times, curves, level=0.5) -> np.ndarray:
    """First time each recorded curve reaches ``level``, interpolated linearly between records.

    Used to read emergence (half-rise) times off simulations and trained networks alike.

    Parameters
    ----------
    times : array_like, shape (T,)
        Increasing record times (or optimiser steps).
    curves : array_like, shape (T,) or (T, ...)
        Values at those times; every trailing index is one curve.
    level : float
        The level to reach (e.g. 0.5 for half strength).

    Returns
    -------
    numpy.ndarray, shape ``curves.shape[1:]``
        The crossing time of each curve: ``times[0]`` for a curve that starts at or above ``level``,
        NaN for one that never reaches it.
    """
    t = check.as_array("times", times, ndim=1)
    if t.size < 2 or np.any(np.diff(t) <= 0):
        raise ValueError(f"times must be increasing with at least 2 entries; got {check._describe(times)}")
    values = check.as_array("curves", curves)
    if values.ndim == 0 or values.shape[0] != t.size:
        raise ValueError(f"curves must have the time axis first, of length {t.size}; got shape {values.shape}")
    level = float(check.as_array("level", level, ndim=0))
    flat = values.reshape(t.size, -1)
    above = flat >= level
    reached = above.any(axis=0)
    first = np.argmax(above, axis=0)
    before = np.maximum(first - 1, 0)
    columns = np.arange(flat.shape[1])
    v0, v1 = flat[before, columns], flat[first, columns]
    t0, t1 = t[before], t[first]
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing = np.where(first == 0, t[0], t0 + (level - v0) / (v1 - v0) * (t1 - t0))
    return np.where(reached, crossing, np.nan).reshape(values.shape[1:])


class TimeCalibration(NamedTuple):
    """The skill model's clock fitted to a trained network (:func:`fit_time_scale`).

    ``steps_per_time`` (kappa) converts gradient-flow time into optimiser steps, ``step = kappa * t``;
    ``theta0`` is the effective initial ``theta_k`` of every skill, for the target scale ``target_scale``.
    """

    steps_per_time: float
    theta0: float
    target_scale: float = 1.0

    def strength(self, steps, frequencies) -> np.ndarray:
        """Predicted skill strengths after ``steps`` optimiser steps (Eq. 9 with ``t = steps / kappa``)."""
        t = check.positive("steps", steps, allow_zero=True) / self.steps_per_time
        return skill_strength(t, frequencies, target_scale=self.target_scale, theta0=self.theta0)

    def emergence_steps(self, frequencies) -> np.ndarray:
        """Predicted step at which each skill reaches half strength, ``kappa`` times :func:`emergence_time`."""
        return self.steps_per_time * emergence_time(frequencies, target_scale=self.target_scale, theta0=self.theta0)


def fit_time_scale(steps, strengths, frequencies, *, target_scale=1.0, skills=None, window=(0.05, 0.95)):
    """Fit the skill model's two free constants to measured skill strengths: steps per unit time and ``theta0``.

    The skill model (Eq. 9 with ``E[x^2] -> p_k``) predicts ``R_k = 1 / (1 + (S/theta0 - 1) e^{-2 S p_k t})``,
    so its logit is a straight line in time, ``ln(R_k / (1 - R_k)) = 2 S p_k t - ln(S/theta0 - 1)``. A
    network is trained in optimiser steps, ``t = step / kappa``, and starts from an effective ``theta0``
    that nothing in it fixes. Both constants enter linearly, as ``1/kappa`` and ``ln(S/theta0 - 1)``: one
    least-squares fit of the logits of all chosen skills at once, over the points inside ``window``
    (where the logit is well measured).

    Parameters
    ----------
    steps : array_like, shape (T,)
        Recorded optimiser steps.
    strengths : array_like, shape (T, n_skills)
        Measured skill strengths (e.g. the mean over seeds of ``MLPTrajectory.skill_strength``).
    frequencies : array_like, shape (n_skills,)
        Skill frequencies ``p_k > 0``.
    target_scale : float
        Target scale ``S`` of the skill model.
    skills : sequence of int, optional
        Which skills to fit (default: all).
    window : (float, float)
        Strengths ``low < R < high`` that enter the fit, with ``0 < low < high < 1``.

    Returns
    -------
    TimeCalibration
        ``(steps_per_time, theta0, target_scale)``, with methods for the calibrated predictions.
    """
    s = check.as_array("steps", steps, ndim=1)
    R = check.as_array("strengths", strengths, ndim=2)
    p = _frequencies(frequencies)
    if R.shape != (s.size, p.size):
        raise ValueError(f"strengths must have shape (len(steps), n_skills) = {(s.size, p.size)}; got {R.shape}")
    S = check.positive_scalar("target_scale", target_scale)
    chosen = np.arange(p.size) if skills is None else np.unique(np.asarray(skills))
    if chosen.size == 0 or not np.issubdtype(chosen.dtype, np.integer) or chosen.min() < 0 or chosen.max() >= p.size:
        raise ValueError(f"skills must list skill indices in [0, {p.size}); got {check._describe(skills)}")
    low, high = _window(window)
    inside = (R > low) & (R < high)
    inside[:, np.setdiff1d(np.arange(p.size), chosen)] = False
    if inside.sum() < 2:
        raise ValueError(f"fit_time_scale needs at least 2 strengths inside window {window}; got {inside.sum()}")
    rows, cols = np.nonzero(inside)
    design = np.stack([2.0 * S * p[cols] * s[rows], -np.ones(rows.size)], axis=1)
    logit = np.log(R[rows, cols] / (1.0 - R[rows, cols]))
    (inverse_kappa, log_delay), *_ = np.linalg.lstsq(design, logit, rcond=None)
    if inverse_kappa <= 0:
        raise ValueError("the chosen strengths do not rise with the steps: no positive time scale fits them")
    return TimeCalibration(float(1.0 / inverse_kappa), float(S / (1.0 + np.exp(log_delay))), S)


def _window(window) -> tuple[float, float]:
    bounds = check.as_array("window", window, ndim=1)
    if bounds.shape != (2,) or not 0 < bounds[0] < bounds[1] < 1:
        raise ValueError(f"window must be two numbers 0 < low < high < 1; got {check._describe(window)}")
    return float(bounds[0]), float(bounds[1])


def fit_threshold(resource, strengths) -> float:
    """Threshold ``c`` of the step model ``R = 1[resource >= c]`` that best fits measured strengths.

    The resource laws of App. E treat a skill as learned or not, depending on whether its share of a
    resource passes a threshold: the number of training samples that ask for it (data; ``shots`` in
    :func:`skill_strength_in_data`), or the hidden units available to it (parameters). The fit minimises
    ``sum (R - 1[resource >= c])^2`` over all thresholds; the answer is the geometric mean of the two
    measured resource values it falls between.

    Parameters
    ----------
    resource : array_like
        Strictly positive resource of each measurement (e.g. samples of skill ``k`` in the training set).
    strengths : array_like
        Measured skill strength of each measurement, same shape.

    Returns
    -------
    float
        The fitted threshold; the smallest resource if every measurement counts as learned, ``inf`` if
        none does.
    """
    x = check.positive("resource", resource).ravel()
    R = check.as_array("strengths", strengths).ravel()
    if x.size != R.size or x.size == 0:
        raise ValueError(
            f"resource and strengths must be non-empty and of one size; got {np.size(resource)} and {np.size(strengths)}"
        )
    values, group = np.unique(x, return_inverse=True)
    miss = np.bincount(group, weights=R**2, minlength=values.size)  # cost if predicted 0
    hit = np.bincount(group, weights=(1.0 - R) ** 2, minlength=values.size)  # cost if predicted 1
    # Threshold at values[j]: groups below j predicted 0, from j on predicted 1; j = n: none learned.
    cost = np.concatenate([[0.0], np.cumsum(miss)]) + np.concatenate([np.cumsum(hit[::-1])[::-1], [0.0]])
    j = int(np.argmin(cost))
    if j == 0:
        return float(values[0])
    if j == values.size:
        return float("inf")
    return float(np.sqrt(values[j - 1] * values[j]))
