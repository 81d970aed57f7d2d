"""Neural collapse in a real network on a CPU: an MLP trained on MNIST digits past zero training error.

The layerwise linear models of :mod:`labhelpers.collapse` predict that features of the last layer collapse
to ``C`` directions (Eq. 13) once a network fits its labels from a small start. This module checks the
prediction in a non-linear network small enough for a laptop: :func:`train_collapse_mlp` trains a ReLU
MLP classifier with SGD on a few thousand images, keeps training after every training image is classified
correctly (the *terminal phase* of Papyan, Han & Donoho 2020), and records after every epoch

- the training and test loss and accuracy,
- NC1-NC4 (App. F, Eq. 65-68) of the penultimate features of the training set and the last layer,
  computed by :func:`labhelpers.collapse.collapse_metrics`,

in one :class:`CollapseRun`. :func:`plot_collapse_run` draws it. The plot helper reads only ``epochs``
and ``metrics[...]``, so it also draws the ResNet18 history of :mod:`labhelpers.collapse`.

Torch code is device-agnostic (``device=``; the CPU by default), seeded without touching torch's global
random state, and shows a tqdm progress bar over epochs. On the CPU the run uses one torch thread
(``labhelpers.runs.cpu_threads_pinned``), so it gives the same numbers whatever the caller's thread
setting, which is restored afterwards.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import floats as _floats
from ..core import validation as check
from ..core.divergence import DivergenceError, DivergenceGuard
from ..runs.threads import cpu_threads_pinned as _cpu_threads_pinned
from .saxe import collapse_metrics

LOSSES = ("mse", "cross_entropy")
COLLAPSE_KEYS = ("nc1", "equinorm", "angle_std", "angle_shift", "etf_distance", "self_duality", "ncc_mismatch")
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
    """

    epochs: np.ndarray
    metrics: dict[str, np.ndarray]
    config: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def _zero_error_epoch(epochs, train_accuracy) -> int | None:
    reached = np.flatnonzero(np.asarray(train_accuracy) >= 1.0)
    return int(np.asarray(epochs)[reached[0]]) if reached.size else None


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


def _loss_fn(torch, name: str, n_classes: int):
    functional = torch.nn.functional
    if name == "cross_entropy":
        return lambda logits, y: functional.cross_entropy(logits, y)
    # 1/2 ||f(x) - e_y||^2 summed over outputs, averaged over samples: the loss of Eq. 2 per sample.
    return lambda logits, y: 0.5 * ((logits - functional.one_hot(y, n_classes).to(logits.dtype)) ** 2).sum(1).mean()


def _check_cost(shape: tuple[int, int], widths: tuple[int, ...], n_classes: int, epochs: int) -> None:
    """Refuse up front a run beyond :data:`MAX_SAMPLE_PASSES`, or a network that cannot fit in memory."""
    n, n_inputs = shape
    if epochs * n > MAX_SAMPLE_PASSES:
        raise ValueError(
            f"epochs x training images = {epochs} x {n} = {epochs * n:.3g} is beyond the {MAX_SAMPLE_PASSES:.0e} "
            "sample passes this trainer runs (weeks of CPU time); lower epochs"
        )
    fan_ins = (n_inputs, *widths)
    n_weights = sum((fan_in + 1) * width for fan_in, width in zip(fan_ins, (*widths, n_classes)))
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


def _metrics(h, y_train: np.ndarray, W, b, n_classes: int, epoch: int, guard: DivergenceGuard):
    """NC1-NC4 of the penultimate features ``h``, blaming a dead or diverged network rather than the data."""
    try:
        return collapse_metrics(
            h.double().cpu().numpy(), y_train, W.double().cpu().numpy(), b.double().cpu().numpy(), n_classes=n_classes
        )
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

    X_train = _images("X_train", X_train)
    X_test = _images("X_test", X_test, X_train.shape[1])
    y_train = _class_labels("y_train", y_train, X_train.shape[0], None)
    C = int(y_train.max()) + 1
    if C < 2 or np.any(np.bincount(y_train, minlength=C) == 0):
        raise ValueError(
            f"y_train must contain every class 0..C-1 with C >= 2; got counts {np.bincount(y_train).tolist()}"
        )
    y_test = _class_labels("y_test", y_test, X_test.shape[0], C)
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
        records = _train(torch, (X_train, y_train, X_test, y_test), config, torch_device, progress)

    return CollapseRun(
        epochs=np.arange(epochs + 1),
        metrics={name: np.asarray(values, dtype=float) for name, values in records.items()},
        config=config,
        seconds=time.perf_counter() - started,
    )


def _train(torch, data, config: dict, torch_device, progress: bool | None) -> dict[str, list[float]]:
    """The training loop of :func:`train_collapse_mlp` on checked arguments: the per-epoch records by name."""
    from tqdm.auto import tqdm

    X_train, y_train, X_test, y_test = data
    widths, C, seed, loss = tuple(config["hidden"]), config["n_classes"], config["seed"], config["loss"]
    lr, momentum, init_scale = config["lr"], config["momentum"], config["init_scale"]
    weight_decay, batch_size, epochs = config["weight_decay"], config["batch_size"], config["epochs"]
    x_tr, x_te = _standardised(torch, X_train, X_test, torch_device)
    t_tr = torch.as_tensor(y_train, dtype=torch.int64, device=torch_device)
    t_te = torch.as_tensor(y_test, dtype=torch.int64, device=torch_device)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        body, classifier = _build_mlp(torch, X_train.shape[1], widths, C, init_scale)
    body, classifier = body.to(torch_device), classifier.to(torch_device)
    parameters = [*body.parameters(), *classifier.parameters()]
    optimizer = torch.optim.SGD(parameters, lr=lr, momentum=momentum, weight_decay=weight_decay)
    criterion = _loss_fn(torch, loss, C)
    order_generator = torch.Generator().manual_seed(seed + 1)
    guard = DivergenceGuard("MLP training", lr=lr, init_scale=init_scale, momentum=momentum, loss=loss)

    records = {name: [] for name in METRIC_KEYS}

    @torch.no_grad()
    def measure(epoch: int, step: int) -> dict:
        h = body(x_tr)
        logits = classifier(h)
        train_loss = criterion(logits, t_tr)
        guard.check_values(step, "the training loss", train_loss)
        guard.check_values(step, "the penultimate features", h)
        train_loss = float(train_loss)
        test_logits = classifier(body(x_te))
        W, b = classifier.weight, classifier.bias
        nc = _metrics(h, y_train, W, b, C, epoch, guard)
        values = {
            "train_loss": train_loss,
            "train_accuracy": float((logits.argmax(1) == t_tr).float().mean()),
            "test_loss": float(criterion(test_logits, t_te)),
            "test_accuracy": float((test_logits.argmax(1) == t_te).float().mean()),
            **{key: float(getattr(nc, key)) for key in COLLAPSE_KEYS},
        }
        for name in METRIC_KEYS:
            records[name].append(values[name])
        return values

    measure(0, 0)
    n = x_tr.shape[0]
    show = epochs >= 20 if progress is None else progress
    bar = tqdm(range(1, epochs + 1), disable=not show, desc=f"MLP {'-'.join(map(str, widths))}, epochs")
    step = 0
    for epoch in bar:
        order = torch.randperm(n, generator=order_generator).to(torch_device)
        for start in range(0, n, batch_size):
            index = order[start : start + batch_size]
            batch_loss = criterion(classifier(body(x_tr[index])), t_tr[index])
            step += 1
            guard.check(step, batch_loss)
            optimizer.zero_grad(set_to_none=True)
            batch_loss.backward()
            optimizer.step()
        values = measure(epoch, step)
        bar.set_postfix(train=f"{values['train_accuracy']:.3f}", nc1=f"{values['nc1']:.3g}")
    return records


PLOTTED_KEYS = ("train_accuracy", "test_accuracy", "nc1", "etf_distance", "self_duality", "ncc_mismatch")


def plot_collapse_run(run, *, axes=None, title: str | None = None):
    """Three panels of a run: accuracy, NC1, and NC2-NC4, against the epoch, with zero training error marked.

    Parameters
    ----------
    run : CollapseRun or any object with ``epochs`` (E,) and ``metrics`` (a dict of (E,) arrays)
        It needs ``metrics`` for ``train_accuracy``, ``test_accuracy``, ``nc1``, ``etf_distance`` (NC2),
        ``self_duality`` (NC3) and ``ncc_mismatch`` (NC4); a :class:`labhelpers.collapse.CollapseHistory` works.
    axes : sequence of three matplotlib Axes, optional
        Where to draw (a new 1 x 3 figure by default).
    title : str, optional
        Title of the figure (only with a new figure).

    Returns
    -------
    numpy.ndarray of matplotlib Axes
        The three axes.
    """
    import matplotlib.pyplot as plt

    from ..plotting import PALETTE

    epochs, metrics = _run_arrays(run)
    title = None if title is None else check.text("title", title)
    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(11, 4.0), layout="constrained")
        if title is not None:
            fig.suptitle(title)
    else:
        axes = np.asarray(axes).ravel()
        if axes.size != 3:
            raise ValueError(f"axes must hold three matplotlib Axes; got {axes.size}")
    accuracy, within, geometry = axes
    accuracy.plot(epochs, 1.0 - metrics["train_accuracy"], color=PALETTE[0], label="train")
    accuracy.plot(epochs, 1.0 - metrics["test_accuracy"], color=PALETTE[1], label="test")
    accuracy.set_yscale("symlog", linthresh=1e-3)
    accuracy.set(xlabel="epoch", ylabel="error rate", title="(a) classification error")
    within.semilogy(epochs, metrics["nc1"], color="k")
    within.set(xlabel="epoch", ylabel=r"NC1 $= \mathrm{Tr}(\Sigma_W\Sigma_B^+)/C$", title="(b) within-class spread")
    for key, label, color in (
        ("etf_distance", "NC2 (distance to simplex ETF)", PALETTE[2]),
        ("self_duality", "NC3 (self-duality)", PALETTE[3]),
        ("ncc_mismatch", "NC4 (mismatch with nearest mean)", PALETTE[4]),
    ):
        geometry.semilogy(epochs, np.maximum(metrics[key], 1e-4), color=color, label=label)
    geometry.set(xlabel="epoch", ylabel="metric (floored at 1e-4)", title="(c) geometry of the last layer")
    zero = _zero_error_epoch(epochs, metrics["train_accuracy"])
    for ax in axes:
        if zero is not None:
            ax.axvline(zero, color="0.5", ls=":", lw=1.2)
    if zero is not None:
        accuracy.plot([], [], color="0.5", ls=":", label="zero training error")
    accuracy.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8)
    geometry.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8)
    return axes


def _run_arrays(run) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    if not hasattr(run, "epochs") or not isinstance(getattr(run, "metrics", None), dict):
        raise ValueError(f"run must have epochs and a metrics dict (a CollapseRun); got {type(run).__name__}")
    epochs = check.as_array("run.epochs", run.epochs, ndim=1)
    missing = [key for key in PLOTTED_KEYS if key not in run.metrics]
    if missing:
        raise ValueError(f"run.metrics must hold {list(PLOTTED_KEYS)}; missing {missing}")
    metrics = {key: check.as_array(f"run.metrics[{key!r}]", run.metrics[key], ndim=1) for key in PLOTTED_KEYS}
    if any(values.shape != epochs.shape for values in metrics.values()) or epochs.size == 0:
        raise ValueError(f"run.metrics arrays must have one entry per epoch ({epochs.size}); check the run")
    return epochs, metrics
