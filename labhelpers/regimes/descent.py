"""Gradient descent on a stack of two-layer linear networks: the one step that every grid trainer takes.

Full-batch gradient descent on ``L = 1/(2n) ||X W1 W2 - Y/r||_F^2`` (Eq. 2 with the sample mean), each
network with its own *target divisor* ``r`` (``r = 1``: the targets as given):

``E = sigma_xy / r - sigma_xx W1 W2``,  ``W1 <- W1 + lr E W2^T``,  ``W2 <- W2 + lr W1^T E``

with ``sigma_xx = X^T X / n`` and ``sigma_xy = X^T Y / n`` (both layers updated from the same old weights).
This is exactly gradient descent on the samples, written through their second moments so that a step
costs the same for any ``n``. The step (``Descent.step``) works on numpy arrays or torch tensors, on one
network (``W1`` of shape ``(d, p)``) or a stack (``(G, d, p)``): the stacked step is four batched matrix
products and is exactly the step of each network on its own.

Used by the grids (:mod:`labhelpers.regimes.grid`: :func:`~labhelpers.regimes.train_grid`, stacked, and
:func:`~labhelpers.regimes.train_grid_loop`, one network at a time) and by the paths in time
(:mod:`labhelpers.regimes.paths`), all run on the training scaffold (:func:`~labhelpers.runs.train_loop`).
Here also the checks every trainer shares: the inputs (``problem``), the cost (``MAX_WORK``), the
divergence guard (``guard``) and the training loss (``training_loss``).

Book: chapter 4, Sec. "Mapping the regimes: the paper's Fig. 6" (``rg-fig6``) and Sec. "Funnels,
anti-funnels and a delayed rich regime" (``rg-funnel``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import validation as check
from ..core.divergence import DivergenceGuard
from ..runs.loop import Records, Throughput, train_loop

BACKENDS = ("torch", "numpy")
MAX_WORK = 1e13
"""Most multiply-adds a trainer takes on (steps x networks x per-step products); about 500 times the
paper's Fig. 6b grid, hours on a CPU. A larger request is refused up front instead of running for days."""


# ---------------------------------------------------------------------------- checks shared by the trainers
def problem(W1, W2, X, Y, target_divisor, steps, lr):
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
    """Refuse up front a run whose cost (multiply-adds) exceeds ``MAX_WORK``, or whose kernels cannot fit.

    One step of one network costs about ``d p c + d d c + d c p + d p c`` multiply-adds (the four products of
    the module docstring); the kernels of :func:`~labhelpers.regimes.ntk` hold ``(c n)^2`` numbers each.
    """
    networks = float(np.prod(grid, dtype=float))
    work = float(steps) * networks * _multiply_adds(d, p, c)
    if work > MAX_WORK:
        raise ValueError(
            f"steps={steps} on {networks:.0f} network(s) of widths ({d}, {p}, {c}) is about {work:.2g} "
            f"multiply-adds, more than this trainer takes on ({MAX_WORK:.0e}); use fewer steps or a coarser grid"
        )
    check.fits_in_memory("the tangent kernels of the grid (steps aside)", 3.0 * networks * (c * n) ** 2)


def _multiply_adds(d: int, p: int, c: int) -> float:
    """Multiply-adds of one step of one network (the four products of the module docstring)."""
    return 3.0 * d * p * c + d * d * c


def training_loss(W1, W2, X, Y, divisor):
    """``1/(2n) ||X W1 W2 - Y/r||_F^2`` for every network (leading dimensions of ``W1``, ``W2``, ``divisor``)."""
    residual = np.einsum("nd,...dp,...pc->...nc", X, W1, W2) - Y / divisor[..., None, None]
    return 0.5 * np.sum(residual**2, axis=(-2, -1)) / X.shape[0]


def diverged(lr, steps) -> ValueError:
    """The error for weights that overflowed without the guard noticing (it watches the residual)."""
    return ValueError(
        f"gradient descent diverged (weights overflowed) within {steps} steps at lr={lr}; lower lr "
        "(a stable step needs lr below about 2 n / the largest eigenvalue of the tangent kernel)"
    )


def guard(lr: float, divisor: np.ndarray, X: np.ndarray, Y: np.ndarray, W1: np.ndarray, W2) -> DivergenceGuard:
    """The divergence check of every grid trainer, quoting (by argument name) the sizes that set the curvature."""
    largest = {f"max|{name}|": float(np.abs(v).max()) for name, v in (("W1", W1), ("W2", W2), ("X", X), ("Y", Y))}
    return DivergenceGuard(
        "gradient descent on the grid of linear networks",
        lr=lr,
        **largest,
        **{"min target_divisor": float(divisor.min())},
    )


# ---------------------------------------------------------------------------- the step
@dataclass
class Descent:
    """The state of gradient descent on one network or a stack: weights ``A`` (``W1``), ``B`` (``W2``) and
    the moments ``sigma_xx``, ``sigma_xy`` (already divided by each network's target divisor), as numpy
    arrays or torch tensors. ``samples`` is the number of samples one step stands for (``n`` per network)."""

    A: Any
    B: Any
    sigma_xx: Any
    sigma_xy: Any
    lr: float
    guard: DivergenceGuard
    samples: int

    def step(self, unit: int) -> int:
        """Gradient step ``unit`` (1, 2, ...; the guard numbers it ``unit - 1``, from 0): the update of the
        module docstring. ``guard`` sees the largest squared entry of the residual ``E`` over the stack (the
        gradient of the loss in function space), so a diverging network stops at the step it blows up."""
        A, B = self.A, self.B
        E = self.sigma_xy - self.sigma_xx @ (A @ B)
        self.guard.check(unit - 1, float((E * E).max()))  # one number read back; NaN and inf propagate
        self.A, self.B = A + self.lr * (E @ B.swapaxes(-1, -2)), B + self.lr * (A.swapaxes(-1, -2) @ E)
        return self.samples

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        """The current weights as numpy arrays."""
        return numpy(self.A), numpy(self.B)


def numpy(a) -> np.ndarray:
    """A numpy array, or a torch tensor brought to the CPU as one."""
    return a if isinstance(a, np.ndarray) else a.cpu().numpy()


def flops_per_sample(d: int, p: int, c: int, n: int) -> float:
    """FLOPs of one step of one network (two per multiply-add) per sample it stands for (``n``)."""
    return 2.0 * _multiply_adds(d, p, c) / n


def stacked(W1, W2, X, Y, divisor, lr, backend: str, device, guard: DivergenceGuard) -> Descent:
    """The grid flattened into one stack ``(G, d, p)``, ``(G, p, c)``, with each network's own targets, on
    the backend (torch: float64 copies on ``device``)."""
    (d, p), c, n = W1.shape[-2:], W2.shape[-1], X.shape[0]
    with np.errstate(over="ignore"):  # a tiny divisor overflows the targets: the guard stops it at step 0
        targets = (X.T @ Y / n) / divisor.reshape(-1, 1, 1)  # each network's own targets, (G, d, c)
    arrays = (W1.reshape(-1, d, p), W2.reshape(-1, p, c), X.T @ X / n, targets)
    if backend == "torch":
        import torch

        arrays = tuple(torch.tensor(a, dtype=torch.float64, device=device) for a in arrays)  # copies
    return Descent(*arrays, lr=lr, guard=guard, samples=n * arrays[0].shape[0])


def run(
    descent: Descent,
    units: int,
    *,
    flops: float,
    desc: str,
    progress: bool,
    measure=None,
    recorded=(),
) -> tuple[Records, Throughput]:
    """``units`` steps of ``descent`` on the training scaffold (no autograd; overflow is left to the guard),
    measuring at unit 0 and ``recorded`` when ``measure`` is given."""
    no_grad = contextlib.nullcontext()
    if not isinstance(descent.A, np.ndarray):
        import torch

        no_grad = torch.no_grad()
    with no_grad, np.errstate(over="ignore", invalid="ignore"):  # divergence is reported by the guard
        return train_loop(
            units,
            descent.step,
            measure,
            recorded=recorded,
            measure_first=measure is not None,
            desc=desc,
            progress=progress,
            flops_per_sample=flops,
        )
