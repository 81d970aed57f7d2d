"""Scaling laws of the skill model: the loss in time, data and parameters, its exponents, and power-law fits.

Book: chapter 2, "Scaling laws" (Sec. em-scaling), with the resource laws of App. E (Nam et al. 2024a;
Michaud et al. 2023).

With the skill strengths of :mod:`labhelpers.emergence.skills`, the loss of the skill model
``L = S^2/2 sum_k p_k (1 - R_k)^2`` becomes, limiting one resource at a time:

- time ``T`` (infinite data and parameters): ``R_k(T)`` from Eq. 9, ``L(T) ~ T^(-alpha/(alpha+1))``;
- data ``D`` (infinite time): skill ``k`` is learned iff it appears in the training set at least once
  (App. E, Eq. 60), so ``E[L(D)] = S^2/2 sum_k p_k (1 - p_k)^D ~ D^(-alpha/(alpha+1))``;
- parameters ``N`` (only the first ``N`` skills in the model, infinite time):
  ``L(N) = S^2/2 sum_{k >= N} p_k ~ N^(-alpha)`` (0-based ``k``: the skills beyond the first ``N``).

:func:`scaling_exponents` gives the predicted exponents, :func:`fit_power_law` measures them. Sums over
skills are taken in chunks of the other axis so that a million skills fit in memory.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import betainc

from ..core import validation as check
from .skills import _counts, _frequencies, _shots, _strength_arguments, _strength_gap

_CHUNK_ENTRIES = 2**22  # entries of a (grid chunk, skills) block: ~32 MB in float64
_MAX_TERMS = 1e10  # (grid point, skill) terms one loss call may sum: a minute or two of CPU


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


def _sum_over_skills(name: str, grid: np.ndarray, p: np.ndarray, term) -> np.ndarray:
    """``sum_k term(grid[..., None], p)`` over the skill axis, in chunks of the flattened grid.

    Costs ``grid.size x p.size`` terms; beyond ``_MAX_TERMS`` the call is refused up front, naming ``name``.
    """
    if float(grid.size) * p.size > _MAX_TERMS:
        raise ValueError(
            f"{name} has {grid.size} points and frequencies {p.size} skills: {float(grid.size) * p.size:.3g} "
            f"terms, beyond the {_MAX_TERMS:.0e} one call sums (minutes of CPU); use fewer points or skills"
        )
    flat = grid.ravel()
    out = np.empty(flat.shape)
    step = max(1, _CHUNK_ENTRIES // p.size)
    for start in range(0, flat.size, step):
        out[start : start + step] = term(flat[start : start + step, None], p).sum(axis=1)
    return out.reshape(grid.shape)


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
    _strength_arguments(0.0, p[:1], S, theta0)  # validates theta0 against S once
    S, theta0 = np.float64(S), np.float64(theta0)  # numpy scalars: S**2 overflows to inf, not OverflowError
    with np.errstate(over="ignore", invalid="ignore"):
        loss = _sum_over_skills("t", T, p, lambda t_, p_: 0.5 * S**2 * p_ * _strength_gap(t_, p_, S, theta0)[1] ** 2)
    return _finite_loss(loss, S)


def _finite_loss(loss: np.ndarray, S) -> np.ndarray:
    """The loss, or a clear error where ``S^2/2`` times it leaves the float range."""
    if not np.all(np.isfinite(loss)):
        raise ValueError(
            f"the loss S^2/2 sum_k p_k (...) overflows float64 for target_scale={check._describe(S)}; "
            "use a smaller target_scale (the loss scales as its square)"
        )
    return loss


def loss_in_data(n_samples, frequencies, *, target_scale=1.0, shots=1) -> np.ndarray:
    """Expected loss after training to convergence on ``D`` samples: ``S^2/2 sum_k p_k (1 - p_k)^D`` (App. E).

    Paper: Eq. 60.

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
    S = np.float64(check.positive_scalar("target_scale", target_scale))
    shots = _shots(shots)
    with np.errstate(over="ignore", invalid="ignore"):
        loss = _sum_over_skills("n_samples", D, p, lambda d_, p_: 0.5 * S**2 * p_ * _miss_probability(d_, p_, shots))
    return _finite_loss(loss, S)


def loss_in_parameters(n_skills, frequencies, *, target_scale=1.0) -> np.ndarray:
    """Loss after training to convergence with only the first ``N`` skills: ``S^2/2 sum_{k >= N} p_k`` (App. E).

    Paper: Eq. 60.

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
    S = np.float64(check.positive_scalar("target_scale", target_scale))
    if np.any(N > p.size):
        raise ValueError(f"n_skills must be at most the number of skills {p.size}; got {check._describe(N)}")
    tails = np.append(np.cumsum(p[::-1])[::-1], 0.0)  # tails[N] = sum_{k >= N} p_k
    with np.errstate(over="ignore", invalid="ignore"):
        return _finite_loss(0.5 * S**2 * tails[N.astype(int)], S)


# ---------------------------------------------------------------------------- exponents
class ResourceExponents(NamedTuple):
    """Predicted exponents of the loss in each resource, ``L ~ resource^exponent`` (App. E)."""

    time: np.ndarray | float
    data: np.ndarray | float
    parameters: np.ndarray | float


def scaling_exponents(alpha) -> ResourceExponents:
    """Exponents of the resource laws, App. E (the book's Eq. em-resource-laws).

    For skill frequencies ``p_k ∝ k^-(alpha+1)`` the loss falls as
    ``T^(-alpha/(alpha+1))`` in time, as ``D^(-alpha/(alpha+1))`` in data and as
    ``N^(-alpha)`` in the number of skills (Michaud et al. 2023; Nam et al. 2024a).
    Broadcasts over ``alpha > 0`` and returns floats for a scalar ``alpha``.
    ``alpha = 0`` is refused: the laws come from sums over infinitely many skills,
    which converge only for ``alpha > 0``.
    """
    a = check.as_array("alpha", alpha)
    if np.any(a <= 0):
        raise ValueError(
            "alpha must be strictly positive: p_k ∝ k^-(alpha+1) sums to a finite "
            "total over infinitely many skills only for alpha > 0, and the resource "
            f"laws need that limit; got {check._describe(alpha)}"
        )
    time_data = -a / (a + 1.0)
    if a.ndim == 0:
        return ResourceExponents(float(time_data), float(time_data), float(-a))
    return ResourceExponents(time_data, time_data.copy(), -a)


class PowerLawFit(NamedTuple):
    """A fitted power law ``y = prefactor * x^slope``; call it to evaluate the fitted line."""

    slope: float
    prefactor: float

    def __call__(self, x) -> np.ndarray:
        x = check.positive("x", x)
        with np.errstate(over="ignore", under="ignore"):
            y = self.prefactor * x**self.slope
        if not np.all(np.isfinite(y)):
            raise ValueError(f"the fitted power law overflows float64 at x={check._describe(x)}")
        return y


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
        raise ValueError(
            f"x must hold at least 2 distinct values (in x_range, if given) to fit a line; got {x.size} points, "
            f"{np.unique(x).size} distinct"
        )
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("x and y must be strictly positive in the fitted range (their logs are fitted)")
    slope, intercept = np.polyfit(np.log(x), np.log(y), 1)
    if not (np.isfinite(slope) and -709.0 < intercept < 709.0):
        raise ValueError(f"the fitted prefactor e^{intercept:.4g} leaves the float range; rescale x or y")
    return PowerLawFit(float(slope), float(np.exp(intercept)))
