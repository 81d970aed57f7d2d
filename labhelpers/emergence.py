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

Skills are indexed from 0 as in :mod:`labhelpers.parity`. Every closed form is vectorised numpy; sums
over skills are taken in chunks of the other axis so that a million skills fit in memory.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

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


def _miss_probability(D: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``(1 - p)^D``, the chance that ``D`` independent samples all miss a skill of frequency ``p``."""
    certain = p >= 1.0
    log_miss = np.log1p(-np.where(certain, 0.0, p))
    return np.where(certain, (D == 0).astype(float), np.exp(D * log_miss))


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


def skill_strength_in_data(n_samples, frequencies) -> np.ndarray:
    """Expected strength of each skill after training to convergence on ``n_samples`` samples (App. E, Eq. 60).

    Assumption (Nam et al. 2024a): a skill is learned (``R_k = 1``) iff at least one of the training
    samples asks for it, and not at all otherwise. With ``D`` independent samples the probability of
    that is ``1 - (1 - p_k)^D``, the expected ``R_k``. Because each ``R_k`` is 0 or 1, the expected loss is
    ``S^2/2 sum_k p_k (1 - E[R_k])`` (:func:`loss_in_data`), not ``skill_loss`` of the expected strengths.
    For one given training set, use its empirical frequencies in :func:`skill_strength` instead.

    Parameters
    ----------
    n_samples : array_like
        Training-set sizes ``D >= 0``; broadcast against ``frequencies`` (``D[:, None]`` for a table).
    frequencies : array_like
        Skill frequencies ``p_k`` in ``[0, 1]``.

    Returns
    -------
    numpy.ndarray
        ``1 - (1 - p_k)^D`` in the broadcast shape.
    """
    D, p = check.broadcastable(n_samples=n_samples, frequencies=frequencies)
    check.positive("n_samples", D, allow_zero=True)
    _probabilities("frequencies", p)
    certain = p >= 1.0
    # -expm1 keeps full precision for rare skills, where 1 - (1 - p)^D ≈ D p is tiny.
    return np.where(certain, (D > 0).astype(float), -np.expm1(D * np.log1p(-np.where(certain, 0.0, p))))


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


def loss_in_data(n_samples, frequencies, *, target_scale=1.0) -> np.ndarray:
    """Expected loss after training to convergence on ``D`` samples: ``S^2/2 sum_k p_k (1 - p_k)^D`` (App. E).

    Under the assumption of :func:`skill_strength_in_data` (a skill is learned iff it appears). Scales as
    ``D^(-alpha/(alpha+1))``.

    Parameters
    ----------
    n_samples : array_like
        Training-set sizes ``D >= 0``, any shape.
    frequencies : array_like, shape (n_skills,)
        Skill frequencies ``p_k``.
    target_scale : float
        Target scale ``S > 0``.

    Returns
    -------
    numpy.ndarray
        The loss for each ``D``, shape of ``n_samples``.
    """
    D = check.positive("n_samples", n_samples, allow_zero=True)
    p = _frequencies(frequencies, allow_zero=True)
    S = check.positive_scalar("target_scale", target_scale)
    return _sum_over_skills(D, p, lambda d_, p_: 0.5 * S**2 * p_ * _miss_probability(d_, p_))


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
        skills sit at their fixed point for a long time while rare ones rise, and there an explicit solver
        at its stability limit lets errors of ~1e-5 (relative) build up at rtol 1e-10; at 1e-12 they stay
        below 1e-6.

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
    )
    trajectory.info["model"] = f"skill model (Eq. 11), {n_skills} skills, theta0={theta0}"
    return trajectory
