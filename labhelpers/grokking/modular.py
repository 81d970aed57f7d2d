"""Grokking on modular addition, the trainer: Gromov's quadratic MLP on (a + b) mod p, several scales at once.

Book: chapter 5, "Modular arithmetic" (Sec. gk-modular). The data set and the model (the configurations and
the stacked network ``f(a, b) = c * W^T (U[a] + V[b])**2`` of Gromov, 2023) are in :mod:`.modular_model`;
the stored run, its figure and the command line in :mod:`.modular_results`. This module also reads the
delay between fitting and generalising from a run (:func:`first_step`, :func:`grokking_delay`).

The network is trained on the squared error to ``S`` times the one-hot code of ``(a + b) mod p``, summed
over the ``p`` outputs and averaged over the training pairs. Each configuration (:class:`ModularConfig`)
sets four scales: the embedding ``U, V`` starts at ``embedding_scale`` times N(0, 1), the read-out ``W`` at
``readout_scale`` times N(0, 1/N), ``S = target_scale`` and ``c = output_scale``. The root-mean-square
output at initialisation is about ``sqrt(12) * embedding_scale**2 * readout_scale * output_scale`` whatever
the width, so the weight-to-target ratio of the chapter (the RMS output over ``S``) is about ``3.5`` for the
default.

:data:`MODULAR_CONFIGS` holds the default (lazy start, long delay), the upstream initialisation of Kunin et
al. (2024): the embedding alone shrunk ten-fold, the same with the read-out grown so that the output at
initialisation is unchanged (a control that keeps the ratio and changes only the balance of the layers),
and the chapter-5 cures: all weights shrunk, the target scaled up, the output scaled down.

:func:`train_modular` trains several configurations as one computation on :func:`labhelpers.runs.train_loop`:
their parameters are stacked along a leading axis, all see the same (full) batch of training pairs, and one
AdamW optimiser (decoupled weight decay, element-wise) steps them all, which is exactly the same as training
each alone. On the CPU the loop runs with one torch thread (:func:`labhelpers.runs.cpu_threads_pinned`), so
its numbers do not depend on the machine's thread count. Command line (``modular_results.main``)::

    python -m labhelpers.grokking.modular --out grokking_modular.json --p 31 --width 512 --steps 5000
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import validation as check
from ..core.divergence import DivergenceGuard
from ..runs.loop import Throughput, optimizer_step, train_loop
from ..runs.threads import cpu_threads_pinned
from ._configs import ConfigRows
from .modular_model import (
    MAX_MODULUS,
    MAX_SETTING,
    MODULAR_CONFIGS,
    SCALES,
    ModularConfig,
    ModularData,
    _configs,
    _forward,
    init_modular,
    modular_dataset,
    modular_forward,
)

__all__ = [
    "MAX_MODULUS",
    "MODULAR_CONFIGS",
    "SCALES",
    "ModularConfig",
    "ModularData",
    "ModularHistory",
    "first_step",
    "grokking_delay",
    "init_modular",
    "measured_steps",
    "modular_dataset",
    "modular_forward",
    "train_modular",
    "work",
]

HISTORY_KEYS = ("train_accuracy", "test_accuracy", "train_loss")
DEFAULT_SETTINGS: dict[str, Any] = {
    "steps": 2400,
    "width": 256,
    "lr": 1e-2,
    "weight_decay": 0.3,
    "seed": 0,
    "eval_every": 25,
}
MAX_WORK_CPU = 1e13
"""Most multiply-adds :func:`train_modular` takes on at a CPU (about 40 minutes on two cores, at the 4.5e9 a
second of the stored run); the book's in-page run is about 9e10, the stored full-scale run about 9e11."""
MAX_WORK_GPU = 1e16
"""Most multiply-adds it takes on at a GPU."""
# ============================================================================ the trainer


@dataclass
class ModularHistory(ConfigRows):
    """Accuracy and loss of several configurations against the optimiser step.

    ``steps`` (T,): steps at which the networks were measured, after that many AdamW steps (0: at
    initialisation). ``train_accuracy``, ``test_accuracy`` (R, T): fractions of pairs answered correctly
    (arg-max of the ``p`` outputs); ``train_loss`` (R, T): the training objective without weight decay.
    ``initial_ratio`` (R,): RMS output over the training pairs at initialisation divided by the target scale,
    the measured weight-to-target ratio. ``settings``: ``p, train_fraction, steps, width, lr, weight_decay,
    seed, eval_every, n_train, n_test``. ``train_seconds``: wall time of the loop (measurements included);
    ``throughput``: speed of the steps alone; ``provenance``: set by ``modular_results.run_and_save``.
    """

    configs: tuple[ModularConfig, ...]
    steps: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    train_loss: np.ndarray
    initial_ratio: np.ndarray
    settings: dict[str, Any]
    train_seconds: float
    throughput: Throughput | None = field(default=None)
    provenance: dict[str, Any] | None = field(default=None)


def _settings(data: ModularData, overrides: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(overrides) - set(DEFAULT_SETTINGS))
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown}; the settings are {list(DEFAULT_SETTINGS)}")
    settings = {**DEFAULT_SETTINGS, **overrides}
    for name in ("steps", "width", "eval_every"):
        settings[name] = check.positive_int(name, settings[name], maximum=MAX_SETTING)
    settings["lr"] = check.positive_scalar("lr", settings["lr"])
    settings["weight_decay"] = check.positive_scalar("weight_decay", settings["weight_decay"], allow_zero=True)
    if settings["lr"] * settings["weight_decay"] >= 1:
        raise ValueError(
            "lr * weight_decay must be below 1 (AdamW multiplies the weights by 1 - lr * weight_decay); "
            f"got lr={settings['lr']:g}, weight_decay={settings['weight_decay']:g}"
        )
    settings["seed"] = check.seed("seed", settings["seed"])
    return {"p": data.p, "train_fraction": data.train_fraction, **settings,
            "n_train": data.n_train, "n_test": data.n_test}  # fmt: skip


def measured_steps(steps: int, eval_every: int) -> np.ndarray:
    """Steps at which :func:`train_modular` measures: 0, every ``eval_every``-th step, and the last."""
    steps = check.positive_int("steps", steps, maximum=MAX_SETTING)
    eval_every = check.positive_int("eval_every", eval_every, maximum=MAX_SETTING)
    check.fits_in_memory(f"the grid of steps={steps}, eval_every={eval_every}", 3.0 * (steps // eval_every + 2))
    return np.unique(np.r_[np.arange(0, steps + 1, eval_every), steps])


def work(settings: dict[str, Any], n_configs: int) -> float:
    """Multiply-adds of a run: three passes (forward and backward) per training step, one per measurement."""
    p, width = settings["p"], settings["width"]
    per_pair = float(width) * (p + 2)
    measurements = settings["steps"] / settings["eval_every"] + 2
    return n_configs * per_pair * (3.0 * settings["steps"] * settings["n_train"] + measurements * p * p)


def _affordable(settings: dict[str, Any], n_configs: int, device) -> None:
    """Refuse up front a run that cannot finish in reasonable time on ``device``."""
    limit = MAX_WORK_CPU if device.type == "cpu" else MAX_WORK_GPU
    cost = work(settings, n_configs)
    if cost > limit:
        raise ValueError(
            f"steps={settings['steps']} with p={settings['p']}, width={settings['width']} and {n_configs} "
            f"configuration(s) is about {cost:.2g} multiply-adds, more than train_modular takes on on a "
            f"{device.type} ({limit:.0e}); use fewer steps, a smaller p or width, or a GPU"
        )


def _adamw(tensors, settings):
    import torch

    try:
        return torch.optim.AdamW(tensors, lr=settings["lr"], weight_decay=settings["weight_decay"], fused=True)
    except (RuntimeError, TypeError):  # fused AdamW is missing for some devices and older torch versions
        return torch.optim.AdamW(tensors, lr=settings["lr"], weight_decay=settings["weight_decay"])


def _train(configs, data: ModularData, settings: dict[str, Any], device, progress: bool) -> dict[str, Any]:
    """Init, then :func:`~labhelpers.runs.train_loop` with one full-batch AdamW step per unit."""
    import torch

    R, p = len(configs), data.p
    params = init_modular(configs, p, settings["width"], seed=settings["seed"], device=device)
    optimizer = _adamw(list(params.values()), settings)
    pairs = torch.as_tensor(data.pairs, device=device)
    labels = torch.as_tensor(data.labels, device=device)
    train = torch.as_tensor(data.train, device=device)
    test = torch.as_tensor(data.test, device=device)
    a_train, b_train = pairs[train, 0], pairs[train, 1]
    target_scales = torch.tensor([c.target_scale for c in configs], device=device).view(R, 1, 1)
    output_scales = torch.tensor([c.output_scale for c in configs], device=device).view(R, 1, 1)
    targets = target_scales * torch.nn.functional.one_hot(labels[train], p).float()
    guard = DivergenceGuard(
        f"AdamW on modular addition ({', '.join(c.name for c in configs)})",
        lr=settings["lr"],
        weight_decay=settings["weight_decay"],
        **{f"largest_{scale}": max(getattr(c, scale) for c in configs) for scale in SCALES},
    )

    def step(unit: int) -> int:
        out = _forward(params, a_train, b_train, output_scales)
        losses = (out - targets).pow(2).sum(-1).mean(-1)
        optimizer_step(optimizer, losses, guard, unit - 1)
        return R * data.n_train

    def measure(unit: int) -> dict[str, np.ndarray]:
        with torch.no_grad():
            out = _forward(params, pairs[:, 0], pairs[:, 1], output_scales)
            correct = (out.argmax(-1) == labels).double()
            loss = (out[:, train] - targets).pow(2).sum(-1).mean(-1)
        return {
            "train_accuracy": correct[:, train].mean(-1).cpu().numpy(),
            "test_accuracy": correct[:, test].mean(-1).cpu().numpy(),
            "train_loss": loss.double().cpu().numpy(),
        }

    with torch.no_grad():
        out0 = _forward(params, a_train, b_train, output_scales)
        initial_ratio = (out0.pow(2).mean((-1, -2)).sqrt() / target_scales.view(-1)).double().cpu().numpy()
    recorded = measured_steps(settings["steps"], settings["eval_every"])
    started = time.perf_counter()
    records, throughput = train_loop(
        settings["steps"],
        step,
        measure,
        recorded=recorded,
        desc=f"{R} config(s), p={p}",
        progress=progress,
        postfix=lambda v: {"train": f"{v['train_accuracy'][0]:.3f}", "test": f"{v['test_accuracy'][0]:.3f}"},
        flops_per_sample=6.0 * settings["width"] * (p + 2),
        mininterval=1.0,
    )
    history = {key: np.stack(records.values[key], axis=1) for key in HISTORY_KEYS}
    if not np.all(np.isfinite(history["train_loss"])):
        raise FloatingPointError("training diverged (a non-finite loss); lower lr")
    return {**history, "steps": np.asarray(records.units), "initial_ratio": initial_ratio,
            "train_seconds": time.perf_counter() - started, "throughput": throughput}  # fmt: skip


def train_modular(
    data: ModularData,
    configs=MODULAR_CONFIGS,
    *,
    device="cpu",
    progress: bool = False,
    pin_threads: bool = True,
    **settings,
) -> ModularHistory:
    """Train Gromov's MLP on ``data`` in every configuration of ``configs`` (one stacked computation).

    Parameters
    ----------
    data : ModularData
        From :func:`modular_dataset`.
    configs : ModularConfig or sequence of them
        Default: :data:`MODULAR_CONFIGS`.
    device : str or torch.device
        ``"cpu"``, ``"cuda"``, ``"auto"``, ...
    progress : bool
        Show a progress bar over the steps.
    pin_threads : bool
        On the CPU, train with one torch thread so that the numbers do not depend on the thread count
        (the full-scale command line turns this off for speed and records its thread count).
    **settings
        ``steps`` (2400 full-batch AdamW steps), ``width`` (256), ``lr`` (1e-2), ``weight_decay`` (0.3,
        decoupled, as ``torch.optim.AdamW``), ``seed`` (0, the initial draws), ``eval_every`` (25).

    Returns
    -------
    ModularHistory
    """
    if not isinstance(data, ModularData):
        raise ValueError(f"data must be a ModularData from modular_dataset; got {type(data).__name__}")
    configs = _configs(configs)
    settings = _settings(data, settings)
    device = check.device("device", device)
    progress = check.flag("progress", progress)
    pin_threads = check.flag("pin_threads", pin_threads)
    _affordable(settings, len(configs), device)
    with cpu_threads_pinned(device, 1 if pin_threads else _threads()):
        run = _train(configs, data, settings, device, progress)
    return ModularHistory(configs=configs, settings=settings, **run)


def _threads() -> int:
    import torch

    return torch.get_num_threads()


# ============================================================================ reading a history


def first_step(history: ModularHistory, split: str, level: float) -> np.ndarray:
    """First measured step at which each configuration's ``split`` accuracy reaches ``level`` (inf if never).

    ``split`` is ``"train"`` or ``"test"``; ``level`` an accuracy in (0, 1].
    """
    _check_history(history)
    check.one_of("split", split, ("train", "test"))
    level = _level("level", level)
    reached = getattr(history, f"{split}_accuracy") >= level - 1e-12
    return np.where(reached.any(axis=1), history.steps[reached.argmax(axis=1)], np.inf)


def grokking_delay(history: ModularHistory, *, train_level: float = 0.99, test_level: float = 0.95) -> np.ndarray:
    """Steps from fitting (training accuracy first at ``train_level``) to generalising (test accuracy first at
    ``test_level``), per configuration; ``inf`` when the test level is never reached.

    The delay is measured on the grid of recorded steps, so it is exact to ``eval_every`` steps. A
    configuration that generalises without ever fitting its training set has no delay: ``ValueError``.
    """
    fitted = first_step(history, "train", _level("train_level", train_level))
    general = first_step(history, "test", _level("test_level", test_level))
    unfitted = np.isinf(fitted) & np.isfinite(general)
    if np.any(unfitted):
        names = [history.configs[r].name for r in np.flatnonzero(unfitted)]
        raise ValueError(f"train_level={train_level:g} is never reached by {names}, which reach "
                         f"test_level={test_level:g}; lower train_level")  # fmt: skip
    return np.where(np.isfinite(general), general - np.where(np.isfinite(fitted), fitted, 0.0), np.inf)


def _check_history(history) -> None:
    """Refuse anything but a ModularHistory whose steps (T,) and accuracies (R, T) agree and are finite."""
    if not isinstance(history, ModularHistory):
        raise ValueError(f"history must be a ModularHistory; got {type(history).__name__}")
    steps = np.asarray(history.steps)
    R, T = len(history.configs), steps.size
    if steps.ndim != 1 or T < 1 or not np.all(np.isfinite(steps)) or not np.all(np.diff(steps) > 0):
        raise ValueError(f"history.steps must be increasing steps, one per measurement; got shape {steps.shape}")
    for name in ("train_accuracy", "test_accuracy"):
        values = np.asarray(getattr(history, name), dtype=float)
        if values.shape != (R, T):
            raise ValueError(f"history.{name} must have shape ({R}, {T}) (configs, steps); got {values.shape}")
        if not np.all((values >= 0) & (values <= 1)):
            raise ValueError(f"history.{name} must hold accuracies in [0, 1] (no NaN)")


def _level(name: str, level) -> float:
    level = check.positive_scalar(name, level)
    if level > 1:
        raise ValueError(f"{name} must be an accuracy in (0, 1]; got {level}")
    return level


if __name__ == "__main__":  # python -m labhelpers.grokking.modular
    from .modular_results import main

    main()
