"""Two-layer networks with a ReLU hidden layer: which layer learns decides whether features move (Sec. 6.2).

The network, with ``p`` hidden units, input weights ``w_j`` (the columns of ``W1``, shape (d, p)) and
readout weights ``a_j``:

``f(x) = sum_j a_j phi(w_j . x)``,  ``phi(z) = max(z, 0)`` (``activation="relu"``) or ``phi(z) = z``
(``activation="linear"``, the layerwise linear reference with the same parameters).

Trained on ``L = 1/(2n) sum_i (f(x_i) - y_i)^2`` (Eq. 2 with the sample mean). Because ``phi`` is positively
homogeneous (``phi(c z) = c phi(z)`` for ``c > 0``), gradient flow conserves one number per hidden unit,

``a_j^2 - ||w_j||^2``   (the unit's *imbalance*; Du et al. 2018),

the diagonal of the matrix ``W2 W2^T - W1^T W1`` of Eq. 8. :func:`neuron_balanced` starts every unit
with the same imbalance ``lam``: ``lam > 0`` makes the readout heavier (an *upstream* initialisation in
the sense of Kunin et al. 2024: learning is pushed into the first layer), ``lam < 0`` the first layer
heavier (*downstream*: learning is pushed into the readout).

The empirical tangent kernel (:func:`relu_ntk`) on samples ``x, x'`` is

``K(x, x') = sum_j phi(w_j . x) phi(w_j . x') + sum_j a_j^2 phi'(w_j . x) phi'(w_j . x') x . x'``,

the readout's gradient (first sum) plus the first layer's (second sum). For the linear reference the
second sum is ``(sum_j a_j^2) x . x'`` whatever the first layer does; with a ReLU the switches
``phi'(w_j . x)`` depend on the directions of the ``w_j``, so a first layer that turns changes the kernel.

:func:`train_two_layer` trains a batch of such networks (any leading dimensions, e.g. one per ``lam``) as
one computation, with full-batch gradient descent, and records the loss, the kernel distance from the
start (:func:`~labhelpers.regimes.kernel_distance`) and how far each layer moved; it runs on the training
scaffold (:func:`~labhelpers.runs.train_loop`) and reports its :class:`~labhelpers.runs.Throughput`.

Book: chapter 4, Sec. "Why it matters for non-linear networks" (``rg-relu``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import validation as check
from ..core.divergence import DivergenceGuard
from ..core.feedback import layers_from_product
from ..runs.loop import Throughput, train_loop
from .kernels import kernel_distance

ACTIVATIONS = ("relu", "linear")
MAX_WORK = 1e13
"""Most multiply-adds :func:`train_two_layer` takes on (steps x networks x ``3 n d p``); larger runs are refused."""


# ---------------------------------------------------------------------------- initialisation
def neuron_balanced(lam, theta0, input_dim: int, width: int, *, seed: int = 0) -> dict[str, np.ndarray]:
    """Every hidden unit with imbalance ``a_j^2 - ||w_j||^2 = lam`` and product ``|a_j| ||w_j|| = theta0``.

    Directions ``w_j / ||w_j||`` are uniform on the sphere and the readout signs ``a_j / |a_j|`` are
    random ±1, both drawn once and shared by the whole batch, so that a sweep over ``lam`` changes only
    the split of each unit's size between its two layers. The sizes come from
    :func:`~labhelpers.core.layers_from_product`: ``|a_j|^2 = (sqrt(lam^2 + 4 theta0^2) + lam)/2`` and
    ``||w_j||^2 = (sqrt(lam^2 + 4 theta0^2) - lam)/2``.

    Parameters
    ----------
    lam : float or array_like
        The imbalance of every unit; an array gives a batch (leading dimensions of the result).
        ``lam > 0``: heavier readout (upstream); ``lam < 0``: heavier first layer (downstream).
    theta0 : float or array_like
        The product ``|a_j| ||w_j||`` of every unit, > 0; broadcasts against ``lam``.
    input_dim, width : int
        Input dimension ``d`` and number of hidden units ``p``.
    seed : int
        Seed of the directions and signs.

    Returns
    -------
    dict
        ``{"W1": (..., d, p), "a": (..., p)}``.
    """
    d = check.positive_int("input_dim", input_dim)
    p = check.positive_int("width", width)
    lam, theta0 = check.broadcastable(lam=lam, theta0=theta0)
    check.positive("theta0", theta0)
    rng = check.rng("seed", seed)
    check.fits_in_memory(f"the batch of weights (input_dim={d}, width={p})", 3.0 * lam.size * (d + 1.0) * p)
    directions = rng.standard_normal((d, p))
    directions /= np.linalg.norm(directions, axis=0)
    signs = rng.choice(np.array([-1.0, 1.0]), size=p)
    readout, first = layers_from_product(theta0, lam)  # readout^2 - first^2 = lam
    return {"W1": first[..., None, None] * directions, "a": readout[..., None] * signs}


def neuron_imbalance(W1, a) -> np.ndarray:
    """The conserved imbalance ``a_j^2 - ||w_j||^2`` of every hidden unit, shape ``(..., p)``."""
    W1, a = _layers(W1, a)
    with np.errstate(over="ignore", invalid="ignore"):
        imbalance = a**2 - np.sum(W1**2, axis=-2)
    if not np.all(np.isfinite(imbalance)):
        raise ValueError("the imbalance a^2 - |w|^2 overflows the float range (weights above 1e154): rescale W1 and a")
    return imbalance


# ---------------------------------------------------------------------------- network and kernel
def _layers(W1, a) -> tuple[np.ndarray, np.ndarray]:
    W1 = check.as_array("W1", W1)
    a = check.as_array("a", a)
    if W1.ndim < 2 or a.ndim < 1 or W1.shape[-1] != a.shape[-1]:
        raise ValueError(
            f"W1 (..., d, p) and a (..., p) must share the number of hidden units p; got shapes {W1.shape} and {a.shape}"
        )
    check.batch_dims_broadcast("W1", W1, 2, "a", a, 1)
    return W1, a


def _inputs(X, W1) -> np.ndarray:
    X = check.as_array("X", X, ndim=2)
    if X.shape[1] != W1.shape[-2]:
        raise ValueError(f"X must have {W1.shape[-2]} columns (the input dimension of W1); got shape {X.shape}")
    return X


def _phi(Z: np.ndarray, activation: str) -> tuple[np.ndarray, np.ndarray]:
    """The activation and its derivative (the ReLU's switch, 1 at z > 0) on pre-activations ``Z``."""
    if activation == "relu":
        return np.maximum(Z, 0.0), (Z > 0).astype(float)
    return Z, np.ones_like(Z)


def outputs(W1, a, X, *, activation: str = "relu") -> np.ndarray:
    """Network outputs ``f(x_i) = sum_j a_j phi(w_j . x_i)``, shape ``(..., n)``."""
    W1, a = _layers(W1, a)
    X = _inputs(X, W1)
    check.one_of("activation", activation, ACTIVATIONS)
    with np.errstate(over="ignore", invalid="ignore"):
        hidden, _ = _phi(X @ W1, activation)
        f = np.einsum("...np,...p->...n", hidden, a)
    if not np.all(np.isfinite(f)):
        raise ValueError("the outputs overflow the float range (|a| |X W1| above 1e308): rescale W1, a or X")
    return f


def relu_ntk(W1, a, X, *, activation: str = "relu") -> np.ndarray:
    """Empirical tangent kernel ``K = J J^T`` of the two-layer network on the samples ``X`` (closed form).

    ``K_ii' = sum_j phi(w_j . x_i) phi(w_j . x_i') + (x_i . x_i') sum_j a_j^2 phi'(w_j . x_i) phi'(w_j . x_i')``
    (module docstring): the gradient with respect to the readout, plus the gradient with respect to the
    first layer. ``phi'`` is the ReLU's switch (the derivative taken as 0 at 0, as autodiff does).

    Parameters
    ----------
    W1 : array_like, shape ``(..., d, p)``
        First layers; leading dimensions are a batch of networks.
    a : array_like, shape ``(..., p)``
        Readouts; batch dimensions broadcast against those of ``W1``.
    X : array_like, shape ``(n, d)``
        Samples, one per row.
    activation : {"relu", "linear"}
        The hidden activation.

    Returns
    -------
    numpy.ndarray, shape ``(..., n, n)``

    See Also
    --------
    relu_ntk_autodiff : the same kernel from torch's Jacobian.
    """
    W1, a = _layers(W1, a)
    X = _inputs(X, W1)
    check.one_of("activation", activation, ACTIVATIONS)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused by _finite_kernel
        hidden, switch = _phi(X @ W1, activation)
        readout_part = hidden @ hidden.swapaxes(-1, -2)
        first_part = (switch * a[..., None, :] ** 2) @ switch.swapaxes(-1, -2) * (X @ X.T)
        return _finite_kernel(readout_part + first_part)


def _finite_kernel(K: np.ndarray) -> np.ndarray:
    """``K``, unless huge weights or inputs pushed it (a sum of squares) past the float range."""
    if not np.all(np.isfinite(K)):
        raise ValueError(
            "the tangent kernel overflows the float range (|X W1|^2 or a^2 |X|^2 above 1e308): rescale W1, a or X"
        )
    return K


def relu_ntk_autodiff(W1, a, X, *, activation: str = "relu") -> np.ndarray:
    """The tangent kernel of :func:`relu_ntk` from ``torch.func.jacrev`` (float64), to check the formula.

    Parameters and result as in :func:`relu_ntk`; here the batch dimensions of ``W1`` and ``a`` must be equal.
    """
    import torch

    W1, a = _layers(W1, a)
    X = _inputs(X, W1)
    check.one_of("activation", activation, ACTIVATIONS)
    if W1.shape[:-2] != a.shape[:-1]:
        raise ValueError(f"W1 and a must have the same batch shape here; got {W1.shape[:-2]} and {a.shape[:-1]}")
    batch = W1.shape[:-2]
    Xt = torch.as_tensor(X, dtype=torch.float64)
    phi = torch.relu if activation == "relu" else (lambda z: z)

    def f(w1, readout):
        return phi(Xt @ w1) @ readout

    def kernel(w1, readout):
        J1, J2 = torch.func.jacrev(f, argnums=(0, 1))(w1, readout)
        J1 = J1.reshape(J1.shape[0], -1)
        return J1 @ J1.T + J2 @ J2.T

    w1 = torch.as_tensor(W1, dtype=torch.float64).reshape((-1,) + W1.shape[-2:])
    readout = torch.as_tensor(a, dtype=torch.float64).reshape(-1, a.shape[-1])
    K = torch.func.vmap(kernel)(w1, readout)
    return _finite_kernel(K.numpy().reshape(batch + K.shape[-2:]))


# ---------------------------------------------------------------------------- training
@dataclass
class NeuronRun:
    """Record of a batch of two-layer networks trained together; time is the first axis.

    - ``steps``, shape ``(T,)``: the gradient steps of the records (0 = initialisation); ``times``:
      ``steps * lr``.
    - ``loss``, shape ``(T, *batch)``: training loss ``1/(2n) sum (f - y)^2``.
    - ``kernel_distance``, shape ``(T, *batch)``: distance of the tangent kernel on the training inputs
      from the kernel at initialisation.
    - ``relative_change``: ``{"W1": (T, *batch), "a": (T, *batch)}``, ``||W(t) - W(0)||_F / ||W(0)||_F``
      for each layer: how far it moved, measured in units of its own initial size.
    - ``initial``, ``final``: ``{"W1": (*batch, d, p), "a": (*batch, p)}``.
    - ``info``: activation, steps, lr and wall time in seconds.
    - ``throughput``: samples per second (and GFLOP/s) of the training steps alone
      (:class:`~labhelpers.runs.Throughput`); ``None`` for a run not trained here.
    """

    steps: np.ndarray
    times: np.ndarray
    loss: np.ndarray
    kernel_distance: np.ndarray
    relative_change: dict[str, np.ndarray]
    initial: dict[str, np.ndarray]
    final: dict[str, np.ndarray]
    info: dict[str, Any] = field(default_factory=dict)
    throughput: Throughput | None = None


def train_two_layer(
    W1,
    a,
    X,
    y,
    *,
    steps: int = 4000,
    lr: float = 0.01,
    activation: str = "relu",
    n_records: int = 41,
) -> NeuronRun:
    """Full-batch gradient descent on a batch of two-layer networks at once (numpy, float64).

    Each step, for every network of the batch (``r = y - f`` the residual, ``H = phi(X W1)``,
    ``D = phi'(X W1)``):

    ``a <- a + lr H^T r / n``,   ``W1 <- W1 + lr X^T (D * r a^T) / n``,

    computed with batched matrix products over the leading dimensions, which is exactly the update of
    each network on its own.

    Parameters
    ----------
    W1 : array_like, shape ``(*batch, d, p)``
        First layers at initialisation (e.g. from :func:`neuron_balanced`).
    a : array_like, shape ``(*batch, p)``
        Readouts at initialisation, with the same batch shape.
    X : array_like, shape ``(n, d)``
        Training inputs, shared by all networks.
    y : array_like, shape ``(n,)``
        Training targets.
    steps : int
        Number of gradient steps.
    lr : float
        Step size.
    activation : {"relu", "linear"}
        The hidden activation.
    n_records : int
        Number of equally spaced records from step 0 to ``steps`` (at least 2).

    Returns
    -------
    NeuronRun
    """
    W1, a, X, y, steps, lr, n_records = _training_problem(W1, a, X, y, steps, lr, activation, n_records)
    recorded = np.unique(np.round(np.linspace(0, steps, n_records)).astype(int))
    start = time.perf_counter()
    (d, p), samples = W1.shape[-2:], X.shape[0] * int(np.prod(W1.shape[:-2]))  # per step
    descent = _Descent(W1.copy(), a.copy(), X, y, lr, activation, _guard(W1, a, X, y, lr, activation), samples)
    flops = 6.0 * d * p  # 3 d p multiply-adds per sample (forward and both gradients), 2 FLOPs each
    with np.errstate(over="ignore", invalid="ignore"):
        records, throughput = train_loop(
            steps, descent.step, descent.snapshot, recorded=recorded[1:], flops_per_sample=flops
        )
    path = {name: np.stack(values) for name, values in records.values.items()}
    if not all(np.all(np.isfinite(v)) for v in path.values()):
        raise ValueError(f"gradient descent diverged (weights overflowed) within {steps} steps at lr={lr}; lower lr")
    run = _neuron_run(path, W1, a, X, y, recorded, lr, activation)
    run.info = {"activation": activation, "steps": steps, "lr": lr, "seconds": time.perf_counter() - start}
    run.throughput = throughput
    return run


def _training_problem(W1, a, X, y, steps, lr, activation, n_records):
    """Check the arguments of :func:`train_two_layer` and refuse a run too costly or too large for memory."""
    W1, a = _layers(W1, a)
    if W1.shape[:-2] != a.shape[:-1]:
        raise ValueError(f"W1 and a must have the same batch shape; got {W1.shape[:-2]} and {a.shape[:-1]}")
    X = _inputs(X, W1)
    y = check.as_array("y", y, ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X and y must have the same number of samples; got {X.shape[0]} and {y.shape[0]}")
    steps = check.positive_int("steps", steps)
    lr = check.positive_scalar("lr", lr)
    check.one_of("activation", activation, ACTIVATIONS)
    n_records = check.positive_int("n_records", n_records, minimum=2)
    check.fits_in_memory("the record schedule (n_records)", 3.0 * n_records)
    n_records = min(n_records, steps + 1)  # records at distinct steps only (as np.unique keeps them)
    networks, (d, p), n = float(np.prod(W1.shape[:-2], dtype=float)), W1.shape[-2:], X.shape[0]
    work = steps * networks * 3.0 * n * d * p
    if work > MAX_WORK:
        raise ValueError(
            f"steps={steps} on {networks:.0f} network(s) with n={n}, d={d}, p={p} is about {work:.2g} "
            f"multiply-adds, more than train_two_layer takes on ({MAX_WORK:.0e}); use fewer steps or networks"
        )
    check.fits_in_memory("the records (weights and kernels)", 3.0 * n_records * networks * (d * p + p + n * n))
    if np.any(np.linalg.norm(W1, axis=(-2, -1)) == 0) or np.any(np.linalg.norm(a, axis=-1) == 0):
        raise ValueError("W1 and a must be nonzero in every network: their relative change is measured against them")
    return W1, a, X, y, steps, lr, n_records


def _guard(W1, a, X, y, lr: float, activation: str) -> DivergenceGuard:
    """The divergence check of :func:`train_two_layer`, quoting the sizes that set the curvature."""
    return DivergenceGuard(
        f"gradient descent on the two-layer {activation} networks",
        lr=lr,
        **{f"max|{name}|": float(np.abs(v).max()) for name, v in (("W1", W1), ("a", a), ("X", X), ("y", y))},
    )


@dataclass
class _Descent:
    """Full-batch gradient descent on a batch of two-layer networks: the weights ``first`` (``W1``) and
    ``readout`` (``a``), and the step of :func:`train_two_layer`; ``samples`` per step (``n`` per network)."""

    first: np.ndarray
    readout: np.ndarray
    X: np.ndarray
    y: np.ndarray
    lr: float
    activation: str
    guard: DivergenceGuard
    samples: int

    def step(self, unit: int) -> int:
        """Gradient step ``unit`` (1, 2, ...; the guard numbers it ``unit - 1``, from 0) on every network;
        returns the samples it trained on."""
        X, y, n = self.X, self.y, self.X.shape[0]
        hidden, switch = _phi(X @ self.first, self.activation)
        residual = y - np.einsum("...np,...p->...n", hidden, self.readout)
        self.guard.check(unit - 1, float(np.max(residual * residual)))  # NaN and inf propagate
        grad_readout = np.einsum("...np,...n->...p", hidden, residual) / n
        back = switch * residual[..., :, None] * self.readout[..., None, :]
        self.first = self.first + self.lr * (X.T @ back) / n
        self.readout = self.readout + self.lr * grad_readout
        return self.samples

    def snapshot(self, unit: int) -> dict[str, np.ndarray]:
        return {"W1": self.first, "a": self.readout}


def _neuron_run(path, W1, a, X, y, recorded, lr: float, activation: str) -> NeuronRun:
    """The record of :func:`train_two_layer` from the weights at the recorded steps."""
    K = relu_ntk(path["W1"], path["a"], X, activation=activation)
    if np.any(np.linalg.norm(K[0], axis=(-2, -1)) == 0):
        raise ValueError(
            "the tangent kernel at the start is zero (X W1 has no positive entry, or X is too small): "
            "the kernel distance is undefined; rescale X or W1"
        )
    loss = 0.5 * np.mean((outputs(path["W1"], path["a"], X, activation=activation) - y) ** 2, axis=-1)
    change = {
        "W1": np.linalg.norm(path["W1"] - W1, axis=(-2, -1)) / np.linalg.norm(W1, axis=(-2, -1)),
        "a": np.linalg.norm(path["a"] - a, axis=-1) / np.linalg.norm(a, axis=-1),
    }
    return NeuronRun(
        steps=recorded,
        times=recorded * lr,
        loss=loss,
        kernel_distance=kernel_distance(K[:1], K),
        relative_change=change,
        initial={"W1": W1.copy(), "a": a.copy()},
        final={"W1": path["W1"][-1], "a": path["a"][-1]},
    )
