"""What the emergence explorer draws (Sec. 4.3-4.4): the skill model for a grid of exponents and initial scales.

:func:`emergence_curves` computes the curves that :func:`~labhelpers.widgets.emergence_explorer` only draws
(the compute / display split), from the closed forms of the skill model.

Book: chapter 2 (emergence), "Interactive view" (Sec. 4.3-4.4, Eq. 11).
"""

from __future__ import annotations

import numpy as np

from ..core import validation as check
from ..core.explore import MAX_TIMES, _grid_axis, _moderate_scalar
from . import emergence_time, loss_in_time, power_law_frequencies, scaling_exponents, skill_strength

#: The most skills an explorer sums the loss over.
MAX_SKILLS = 1_000_000


def emergence_curves(
    alphas=(0.25, 0.5, 1.0, 2.0),
    initial_scales=(1e-1, 1e-2, 1e-3, 1e-5),
    *,
    n_shown: int = 6,
    n_skills: int = 10_000,
    target_scale: float = 1.0,
    n_times: int = 241,
) -> dict:
    """Everything :func:`~labhelpers.widgets.emergence_explorer` draws: the skill model (Eq. 11), every (alpha, theta0).

    Closed forms only: the strengths ``R_k(t)`` of the ``n_shown`` most frequent skills
    (:func:`~labhelpers.emergence.skill_strength`) and the loss of all ``n_skills`` skills
    (:func:`~labhelpers.emergence.loss_in_time`), for power-law frequencies
    ``p_k ∝ k^-(alpha+1)`` (:func:`~labhelpers.emergence.power_law_frequencies`), on one logarithmic time
    axis shared by every combination.

    Parameters
    ----------
    alphas : sequence of float
        Exponents ``alpha > 0`` of the skill frequencies.
    initial_scales : sequence of float
        Initial ``theta0`` of every skill, each in ``(0, S/2)``.
    n_shown : int
        Number of skills whose strengths are drawn, at most ``n_skills``.
    n_skills : int
        Number of skills of the problem (the loss sums over all of them).
    target_scale : float
        Target scale ``S > 0``.
    n_times : int
        Number of times, log-spaced from well before the first emergence to well after the last shown.

    Returns
    -------
    dict
        ``times`` (T,); ``strengths`` (T, n_alphas, n_scales, n_shown); ``loss`` (T, n_alphas,
        n_scales); ``emergence`` (n_alphas, n_scales, n_shown) half-strength times; ``exponents``
        (n_alphas,) the predicted ``-alpha/(alpha+1)``; the grid as ``alphas`` and ``initial_scales``;
        ``n_shown``, ``n_skills`` and ``target_scale``.
    """
    S = _moderate_scalar("target_scale", target_scale)
    alpha, theta0 = _emergence_grid(alphas, initial_scales, S)
    n_skills = check.positive_int("n_skills", n_skills, maximum=MAX_SKILLS)
    n_shown = check.positive_int("n_shown", n_shown)
    if n_shown > n_skills:
        raise ValueError(f"n_shown must be at most n_skills={n_skills}; got {n_shown}")
    n_times = check.positive_int("n_times", n_times, minimum=2, maximum=MAX_TIMES)
    check.fits_in_memory("n_times x alphas x initial_scales x n_shown", n_times * alpha.size * theta0.size * n_shown)

    frequencies = _shown_frequencies(alpha, n_skills, n_shown)
    emergence = np.array(
        [[emergence_time(p[:n_shown], target_scale=S, theta0=t0) for t0 in theta0] for p in frequencies]
    )
    times = _emergence_time_axis(emergence, n_times)
    strengths, loss = _skill_curves(times, frequencies, theta0, S, n_shown)
    return {
        "times": times,
        "strengths": strengths,
        "loss": loss,
        "emergence": emergence,
        "exponents": np.atleast_1d(scaling_exponents(alpha).time),
        "alphas": alpha,
        "initial_scales": theta0,
        "n_shown": n_shown,
        "n_skills": n_skills,
        "target_scale": S,
    }


def _emergence_grid(alphas, initial_scales, S: float) -> tuple[np.ndarray, np.ndarray]:
    """The checked slider values: exponents ``alpha > 0`` and initial scales ``theta0`` in ``(0, S/2)``."""
    alpha = _grid_axis("alphas", alphas)
    if np.any(alpha <= 0):
        raise ValueError(
            "alphas must be strictly positive (p_k ∝ k^-(alpha+1); the drawn slope -alpha/(alpha+1) is a law for "
            f"alpha > 0 only, see scaling_exponents); got {alpha.tolist()}"
        )
    theta0 = _grid_axis("initial_scales", initial_scales)
    if np.any(theta0 <= 0) or np.any(theta0 >= S / 2):
        raise ValueError(
            f"initial_scales must lie strictly between 0 and target_scale/2 = {S / 2:g} (skills that rise "
            f"from small); got {theta0.tolist()}"
        )
    return alpha, theta0


def _shown_frequencies(alpha: np.ndarray, n_skills: int, n_shown: int) -> list[np.ndarray]:
    """The skill frequencies for each ``alpha``, refusing one so steep that a shown skill never emerges."""
    frequencies = [power_law_frequencies(n_skills, a) for a in alpha]
    for a, p in zip(alpha, frequencies):
        if p[n_shown - 1] == 0:
            raise ValueError(
                f"alphas holds {a:g}, so steep that skill {n_shown} of n_shown has frequency 0 (below 1e-308): it "
                "would never emerge; use smaller alphas or fewer n_shown"
            )
    return frequencies


def _emergence_time_axis(emergence: np.ndarray, n_times: int) -> np.ndarray:
    """Log-spaced times from 1/5 of the first emergence to 5 times the last, refusing an axis past 1e308."""
    with np.errstate(over="ignore"):
        times = np.geomspace(0.2 * emergence.min(), 5.0 * emergence.max(), n_times)
    if not np.all(np.isfinite(times)):
        raise ValueError(
            f"the time axis reaches beyond 1e308: the last shown skill emerges at {emergence.max():.3g}; use "
            "smaller alphas, larger initial_scales or target_scale, or fewer n_shown"
        )
    return times


def _skill_curves(times, frequencies, theta0: np.ndarray, S: float, n_shown: int) -> tuple[np.ndarray, np.ndarray]:
    """Strengths of the shown skills (T, n_alphas, n_scales, n_shown) and the loss of all (T, n_alphas, n_scales)."""
    strengths = np.empty((times.size, len(frequencies), theta0.size, n_shown))
    loss = np.empty((times.size, len(frequencies), theta0.size))
    for i, p in enumerate(frequencies):
        for j, t0 in enumerate(theta0):
            strengths[:, i, j] = skill_strength(times[:, None], p[:n_shown], target_scale=S, theta0=t0)
            loss[:, i, j] = loss_in_time(times, p, target_scale=S, theta0=t0)
    return strengths, loss
