"""Upstream and downstream initialisation of a small CNN on digits: which layer learns (Sec. 6, Kunin et al. 2024).

The network, for 28 x 28 grey images, has three weight layers and no biases:

``x -> conv 5x5 (c1 filters) -> ReLU -> max-pool 2 -> conv 5x5 (c2) -> ReLU -> max-pool 2 -> linear (10)``.

Every operation between the weights (ReLU, max-pooling, flattening) is positively homogeneous, so
multiplying layer ``k`` by ``s_k > 0`` multiplies the logits by the product of the factors:

``f(x; s_1 W_1, s_2 W_2, s_3 W_3) = (s_1 s_2 s_3) f(x; W_1, W_2, W_3)``.   (1)

:func:`layer_scales` keeps that product at 1, so the three initialisations below compute *the same
function* at the start and differ only in how its size is split between the layers, the role ``lambda``
plays in the two-layer networks of the chapter:

- ``"standard"``: ``(1, 1, 1)``, PyTorch's default (uniform on ``+-1/sqrt(fan_in)``);
- ``"upstream"``: ``(1/alpha, 1, alpha)``, a light first layer and a heavy readout;
- ``"downstream"``: ``(alpha, 1, 1/alpha)``, the reverse.

By (1) the gradient of layer ``k`` scales as ``prod_j s_j / s_k`` (the product of the *other* layers:
the feedback principle, each layer sets the learning speed of the others), so one SGD step changes layer
``k`` by a fraction of its own size that scales as

``||Delta W_k|| / ||W_k||  ~  (prod_j s_j) / s_k^2``   (2)

at the start of training: upstream makes the first layer move ``alpha^2`` times faster, relative to its
size, than the standard start, and the readout ``alpha^2`` times slower; downstream does the reverse.

:func:`train_cnn` trains one such network with minibatch SGD on cross-entropy, on the training scaffold
(:func:`~labhelpers.runs.train_loop`, :func:`~labhelpers.runs.epoch_batches`,
:func:`~labhelpers.runs.optimizer_step`), seeded, device-agnostic, with one torch thread on the CPU
(:func:`~labhelpers.runs.cpu_threads_pinned`) so that its numbers do not depend on the thread count. It
records at chosen steps each layer's relative movement ``||W_k(t) - W_k(0)||_F / ||W_k(0)||_F``, the
distance (:func:`~labhelpers.regimes.kernel_distance`) of the empirical tangent kernel on a small probe
batch from its start, and the train and test accuracy, and returns the first-layer filters before and
after training. :func:`filter_change` summarises how far each filter turned away from its random start.

Book: chapter 4, Sec. "Upstream initialisation in a CNN" (``rg-cnn``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import validation as check
from ..core.divergence import DivergenceGuard
from ..runs.loop import Throughput, epoch_batches, optimizer_step, train_loop
from ..runs.threads import cpu_threads_pinned
from .kernels import kernel_distance

SCHEMES = ("standard", "upstream", "downstream")
LAYERS = ("conv1", "conv2", "readout")
IMAGE_SIDE = 28
KERNEL = 5
MAX_SAMPLE_PASSES = 10**8
"""Most ``epochs x training images`` :func:`train_cnn` takes on (days of CPU time beyond it)."""
MAX_CHANNELS = 512
FLOAT32_MAX = float(np.finfo(np.float32).max)


# ---------------------------------------------------------------------------- initialisation
def layer_scales(scheme: str = "standard", alpha: float = 4.0) -> tuple[float, float, float]:
    """The factors ``(s_1, s_2, s_3)`` on PyTorch's default initialisation of the three weight layers.

    ``"standard"``: ``(1, 1, 1)``; ``"upstream"``: ``(1/alpha, 1, alpha)`` (light first layer, heavy
    readout); ``"downstream"``: ``(alpha, 1, 1/alpha)``. The product is 1 in every case, so by Eq. (1) of
    the module docstring the three starts compute the same function; by Eq. (2) the first layer's
    relative learning speed is multiplied by ``alpha^2`` (upstream) or ``1/alpha^2`` (downstream).

    Parameters
    ----------
    scheme : {"standard", "upstream", "downstream"}
    alpha : float
        The imbalance factor, > 0 (``alpha = 1`` gives the standard start for every scheme).

    Returns
    -------
    tuple of three floats
    """
    check.one_of("scheme", scheme, SCHEMES)
    alpha = check.positive_scalar("alpha", alpha)
    if not 1e-6 <= alpha <= 1e6:
        raise ValueError(f"alpha must lie in [1e-6, 1e6] (its square scales a learning speed); got {alpha}")
    if scheme == "standard":
        return (1.0, 1.0, 1.0)
    if scheme == "upstream":
        return (1.0 / alpha, 1.0, alpha)
    return (alpha, 1.0, 1.0 / alpha)


def _scales(scales) -> tuple[float, float, float]:
    array = check.as_array("scales", scales, ndim=1)
    if array.shape != (3,):
        raise ValueError(f"scales must hold three factors (conv1, conv2, readout); got shape {array.shape}")
    check.positive("scales", array)
    if np.any(array > 1e6) or np.any(array < 1e-6):
        raise ValueError(f"scales must lie in [1e-6, 1e6] (the network trains in float32); got {array.tolist()}")
    return tuple(float(s) for s in array)


def _channels(channels) -> tuple[int, int]:
    try:
        widths = tuple(channels)
    except TypeError as error:
        raise ValueError(f"channels must be two numbers of filters such as (8, 16); got {channels!r}") from error
    if len(widths) != 2:
        raise ValueError(f"channels must be two numbers of filters (conv1, conv2); got {channels!r}")
    return tuple(check.positive_int(f"channels[{k}]", w, maximum=MAX_CHANNELS) for k, w in enumerate(widths))


def _network(torch, channels: tuple[int, int], n_classes: int, scales, seed: int):
    """The CNN of the module docstring with PyTorch's default weights (drawn from ``seed``, torch's global
    random state untouched) times ``scales``, layer by layer."""
    nn = torch.nn
    c1, c2 = channels
    side = ((IMAGE_SIDE - KERNEL + 1) // 2 - KERNEL + 1) // 2  # 28 -> 24 -> 12 -> 8 -> 4
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(
            nn.Conv2d(1, c1, KERNEL, bias=False),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, KERNEL, bias=False),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(c2 * side * side, n_classes, bias=False),
        )
    with torch.no_grad():
        for weight, scale in zip(_weights(model), scales):
            weight.mul_(scale)
    return model


def _weights(model) -> list:
    """The three weight tensors, in the order of ``LAYERS``."""
    return [model[0].weight, model[3].weight, model[7].weight]


def build_cnn(scales=(1.0, 1.0, 1.0), *, channels=(8, 16), n_classes: int = 10, seed: int = 0, device="cpu"):
    """The CNN of :func:`train_cnn` at initialisation, as a ``torch.nn.Sequential`` (float32).

    Each weight layer is PyTorch's default initialisation (drawn from ``seed``) multiplied by its factor
    in ``scales`` (e.g. from :func:`layer_scales`); by Eq. (1) of the module docstring the logits are
    multiplied by ``prod(scales)``.

    Parameters
    ----------
    scales : three floats
        Factors on the conv1, conv2 and readout weights, each in ``[1e-6, 1e6]``.
    channels : two ints
        Numbers of filters of the two convolutions.
    n_classes : int
        Number of outputs (at least 2).
    seed : int
        Seed of the weights.
    device : str or torch.device
    """
    import torch

    scales = _scales(scales)
    channels = _channels(channels)
    n_classes = check.positive_int("n_classes", n_classes, minimum=2, maximum=10_000)
    seed = check.seed("seed", seed)
    torch_device = check.device("device", device)
    return _network(torch, channels, n_classes, scales, seed).to(torch_device)


# ---------------------------------------------------------------------------- the record
@dataclass(frozen=True)
class CnnRun:
    """Record of :func:`train_cnn`; the first axis of every per-record array is time.

    Attributes
    ----------
    steps : numpy.ndarray, shape (T,)
        The SGD steps of the records (0 = initialisation).
    epochs : numpy.ndarray, shape (T,)
        The same, in epochs (``steps / batches per epoch``).
    relative_change : dict of str to numpy.ndarray
        ``{"conv1", "conv2", "readout"}`` -> (T,): ``||W_k(t) - W_k(0)||_F / ||W_k(0)||_F``.
    kernel_distance : numpy.ndarray, shape (T,)
        Distance (Fort et al. 2020) of the empirical tangent kernel of the logits on the probe images from
        the kernel at the start (NaN everywhere when ``probe=0``).
    train_accuracy, test_accuracy, train_loss : numpy.ndarray, shape (T,)
        On the whole training and test sets.
    filters, initial_filters : numpy.ndarray, shape (c1, 5, 5)
        The first-layer filters after and before training.
    scales : tuple of float
        The factors of the initialisation.
    config : dict
        The arguments of the run.
    seconds : float
        Wall time of the whole run, measurements included.
    throughput : labhelpers.runs.Throughput or None
        Samples per second of the training steps alone.
    """

    steps: np.ndarray
    epochs: np.ndarray
    relative_change: dict[str, np.ndarray]
    kernel_distance: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    train_loss: np.ndarray
    filters: np.ndarray
    initial_filters: np.ndarray
    scales: tuple[float, float, float]
    config: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    throughput: Throughput | None = None


# ---------------------------------------------------------------------------- data checks
def _images(name: str, X) -> np.ndarray:
    array = check.as_array(name, X, ndim=(2, 3))
    if array.ndim == 2:
        if array.shape[1] != IMAGE_SIDE * IMAGE_SIDE:
            raise ValueError(f"{name} must be (n, 784) or (n, 28, 28) images; got shape {array.shape}")
        array = array.reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    if array.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE) or array.shape[0] == 0:
        raise ValueError(f"{name} must be (n, 784) or (n, 28, 28) images with n >= 1; got shape {array.shape}")
    return array


def _labels(name: str, y, n: int, n_classes: int | None) -> np.ndarray:
    try:
        array = np.asarray(y)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a 1-D array of integer classes; got {check._describe(y)}") from error
    if array.ndim != 1 or array.size != n:
        raise ValueError(f"{name} must be 1-D with one label per image ({n}); got shape {array.shape}")
    if array.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integer classes 0..C-1; got dtype {array.dtype}")
    if array.min() < 0 or (n_classes is not None and array.max() >= n_classes):
        top = "C-1" if n_classes is None else n_classes - 1
        raise ValueError(f"{name} must hold classes 0..{top}; got values {array.min()} to {array.max()}")
    return array.astype(np.int64)


def _standardised(torch, X_train: np.ndarray, X_test: np.ndarray, device):
    """Both sets as (n, 1, 28, 28) float32 tensors, standardised with the training pixels' mean and std."""
    with np.errstate(over="ignore", invalid="ignore"):
        mean, std = float(X_train.mean()), float(X_train.std())
    if not np.isfinite(std) or std == 0 or std > 1e30:
        raise ValueError(
            f"X_train must vary between pixels (and be below 1e30) to be standardised; got standard deviation {std:.3g}"
        )
    tensors = []
    for name, X in (("X_train", X_train), ("X_test", X_test)):
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            tensor = torch.as_tensor((X - mean) / std, dtype=torch.float32, device=device)[:, None]
        if not bool(torch.isfinite(tensor).all()):
            raise ValueError(f"{name}, standardised with the training mean and std, overflows float32")
        tensors.append(tensor)
    return tensors


def _record_steps(record_steps, total: int) -> np.ndarray:
    if record_steps is None:  # 13 records, log-spaced from step 1 to the end, plus the start
        steps = np.unique(np.round(np.geomspace(1, total, 12)).astype(int))
        return np.r_[0, steps]
    steps = check.as_array("record_steps", record_steps, ndim=1)
    if np.any(steps != np.round(steps)) or np.any(steps < 0) or np.any(steps > total):
        raise ValueError(f"record_steps must be integer steps in 0..{total} (epochs x batches); got {steps.tolist()}")
    return np.unique(np.r_[0, steps.astype(int)])


# ---------------------------------------------------------------------------- training
def train_cnn(
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    scales=(1.0, 1.0, 1.0),
    channels=(8, 16),
    epochs: int = 3,
    lr: float = 0.05,
    batch_size: int = 50,
    probe: int = 16,
    record_steps=None,
    device="cpu",
    seed: int = 0,
    progress: bool = False,
) -> CnnRun:
    """Train the small CNN of the module docstring from a scaled start and record which layer moves.

    Minibatch SGD (no momentum, no weight decay, so that Eq. (2) of the module docstring describes the
    first steps) on the cross-entropy of the logits, with the pixels standardised by the training set's
    mean and standard deviation. At step 0 and at ``record_steps`` it records, for each weight layer,
    ``||W_k(t) - W_k(0)||_F / ||W_k(0)||_F``; the kernel distance
    ``1 - <K_0, K_t>_F / (||K_0||_F ||K_t||_F)`` (Fort et al. 2020, the chapter's Eq. rg-kernel-distance)
    of the empirical tangent kernel ``K = J J^T`` of all logits on the first ``probe`` training images;
    and the loss and accuracy on both sets.

    Parameters
    ----------
    X_train, X_test : array_like, shape (n, 784) or (n, 28, 28)
        Images, e.g. from :func:`labhelpers.core.load_mnist`.
    y_train, y_test : array_like of int
        Classes ``0..C-1`` with ``C = max(y_train) + 1 >= 2``.
    scales : three floats
        Factors on PyTorch's default initialisation of conv1, conv2 and the readout (:func:`layer_scales`).
    channels : two ints
        Filters of the two convolutions.
    epochs : int
        Passes over the training set.
    lr : float
        SGD step size (> 0).
    batch_size : int
        Minibatch size (the last batch of an epoch may be shorter; above ``n_train``: full batch).
    probe : int
        Number of training images for the tangent kernel (0 skips it; at most 64).
    record_steps : sequence of int, optional
        The SGD steps to record at (step 0 is always recorded); default 12 log-spaced steps to the end.
    device : str or torch.device
    seed : int
        Seeds the weights (the *same* random weights for every ``scales``) and the minibatch order.
    progress : bool
        Show a progress bar over the steps.

    Returns
    -------
    CnnRun
    """
    import torch

    X_train, X_test = _images("X_train", X_train), _images("X_test", X_test)
    y_train = _labels("y_train", y_train, X_train.shape[0], None)
    n_classes = int(y_train.max()) + 1
    if n_classes < 2:
        raise ValueError(f"y_train must contain at least two classes; got only class {y_train.max()}")
    y_test = _labels("y_test", y_test, X_test.shape[0], n_classes)
    scales = _scales(scales)
    channels = _channels(channels)
    epochs = check.positive_int("epochs", epochs)
    lr = check.positive_scalar("lr", lr)
    if lr > FLOAT32_MAX:
        raise ValueError(f"lr must be at most {FLOAT32_MAX:.3g} (the network trains in float32); got {lr:.3g}")
    n = X_train.shape[0]
    batch_size = min(check.positive_int("batch_size", batch_size), n)
    probe = check.integer("probe", probe, minimum=0, maximum=min(64, n))
    seed = check.seed("seed", seed)
    progress = check.flag("progress", progress)
    torch_device = check.device("device", device)
    if epochs * n > MAX_SAMPLE_PASSES:
        raise ValueError(
            f"epochs x training images = {epochs} x {n} is beyond the {MAX_SAMPLE_PASSES:.0e} sample passes "
            "train_cnn takes on; lower epochs"
        )
    per_epoch = -(-n // batch_size)
    total = epochs * per_epoch
    recorded = _record_steps(record_steps, total)
    config = {
        "scales": list(scales),
        "channels": list(channels),
        "epochs": epochs,
        "lr": lr,
        "batch_size": batch_size,
        "probe": probe,
        "n_train": n,
        "n_test": int(X_test.shape[0]),
        "n_classes": n_classes,
        "device": str(torch_device),
        "seed": seed,
    }
    started = time.perf_counter()
    with cpu_threads_pinned(torch_device):  # the same numbers whatever the caller's thread count
        run = _CnnTraining(torch, (X_train, y_train, X_test, y_test), config, torch_device)
        records, throughput = train_loop(
            total,
            run.step,
            run.measure,
            recorded=recorded[1:],
            desc="CNN, SGD steps",
            progress=progress,
        )
    values = {name: np.asarray(v, dtype=float) for name, v in records.values.items()}
    return CnnRun(
        steps=recorded,
        epochs=recorded / per_epoch,
        relative_change={name: values[name] for name in LAYERS},
        kernel_distance=values["kernel_distance"],
        train_accuracy=values["train_accuracy"],
        test_accuracy=values["test_accuracy"],
        train_loss=values["train_loss"],
        filters=run.filters(),
        initial_filters=run.initial[0][:, 0].cpu().numpy().astype(float),
        scales=scales,
        config=config,
        seconds=time.perf_counter() - started,
        throughput=throughput,
    )


class _CnnTraining:
    """One run of :func:`train_cnn`: data, seeded network and SGD (init), one SGD step (:meth:`step`) and the
    measurements (:meth:`measure`)."""

    def __init__(self, torch, data, config: dict, torch_device):
        X_train, y_train, X_test, y_test = data
        self.torch, self.device, self.batch_size = torch, torch_device, config["batch_size"]
        self.x_tr, self.x_te = _standardised(torch, X_train, X_test, torch_device)
        self.t_tr = torch.as_tensor(y_train, device=torch_device)
        self.t_te = torch.as_tensor(y_test, device=torch_device)
        self.model = _network(torch, tuple(config["channels"]), config["n_classes"], config["scales"], config["seed"])
        self.model = self.model.to(torch_device)
        self.initial = [w.detach().clone() for w in _weights(self.model)]
        self.initial_norms = [float(w.norm()) for w in self.initial]
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=config["lr"])
        self.loss = torch.nn.CrossEntropyLoss()
        self.order = torch.Generator().manual_seed(config["seed"] + 1)
        self.guard = DivergenceGuard("CNN training", lr=config["lr"], scales=config["scales"])
        self.batches = iter(())
        self.probe = self.x_tr[: config["probe"]]
        self.kernel0 = self._kernel() if config["probe"] else None

    def step(self, unit: int) -> int:
        """SGD step ``unit`` on the next minibatch (a new seeded permutation every epoch)."""
        index = next(self.batches, None)
        if index is None:
            self.batches = epoch_batches(self.torch, self.x_tr.shape[0], self.batch_size, self.order, self.device)
            index = next(self.batches)
        loss = self.loss(self.model(self.x_tr[index]), self.t_tr[index])
        optimizer_step(self.optimizer, loss, self.guard, unit)
        return int(index.numel())

    def _kernel(self) -> np.ndarray:
        """The empirical tangent kernel ``J J^T`` of all logits on the probe images (float64)."""
        torch = self.torch
        params = {name: p.detach() for name, p in self.model.named_parameters()}

        def logits(p):
            return torch.func.functional_call(self.model, p, (self.probe,)).reshape(-1)

        jac = torch.func.jacrev(logits)(params)
        J = torch.cat([j.reshape(j.shape[0], -1) for j in jac.values()], dim=1).double()
        return (J @ J.T).cpu().numpy()

    def measure(self, unit: int) -> dict[str, float]:
        torch = self.torch
        with torch.no_grad():
            changes = {
                name: float((w - w0).norm()) / norm0
                for name, w, w0, norm0 in zip(LAYERS, _weights(self.model), self.initial, self.initial_norms)
            }
            train_logits = self.model(self.x_tr)
            test_logits = self.model(self.x_te)
            train_loss = self.loss(train_logits, self.t_tr)
            self.guard.check_values(unit, "the training loss", train_loss)
            values = {
                **changes,
                "train_loss": float(train_loss),
                "train_accuracy": float((train_logits.argmax(1) == self.t_tr).float().mean()),
                "test_accuracy": float((test_logits.argmax(1) == self.t_te).float().mean()),
            }
        if self.kernel0 is None:
            values["kernel_distance"] = float("nan")
        else:
            values["kernel_distance"] = float(kernel_distance(self.kernel0, self._kernel()))
        return values

    def filters(self) -> np.ndarray:
        return _weights(self.model)[0].detach()[:, 0].cpu().numpy().astype(float)


# ---------------------------------------------------------------------------- summaries
def filter_change(initial, final) -> np.ndarray:
    """How far each filter turned from its start: ``1 - cos`` of the angle between ``w_j(0)`` and ``w_j(T)``.

    ``1 - <w_j(0), w_j(T)> / (||w_j(0)|| ||w_j(T)||)`` per filter (the kernel distance's formula,
    applied to one filter seen as a vector): 0 when the filter only changed its size (it is still the
    random pattern it started as), 1 when it became orthogonal to it, up to 2.

    Parameters
    ----------
    initial, final : array_like, shape (c, h, w)
        Filters before and after training (e.g. ``CnnRun.initial_filters`` and ``CnnRun.filters``).

    Returns
    -------
    numpy.ndarray, shape (c,)
    """
    initial = check.as_array("initial", initial, ndim=3)
    final = check.as_array("final", final, ndim=3)
    if initial.shape != final.shape:
        raise ValueError(f"initial and final must have the same shape; got {initial.shape} and {final.shape}")
    if initial.size == 0:
        raise ValueError(f"initial and final must hold at least one filter of at least one pixel; got {initial.shape}")
    a, b = initial.reshape(initial.shape[0], -1), final.reshape(final.shape[0], -1)
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    if np.any(na == 0) or np.any(nb == 0) or not (np.all(np.isfinite(na)) and np.all(np.isfinite(nb))):
        raise ValueError("initial and final must have nonzero, finite filters: the angle of a zero filter is undefined")
    cosine = np.sum((a / na[:, None]) * (b / nb[:, None]), axis=1)
    return 1.0 - np.clip(cosine, -1.0, 1.0)


def filter_roughness(filters) -> np.ndarray:
    """How grainy each filter is: the mean squared difference of neighbouring pixels over twice the mean square.

    For a filter ``w`` (an ``h x w`` image), ``sum over horizontally and vertically adjacent pixels of
    (w_p - w_q)^2 / (number of pairs)``, divided by ``2 mean(w^2)``. Independent, zero-mean pixels (the
    random start) give 1 on average; a smooth pattern (a blob, a stroke, an edge) gives much less; a
    checkerboard gives up to 2. Used as a number for how far a filter went from noise towards a picture.

    Parameters
    ----------
    filters : array_like, shape (c, h, w)
        Filters, ``h, w >= 2``.

    Returns
    -------
    numpy.ndarray, shape (c,)
    """
    filters = check.as_array("filters", filters, ndim=3)
    if filters.shape[1] < 2 or filters.shape[2] < 2 or filters.shape[0] == 0:
        raise ValueError(f"filters must be (c, h, w) with c >= 1 and h, w >= 2; got shape {filters.shape}")
    scale = np.abs(filters).max(axis=(1, 2), keepdims=True)
    if np.any(scale == 0) or not np.all(np.isfinite(scale)):
        raise ValueError("filters must be nonzero and finite: the roughness of a zero filter is undefined")
    w = filters / scale  # the ratio does not depend on the scale; this keeps the squares finite
    across = np.concatenate([np.diff(w, axis=1).reshape(len(w), -1), np.diff(w, axis=2).reshape(len(w), -1)], axis=1)
    return np.mean(across**2, axis=1) / (2.0 * np.mean(w.reshape(len(w), -1) ** 2, axis=1))


def plot_filters(filters, *, fig=None):
    """Draw first-layer filters as grey images: one row per network, one column per filter.

    Each row has its own grey scale, symmetric about 0 (mid-grey is 0, white the row's largest positive
    weight, black its most negative), shared by all filters of the row, so that filters of one network
    can be compared with each other while networks of very different weight sizes stay visible.

    Parameters
    ----------
    filters : dict of str to array_like, each of shape (c, h, w)
        Row label -> filters (e.g. ``{"upstream": run.filters}``); every entry has the same ``c``.
    fig : matplotlib Figure, optional
        Figure to draw into (cleared first); a new one by default.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if not isinstance(filters, dict) or not filters:
        raise ValueError(f"filters must be a non-empty dict of row label -> (c, h, w) filters; got {filters!r:.60}")
    rows = {str(name): check.as_array(f"filters[{name!r}]", value, ndim=3) for name, value in filters.items()}
    counts = {value.shape[0] for value in rows.values()}
    if len(counts) != 1 or 0 in counts:
        raise ValueError(f"every row of filters must have the same number c >= 1 of filters; got {sorted(counts)}")
    c = counts.pop()
    if c > 64:
        raise ValueError(f"filters must have at most 64 filters per row (one column each); got {c}")
    if fig is None:
        fig = plt.figure(figsize=(min(10.0, 1.1 * c + 1.6), 1.15 * len(rows) + 0.3), layout="constrained")
    else:
        fig.clear()
    axes = np.atleast_2d(fig.subplots(len(rows), c, squeeze=False))
    for row, (name, values) in enumerate(rows.items()):
        top = float(np.abs(values).max()) or 1.0
        for j in range(c):
            ax = axes[row, j]
            ax.imshow(values[j], cmap="gray", vmin=-top, vmax=top, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(True)
                spine.set_color("0.6")
        axes[row, 0].set_ylabel(name, rotation=0, ha="right", va="center")
    return fig
