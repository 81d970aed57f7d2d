"""Reading emergence off recorded curves, and calibrating the skill model's constants to a trained network.

Book: chapter 2, "A two-layer network learns the same skills" (Sec. em-mlp): the clock of the skill model
in "Emergence in time", the thresholds of "Emergence in data" and "Emergence in parameters"; and
:func:`crossing_time` in "What sets the time of a stage" (Sec. em-half-rise).

A trained network is compared with the skill model (:mod:`labhelpers.emergence.skills`) through three
calibration helpers, one per resource: :func:`fit_time_scale` (optimiser steps per unit of gradient-flow
time, and the effective initial strength), and :func:`fit_threshold` for data (samples of a skill needed
to learn it: the ``shots`` of :func:`~labhelpers.emergence.skill_strength_in_data`) and for parameters
(hidden units needed per skill). :func:`crossing_time` reads emergence times off any recorded curve.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..core import validation as check
from .skills import _frequencies, emergence_time, skill_strength


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
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        crossing = np.where(first == 0, t[0], t0 + (level - v0) / (v1 - v0) * (t1 - t0))
        # Differences beyond the float range (values or times near +-1e308): interpolate from halved values.
        share = np.clip((level / 2 - v0 / 2) / (v1 / 2 - v0 / 2), 0.0, 1.0)
        overflowed = ~np.isfinite(v1 - v0) | ~np.isfinite(t1 - t0) | ~np.isfinite(crossing)
        crossing = np.where(overflowed, t0 * (1.0 - share) + t1 * share, crossing)
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
        kappa = check.positive_scalar("steps_per_time", self.steps_per_time)
        with np.errstate(over="ignore"):
            t = check.positive("steps", steps, allow_zero=True) / kappa
        if not np.all(np.isfinite(t)):
            raise ValueError(f"steps / steps_per_time overflows float64 for steps_per_time={kappa:.3g}")
        return skill_strength(t, frequencies, target_scale=self.target_scale, theta0=self.theta0)

    def emergence_steps(self, frequencies) -> np.ndarray:
        """Predicted step at which each skill reaches half strength, ``kappa`` times :func:`emergence_time`."""
        kappa = check.positive_scalar("steps_per_time", self.steps_per_time)
        with np.errstate(over="ignore"):
            steps = kappa * emergence_time(frequencies, target_scale=self.target_scale, theta0=self.theta0)
        if not np.all(np.isfinite(steps)):
            raise ValueError(f"the emergence steps overflow float64 for steps_per_time={kappa:.3g}")
        return steps


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
    try:
        chosen = np.arange(p.size) if skills is None else np.unique(np.asarray(skills))
    except (TypeError, ValueError) as error:  # ragged lists and the like
        raise ValueError(f"skills must list skill indices in [0, {p.size}); got {check._describe(skills)}") from error
    if chosen.size == 0 or not np.issubdtype(chosen.dtype, np.integer) or chosen.min() < 0 or chosen.max() >= p.size:
        raise ValueError(f"skills must list skill indices in [0, {p.size}); got {check._describe(skills)}")
    low, high = _window(window)
    inside = (R > low) & (R < high)
    inside[:, np.setdiff1d(np.arange(p.size), chosen)] = False
    if inside.sum() < 2:
        raise ValueError(f"fit_time_scale needs at least 2 strengths inside window {window}; got {inside.sum()}")
    rows, cols = np.nonzero(inside)
    rate_steps, shift = _rate_steps(S, p[cols], s[rows])
    design = np.stack([rate_steps, -np.ones(rows.size)], axis=1)
    logit = np.log(R[rows, cols] / (1.0 - R[rows, cols]))
    (slope, log_delay), *_ = np.linalg.lstsq(design, logit, rcond=None)
    if slope <= 0:
        raise ValueError(
            "strengths do not rise with steps at the rates 2 S p_k that target_scale and frequencies give: no "
            f"positive time scale fits them (target_scale={S:.3g}); check the three arguments together"
        )
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        kappa, theta0 = np.ldexp(1.0 / slope, shift), S / (1.0 + np.exp(log_delay))  # 1/kappa = slope 2^-shift
    if not (np.isfinite(kappa) and kappa >= np.finfo(float).tiny):
        raise ValueError(
            f"the fitted steps per unit time ({kappa:.3g}) leaves the normal float range: target_scale={S:.3g} "
            f"times frequencies (down to {p[cols].min():.3g}) times steps (up to {np.abs(s).max():.3g}) is "
            "too small or too large; rescale target_scale or frequencies"
        )
    if not 0.0 < theta0 < S:
        raise ValueError(
            f"the fit leaves the float range (steps per unit time {kappa:.3g}, theta0 {theta0:.3g}); "
            "rescale steps or check that the strengths rise"
        )
    return TimeCalibration(float(kappa), float(theta0), S)


def _rate_steps(S: float, p: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, int]:
    """``2 S p_k step`` (the logit's slope per unit of ``1/kappa``) as ``(values, shift)``: true values ``values 2^shift``.

    ``shift`` is 0, and the values the plain product, wherever that product is finite and not subnormal
    (the book's fits); otherwise the product is taken from mantissas and exponents apart, scaled by
    ``2^-shift`` to be near 1, so that a subnormal or huge ``target_scale`` or ``frequencies`` still fits.
    """
    tiny = np.finfo(float).tiny
    with np.errstate(over="ignore", under="ignore"):
        rate = 2.0 * S * p
        direct = rate * s  # 2 S p s, evaluated left to right as written
    plain = np.isfinite(direct) & (rate >= tiny) & ((np.abs(direct) >= tiny) | (s == 0))
    if np.all(plain):
        return direct, 0
    (mS, eS), (mp, ep), (ms, es) = np.frexp(S), np.frexp(p), np.frexp(s)
    mantissa, exponent = 2.0 * mS * mp * ms, eS + ep + es
    nonzero = mantissa != 0
    shift = int(np.max(exponent[nonzero])) if np.any(nonzero) else 0
    with np.errstate(under="ignore"):
        return np.ldexp(mantissa, exponent - shift), shift


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
    with np.errstate(over="ignore"):
        miss = np.bincount(group, weights=R**2, minlength=values.size)  # cost if predicted 0
        hit = np.bincount(group, weights=(1.0 - R) ** 2, minlength=values.size)  # cost if predicted 1
    # Threshold at values[j]: groups below j predicted 0, from j on predicted 1; j = n: none learned.
    cost = np.concatenate([[0.0], np.cumsum(miss)]) + np.concatenate([np.cumsum(hit[::-1])[::-1], [0.0]])
    if not np.all(np.isfinite(cost)):
        raise ValueError(f"strengths are too large to square in float64 (up to {np.abs(R).max():.3g})")
    j = int(np.argmin(cost))
    if j == 0:
        return float(values[0])
    if j == values.size:
        return float("inf")
    with np.errstate(over="ignore", under="ignore"):
        product = values[j - 1] * values[j]
    if np.isfinite(product) and product >= np.finfo(float).tiny:
        return float(np.sqrt(product))
    return float(np.sqrt(values[j - 1]) * np.sqrt(values[j]))  # the product left the float range
