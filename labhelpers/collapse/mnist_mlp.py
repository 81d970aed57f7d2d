"""Neural collapse in a real network on a CPU: an MLP trained on MNIST digits past zero training error.

The layerwise linear models of :mod:`labhelpers.collapse` predict that features of the last layer collapse
to ``C`` directions (Eq. 13) once a network fits its labels from a small start. This module checks the
prediction in a non-linear network small enough for a laptop: :func:`train_collapse_mlp` trains a ReLU
MLP classifier with SGD on a few thousand images, keeps training after every training image is classified
correctly (the *terminal phase* of Papyan, Han & Donoho 2020), and records after every epoch

- the training and test loss and accuracy,
- NC1-NC4 (App. F, Eq. 65-68) of the penultimate features of the training set and the last layer,
  computed by :func:`labhelpers.collapse.collapse_metrics`,

in one :class:`CollapseRun`, with the throughput of the training. :func:`plot_collapse_run` (from
:mod:`.plots`, also found here) draws it; it reads only ``epochs`` and ``metrics[...]``, so it also draws the
ResNet18 history of :mod:`labhelpers.collapse`.

The run is built on the course's training scaffold (:func:`labhelpers.runs.train_loop`): ``_MLPTraining``
holds the data, network and optimiser (init), one epoch of minibatch SGD (step) and the evaluation (measure).
Torch code is device-agnostic (``device=``; the CPU by default), seeded without touching torch's global
random state, and shows a tqdm progress bar over epochs. On the CPU the run uses one torch thread
(``labhelpers.runs.cpu_threads_pinned``), so it gives the same numbers whatever the caller's thread
setting, which is restored afterwards.

Book: chapter 3, "Neural collapse in an MLP on MNIST digits" (Sec. nc-mlp).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import floats as _floats
from ..core import validation as check
from ..core.divergence import DivergenceError, DivergenceGuard
from ..runs.loop import Throughput, epoch_batches, optimizer_step, train_loop
from ..runs.threads import cpu_threads_pinned as _cpu_threads_pinned
from .metrics import COLLAPSE_KEYS, _zero_error_epoch, collapse_values
from .plots import plot_collapse_run

__all__ = [
    "LOSSES",
    "METRIC_KEYS",
    "COLLAPSE_KEYS",
    "MAX_SAMPLE_PASSES",
    "FLOAT32_MAX",
    "PerEpochMetrics",
    "CollapseRun",
    "classification_loss",
    "train_collapse_mlp",
    "plot_collapse_run",
]

LOSSES = ("mse", "cross_entropy")
METRIC_KEYS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy", *COLLAPSE_KEYS)
MAX_SAMPLE_PASSES = 10**9
"""Cost bound of :func:`train_collapse_mlp`: ``epochs x training images`` (weeks of CPU time beyond it)."""
FLOAT32_MAX = float(np.finfo(np.float32).max)
"""Largest learning rate or weight decay, since the network trains in float32, which cannot store more."""


class PerEpochMetrics:
    """What every per-epoch training record shares: ``epochs`` and a ``metrics`` dict of equal-length arrays.

    Subclasses (:class:`CollapseRun`, :class:`labhelpers.collapse.CollapseHistory`) are dataclasses that hold
    those two fields; this class gives them their length, time axis, loss and first zero-error epoch.
    """

    epochs: np.ndarray
    metrics: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.epochs)

    @property
    def times(self) -> np.ndarray:
        """The epochs as floats (the time axis the plotting helpers expect)."""
        return self.epochs.astype(float)

    @property
    def loss(self) -> np.ndarray:
        """The training loss per epoch."""
        return self.metrics["train_loss"]

    @property
    def zero_error_epoch(self) -> int | None:
        """The first epoch after which every training image is classified correctly (None if never)."""
        return _zero_error_epoch(self.epochs, self.metrics["train_accuracy"])


@dataclass(frozen=True)
class CollapseRun(PerEpochMetrics):
    """Per-epoch record of :func:`train_collapse_mlp`; epoch 0 is the initialisation.

    Attributes
    ----------
    epochs : numpy.ndarray
        ``0, 1, ..., E``, shape (E + 1,).
    metrics : dict of str to numpy.ndarray
        One array of shape (E + 1,) per name in ``METRIC_KEYS``: ``train_loss`` and ``test_loss`` (the
        training loss on the whole set, evaluated after the epoch), ``train_accuracy`` and ``test_accuracy``
        (fractions), and the collapse metrics of the training features (:class:`~labhelpers.collapse.CollapseMetrics`:
        ``nc1``, the four parts of NC2, ``self_duality`` for NC3 and ``ncc_mismatch`` for NC4).
    config : dict
        The arguments of the run (widths, optimiser, seed, device, ...).
    seconds : float
        Wall time of the whole run, evaluation included.
    throughput : labhelpers.runs.Throughput or None
        How fast the network trained: samples per second and GFLOP/s (about 6 FLOPs per weight and sample
        for the forward and backward pass), the evaluation excluded.
    """

    epochs: np.ndarray
    metrics: dict[str, np.ndarray]
    config: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    throughput: Throughput | None = None


def _images(name: str, X, n_features: int | None = None) -> np.ndarray:
    array = check.as_array(name, X, ndim=2)
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} must have at least one sample and one pixel (n, d); got shape {array.shape}")
    if n_features is not None and array.shape[1] != n_features:
        raise ValueError(f"{name} must have {n_features} columns like X_train; got shape {array.shape}")
    return array


def _class_labels(name: str, y, n_samples: int, n_classes: int | None) -> np.ndarray:
    try:
        array = np.asarray(y)
    except (TypeError, ValueError) as error:  # ragged nesting and the like
        raise ValueError(f"{name} must be a 1-D array of integer classes; got {check._describe(y)}") from error
    if array.ndim != 1 or array.size != n_samples:
        raise ValueError(f"{name} must be 1-D with one label per image ({n_samples}); got shape {array.shape}")
    if array.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integer classes 0..C-1; got dtype {array.dtype}")
    if array.min() < 0:
        raise ValueError(f"{name} must hold integer classes 0..C-1; got minimum {array.min()}")
    if n_classes is not None and array.max() >= n_classes:
        raise ValueError(f"{name} must lie in 0..{n_classes - 1} (the classes of y_train); got maximum {array.max()}")
    return array.astype(np.int64)


def _checked_data(X_train, y_train, X_test, y_test) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """The images and labels of :func:`train_collapse_mlp`, checked, and the number of classes ``C``
    (``max(y_train) + 1``: every class must have a training image)."""
    X_train = _images("X_train", X_train)
    X_test = _images("X_test", X_test, X_train.shape[1])
    y_train = _class_labels("y_train", y_train, X_train.shape[0], None)
    C = int(y_train.max()) + 1
    if C < 2 or np.any(np.bincount(y_train, minlength=C) == 0):
        raise ValueError(
            f"y_train must contain every class 0..C-1 with C >= 2; got counts {np.bincount(y_train).tolist()}"
        )
    y_test = _class_labels("y_test", y_test, X_test.shape[0], C)
    return X_train, y_train, X_test, y_test, C


def _widths(hidden) -> tuple[int, ...]:
    if isinstance(hidden, (int, np.integer)):
        hidden = (hidden,)
    try:
        widths = tuple(hidden)
    except TypeError as error:
        raise ValueError(f"hidden must be a sequence of layer widths such as (256, 128); got {hidden!r}") from error
    if not widths:
        raise ValueError("hidden must list at least one hidden layer (the penultimate features); got ()")
    return tuple(check.positive_int(f"hidden[{k}]", w) for k, w in enumerate(widths))


def _build_mlp(torch, n_inputs: int, widths: tuple[int, ...], n_classes: int, init_scale: float):
    """ReLU body (the feature map) and a linear classifier with bias; PyTorch's default init times ``init_scale``."""
    nn = torch.nn
    layers, fan_in = [], n_inputs
    for width in widths:
        layers += [nn.Linear(fan_in, width), nn.ReLU()]
        fan_in = width
    body, classifier = nn.Sequential(*layers), nn.Linear(fan_in, n_classes)
    with torch.no_grad():
        for parameter in [*body.parameters(), *classifier.parameters()]:
            parameter.mul_(init_scale)
    return body, classifier


def classification_loss(torch, name: str, n_classes: int):
    """The training loss of both torch trainers of the chapter (this MLP and ResNet18), ``loss(logits, y)``.

    ``"cross_entropy"``, or ``"mse"``: ``1/2 ||f(x) - e_y||^2`` summed over outputs and averaged over samples,
    the loss of Eq. 2 per sample. Logits are taken in float32 (a bfloat16 autocast output is cast first).
    """
    functional = torch.nn.functional
    if name == "cross_entropy":
        return lambda logits, y: functional.cross_entropy(logits.float(), y)
    return lambda logits, y: 0.5 * ((logits.float() - functional.one_hot(y, n_classes).float()) ** 2).sum(1).mean()


def _weight_count(n_inputs: int, widths: tuple[int, ...], n_classes: int) -> int:
    """Weights and biases of the MLP ``n_inputs -> widths -> n_classes``."""
    fan_ins = (n_inputs, *widths)
    return sum((fan_in + 1) * width for fan_in, width in zip(fan_ins, (*widths, n_classes)))


def _check_cost(shape: tuple[int, int], widths: tuple[int, ...], n_classes: int, epochs: int) -> None:
    """Refuse up front a run beyond ``MAX_SAMPLE_PASSES``, or a network that cannot fit in memory."""
    n, n_inputs = shape
    if epochs * n > MAX_SAMPLE_PASSES:
        raise ValueError(
            f"epochs x training images = {epochs} x {n} = {epochs * n:.3g} is beyond the {MAX_SAMPLE_PASSES:.0e} "
            "sample passes this trainer runs (weeks of CPU time); lower epochs"
        )
    n_weights = _weight_count(n_inputs, widths, n_classes)
    # weights, gradients and momentum in float32, plus the features of the whole training set
    check.fits_in_memory("hidden", 3 * n_weights + n * sum(widths), bytes_per_value=4)


def _standardised(torch, X_train: np.ndarray, X_test: np.ndarray, device):
    """Both sets standardised with the mean and standard deviation of the training pixels, as float32 tensors.

    Standardising does not depend on the scale, so subnormal or huge pixels are first brought near 1 by an
    exact power of two (``labhelpers.core.floats``): their squares neither underflow nor overflow."""
    exponent = _floats.rescale_exponent(X_train)
    if exponent:
        with np.errstate(under="ignore"):
            X_train, X_test = np.ldexp(X_train, -exponent), np.ldexp(X_test, -exponent)
    mean, std = X_train.mean(), X_train.std()
    if not np.isfinite(std):
        raise ValueError(f"X_train is too large to standardise (its standard deviation overflows); got {std}")
    if std == 0:
        raise ValueError(
            "X_train has the same value in every pixel of every image, so no class can be told apart; "
            f"got the constant {X_train.flat[0] * 2.0**exponent:.3g}"
        )
    tensors = []
    for name, X in (("X_train", X_train), ("X_test", X_test)):
        with np.errstate(over="ignore"):
            tensor = torch.as_tensor((X - mean) / std, dtype=torch.float32, device=device)
        if not bool(torch.isfinite(tensor).all()):
            raise ValueError(
                f"{name}, standardised with the training mean and standard deviation, overflows float32; "
                "check its scale against X_train's"
            )
        tensors.append(tensor)
    return tensors


def _metrics(h, y_train: np.ndarray, W, b, n_classes: int, epoch: int, guard: DivergenceGuard) -> dict[str, float]:
    """NC1-NC4 of the penultimate features ``h`` (``COLLAPSE_KEYS``), blaming a dead or diverged network
    rather than the data."""
    try:
        return collapse_values(h, y_train, W, b, n_classes)
    except ValueError as error:
        if "class mean" not in str(error):
            raise
        if epoch == 0:  # no step taken yet: the data or the start are to blame, not the learning rate
            raise ValueError(
                "before training, the penultimate features of every class have the same mean, so the collapse "
                "metrics are undefined: X_train does not tell the classes apart at initialisation (or every ReLU "
                f"is dead at init_scale={guard.settings.get('init_scale')}); check X_train and init_scale"
            ) from error
        raise DivergenceError(
            f"MLP training broke down by the end of epoch {epoch}: the penultimate features of every class "
            "have the same mean (typically every ReLU has died after an overshoot). Likely cause: the learning "
            f"rate is too large, or init_scale too small "
            f"({', '.join(f'{name}={value}' for name, value in guard.settings.items())})"
        ) from error


def _float32_setting(name: str, value, *, allow_zero: bool = False) -> float:
    """A positive (or non-negative) optimiser setting that float32 can hold."""
    number = check.positive_scalar(name, value, allow_zero=allow_zero)
    if number > FLOAT32_MAX:
        raise ValueError(f"{name} must be at most {FLOAT32_MAX:.3g} (the network trains in float32); got {number:.3g}")
    return number


def train_collapse_mlp(
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    hidden=(256, 256, 128),
    epochs: int = 60,
    lr: float = 0.05,
    momentum: float = 0.9,
    weight_decay: float = 5e-4,
    batch_size: int = 100,
    loss: str = "mse",
    init_scale: float = 1.0,
    device="cpu",
    seed: int = 0,
    progress: bool | None = None,
) -> CollapseRun:
    """Train a ReLU MLP classifier past zero training error and record neural collapse every epoch.

    The network is ``x -> h(x) -> W h(x) + b``: ``len(hidden)`` ReLU layers give the penultimate features
    ``h(x)`` (the last hidden layer, after its ReLU), and a linear layer with bias classifies them. Inputs are
    standardised with the mean and standard deviation of the training pixels. Training is minibatch SGD with
    momentum and weight decay, as in Papyan, Han & Donoho (2020), on the squared loss
    ``1/2 ||f(x) - e_y||^2`` (the loss of the unconstrained feature model, Eq. 13) or cross-entropy. After
    every epoch, and once before training, the whole training set gives the training loss and accuracy and
    NC1-NC4 of ``h`` with the classifier's weight and bias (:func:`labhelpers.collapse.collapse_metrics`,
    App. F, Eq. 65-68), and the test set its loss and accuracy.

    Parameters
    ----------
    X_train, X_test : array_like, shapes (n, d) and (m, d)
        Images as rows, e.g. :func:`labhelpers.core.load_mnist` with ``flatten=True``.
    y_train, y_test : array_like of int, shapes (n,) and (m,)
        Classes ``0..C-1``; every class must appear in ``y_train`` (``C = max(y_train) + 1``).
    hidden : sequence of int
        Widths of the hidden layers; the last is the dimension of the collapsing features.
    epochs : int
        Passes over the training set (at least 1).
    lr, momentum, weight_decay : float
        SGD settings: ``lr > 0``, ``0 <= momentum < 1``, ``weight_decay >= 0``; ``lr`` and ``weight_decay``
        at most the largest float32 (the network trains in float32).
    batch_size : int
        Minibatch size (the last, smaller batch of an epoch is kept); one above the number of training images
        means full-batch training, and ``config["batch_size"]`` records the size used.
    loss : {"mse", "cross_entropy"}
        Training loss.
    init_scale : float
        Factor on PyTorch's default initialisation of every weight and bias (> 0); below 1 is a smaller start.
    device : str or torch.device
        Where to train (``"cpu"``, ``"cuda"``, ...).
    seed : int
        Seeds the initial weights and the order of the minibatches (torch's global seed is left alone).
    progress : bool, optional
        Show a progress bar over epochs (default: for 20 epochs or more).

    Returns
    -------
    CollapseRun
        ``epochs`` (E + 1,) from 0 and ``metrics[name]`` (E + 1,) for each name in ``METRIC_KEYS``.

    Raises
    ------
    ValueError
        For a bad argument (naming it), and if training diverges (non-finite loss).

    Notes
    -----
    On the CPU the run uses one torch thread, whatever the caller has set, and restores the caller's setting
    afterwards: a float32 product split between threads adds in another order, and a few hundred SGD steps
    carry that rounding into the printed digits. Results are thus bit-identical for any thread count.
    """
    import torch

    X_train, y_train, X_test, y_test, C = _checked_data(X_train, y_train, X_test, y_test)
    widths = _widths(hidden)
    epochs = check.positive_int("epochs", epochs)
    lr = _float32_setting("lr", lr)
    momentum = check.scalar("momentum", momentum, low=0.0)
    if momentum >= 1:
        raise ValueError(f"momentum must lie in [0, 1); got {momentum}")
    weight_decay = _float32_setting("weight_decay", weight_decay, allow_zero=True)
    batch_size = min(check.positive_int("batch_size", batch_size), X_train.shape[0])  # above n: full batch
    loss = check.one_of("loss", loss, LOSSES)
    init_scale = check.positive_scalar("init_scale", init_scale)
    seed = check.seed("seed", seed)
    progress = check.optional_flag("progress", progress)
    torch_device = check.device("device", device)
    _check_cost(X_train.shape, widths, C, epochs)
    config = {
        "hidden": list(widths),
        "epochs": epochs,
        "lr": lr,
        "momentum": momentum,
        "weight_decay": weight_decay,
        "batch_size": batch_size,
        "loss": loss,
        "init_scale": init_scale,
        "device": str(torch_device),
        "seed": seed,
        "n_train": int(X_train.shape[0]),
        "n_test": int(X_test.shape[0]),
        "n_classes": C,
    }
    started = time.perf_counter()
    with _cpu_threads_pinned(torch_device):  # the same numbers whatever the caller's thread count
        records, throughput = _train(torch, (X_train, y_train, X_test, y_test), config, torch_device, progress)

    return CollapseRun(
        epochs=np.arange(epochs + 1),
        metrics={name: np.asarray(values, dtype=float) for name, values in records.items()},
        config=config,
        seconds=time.perf_counter() - started,
        throughput=throughput,
    )


def _train(torch, data, config: dict, torch_device, progress: bool | None):
    """The training of :func:`train_collapse_mlp` on checked arguments, on the training scaffold: init
    (``_MLPTraining``), then one epoch per unit. Returns the per-epoch records by name (from epoch 0)
    and the :class:`~labhelpers.runs.Throughput`."""
    run = _MLPTraining(torch, data, config, torch_device)
    epochs, widths = config["epochs"], config["hidden"]
    records, throughput = train_loop(
        epochs,
        run.train_epoch,
        run.measure,
        recorded=range(1, epochs + 1),
        desc=f"MLP {'-'.join(map(str, widths))}, epochs",
        progress=epochs >= 20 if progress is None else progress,
        postfix=lambda values: {"train": f"{values['train_accuracy']:.3f}", "nc1": f"{values['nc1']:.3g}"},
        flops_per_sample=6.0 * _weight_count(data[0].shape[1], tuple(widths), config["n_classes"]),
    )
    return records.values, throughput


class _MLPTraining:
    """One run of :func:`train_collapse_mlp`: the standardised data, the seeded network and SGD (built here),
    one epoch of minibatch SGD (:meth:`train_epoch`, the step) and the evaluation (:meth:`measure`)."""

    def __init__(self, torch, data, config: dict, torch_device):
        X_train, y_train, X_test, y_test = data
        seed, C = config["seed"], config["n_classes"]
        lr, momentum, init_scale = config["lr"], config["momentum"], config["init_scale"]
        self.torch, self.device, self.batch_size = torch, torch_device, config["batch_size"]
        self.y_train, self.n_classes = y_train, C
        self.x_tr, self.x_te = _standardised(torch, X_train, X_test, torch_device)
        self.t_tr = torch.as_tensor(y_train, dtype=torch.int64, device=torch_device)
        self.t_te = torch.as_tensor(y_test, dtype=torch.int64, device=torch_device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            body, classifier = _build_mlp(torch, X_train.shape[1], tuple(config["hidden"]), C, init_scale)
        self.body, self.classifier = body.to(torch_device), classifier.to(torch_device)
        parameters = [*self.body.parameters(), *self.classifier.parameters()]
        self.optimizer = torch.optim.SGD(parameters, lr=lr, momentum=momentum, weight_decay=config["weight_decay"])
        self.criterion = classification_loss(torch, config["loss"], C)
        self.order = torch.Generator().manual_seed(seed + 1)
        self.guard = DivergenceGuard(
            "MLP training", lr=lr, init_scale=init_scale, momentum=momentum, loss=config["loss"]
        )
        self.steps = 0

    def train_epoch(self, epoch: int) -> int:
        """One pass of minibatch SGD over the shuffled training set; returns the number of samples trained on."""
        n = self.x_tr.shape[0]
        for index in epoch_batches(self.torch, n, self.batch_size, self.order, self.device):
            batch_loss = self.criterion(self.classifier(self.body(self.x_tr[index])), self.t_tr[index])
            self.steps += 1
            optimizer_step(self.optimizer, batch_loss, self.guard, self.steps)
        return n

    def measure(self, epoch: int) -> dict[str, float]:
        """Loss and accuracy on both sets and NC1-NC4 of the training features, in ``METRIC_KEYS`` order."""
        with self.torch.no_grad():
            h = self.body(self.x_tr)
            logits = self.classifier(h)
            train_loss = self.criterion(logits, self.t_tr)
            self.guard.check_values(self.steps, "the training loss", train_loss)
            self.guard.check_values(self.steps, "the penultimate features", h)
            train_loss = float(train_loss)
            test_logits = self.classifier(self.body(self.x_te))
            W, b = self.classifier.weight, self.classifier.bias
            nc = _metrics(h, self.y_train, W, b, self.n_classes, epoch, self.guard)
            return {
                "train_loss": train_loss,
                "train_accuracy": float((logits.argmax(1) == self.t_tr).float().mean()),
                "test_loss": float(self.criterion(test_logits, self.t_te)),
                "test_accuracy": float((test_logits.argmax(1) == self.t_te).float().mean()),
                **nc,
            }
