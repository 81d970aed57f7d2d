"""What the collapse explorer draws (Sec. 5.2): unconstrained feature models trained from several scales.

:func:`collapse_curves` trains the runs and measures what :func:`~labhelpers.widgets.collapse_explorer` only
draws (the compute / display split): NC1 over time and the features in the plane of the class means.

Book: chapter 3 (neural collapse), "Interactive view" (Sec. 5.2, Eq. 13 and Eq. 65).
"""

from __future__ import annotations

import re

import numpy as np

from ..core import validation as check
from ..core.explore import MAX_TIMES, _grid_axis
from . import class_plane, nc1, train_ufm


def collapse_curves(
    init_scales=(1e-3, 1e-2, 0.1, 0.5),
    snapshot_times=(0.0, 0.25, 0.5, 1.0, 2.0, 8.0),
    *,
    n_classes: int = 3,
    n_per_class: int = 10,
    feature_dim: int = 8,
    n_times: int = 321,
    seed: int = 0,
) -> dict:
    """Everything :func:`~labhelpers.widgets.collapse_explorer` draws: UFMs trained from several scales.

    For each initial scale ``sigma``, :func:`~labhelpers.collapse.train_ufm` (no bias, gradient flow) trains
    the features ``H`` and classifier ``W`` of ``C`` balanced classes on one-hot targets from the same random
    directions (seed ``seed``) times ``sigma``, on one time grid ``0 .. max(snapshot_times)``. Recorded: NC1 of
    the features over time (Eq. 65) and, at each snapshot time, the features in the plane of the final
    centred class means (:func:`~labhelpers.collapse.class_plane`, each snapshot rescaled to unit size).

    Parameters
    ----------
    init_scales : sequence of float
        Initial scales ``sigma > 0`` (slider values).
    snapshot_times : sequence of float
        Times ``t >= 0`` of the snapshots (slider values), increasing; the last sets the training time.
    n_classes, n_per_class, feature_dim : int
        ``C >= 2``, ``n >= 1``, ``D >= C`` (and ``D >= 2``).
    n_times : int
        Number of times on the shared grid of the NC1 curves (snapshots are taken at the nearest).
    seed : int
        Seed of the random initial directions.

    Returns
    -------
    dict
        ``times`` (T,); ``nc1`` (T, S); ``coords`` (S, K, N, 2); ``labels`` (N,); ``init_scales`` (S,);
        ``snapshot_times`` (K,), the grid times actually shown; ``snapshot_index`` (K,) into ``times``.
    """
    scales = _grid_axis("init_scales", init_scales)
    if np.any(scales <= 0):
        raise ValueError(f"init_scales must be strictly positive (a zero start never moves); got {scales.tolist()}")
    wanted = _grid_axis("snapshot_times", snapshot_times)
    if np.any(wanted < 0) or np.any(np.diff(wanted) <= 0) or wanted[-1] <= 0:
        raise ValueError(f"snapshot_times must be non-negative and increasing, ending after 0; got {wanted.tolist()}")
    n_times = check.positive_int("n_times", n_times, minimum=2, maximum=MAX_TIMES)
    C = check.positive_int("n_classes", n_classes, minimum=2)
    n = check.positive_int("n_per_class", n_per_class)
    D = check.positive_int("feature_dim", feature_dim)
    check.fits_in_memory(
        "init_scales x n_times x n_classes x n_per_class x feature_dim (the recorded features)",
        float(scales.size) * n_times * C * n * D,
    )
    shared = {"t_max": float(wanted[-1]), "n_times": n_times, "seed": check.seed("seed", seed)}
    runs = [_ufm_run(C, n, D, float(sigma), shared) for sigma in scales]
    times, labels = runs[0].times, runs[0].info["labels"]
    index = np.abs(times[:, None] - wanted[None, :]).argmin(axis=0)
    H = np.stack([run.params["H"] for run in runs])  # (S, T, N, D)
    coords = np.stack([class_plane(h[index], labels, reference=h[-1]) for h in H])
    return {
        "times": times,
        "nc1": np.asarray(nc1(H, labels)).T,
        "coords": coords,
        "labels": labels,
        "init_scales": scales,
        "snapshot_times": times[index],
        "snapshot_index": index,
    }


def _ufm_run(C: int, n: int, D: int, sigma: float, shared: dict):
    """One :func:`~labhelpers.collapse.train_ufm` run; its refusal of a scale or a span told in the explorer's terms."""
    try:
        return train_ufm(C, n, D, init_scale=sigma, **shared)
    except ValueError as error:
        text = str(error)
        if re.search(r"\binit_scale\b", text):
            raise ValueError(f"init_scales holds {sigma:g}, which train_ufm refuses: {text}") from error
        if re.search(r"\bt_max\b", text):
            raise ValueError(
                f"snapshot_times ends at {shared['t_max']:g}, a span that train_ufm (t_max) cannot cover from the "
                f"init_scales entry {sigma:g} (its cost grows with the span and the scale squared): {text}"
            ) from error
        raise
