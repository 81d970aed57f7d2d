"""Grokking on MNIST, the trainer (App. H.3): a deep tanh MLP whose generalisation is delayed, and four cures.

Book: chapter 5, "Grokking on MNIST" (Sec. gk-mnist). The model (the configurations of four scales and the
stacked network) is in :mod:`.mnist_model`; the stored runs, their reading (:func:`first_epoch`,
:func:`generalisation_delay`), the figure and the command line are in :mod:`.mnist_results`.

The network is the paper's depth-4, width-512 tanh MLP, trained with Adam (with L2 weight decay) on the
mean squared error between its outputs and one-hot labels times a *target scale*. ``PAPER_CONFIGS`` are the
five configurations of the paper's Fig. 11 (App. H.3). The default (weights 5x LeCun, targets 3) starts with a
large weight-to-target ratio, in the lazy regime, and generalises late; each cure lowers the ratio in one of
four ways and removes the delay, as the scalar model of Eq. 15 predicts (:mod:`labhelpers.grokking`).

:func:`train_grokking` trains several configurations as **one** computation: their parameters are stacked
along a leading axis, every configuration sees the same mini-batches, and one (fused) Adam steps all of
them. Adam acts elementwise and the summed loss separates, so this is exactly the same as training each
configuration alone, which ``batched=False`` does (one after another) for comparison. Both run on
:func:`labhelpers.runs.train_loop` with one step function (an epoch of Adam steps,
:func:`labhelpers.runs.optimizer_step`); :class:`GrokkingHistory` records the
:class:`~labhelpers.runs.Throughput` of the training steps. Command line (``mnist_results.main``)::

    python -m labhelpers.grokking.mnist --out grokking_mnist.json            # the paper's scale
    python -m labhelpers.grokking.mnist --out small.json --epochs 100 --width 128
    python -m labhelpers.grokking.mnist --out bench.json --benchmark --epochs 20    # batched vs loop

Assumptions where the paper's text lost its numbers: learning rate 1e-3 and weight decay 1e-4 (coupled L2,
``torch.optim.Adam``), the values of the paper's public code; biases start at PyTorch's default
``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` and are not scaled; accuracy at epoch ``e`` is measured after ``e``
epochs of training (epoch 0: at initialisation), on the whole training and test sets.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import validation as check
from ..core.divergence import DivergenceGuard
from ..core.mnist import MnistData
from ..runs.loop import Throughput, epoch_batches, optimizer_step, train_loop
from ._configs import ConfigRows
from .mnist_model import (
    MAX_SETTING,
    N_CLASSES,
    PAPER_CONFIGS,
    SCALES,
    GrokkingConfig,
    _check_data,
    _configs,
    _evaluate,
    _forward,
    _n_weights,
    _weights_fit,
    init_params,
)

RESULTS_FORMAT = "labhelpers.grokking_mnist/run/1"
HISTORY_KEYS = ("train_accuracy", "test_accuracy", "train_loss")
DEFAULT_SETTINGS: dict[str, Any] = {
    "epochs": 2000,
    "width": 512,
    "depth": 4,
    "lr": 1e-3,
    "weight_decay": 1e-4,
    "batch_size": 128,
    "seed": 0,
    "eval_every": 1,
}
DENSE_EPOCHS = 100  # measured after every one of the first epochs, whatever eval_every says
MAX_WORK = 1e16
"""Most multiply-adds :func:`train_grokking` takes on (epochs x samples x configurations x weights x 3, for
the forward and backward passes); the paper's run is about 2e13. Larger runs are refused up front."""


@dataclass
class GrokkingHistory(ConfigRows):
    """Accuracy and loss per epoch of several configurations trained on the same data.

    Attributes
    ----------
    configs : tuple of GrokkingConfig
        The configurations, in the order of the first axis below.
    epochs : np.ndarray
        Epochs ``e`` at which the network was measured, after ``e`` epochs of training (0: at
        initialisation), shape (T,): every epoch up to ``DENSE_EPOCHS`` (100), then every ``eval_every``-th,
        and the last (every epoch when ``eval_every`` is 1).
    train_accuracy, test_accuracy : np.ndarray
        Fractions of correctly classified training and test digits, shape (R, T).
    train_loss : np.ndarray
        Mean squared error on the whole training set (the training objective without weight decay),
        shape (R, T).
    initial_ratio : np.ndarray
        Root-mean-square output at initialisation over the training set, divided by the target scale,
        shape (R,): the network's weight-to-target ratio, measured.
    settings : dict
        ``epochs, width, depth, lr, weight_decay, batch_size, seed, eval_every, n_train, n_test``.
    data : dict
        ``source`` and ``message`` of the MNIST sample (:func:`labhelpers.core.load_mnist`).
    method : str
        ``"batched"`` or ``"loop"``.
    train_seconds : float
        Wall time of the training loop (evaluation included).
    provenance : dict or None
        Device, date, command, wall time, versions, platform (set by :func:`run_and_save`).
    throughput : Throughput or None
        Speed of the training steps alone (:class:`~labhelpers.runs.Throughput`): samples count once per
        configuration they pass through, at about 6 FLOPs per weight (forward and backward). ``None`` for
        runs stored before it was recorded.
    """

    configs: tuple[GrokkingConfig, ...]
    epochs: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    train_loss: np.ndarray
    initial_ratio: np.ndarray
    settings: dict[str, Any]
    data: dict[str, str]
    method: str
    train_seconds: float
    provenance: dict[str, Any] | None = field(default=None)
    throughput: Throughput | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        record = {
            "format": RESULTS_FORMAT,
            "configs": [c.as_dict() for c in self.configs],
            "settings": self.settings,
            "data": self.data,
            "method": self.method,
            "train_seconds": self.train_seconds,
            "epochs": self.epochs.tolist(),
            "initial_ratio": self.initial_ratio.tolist(),
            "history": {key: np.round(getattr(self, key), 6).tolist() for key in HISTORY_KEYS},
            "provenance": self.provenance,
        }
        if self.throughput is not None:
            record["throughput"] = self.throughput.as_dict()
        return record


# ============================================================================ settings and optimiser


def _settings(n_train: int, n_test: int, overrides: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(overrides) - set(DEFAULT_SETTINGS))
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown}; the settings are {list(DEFAULT_SETTINGS)}")
    settings = {**DEFAULT_SETTINGS, **overrides}
    for name in ("epochs", "width", "batch_size", "eval_every", "depth"):
        settings[name] = check.positive_int(name, settings[name], maximum=MAX_SETTING)
    if settings["depth"] < 2:
        raise ValueError(f"depth must be at least 2 (one hidden layer); got {settings['depth']}")
    settings["lr"] = check.positive_scalar("lr", settings["lr"])
    settings["weight_decay"] = check.positive_scalar("weight_decay", settings["weight_decay"], allow_zero=True)
    settings["seed"] = check.integer("seed", settings["seed"], minimum=0, maximum=2**63 - 2)  # seed + 1 is used too
    settings.update(n_train=n_train, n_test=n_test)
    return settings


def _threads() -> int:
    import torch

    return torch.get_num_threads()


def _adam(tensors, settings):
    import torch

    try:
        return torch.optim.Adam(tensors, lr=settings["lr"], weight_decay=settings["weight_decay"], fused=True)
    except (RuntimeError, TypeError):  # fused Adam is missing for some devices and older torch versions
        return torch.optim.Adam(tensors, lr=settings["lr"], weight_decay=settings["weight_decay"])


def measured_epochs(epochs: int, eval_every: int = 1) -> np.ndarray:
    """Epochs at which :func:`train_grokking` measures: 0..``DENSE_EPOCHS``, then every ``eval_every``-th, and the last."""
    epochs = check.positive_int("epochs", epochs, maximum=MAX_SETTING)
    eval_every = check.positive_int("eval_every", eval_every, maximum=MAX_SETTING)
    check.fits_in_memory(f"the grid of epochs={epochs}", 3.0 * (epochs + 1))
    grid = np.arange(epochs + 1)
    keep = (grid <= DENSE_EPOCHS) | (grid % eval_every == 0) | (grid == epochs)
    return grid[keep]


# ============================================================================ training, on the scaffold


@dataclass
class _Stack:
    """What one stacked run trains: the data on the device, the scales (R, 1, 1), the parameters and optimiser.

    ``step`` counts the optimiser steps taken (the divergence guard names the step that diverged).
    """

    configs: tuple[GrokkingConfig, ...]
    X: dict[str, Any]
    labels: dict[str, Any]
    targets: dict[str, Any]
    target_scales: Any
    input_scales: Any
    output_scales: Any
    params: list
    optimizer: Any
    batches: Any
    guard: DivergenceGuard
    step: int = 0


def _init_stack(configs, data: MnistData, settings: dict[str, Any], device) -> _Stack:
    """Init: the data as tensors, the targets ``target_scale * one_hot``, the stacked network and its Adam."""
    import torch

    R = len(configs)
    X = {
        name: torch.as_tensor(getattr(data, name), dtype=torch.float32, device=device) for name in ("X_train", "X_test")
    }
    labels = {
        name: torch.as_tensor(getattr(data, name), dtype=torch.int64, device=device) for name in ("y_train", "y_test")
    }
    target_scales = torch.tensor([c.target_scale for c in configs], device=device).view(R, 1, 1)
    targets = {
        split: target_scales * torch.nn.functional.one_hot(labels[f"y_{split}"], N_CLASSES).float()
        for split in ("train", "test")
    }
    input_scales = torch.tensor([c.input_scale for c in configs], device=device).view(R, 1, 1)
    output_scales = torch.tensor([c.output_scale for c in configs], device=device).view(R, 1, 1)
    params = init_params(configs, data.X_train.shape[1], settings, device=device)
    optimizer = _adam([t for pair in params for t in pair], settings)
    batches = torch.Generator().manual_seed(settings["seed"] + 1)
    scales = {scale: max(getattr(c, scale) for c in configs) for scale in SCALES}
    guard = DivergenceGuard(
        f"Adam on the MNIST MLP ({', '.join(c.name for c in configs)})",
        lr=settings["lr"],
        weight_decay=settings["weight_decay"],
        **{f"largest_{scale}": value for scale, value in scales.items()},
    )
    return _Stack(
        configs, X, labels, targets, target_scales, input_scales, output_scales, params, optimizer, batches, guard
    )


def _epoch(stack: _Stack, batch_size: int) -> int:
    """Step: one epoch of Adam steps on shuffled mini-batches; returns the samples passed (once per configuration).

    One mean-squared error per configuration, summed: the gradients stay separate. Every step is checked
    for divergence before its update (the guard sees the step number before it is counted).
    """
    import torch

    X, targets = stack.X["X_train"], stack.targets["train"]
    passed = 0
    for index in epoch_batches(torch, X.shape[0], batch_size, stack.batches, X.device):
        out = _forward(stack.params, X[index], stack.input_scales, stack.output_scales)
        losses = (out - targets[:, index]).pow(2).mean((-1, -2))
        optimizer_step(stack.optimizer, losses, stack.guard, stack.step)
        stack.step += 1
        passed += len(stack.configs) * index.shape[0]
    return passed


def _measure(stack: _Stack, epoch: int) -> dict[str, np.ndarray]:
    """Measure: accuracy and loss on the whole training set and accuracy on the test set, one value per configuration."""
    scales = stack.input_scales, stack.output_scales
    train_accuracy, train_loss = _evaluate(
        stack.params, stack.X["X_train"], stack.labels["y_train"], stack.targets["train"], *scales
    )
    if not np.all(np.isfinite(train_loss)):
        bad = [stack.configs[r].name for r in np.flatnonzero(~np.isfinite(train_loss))]
        raise FloatingPointError(f"training diverged at epoch {epoch} for {bad}: lower lr")
    test_accuracy, _ = _evaluate(
        stack.params, stack.X["X_test"], stack.labels["y_test"], stack.targets["test"], *scales
    )
    return {"train_accuracy": train_accuracy, "test_accuracy": test_accuracy, "train_loss": train_loss}


def _initial_ratio(stack: _Stack) -> np.ndarray:
    """Root-mean-square output over the training set at initialisation, divided by the target scale (R,)."""
    import torch

    with torch.no_grad():
        out0 = _forward(stack.params, stack.X["X_train"], stack.input_scales, stack.output_scales)
        return (out0.pow(2).mean((-1, -2)).sqrt() / stack.target_scales.view(-1)).cpu().numpy()


def _train_stacked(configs, data: MnistData, settings: dict[str, Any], device, progress: bool) -> dict[str, Any]:
    """Train ``configs`` as one stacked computation on :func:`~labhelpers.runs.train_loop`; record every measured epoch.

    ``train_seconds`` is the wall time of the epochs with their measurements (not the one at initialisation);
    the :class:`~labhelpers.runs.Throughput` counts the training steps alone.
    """
    stack = _init_stack(configs, data, settings, device)
    measured = measured_epochs(settings["epochs"], settings["eval_every"])
    initial_ratio = _initial_ratio(stack)
    first = _measure(stack, 0)
    started = time.perf_counter()
    records, throughput = train_loop(
        settings["epochs"],
        lambda epoch: _epoch(stack, settings["batch_size"]),
        lambda epoch: _measure(stack, epoch),
        recorded=measured,
        measure_first=False,
        desc=f"{len(configs)} config(s)",
        progress=progress,
        postfix=lambda values: {
            "train": f"{values['train_accuracy'][0]:.3f}",
            "test": f"{values['test_accuracy'][0]:.3f}",
        },
        flops_per_sample=6.0 * _n_weights(data.X_train.shape[1], settings["width"], settings["depth"]),
        mininterval=1.0,
    )
    seconds = time.perf_counter() - started
    history = {key: np.stack([first[key], *records.values.get(key, [])], axis=1) for key in HISTORY_KEYS}
    return {**history, "epochs": measured, "train_seconds": seconds, "initial_ratio": initial_ratio,
            "throughput": throughput}  # fmt: skip


def _affordable(settings: dict[str, Any], input_dim: int, n_configs: int) -> None:
    """Refuse up front a run costing more than :data:`MAX_WORK` multiply-adds, or weights that cannot fit."""
    width, depth = settings["width"], settings["depth"]
    weights = _n_weights(input_dim, width, depth)
    _weights_fit(input_dim, settings, n_configs)
    evaluations = min(settings["epochs"], DENSE_EPOCHS) + 2 + settings["epochs"] / settings["eval_every"]  # at most
    samples = settings["epochs"] * settings["n_train"] + evaluations * (settings["n_train"] + settings["n_test"])
    work = 3.0 * n_configs * weights * samples
    if work > MAX_WORK:
        raise ValueError(
            f"epochs={settings['epochs']} with width={width}, depth={depth} and {n_configs} configuration(s) is "
            f"about {work:.2g} multiply-adds, more than train_grokking takes on ({MAX_WORK:.0e}); "
            "use fewer epochs or a smaller network"
        )


def train_grokking(
    data: MnistData,
    configs=PAPER_CONFIGS,
    *,
    batched: bool = True,
    device="cpu",
    progress: bool = True,
    **settings,
) -> GrokkingHistory:
    """Train the tanh MLPs of ``configs`` on ``data`` and record accuracy and loss after every epoch.

    Paper: Fig. 8, Fig. 11.

    Parameters
    ----------
    data : MnistData
        Flattened digits from :func:`labhelpers.core.load_mnist` (the paper: 1000 training images).
    configs : GrokkingConfig or sequence of them
        Scales of each run (default: the paper's five, ``PAPER_CONFIGS``).
    batched : bool
        ``True``: all configurations as one stacked computation. ``False``: one after another, each alone
        (same initial draws and mini-batches, hence the same result up to float rounding).
    device : str or torch.device
        Where to train (``"cpu"``, ``"cuda"``, ...).
    progress : bool
        Show a progress bar over epochs.
    **settings
        Any of ``epochs`` (2000), ``width`` (512), ``depth`` (4 layers of weights), ``lr`` (1e-3),
        ``weight_decay`` (1e-4, L2 added to the gradient as in ``torch.optim.Adam``), ``batch_size``
        (128), ``seed`` (0), ``eval_every`` (1: measure after every epoch; see :func:`measured_epochs`).

    Returns
    -------
    GrokkingHistory
    """

    data = _check_data(data)
    configs = _configs(configs)
    settings = _settings(data.X_train.shape[0], data.X_test.shape[0], settings)
    batched = check.flag("batched", batched)
    progress = check.flag("progress", progress)
    device = check.device("device", device)
    _affordable(settings, data.X_train.shape[1], len(configs))
    groups = [configs] if batched else [(c,) for c in configs]
    runs = [_train_stacked(group, data, settings, device, progress) for group in groups]
    return GrokkingHistory(
        configs=configs,
        epochs=runs[0]["epochs"],
        **{key: np.concatenate([run[key] for run in runs]) for key in (*HISTORY_KEYS, "initial_ratio")},
        settings=settings,
        data={"source": data.source, "message": data.message},
        method="batched" if batched else "loop",
        train_seconds=float(sum(run["train_seconds"] for run in runs)),
        throughput=Throughput(
            sum(run["throughput"].train_seconds for run in runs),
            sum(run["throughput"].samples for run in runs),
            runs[0]["throughput"].flops_per_sample,
        ),
    )


if __name__ == "__main__":  # python -m labhelpers.grokking.mnist
    from .mnist_results import main

    main()
