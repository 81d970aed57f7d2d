"""The tangent kernel along training: when a network leaves the lazy regime.

:func:`train_path` trains a grid of two-layer linear networks with the gradient steps of the grids
(:mod:`labhelpers.regimes.descent`, as :func:`~labhelpers.regimes.train_grid`), but stops at recorded steps
to follow each network's kernel distance from its start (:func:`~labhelpers.regimes.ntk`,
:func:`~labhelpers.regimes.kernel_distance`) and its loss in time (:class:`KernelPath`): e.g. the delayed
transition of funnel networks (App. G, Fig. 10), which :meth:`KernelPath.first_time` dates.

Book: chapter 4, Sec. "Funnels, anti-funnels and a delayed rich regime" (``rg-funnel``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import validation as check
from ..runs.loop import Throughput, show_progress
from . import descent as gd
from .descent import BACKENDS
from .kernels import kernel_distance, ntk


@dataclass
class KernelPath:
    """Record of a grid of two-layer linear networks during training; time is the first axis.

    - ``steps``, shape ``(T,)``: the gradient steps at which the record was taken (0 = initialisation).
    - ``times``, shape ``(T,)``: ``steps * lr``, the gradient-flow time the steps approximate.
    - ``kernel_distance``, shape ``(T, *grid)``: distance of each network's tangent kernel on the
      training inputs from its kernel at initialisation (0 at the first record).
    - ``loss``, shape ``(T, *grid)``: training loss ``1/(2n) ||X W1 W2 - Y/r||_F^2``.
    - ``params``: ``{"W1": (T, *grid, d, p), "W2": (T, *grid, p, c)}``, the weights at every record.
    - ``info``: trainer, backend, steps, lr and wall time in seconds.
    - ``throughput``: samples per second (and GFLOP/s) of the training steps alone
      (:class:`~labhelpers.runs.Throughput`); ``None`` for a path not trained here.
    """

    steps: np.ndarray
    times: np.ndarray
    kernel_distance: np.ndarray
    loss: np.ndarray
    params: dict[str, np.ndarray]
    info: dict[str, Any] = field(default_factory=dict)
    throughput: Throughput | None = None

    def first_time(self, k, level: float) -> float:
        """The first recorded time at which the kernel distance of network ``k`` exceeds ``level``.

        ``k`` picks one network of the grid (an int for a 1-D grid, a tuple of ints for more dimensions);
        the answer is the first entry of ``times`` at which ``kernel_distance[:, k] > level``, so it is
        only as fine as the record schedule. Returns ``nan`` when the distance never exceeds ``level``
        within the recorded times (the network stayed that lazy).
        """
        level = check.scalar("level", level)
        try:
            series = np.asarray(self.kernel_distance)[(slice(None),) + np.index_exp[k]]
        except (IndexError, TypeError):  # out of range, or not an integer index
            series = None
        if series is None or series.ndim != 1:
            raise ValueError(
                f"k must pick one network of the grid of shape {np.shape(self.kernel_distance)[1:]}; "
                f"got {check._describe(k)}"
            )
        above = series > level
        return float(self.times[np.argmax(above)]) if above.any() else float("nan")


def _record_steps(record_steps, steps: int, n_records: int) -> np.ndarray:
    if record_steps is None:
        n_records = check.positive_int("n_records", n_records, minimum=2)
        check.fits_in_memory("the record schedule (n_records)", 3.0 * n_records)
        grid = np.unique(np.round(np.geomspace(1, steps, n_records - 1)).astype(int))
        return np.concatenate([[0], grid])
    recorded = check.as_array("record_steps", record_steps, ndim=1)
    if (
        recorded.size < 2
        or recorded[0] != 0
        or np.any(np.diff(recorded) <= 0)
        or np.any(recorded != np.round(recorded))
        or recorded[-1] > steps
    ):
        raise ValueError(
            f"record_steps must be increasing integers from 0 to at most steps={steps}, at least two of them; "
            f"got {check._describe(recorded)}"
        )
    return recorded.astype(int)


def train_path(
    W1,
    W2,
    X,
    Y,
    *,
    steps: int = 4000,
    lr: float = 0.01,
    target_divisor=1.0,
    record_steps=None,
    n_records: int = 60,
    backend: str = "numpy",
    device="cpu",
    progress: bool | None = None,
) -> KernelPath:
    """Train a grid of two-layer linear networks at once and follow their tangent kernels in time.

    Paper: Fig. 10.

    The gradient steps of :func:`train_grid` (module docstring), stopped at the recorded steps to
    measure every network's kernel distance from its start (:func:`~labhelpers.regimes.ntk`,
    :func:`~labhelpers.regimes.kernel_distance`) and its loss. Use it to see *when* a network leaves
    the lazy regime, e.g. the delayed transition of funnel networks (App. G).

    Parameters
    ----------
    W1, W2, X, Y, steps, lr, target_divisor, backend, device, progress
        As in :func:`train_grid` (here ``backend`` defaults to ``"numpy"``, the faster on a CPU for the
        small grids this is meant for).
    record_steps : array_like of int, optional
        Steps at which to record, increasing, starting at 0, at most ``steps``. Default: 0 and
        ``n_records - 1`` log-spaced steps from 1 to ``steps`` (duplicates removed), which resolves
        both fast and slow phases.
    n_records : int
        Number of records of the default schedule (at least 2).

    Returns
    -------
    KernelPath
        Kernel distances and losses of shape ``(T, *grid)`` and the weights at every record.
    """
    W1, W2, X, Y, divisor, steps, lr = gd.problem(W1, W2, X, Y, target_divisor, steps, lr)
    check.one_of("backend", backend, BACKENDS)
    device = check.device("device", device)
    progress = check.optional_flag("progress", progress)
    recorded = _record_steps(record_steps, steps, n_records)
    _records_fit(recorded, W1, W2, X)
    guard = gd.guard(lr, divisor, X, Y, W1, W2)
    start = time.perf_counter()
    descent = gd.stacked(W1, W2, X, Y, divisor, lr, backend, device, guard)
    flops = gd.flops_per_sample(*W1.shape[-2:], W2.shape[-1], X.shape[0])
    path, throughput = _follow(descent, recorded, W1.shape[:-2], show_progress(progress, steps >= 20_000), flops)
    if not (np.all(np.isfinite(path["W1"])) and np.all(np.isfinite(path["W2"]))):
        raise gd.diverged(lr, steps)
    K = _kernels(path, X)
    device = str(device) if backend == "torch" else "cpu"
    info = {"trainer": f"path (stacked networks, {backend})", "device": device, "steps": steps, "lr": lr}
    info["seconds"] = time.perf_counter() - start
    return KernelPath(
        steps=recorded,
        times=recorded * lr,
        kernel_distance=kernel_distance(K[:1], K),
        loss=gd.training_loss(path["W1"], path["W2"], X, Y, divisor),
        params=path,
        info=info,
        throughput=throughput,
    )


def _records_fit(recorded: np.ndarray, W1: np.ndarray, W2: np.ndarray, X: np.ndarray) -> None:
    """Refuse a record schedule whose weights and kernels cannot fit in memory."""
    grid, (d, p), c = W1.shape[:-2], W1.shape[-2:], W2.shape[-1]
    networks = float(np.prod(grid, dtype=float))
    check.fits_in_memory(
        "the recorded weights and kernels", len(recorded) * networks * (d * p + p * c + 3 * (c * X.shape[0]) ** 2)
    )


def _follow(descent: gd.Descent, recorded: np.ndarray, grid, show: bool, flops: float):
    """Step ``descent`` up to the last recorded step; return the weights ``(T, *grid, ...)`` at every record
    and the :class:`~labhelpers.runs.Throughput`."""

    def snapshot(unit: int) -> dict[str, Any]:
        return {"W1": descent.A, "W2": descent.B}

    records, throughput = gd.run(
        descent,
        int(recorded[-1]),
        flops=flops,
        desc="path",
        progress=show,
        measure=snapshot,
        recorded=recorded[1:],
    )
    path = {}
    for name, values in records.values.items():
        stack = np.stack([gd.numpy(v) for v in values])
        path[name] = stack.reshape((len(recorded),) + grid + stack.shape[-2:])
    return path, throughput


def _kernels(path: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """The tangent kernels along the path, refusing a network that starts with a zero kernel."""
    K = ntk(path["W1"], path["W2"], X)
    if np.any(np.linalg.norm(K[0], axis=(-2, -1)) == 0):
        raise ValueError(
            "a network starts with a zero tangent kernel (X W1 and W2 both zero, or X too small): "
            "the kernel distance is undefined there; start from nonzero weights W1, W2 and inputs X"
        )
    return K
