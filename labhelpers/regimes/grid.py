"""Maps of lazy and rich training: a whole grid of two-layer linear networks trained as one computation.

The paper's Fig. 6 colours a plane of initialisations by the kernel distance (Fort et al. 2020) between
the network's tangent kernel before and after training (:func:`~labhelpers.regimes.ntk`,
:func:`~labhelpers.regimes.kernel_distance`): near 0 the network stayed lazy, large means rich.

Training (both trainers): full-batch gradient descent on ``L = 1/(2n) ||X W1 W2 - Y/r||_F^2``, each grid
point with its own *target divisor* ``r``, through the second moments of the samples (the step of
:mod:`labhelpers.regimes.descent`). :func:`train_grid` stacks the ``G`` networks (``W1`` of shape
``(G, d, p)``, ...) and makes every step four batched matrix products, in torch (float64, any device)
or numpy; :func:`train_grid_loop` takes the same steps one network at a time, for checking and
benchmarking. Both run on the training scaffold (:func:`~labhelpers.runs.train_loop`) and report its
:class:`~labhelpers.runs.Throughput`.

The two grids of Fig. 6:

- :func:`lambda_scale_grid` (Fig. 6a): lambda-balanced starts (Eq. 14) over relative scale ``lambda`` and
  absolute scale ``a``;
- :func:`weight_to_target_grid` (Fig. 6b): zero-output symmetrised starts over a layer imbalance and the
  weight-to-target ratio (target downscaling).

:func:`~labhelpers.regimes.train_path` (:mod:`labhelpers.regimes.paths`) takes the same steps but stops at
recorded steps to follow each network's kernel distance and loss in time.

Speed on 2 shared CPU cores (float64, 4000 steps, ``n = 10``): the paper's Fig. 6a grid (40 x 40
networks, ``d = p = c = 2``) takes about 1.5 s with :func:`train_grid` (torch) against about 110 s with
:func:`train_grid_loop`; its Fig. 6b grid (40 x 40, ``d = p = 20``, ``c = 2``) is about 30 times more
arithmetic: use ``backend="numpy"`` on a CPU (torch's batched products of 20 x 20 matrices are slower
there), or torch on a GPU, or a coarser grid.

Book: chapter 4, Sec. "Mapping the regimes: the paper's Fig. 6" (``rg-fig6``) and its part "One computation
instead of a loop".
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import validation as check
from ..core.divergence import DivergenceError
from ..runs.loop import Throughput, show_progress, train_loop
from . import descent as gd
from .balanced import random_lambda_balanced, symmetric_init
from .descent import BACKENDS
from .kernels import kernel_distance, ntk

METHODS = ("batched", "loop")


@dataclass
class KernelGrid:
    """Result of training a grid of two-layer linear networks; every array has the grid's shape first.

    - ``kernel_distance``, shape ``grid``: :func:`~labhelpers.regimes.kernel_distance` between the tangent
      kernels on the training inputs at initialisation and after the last step.
    - ``initial_loss``, ``loss``, shape ``grid``: training loss ``1/(2n) ||X W1 W2 - Y/r||_F^2`` (on the
      point's own, possibly downscaled, targets) before the first and after the last step.
    - ``initial``, ``final``: dicts ``{"W1": (*grid, d, p), "W2": (*grid, p, c)}`` of the weights.
    - ``axes``: the grid's axes by name, in order (e.g. ``{"lam": ..., "scale": ...}``); empty for a
      grid given as stacked weights.
    - ``info``: how it was produced (trainer, steps, lr, device, wall time in seconds, ...).
    - ``throughput``: samples per second (and GFLOP/s) of the training steps alone
      (:class:`~labhelpers.runs.Throughput`); ``None`` for a grid not trained here.
    """

    kernel_distance: np.ndarray
    initial_loss: np.ndarray
    loss: np.ndarray
    initial: dict[str, np.ndarray]
    final: dict[str, np.ndarray]
    axes: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    throughput: Throughput | None = None


# ---------------------------------------------------------------------------- the result
def _result(W1, W2, final1, final2, X, Y, divisor, info, throughput: Throughput) -> KernelGrid:
    if not (np.all(np.isfinite(final1)) and np.all(np.isfinite(final2))):
        raise gd.diverged(info["lr"], info["steps"])
    K0 = ntk(W1, W2, X)
    silent = np.linalg.norm(K0, axis=(-2, -1)) == 0
    if np.any(silent):
        raise ValueError(
            f"{int(silent.sum())} grid point(s) start with a zero tangent kernel (X W1 and W2 both zero, e.g. "
            "lam = 0 with theta0 = 0, or X too small): the kernel distance is undefined there; start from "
            "nonzero weights W1, W2 and inputs X"
        )
    distance = kernel_distance(K0, ntk(final1, final2, X))
    return KernelGrid(
        kernel_distance=distance,
        initial_loss=gd.training_loss(W1, W2, X, Y, divisor),
        loss=gd.training_loss(final1, final2, X, Y, divisor),
        initial={"W1": np.array(W1), "W2": np.array(W2)},
        final={"W1": final1, "W2": final2},
        info=info,
        throughput=throughput,
    )


def _info(trainer: str, device, steps: int, lr: float, start: float) -> dict[str, Any]:
    return {"trainer": trainer, "device": device, "steps": steps, "lr": lr, "seconds": time.perf_counter() - start}


# ---------------------------------------------------------------------------- trainers
def train_grid(
    W1,
    W2,
    X,
    Y,
    *,
    steps: int = 4000,
    lr: float = 0.01,
    target_divisor=1.0,
    backend: str = "torch",
    device="cpu",
    progress: bool | None = None,
) -> KernelGrid:
    """Train a grid of two-layer linear networks at once and measure how far each tangent kernel moved.

    Every network follows full-batch gradient descent on its own targets ``Y / target_divisor`` (module
    docstring). The networks are stacked along one axis and every step is four batched matrix products;
    the stacked update is exactly the update of each network, so the result equals
    :func:`train_grid_loop` up to rounding.

    Parameters
    ----------
    W1 : array_like, shape ``(*grid, d, p)``
        First layers at initialisation, one per grid point (any number of grid dimensions).
    W2 : array_like, shape ``(*grid, p, c)``
        Second layers at initialisation.
    X : array_like, shape ``(n, d)``
        Training inputs, shared by all networks.
    Y : array_like, shape ``(n, c)`` or ``(n,)``
        Training targets, shared by all networks before division.
    steps : int
        Number of gradient steps.
    lr : float
        Step size.
    target_divisor : float or array_like
        Strictly positive; broadcasts to the grid shape. Point ``g`` trains on ``Y / target_divisor[g]``
        (target downscaling, Sec. 7).
    backend : {"torch", "numpy"}
        ``"torch"`` (default) computes in float64 on ``device``; ``"numpy"`` does the same arithmetic
        with numpy. On a CPU torch is the faster for tiny networks (Fig. 6a, ``d = p = c = 2``) and numpy
        for wider ones (Fig. 6b, ``d = p = 20``); on a GPU use torch.
    device : str or torch.device
        Torch device (default CPU); ignored by the numpy backend.
    progress : bool, optional
        Show a progress bar (default: for 20 000 steps or more).

    Returns
    -------
    KernelGrid
        Kernel distances and losses of shape ``grid``, the initial and final weights, and ``info``.
    """
    W1, W2, X, Y, divisor, steps, lr = gd.problem(W1, W2, X, Y, target_divisor, steps, lr)
    check.one_of("backend", backend, BACKENDS)
    device = check.device("device", device) if backend == "torch" else device
    progress = check.optional_flag("progress", progress)
    guard = gd.guard(lr, divisor, X, Y, W1, W2)
    grid, (d, p), c = W1.shape[:-2], W1.shape[-2:], W2.shape[-1]
    start = time.perf_counter()
    descent = gd.stacked(W1, W2, X, Y, divisor, lr, backend, device, guard)
    show = show_progress(progress, steps >= 20_000)
    _, throughput = gd.run(descent, steps, flops=gd.flops_per_sample(d, p, c, X.shape[0]), desc="grid", progress=show)
    A, B = descent.weights()
    device = str(device) if backend == "torch" else "cpu"
    info = _info(f"batched (stacked networks, {backend})", device, steps, lr, start)
    return _result(W1, W2, A.reshape(grid + (d, p)), B.reshape(grid + (p, c)), X, Y, divisor, info, throughput)


def train_grid_loop(
    W1,
    W2,
    X,
    Y,
    *,
    steps: int = 4000,
    lr: float = 0.01,
    target_divisor=1.0,
    progress: bool | None = None,
) -> KernelGrid:
    """:func:`train_grid` one network at a time (numpy, CPU): the reference for checks and benchmarks.

    The same steps in a Python loop over grid points, each network with plain 2-D matrix products.
    Parameters and result as in :func:`train_grid` (there is no ``backend`` or ``device``).
    """
    W1, W2, X, Y, divisor, steps, lr = gd.problem(W1, W2, X, Y, target_divisor, steps, lr)
    progress = check.optional_flag("progress", progress)
    grid, (d, p), c = W1.shape[:-2], W1.shape[-2:], W2.shape[-1]
    n = X.shape[0]
    start = time.perf_counter()
    sigma_xx, sigma_xy = X.T @ X / n, X.T @ Y / n
    final1, final2 = np.empty_like(W1), np.empty_like(W2)
    points = list(np.ndindex(grid))

    def train_network(unit: int) -> int:  # grid point unit - 1, all its steps
        index = points[unit - 1]
        guard = gd.guard(lr, divisor[index], X, Y, W1[index], W2[index])
        descent = gd.Descent(W1[index], W2[index], sigma_xx, sigma_xy / divisor[index], lr, guard, samples=n)
        for step in range(1, steps + 1):
            descent.step(step)
        final1[index], final2[index] = descent.A, descent.B
        return steps * n

    show = show_progress(progress, steps * max(1, len(points)) >= 1_000_000)
    flops = gd.flops_per_sample(d, p, c, n)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported by the guard and _result
        _, throughput = train_loop(
            len(points), train_network, desc="grid (loop)", progress=show, flops_per_sample=flops
        )
    info = _info("loop (one network at a time, numpy)", "cpu", steps, lr, start)
    return _result(W1, W2, final1, final2, X, Y, divisor, info, throughput)


def _train(method, backend, params, X, Y, divisor, steps, lr, device, progress, origin: str) -> KernelGrid:
    """Train a grid built from the arguments named in ``origin``, which a divergence message then names."""
    check.one_of("method", method, METHODS)
    W1, W2 = params["W1"], params["W2"]
    common = dict(steps=steps, lr=lr, target_divisor=divisor, progress=progress)
    try:
        if method == "batched":
            return train_grid(W1, W2, X, Y, backend=backend, device=device, **common)
        return train_grid_loop(W1, W2, X, Y, **common)
    except DivergenceError as error:
        raise DivergenceError(f"{error}. The weights W1 and W2 were built from {origin}") from error


def _nonzero_start(params: dict[str, np.ndarray], X: np.ndarray, origin: str) -> None:
    """Refuse a grid in which some network starts with a zero tangent kernel, naming what built it."""
    try:
        K0 = ntk(params["W1"], params["W2"], X)
    except ValueError as error:  # the kernel overflows
        raise ValueError(f"{error}; the weights W1 and W2 were built from {origin}") from error
    silent = np.linalg.norm(K0, axis=(-2, -1)) == 0
    if np.any(silent):
        raise ValueError(
            f"{int(silent.sum())} grid point(s) start with a zero tangent kernel (X W1 and W2 both zero): the "
            f"kernel distance is undefined there; check {origin}, and X"
        )


# ---------------------------------------------------------------------------- the two grids of Fig. 6
def _axis(name: str, values) -> np.ndarray:
    axis = check.as_array(name, values, ndim=1)
    if axis.size == 0:
        raise ValueError(f"{name} must list at least one value; got an empty array")
    return axis


def lambda_scale_grid(
    lams,
    scales,
    X,
    Y,
    *,
    target_divisor=1.0,
    hidden_dim: int | None = None,
    steps: int = 4000,
    lr: float = 0.01,
    seed: int = 0,
    method: str = "batched",
    backend: str = "torch",
    device="cpu",
    progress: bool | None = None,
) -> KernelGrid:
    """Kernel distance over relative scale ``lambda`` and absolute scale (the paper's Fig. 6a).

    Paper: Fig. 6(a).

    Grid point ``(i, j)`` starts from :func:`~labhelpers.regimes.random_lambda_balanced` with
    ``lam = lams[i]`` and every mode at strength ``theta0 = scales[j]`` (all singular values of ``W1 W2``),
    the random frames shared by the whole grid, and trains on ``Y / target_divisor``.

    The code behind the paper's Fig. 6a (adapted from Dominé et al. 2024) uses ``d = p = c = 2``,
    ``n = 10`` whitened inputs and standard normal targets, ``lr = 0.01``, 4000 steps,
    ``lams = linspace(-9, 9, 40)`` (the sign of Eq. 14 used here) and an absolute scale
    ``a = linspace(1, 20, 40)`` that sets both ``theta0 = sqrt(a)`` and a target divisor ``a``: call
    ``lambda_scale_grid(lams, np.sqrt(a), X, Y, target_divisor=a)``. In a square network with all modes
    equal the initial kernel is ``(sigma1^2 + sigma2^2) I_c (x) X X^T`` whatever ``theta0``, so the
    distance measures how anisotropic training makes the kernel.

    Parameters
    ----------
    lams : array_like, shape ``(L,)``
        Relative scales ``lambda`` (Eq. 14).
    scales : array_like, shape ``(S,)``
        Initial mode strengths ``theta0`` (>= 0).
    X : array_like, shape ``(n, d)``
        Training inputs.
    Y : array_like, shape ``(n, c)``
        Training targets.
    target_divisor : float or array_like
        Broadcasts to ``(L, S)``: point ``(i, j)`` trains on ``Y / target_divisor[i, j]``; a 1-D array of
        length ``S`` divides along the scale axis.
    hidden_dim : int, optional
        Hidden width ``p`` (default ``min(d, c)``); see :func:`~labhelpers.regimes.random_lambda_balanced`
        for which ``lams`` other widths allow.
    steps, lr : int, float
        Gradient descent steps and step size.
    seed : int
        Seed of the random frames.
    method : {"batched", "loop"}
        :func:`train_grid` (default) or :func:`train_grid_loop` (same numbers, for benchmarks).
    backend : {"torch", "numpy"}
        Backend of the batched trainer (see :func:`train_grid`).
    device : str or torch.device
        Torch device of the batched trainer.
    progress : bool, optional
        Show a progress bar.

    Returns
    -------
    KernelGrid
        Arrays of shape ``(L, S)``; ``axes = {"lam": lams, "scale": scales}``.
    """
    lams, scales = _axis("lams", lams), _axis("scales", scales)
    X, Y = check.samples(X, Y)
    d, c = X.shape[1], Y.shape[1]
    p = min(d, c) if hidden_dim is None else check.positive_int("hidden_dim", hidden_dim)
    check.positive("scales", scales, allow_zero=True)
    try:
        params = random_lambda_balanced(lams[:, None], scales[None, :, None], d, p, c, seed=seed)
    except ValueError as error:  # its lam is an entry of lams, its theta0 one of scales
        raise ValueError(f"lams and scales give no lambda-balanced start: {error}") from error
    _nonzero_start(params, X, "lams and scales (e.g. lam = 0 with a zero or subnormal scale)")
    result = _train(method, backend, params, X, Y, target_divisor, steps, lr, device, progress, "lams and scales")
    result.axes = {"lam": lams, "scale": scales}
    return result


def weight_to_target_grid(
    lams,
    ratios,
    X,
    Y,
    *,
    hidden_dim: int,
    init_scale: float = 0.1,
    steps: int = 4000,
    lr: float = 0.01,
    seed: int = 0,
    method: str = "batched",
    backend: str = "torch",
    device="cpu",
    progress: bool | None = None,
) -> KernelGrid:
    """Kernel distance over layer imbalance and weight-to-target ratio, from ``f = 0`` (the paper's Fig. 6b).

    Paper: Fig. 6(b).

    Grid point ``(i, j)`` starts from :func:`~labhelpers.regimes.symmetric_init` with ``lam = lams[i]``
    and base standard deviation ``init_scale`` (the network outputs exactly 0, whatever ``lam``), and
    trains on the downscaled targets ``Y / ratios[j]``. The weights keep their size while the targets
    shrink, so the weight-to-target ratio grows in proportion to ``ratios[j]`` (Sec. 7: target
    downscaling, a route to the lazy regime).

    The paper's Fig. 6b uses ``d = 20``, ``p = 20``, ``c = 2``, ``n = 10`` standard normal (not whitened)
    inputs and targets, ``init_scale = 0.1``, ``lams = linspace(-0.5, 0.5, 40)`` (opposite sign convention),
    ``ratios = linspace(0.1, 50, 40)``, ``lr = 0.01`` and 4000 steps.

    Parameters
    ----------
    lams : array_like, shape ``(L,)``
        Layer imbalances of :func:`~labhelpers.regimes.symmetric_init`.
    ratios : array_like, shape ``(R,)``
        Target divisors, > 0 (proportional to the weight-to-target ratio).
    X : array_like, shape ``(n, d)``
        Training inputs.
    Y : array_like, shape ``(n, c)``
        Training targets before downscaling.
    hidden_dim : int
        Hidden width ``p`` (even).
    init_scale : float
        Base standard deviation of the weights.
    steps, lr, seed, method, backend, device, progress
        As in :func:`lambda_scale_grid`; ``backend="numpy"`` is the faster on a CPU at the paper's sizes.

    Returns
    -------
    KernelGrid
        Arrays of shape ``(L, R)``; ``axes = {"lam": lams, "ratio": ratios}``.
    """
    lams, ratios = _axis("lams", lams), _axis("ratios", ratios)
    check.positive("ratios", ratios)
    init_scale = check.positive_scalar("init_scale", init_scale)
    X, Y = check.samples(X, Y)
    params = symmetric_init(lams[:, None], X.shape[1], hidden_dim, Y.shape[1], scale=init_scale, seed=seed)
    params = {
        name: np.broadcast_to(value, (len(lams), len(ratios)) + value.shape[-2:]) for name, value in params.items()
    }
    _nonzero_start(params, X, "lams and init_scale")
    origin = "lams and init_scale, and the target divisor is ratios"
    result = _train(method, backend, params, X, Y, ratios[None, :], steps, lr, device, progress, origin)
    result.axes = {"lam": lams, "ratio": ratios}
    return result
