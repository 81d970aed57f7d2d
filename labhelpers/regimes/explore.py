"""What the regimes explorer draws (Sec. 6, App. G): modes and kernel distance of lambda-balanced networks.

:func:`regimes_curves` computes the curves that :func:`~labhelpers.widgets.regimes_explorer` only draws (the
compute / display split), from the closed forms of a square lambda-balanced network.

Book: chapter 4 (lazy and rich regimes), "Interactive view" (Sec. 6, Eq. 14 and Eq. 69).
"""

from __future__ import annotations

import numpy as np

from ..core import validation as check
from ..core.explore import MAX_TIMES, _grid_axis, _moderate
from . import aligned_kernel_distance, lambda_mode


def regimes_curves(
    lams=(0.0, 0.25, 1.0, 4.0, 16.0),
    initial_scales=(1e-3, 1e-2, 1e-1, 0.5),
    *,
    target_scales=(3.0, 2.0, 1.0),
    n_times: int = 241,
) -> dict:
    """Everything :func:`~labhelpers.widgets.regimes_explorer` draws: a lambda-balanced network's modes and kernel.

    Closed forms only, for a square network (``d = p = c = m``, the number of target scales) on whitened
    inputs, started aligned with the task (:func:`~labhelpers.regimes.lambda_balanced`) with every mode
    at ``theta0``: the modes ``theta_k(t)`` (:func:`~labhelpers.regimes.lambda_mode`, Eq. 69) and the
    kernel distance from the start (:func:`~labhelpers.regimes.aligned_kernel_distance`), on one
    logarithmic time axis shared by every combination (from well before the fastest rise to after the
    slowest mode is within 1% of its target).

    Parameters
    ----------
    lams : sequence of float
        Relative scales ``lambda`` (Eq. 14). For a square network only ``|lambda|`` matters.
    initial_scales : sequence of float
        Initial strength ``theta0 > 0`` of every mode (the absolute scale).
    target_scales : sequence of float
        Singular values ``s_k > 0`` of the task, one per mode (at most 6).
    n_times : int
        Number of log-spaced times.

    Returns
    -------
    dict
        ``times`` (T,); ``theta`` (T, n_lams, n_scales, m); ``kernel_distance`` (T, n_lams, n_scales);
        ``lazy`` (T, n_lams, n_scales, m), the lazy limit ``s + (theta0 - s) exp(-|lambda| t)``; the grid as
        ``lams`` and ``initial_scales``; ``target_scales``.
    """
    lam = _grid_axis("lams", lams)
    theta0 = _grid_axis("initial_scales", initial_scales)
    if np.any(theta0 <= 0):
        raise ValueError(
            f"initial_scales must be strictly positive (a balanced mode at 0 never moves); got {theta0.tolist()}"
        )
    s = _moderate("target_scales", check.positive("target_scales", target_scales))
    if s.ndim != 1 or not 1 <= s.size <= 6:
        raise ValueError(f"target_scales must list 1 to 6 singular values (one per mode); got {check._describe(s)}")
    n_times = check.positive_int("n_times", n_times, minimum=2, maximum=MAX_TIMES)
    m = s.size
    fastest = np.sqrt(lam.max() ** 2 + 4 * max(s.max(), theta0.max()) ** 2)
    trial = np.geomspace(1e-3 / fastest, 1e4, 2000)[:, None, None, None]
    fraction = lambda_mode(trial, s, theta0[:, None], lam[:, None, None]) / s
    settled = np.all(np.abs(fraction - 1.0) <= 0.01, axis=(1, 2, 3))
    if not np.any(settled):
        raise ValueError(
            "some mode does not come within 1% of its target by t = 1e4: raise the smallest of initial_scales "
            f"({theta0.min():g}) or of target_scales ({s.min():g})"
        )
    times = np.geomspace(0.05 / fastest, 1.5 * trial[np.argmax(settled), 0, 0, 0], n_times)
    t = times[:, None, None, None]
    theta = lambda_mode(t, s, theta0[:, None], lam[:, None, None])  # (T, L, S, m)
    distance = aligned_kernel_distance(theta, np.broadcast_to(theta0[:, None], (theta0.size, m)), lam[:, None], m, m)
    lazy = s + (theta0[:, None] - s) * np.exp(-np.abs(lam)[:, None, None] * t)
    return {
        "times": times,
        "theta": theta,
        "kernel_distance": distance,
        "lazy": lazy,
        "lams": lam,
        "initial_scales": theta0,
        "target_scales": s,
    }
