"""Training ResNet18 past zero training error, recording neural collapse every epoch (:func:`train_collapse`).

SGD with momentum and weight decay, trained far past zero training error (the *terminal phase*), recording
NC1-NC4 and train/test accuracy every epoch in a :class:`CollapseHistory`. The run is built on the course's
training scaffold (:func:`labhelpers.runs.train_loop`): ``_ResNetTraining`` holds what the run trains
(init), one epoch of SGD (step) and the per-epoch measurement (measure); the history keeps the
:class:`~labhelpers.runs.Throughput`.

On a GPU the training keeps the whole data set on the device as one tensor (no DataLoader or workers),
runs the network in ``channels_last`` memory format under bfloat16 autocast, and evaluates in large
batches. On a CPU, ``TrainConfig(max_batches=..., width=...)`` gives smoke runs of seconds.

Book: chapter 3, "Neural collapse in ResNet18" (Sec. nc-resnet; Papyan, Han & Donoho 2020).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import numpy as np
import torch

from ...core import validation as check
from ...core.divergence import DivergenceGuard
from ...runs import provenance as provenance_
from ...runs.loop import Throughput, epoch_batches, optimizer_step, train_loop
from ...runs.threads import cpu_threads_pinned as _cpu_threads_pinned
from ..metrics import COLLAPSE_KEYS, collapse_values
from ..mnist_mlp import PerEpochMetrics, classification_loss
from .config import TrainConfig
from .data import ImageData, _checked_images
from .model import ResNet18

RESULTS_FORMAT = "labhelpers.resnet/collapse-run/1"
HISTORY_KEYS = (
    "epoch",
    "lr",
    "train_loss",
    "train_accuracy",
    "test_accuracy",
    *COLLAPSE_KEYS,
    "epoch_seconds",
)


@dataclass
class CollapseHistory(PerEpochMetrics):
    """Per-epoch record of a :func:`train_collapse` run.

    Attributes
    ----------
    epochs : ndarray
        Epoch numbers 1..E, shape (E,).
    metrics : dict
        One array of shape (E,) per name in ``HISTORY_KEYS`` (besides ``epoch``): ``lr`` (during the epoch),
        ``train_loss`` (mean minibatch loss, train mode), ``train_accuracy`` (eval mode, on the metric
        samples), ``test_accuracy``, the collapse metrics of :func:`labhelpers.collapse.collapse_metrics`
        on the training features after the epoch (``nc1``, ``equinorm``, ``angle_std``, ``angle_shift``,
        ``etf_distance``, ``self_duality`` for NC3, ``ncc_mismatch`` for NC4) and ``epoch_seconds``.
    config : dict
        The :class:`TrainConfig` as a dict.
    provenance : dict
        Device, date, command, wall time and library versions (filled by :func:`run_and_save`).
    throughput : labhelpers.runs.Throughput or None
        How fast the run trained (samples per second of training, evaluation excluded); None for a run
        stored before the training scaffold recorded it.
    """

    epochs: np.ndarray
    metrics: dict[str, np.ndarray]
    config: dict[str, Any]
    provenance: dict[str, Any] = field(default_factory=dict)
    throughput: Throughput | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON document written by :func:`run_and_save` (``throughput`` only when it is known)."""
        history = {"epoch": [int(e) for e in self.epochs]}
        history.update({name: [float(v) for v in self.metrics[name]] for name in HISTORY_KEYS[1:]})
        document = {"format": RESULTS_FORMAT, "config": self.config, "history": history, "provenance": self.provenance}
        if self.throughput is not None:
            document["throughput"] = self.throughput.as_dict()
        return document


def _speedups(device: torch.device, config: TrainConfig) -> tuple[bool, torch.dtype | None]:
    """The GPU speed-ups a run uses: ``channels_last`` memory format, and the autocast dtype (None: float32).

    Both only on cuda, as ``config.channels_last`` and ``config.amp`` ask; on a CPU they would slow the
    convolutions down, so a CPU run is plain float32.
    """
    on_cuda = device.type == "cuda"
    return bool(config.channels_last and on_cuda), (torch.bfloat16 if on_cuda and config.amp else None)


def _balanced_subset(labels: np.ndarray, n: int | None, n_classes: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n`` samples with (nearly) equal counts per class, in a random order; all when ``n`` is None."""
    if n is None or n >= labels.size:
        return rng.permutation(labels.size)
    if n < n_classes:
        raise ValueError(f"a balanced subset needs at least one sample per class ({n_classes}); got n = {n}")
    order = rng.permutation(labels.size)
    ranks = np.empty(labels.size, dtype=np.int64)  # position of each sample among its class, in random order
    for c in range(n_classes):
        members = order[labels[order] == c]
        ranks[members] = np.arange(members.size)
    # Take the samples in order of their rank within their class: round-robin over classes.
    chosen = order[np.argsort(ranks[order], kind="stable")][:n]
    return rng.permutation(chosen)


def _as_unit_float(x: np.ndarray, device) -> torch.Tensor:
    """uint8 images to float32 in [0, 1] on ``device`` (the bytes travel, not the floats).

    The result has the standard strides of a (N, C, H, W) tensor. numpy may give a one-channel array an
    arbitrary stride on its channel axis, which torch keeps; oneDNN's CPU convolution then corrupts the
    heap in the weight gradient of the first layer (torch 2.13), so the strides are reset here.
    """
    images = torch.as_tensor(x, device=device).clone(memory_format=torch.contiguous_format)
    return images.float().div_(255.0)


@torch.no_grad()
def _features(model: ResNet18, x: torch.Tensor, index: torch.Tensor | None, batch_size: int, prepare, autocast):
    """Penultimate features of ``x[index]`` (all of ``x`` when ``index`` is None) in eval mode, float32."""
    n = x.shape[0] if index is None else index.numel()
    chunks = []
    for start in range(0, n, batch_size):
        batch = x[start : start + batch_size] if index is None else x[index[start : start + batch_size]]
        with autocast():
            chunks.append(model.features(prepare(batch)).float())
    return torch.cat(chunks)


def _check_data_fits_config(data: ImageData, config: TrainConfig) -> None:
    """Refuse a config that asks for more samples than ``data`` holds (issue 11, item 6)."""
    n_train = data.y_train.size if config.n_train is None else config.n_train
    for name, asked, held in (
        ("n_train", config.n_train, data.y_train.size),
        ("n_test", config.n_test, data.y_test.size),
    ):
        if asked is not None and asked > held:
            raise ValueError(f"config.{name} = {asked} is more than the {held} samples data.y_{name[2:]} holds")
    if config.batch_size > n_train:
        raise ValueError(f"config.batch_size = {config.batch_size} is more than the {n_train} training samples")
    if config.n_metric is not None and config.n_metric > n_train:
        raise ValueError(f"config.n_metric = {config.n_metric} is more than the {n_train} training samples")


def train_collapse(
    data: ImageData, config: TrainConfig | None = None, *, progress: bool | None = None, pin_threads: bool = True
) -> CollapseHistory:
    """Train :class:`ResNet18` past zero training error and record neural collapse every epoch.

    Each epoch: one pass over the (shuffled) training set with SGD (at most ``max_batches`` minibatches),
    then, in eval mode, the penultimate features of the metric samples (``n_metric``, class-balanced, from
    the training set) give NC1-NC4 (:func:`labhelpers.collapse.collapse_metrics`, with the classifier's
    weight and bias) and the train accuracy, and the test set gives the test accuracy. Images are scaled to
    [0, 1] and standardised per channel with the training mean and standard deviation; there is no
    augmentation (as in Papyan et al.). Everything stays on ``config.device``; the initial weights, the
    subsets and the minibatch order are seeded (``config.seed``), without touching torch's global seed.

    Parameters
    ----------
    data : ImageData
        Training and test images (:func:`load_cifar10`, :func:`random_images`).
    config : TrainConfig, optional
        Settings (default ``TrainConfig()``: Papyan et al.'s, 350 epochs, CPU).
    progress : bool, optional
        Show a progress bar over epochs (default: for 10 epochs or more).
    pin_threads : bool
        On the CPU, train on one torch thread (``labhelpers.runs.threads``), so that the numbers do not depend
        on the machine's thread count. The long command-line runs set it to False for speed and record
        their thread count instead.

    Returns
    -------
    CollapseHistory
        Per-epoch metrics, the config, and ``provenance`` with the device and wall time.
    """
    pin_threads = check.flag("pin_threads", pin_threads)
    device = check.device("config.device", TrainConfig().device if config is None else getattr(config, "device", "cpu"))
    with _cpu_threads_pinned(device) if pin_threads else contextlib.nullcontext():
        return _train_collapse(data, config, progress)


def _train_collapse(data: ImageData, config: TrainConfig | None, progress: bool | None) -> CollapseHistory:
    """:func:`train_collapse` on the training scaffold: init (``_ResNetTraining``), then the epochs."""
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a labhelpers.collapse.resnet.TrainConfig; got {type(config).__name__}")
    if not isinstance(data, ImageData):
        raise ValueError(f"data must be a labhelpers.collapse.resnet.ImageData; got {type(data).__name__}")
    _checked_images(data, "data.")  # it may have been edited since it was built
    progress = check.optional_flag("progress", progress)
    device = check.device("config.device", config.device)
    _check_data_fits_config(data, config)
    started = time.perf_counter()
    run = _ResNetTraining(data, config, device)
    records, throughput = train_loop(
        config.epochs,
        run.train_epoch,
        run.measure,
        recorded=range(1, config.epochs + 1),
        measure_first=False,
        desc="ResNet18, epochs",
        progress=config.epochs >= 10 if progress is None else progress,
        postfix=lambda values: {
            "train": f"{values['train_accuracy']:.3f}",
            "test": f"{values['test_accuracy']:.3f}",
            "nc1": f"{values['nc1']:.3g}",
        },
    )
    return CollapseHistory(
        epochs=np.asarray(records.values["epoch"], dtype=int),
        metrics={name: np.asarray(records.values[name], dtype=float) for name in HISTORY_KEYS[1:]},
        config=config.as_dict(),
        provenance={"device": provenance_.device_name(device), "train_seconds": time.perf_counter() - started},
        throughput=throughput,
    )


@dataclass
class _Tensors:
    """The images and labels a run trains and measures on, on its device (:func:`_tensors`)."""

    x_train: torch.Tensor  # (n, channels, H, W), standardised per channel with the training statistics
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    metric_index: torch.Tensor  # into x_train: the samples of the collapse metrics and the train accuracy
    metric_labels: np.ndarray  # their labels


def _tensors(data: ImageData, config: TrainConfig, device: torch.device) -> _Tensors:
    """The class-balanced subsets a config asks for (seeded), scaled to [0, 1] and standardised per channel
    with the training mean and standard deviation, on ``device``. Refuses metric samples that miss a class."""
    C = data.n_classes
    rng = np.random.default_rng(np.random.SeedSequence(config.seed).spawn(1)[0])
    train_index = _balanced_subset(data.y_train, config.n_train, C, rng)
    metric_index = _balanced_subset(data.y_train[train_index], config.n_metric, C, rng)
    x_train = _as_unit_float(data.x_train[train_index], device)
    test_index = np.arange(data.y_test.size) if config.n_test is None else None
    if test_index is None:
        test_index = _balanced_subset(data.y_test, config.n_test, C, rng)
    x_test = _as_unit_float(data.x_test[test_index], device)
    mean = x_train.mean(dim=(0, 2, 3), keepdim=True)
    std = x_train.std(dim=(0, 2, 3), keepdim=True, correction=0)
    std = torch.where(std > 0, std, torch.ones_like(std))
    for images in (x_train, x_test):
        images.sub_(mean).div_(std)
    y_train = torch.as_tensor(data.y_train[train_index], device=device)
    y_test = torch.as_tensor(data.y_test[test_index], device=device)
    metric_labels = data.y_train[train_index][metric_index]
    counts = np.bincount(metric_labels, minlength=C)
    if np.any(counts == 0):
        raise ValueError(
            f"data/n_metric: class {int(np.argmin(counts))} has no training sample among the {metric_labels.size} "
            f"used for the collapse metrics (counts {counts.tolist()}); every one of the {C} classes needs one"
        )
    metric_index_t = torch.as_tensor(metric_index, device=device)
    return _Tensors(x_train, y_train, x_test, y_test, metric_index_t, metric_labels)


class _ResNetTraining:
    """One run of :func:`train_collapse` on the training scaffold: what it trains (built here: data, seeded
    model, SGD with the ``MultiStepLR`` schedule), one epoch of SGD (:meth:`train_epoch`, the step) and the
    per-epoch measurement (:meth:`measure`)."""

    def __init__(self, data: ImageData, config: TrainConfig, device: torch.device):
        self.config, self.device, self.n_classes = config, device, data.n_classes
        self.channels_last, self.amp_dtype = _speedups(device, config)
        self.tensors = _tensors(data, config, device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            model = ResNet18(data.n_classes, data.image_shape[0], width=config.width)
        model = model.to(device)
        if self.channels_last:
            model = model.to(memory_format=torch.channels_last)
        self.model = model
        self.optimizer = torch.optim.SGD(
            model.parameters(), lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
        )
        self.scheduler = torch.optim.lr_scheduler.MultiStepLR(
            self.optimizer, milestones=list(config.milestones), gamma=config.lr_decay
        )
        self.order = torch.Generator().manual_seed(config.seed + 1)
        self.criterion = classification_loss(torch, config.loss, data.n_classes)
        self.guard = DivergenceGuard("ResNet training", lr=config.lr, momentum=config.momentum, loss=config.loss)
        self.steps = 0
        self.lr, self.train_loss, self.epoch_started = config.lr, float("nan"), time.perf_counter()

    def autocast(self):
        """bfloat16 autocast where the run uses it (cuda), else nothing."""
        if self.amp_dtype is not None:
            return torch.autocast(self.device.type, dtype=self.amp_dtype)
        return contextlib.nullcontext()

    def prepare(self, batch: torch.Tensor) -> torch.Tensor:
        """A batch of images in the memory format of the model."""
        return batch.contiguous(memory_format=torch.channels_last) if self.channels_last else batch

    def train_epoch(self, epoch: int) -> int:
        """One pass of SGD over the shuffled training set (at most ``max_batches`` minibatches; a last batch of
        one sample is skipped, since batch norm needs two); returns the number of samples trained on."""
        self.epoch_started = time.perf_counter()
        self.lr = self.optimizer.param_groups[0]["lr"]
        self.model.train()
        x, y = self.tensors.x_train, self.tensors.y_train
        batches = epoch_batches(torch, x.shape[0], self.config.batch_size, self.order, self.device)
        total, seen = torch.zeros((), device=self.device), 0
        for index in islice(batches, self.config.max_batches):
            if index.numel() < 2:  # batch norm needs two samples
                continue
            with self.autocast():
                logits = self.model(self.prepare(x[index]))
            loss = self.criterion(logits, y[index])
            self.steps += 1
            optimizer_step(self.optimizer, loss, self.guard, self.steps)
            total += loss.detach() * index.numel()
            seen += index.numel()
        self.scheduler.step()
        self.train_loss = float(total) / max(seen, 1)
        return seen

    def measure(self, epoch: int) -> dict[str, float]:
        """In eval mode: the train accuracy and NC1-NC4 on the metric samples, and the test accuracy."""
        self.model.eval()
        t, batch_size = self.tensors, self.config.eval_batch_size
        W = self.model.classifier.weight.detach().float()
        b = self.model.classifier.bias.detach().float()
        h = _features(self.model, t.x_train, t.metric_index, batch_size, self.prepare, self.autocast)
        train_accuracy = float(((h @ W.T + b).argmax(dim=1) == t.y_train[t.metric_index]).float().mean())
        h_test = _features(self.model, t.x_test, None, batch_size, self.prepare, self.autocast)
        test_accuracy = float(((h_test @ W.T + b).argmax(dim=1) == t.y_test).float().mean())
        return {
            "epoch": epoch,
            "lr": self.lr,
            "train_loss": self.train_loss,
            "train_accuracy": train_accuracy,
            "test_accuracy": test_accuracy,
            **collapse_values(h, t.metric_labels, W, b, self.n_classes),
            "epoch_seconds": time.perf_counter() - self.epoch_started,
        }
