"""Maps of lazy and rich training: a whole grid of two-layer linear networks trained as one computation.

The paper's Fig. 6 colours a plane of initialisations by the kernel distance (Fort et al. 2020) between
the network's tangent kernel before and after training (:func:`~labhelpers.regimes.ntk`,
:func:`~labhelpers.regimes.kernel_distance`): near 0 the network stayed lazy, large means rich.

Training (both trainers). Full-batch gradient descent on ``L = 1/(2n) ||X W1 W2 - Y/r||_F^2`` (Eq. 2 with
the sample mean), each grid point with its own *target divisor* ``r`` (``r = 1``: the targets as given):

``E = sigma_xy / r - sigma_xx W1 W2``,  ``W1 <- W1 + lr E W2^T``,  ``W2 <- W2 + lr W1^T E``

with ``sigma_xx = X^T X / n`` and ``sigma_xy = X^T Y / n`` (both layers updated from the same old weights).
This is exactly gradient descent on the samples, written through their second moments so that a step
costs the same for any ``n``. :func:`train_grid` stacks the ``G`` networks (``W1`` of shape
``(G, d, p)``, ...) and makes every step four batched matrix products, in torch (float64, any device)
or numpy; :func:`train_grid_loop` takes the same steps one network at a time, for checking and
benchmarking.

The two grids of Fig. 6:

- :func:`lambda_scale_grid` (Fig. 6a): lambda-balanced starts (Eq. 14) over relative scale ``lambda`` and
  absolute scale ``a``;
- :func:`weight_to_target_grid` (Fig. 6b): zero-output symmetrised starts over a layer imbalance and the
  weight-to-target ratio (target downscaling).

:func:`train_path` takes the same steps but stops at recorded steps to follow each network's kernel
distance and loss in time (:class:`KernelPath`): when a network leaves the lazy regime, e.g. the delayed
transition of funnel networks (App. G, Fig. 10).

Speed on 2 shared CPU cores (float64, 4000 steps, ``n = 10``): the paper's Fig. 6a grid (40 x 40
networks, ``d = p = c = 2``) takes about 1.5 s with :func:`train_grid` (torch) against about 110 s with
:func:`train_grid_loop`; its Fig. 6b grid (40 x 40, ``d = p = 20``, ``c = 2``) is about 30 times more
arithmetic: use ``backend="numpy"`` on a CPU (torch's batched products of 20 x 20 matrices are slower
there), or torch on a GPU, or a coarser grid.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ..core import validation as check
from ..core.divergence import DivergenceError, DivergenceGuard
from .balanced import kernel_distance, ntk, random_lambda_balanced, symmetric_init

METHODS = ("batched", "loop")
BACKENDS = ("torch", "numpy")
MAX_WORK = 1e13
"""Most multiply-adds a trainer takes on (steps x networks x per-step products); about 500 times the
paper's Fig. 6b grid, hours on a CPU. A larger request is refused up front instead of running for days."""


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
    """

    kernel_distance: np.ndarray
    initial_loss: np.ndarray
    loss: np.ndarray
    initial: dict[str, np.ndarray]
    final: dict[str, np.ndarray]
    axes: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------- shared checks and measures
def _problem(W1, W2, X, Y, target_divisor, steps, lr):
    """Check the inputs of a trainer; return them as numpy arrays with the divisor broadcast to the grid."""
    W1 = check.as_array("W1", W1)
    W2 = check.as_array("W2", W2)
    if W1.ndim < 2 or W2.ndim < 2 or W1.shape[:-2] != W2.shape[:-2] or W1.shape[-1] != W2.shape[-2]:
        raise ValueError(
            "W1 and W2 must be stacks (*grid, d, p) and (*grid, p, c) with the same grid shape and hidden "
            f"width; got shapes {W1.shape} and {W2.shape}"
        )
    X, Y = check.samples(X, Y)
    if X.shape[1] != W1.shape[-2] or Y.shape[1] != W2.shape[-1]:
        raise ValueError(
            f"X and Y must have {W1.shape[-2]} and {W2.shape[-1]} columns (the widths of W1 and W2); "
            f"got shapes {X.shape} and {Y.shape}"
        )
    divisor = check.positive("target_divisor", target_divisor)
    grid = W1.shape[:-2]
    try:
        divisor = np.broadcast_to(divisor, grid)
    except ValueError as error:
        raise ValueError(
            f"target_divisor of shape {divisor.shape} must broadcast to the grid shape {grid} of W1 and W2"
        ) from error
    steps = check.positive_int("steps", steps)
    lr = check.positive_scalar("lr", lr)
    _affordable(steps, W1.shape[:-2], W1.shape[-2], W1.shape[-1], W2.shape[-1], X.shape[0])
    return W1, W2, X, Y, divisor, steps, lr


def _affordable(steps: int, grid: tuple[int, ...], d: int, p: int, c: int, n: int) -> None:
    """Refuse up front a run whose cost (multiply-adds) exceeds :data:`MAX_WORK`, or whose kernels cannot fit.

    One step of one network costs about ``d p c + d d c + d c p + d p c`` multiply-adds (the four products of
    the module docstring); the kernels of :func:`~labhelpers.regimes.ntk` hold ``(c n)^2`` numbers each.
    """
    networks = float(np.prod(grid, dtype=float))
    work = float(steps) * networks * (3.0 * d * p * c + d * d * c)
    if work > MAX_WORK:
        raise ValueError(
            f"steps={steps} on {networks:.0f} network(s) of widths ({d}, {p}, {c}) is about {work:.2g} "
            f"multiply-adds, more than this trainer takes on ({MAX_WORK:.0e}); use fewer steps or a coarser grid"
        )
    check.fits_in_memory("the tangent kernels of the grid (steps aside)", 3.0 * networks * (c * n) ** 2)


def _training_loss(W1, W2, X, Y, divisor):
    residual = np.einsum("nd,...dp,...pc->...nc", X, W1, W2) - Y / divisor[..., None, None]
    return 0.5 * np.sum(residual**2, axis=(-2, -1)) / X.shape[0]


def _diverged(lr, steps):
    return ValueError(
        f"gradient descent diverged (weights overflowed) within {steps} steps at lr={lr}; lower lr "
        "(a stable step needs lr below about 2 n / the largest eigenvalue of the tangent kernel)"
    )


def _result(W1, W2, final1, final2, X, Y, divisor, info) -> KernelGrid:
    if not (np.all(np.isfinite(final1)) and np.all(np.isfinite(final2))):
        raise _diverged(info["lr"], info["steps"])
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
        initial_loss=_training_loss(W1, W2, X, Y, divisor),
        loss=_training_loss(final1, final2, X, Y, divisor),
        initial={"W1": np.array(W1), "W2": np.array(W2)},
        final={"W1": final1, "W2": final2},
        info=info,
    )


# ---------------------------------------------------------------------------- trainers
def _descend(A, B, sigma_xx, sigma_xy, lr, steps, show, desc, guard=None, first_step=0):
    """``steps`` gradient steps (module docstring) on numpy arrays or torch tensors, stacked or not.

    ``guard`` (a ``labhelpers.core.DivergenceGuard``) sees every step the largest squared
    entry of the residual ``E`` over the stack (the gradient of the loss in function space): a diverging
    network is stopped at the step where it blows up, ``first_step`` numbering the steps of a resumed run.
    """
    for step in tqdm(range(first_step, first_step + steps), disable=not show, desc=desc):
        E = sigma_xy - sigma_xx @ (A @ B)
        if guard is not None:
            guard.check(step, float((E * E).max()))  # one number read back; NaN and inf propagate
        A, B = A + lr * (E @ B.swapaxes(-1, -2)), B + lr * (A.swapaxes(-1, -2) @ E)
    return A, B


def _guard(lr: float, divisor: np.ndarray, X: np.ndarray, Y: np.ndarray, W1: np.ndarray, W2) -> DivergenceGuard:
    """The divergence check of every grid trainer, quoting (by argument name) the sizes that set the curvature."""
    largest = {f"max|{name}|": float(np.abs(v).max()) for name, v in (("W1", W1), ("W2", W2), ("X", X), ("Y", Y))}
    return DivergenceGuard(
        "gradient descent on the grid of linear networks",
        lr=lr,
        **largest,
        **{"min target_divisor": float(divisor.min())},
    )


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
    W1, W2, X, Y, divisor, steps, lr = _problem(W1, W2, X, Y, target_divisor, steps, lr)
    check.one_of("backend", backend, BACKENDS)
    device = check.device("device", device) if backend == "torch" else device
    progress = check.optional_flag("progress", progress)
    guard = _guard(lr, divisor, X, Y, W1, W2)
    grid, (d, p), c = W1.shape[:-2], W1.shape[-2:], W2.shape[-1]
    n = X.shape[0]
    start = time.perf_counter()
    with np.errstate(over="ignore"):  # a tiny divisor overflows the targets: the guard stops it at step 0
        targets = (X.T @ Y / n) / divisor.reshape(-1, 1, 1)  # each network's own targets, (G, d, c)
    arrays = (W1.reshape(-1, d, p), W2.reshape(-1, p, c), X.T @ X / n, targets)
    show = steps >= 20_000 if progress is None else bool(progress)
    if backend == "torch":
        import torch

        tensors = [torch.tensor(a, dtype=torch.float64, device=device) for a in arrays]  # copies
        with torch.no_grad():
            A, B = _descend(*tensors, lr, steps, show, "grid", guard)
        A, B = A.cpu().numpy(), B.cpu().numpy()
    else:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported by the guard
            A, B = _descend(*arrays, lr, steps, show, "grid", guard)
    info = {
        "trainer": f"batched (stacked networks, {backend})",
        "device": str(device) if backend == "torch" else "cpu",
        "steps": steps,
        "lr": lr,
        "seconds": time.perf_counter() - start,
    }
    return _result(W1, W2, A.reshape(grid + (d, p)), B.reshape(grid + (p, c)), X, Y, divisor, info)


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
    W1, W2, X, Y, divisor, steps, lr = _problem(W1, W2, X, Y, target_divisor, steps, lr)
    progress = check.optional_flag("progress", progress)
    grid = W1.shape[:-2]
    n = X.shape[0]
    start = time.perf_counter()
    sigma_xx, sigma_xy = X.T @ X / n, X.T @ Y / n
    final1, final2 = np.empty_like(W1), np.empty_like(W2)
    show = steps * max(1, int(np.prod(grid))) >= 1_000_000 if progress is None else bool(progress)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported by _result
        for index in tqdm(np.ndindex(grid), total=int(np.prod(grid)), disable=not show, desc="grid (loop)"):
            guard = _guard(lr, divisor[index], X, Y, W1[index], W2[index])
            final1[index], final2[index] = _descend(
                W1[index], W2[index], sigma_xx, sigma_xy / divisor[index], lr, steps, False, "", guard
            )
    info = {"trainer": "loop (one network at a time, numpy)", "device": "cpu", "steps": steps, "lr": lr}
    info["seconds"] = time.perf_counter() - start
    return _result(W1, W2, final1, final2, X, Y, divisor, info)


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


# ---------------------------------------------------------------------------- the kernel along training
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
    """

    steps: np.ndarray
    times: np.ndarray
    kernel_distance: np.ndarray
    loss: np.ndarray
    params: dict[str, np.ndarray]
    info: dict[str, Any] = field(default_factory=dict)


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
    W1, W2, X, Y, divisor, steps, lr = _problem(W1, W2, X, Y, target_divisor, steps, lr)
    check.one_of("backend", backend, BACKENDS)
    device = check.device("device", device)
    progress = check.optional_flag("progress", progress)
    recorded = _record_steps(record_steps, steps, n_records)
    grid, (d, p), c = W1.shape[:-2], W1.shape[-2:], W2.shape[-1]
    networks = float(np.prod(grid, dtype=float))
    check.fits_in_memory(
        "the recorded weights and kernels", len(recorded) * networks * (d * p + p * c + 3 * (c * X.shape[0]) ** 2)
    )
    guard = _guard(lr, divisor, X, Y, W1, W2)
    n = X.shape[0]
    start = time.perf_counter()
    with np.errstate(over="ignore"):  # a tiny divisor overflows the targets: the guard stops it at step 0
        targets = (X.T @ Y / n) / divisor.reshape(-1, 1, 1)  # each network's own targets, (G, d, c)
    arrays = (W1.reshape(-1, d, p), W2.reshape(-1, p, c), X.T @ X / n, targets)
    show = steps >= 20_000 if progress is None else bool(progress)
    if backend == "torch":
        import torch

        A, B, sigma_xx, sigma_xy = (torch.tensor(a, dtype=torch.float64, device=device) for a in arrays)
    else:
        A, B, sigma_xx, sigma_xy = (np.array(a) for a in arrays)
    snapshots1, snapshots2 = [], []
    with np.errstate(over="ignore", invalid="ignore"):
        for k, (begin, end) in enumerate(tqdm(list(zip(recorded[:-1], recorded[1:])), disable=not show, desc="path")):
            if k == 0:
                snapshots1.append(A), snapshots2.append(B)
            span = (lr, int(end - begin), False, "", guard, int(begin))
            if backend == "torch":
                with torch.no_grad():
                    A, B = _descend(A, B, sigma_xx, sigma_xy, *span)
            else:
                A, B = _descend(A, B, sigma_xx, sigma_xy, *span)
            snapshots1.append(A), snapshots2.append(B)
    if backend == "torch":
        snapshots1 = [s.cpu().numpy() for s in snapshots1]
        snapshots2 = [s.cpu().numpy() for s in snapshots2]
    path1 = np.stack(snapshots1).reshape((len(recorded),) + grid + (d, p))
    path2 = np.stack(snapshots2).reshape((len(recorded),) + grid + (p, c))
    if not (np.all(np.isfinite(path1)) and np.all(np.isfinite(path2))):
        raise _diverged(lr, steps)
    K = ntk(path1, path2, X)
    if np.any(np.linalg.norm(K[0], axis=(-2, -1)) == 0):
        raise ValueError(
            "a network starts with a zero tangent kernel (X W1 and W2 both zero, or X too small): "
            "the kernel distance is undefined there; start from nonzero weights W1, W2 and inputs X"
        )
    info = {
        "trainer": f"path (stacked networks, {backend})",
        "device": str(device) if backend == "torch" else "cpu",
        "steps": steps,
        "lr": lr,
        "seconds": time.perf_counter() - start,
    }
    return KernelPath(
        steps=recorded,
        times=recorded * lr,
        kernel_distance=kernel_distance(K[:1], K),
        loss=_training_loss(path1, path2, X, Y, divisor),
        params={"W1": path1, "W2": path2},
        info=info,
    )
