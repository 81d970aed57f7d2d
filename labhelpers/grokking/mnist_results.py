"""Grokking on MNIST, the results: stored runs, the delay read from them, the figure and the command line.

Book: chapter 5, "Grokking on MNIST" (Sec. gk-mnist; the paper's App. H.3 and Fig. 11). The model and its
trainer are in :mod:`.mnist_model` and :mod:`labhelpers.grokking.mnist`.

:func:`first_epoch` and :func:`generalisation_delay` read a :class:`~labhelpers.grokking.GrokkingHistory`;
:func:`plot_history` draws it (the paper's Fig. 11). :func:`run_and_save` writes a run with its provenance
(device, date, command, wall time, versions) and its throughput to a small JSON file; :func:`load_results`
reads it back (runs stored before the throughput was recorded still load). :func:`benchmark` times the
stacked trainer against one configuration after another (:func:`load_benchmark`). Command line::

    python -m labhelpers.grokking.mnist --out grokking_mnist.json            # the paper's scale
    python -m labhelpers.grokking.mnist --out small.json --epochs 100 --width 128
    python -m labhelpers.grokking.mnist --out bench.json --benchmark --epochs 20    # batched vs loop
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from ..core import validation as check
from ..core.mnist import MnistData, load_mnist
from ..runs import provenance as provenance_
from ..runs import schema as results_schema
from ..runs.loop import Throughput
from .mnist import DEFAULT_SETTINGS, HISTORY_KEYS, GrokkingHistory, _threads, train_grokking
from .mnist_model import MAX_SETTING, PAPER_CONFIGS, SCALES, GrokkingConfig

# ============================================================================ reading the history


def first_epoch(history: GrokkingHistory, split: str, level: float) -> np.ndarray:
    """First epoch at which each configuration's ``split`` accuracy reaches ``level`` (inf if never).

    Parameters
    ----------
    history : GrokkingHistory
    split : {"train", "test"}
    level : float
        Accuracy threshold in (0, 1].
    """
    _check_history(history)
    check.one_of("split", split, ("train", "test"))
    level = _accuracy_level("level", level)
    accuracy = getattr(history, f"{split}_accuracy")
    reached = accuracy >= level - 1e-12
    return np.where(reached.any(axis=1), history.epochs[reached.argmax(axis=1)], np.inf)


def generalisation_delay(history: GrokkingHistory, *, train_level: float = 1.0, test_level: float = 0.8) -> np.ndarray:
    """Epochs between fitting the training set (accuracy ``train_level``) and generalising (``test_level``).

    Large for a run that memorises first and generalises late (grokking); near zero, or negative, when both
    happen together. ``inf`` when the test level is never reached within the run. A configuration that
    reaches the test level but never the training level has no delay: ``ValueError`` names it.
    """
    train_level = _accuracy_level("train_level", train_level)
    test_level = _accuracy_level("test_level", test_level)
    fitted, general = first_epoch(history, "train", train_level), first_epoch(history, "test", test_level)
    unfitted = np.isinf(fitted) & np.isfinite(general)
    if np.any(unfitted):  # no epoch to measure the delay from: refuse rather than return -inf
        names = [history.configs[r].name for r in np.flatnonzero(unfitted)]
        raise ValueError(
            f"train_level={train_level:g} is never reached by {names}, which do reach test_level={test_level:g}: "
            "the delay is undefined there; lower train_level"
        )
    return np.where(np.isfinite(general), general - np.where(np.isfinite(fitted), fitted, 0.0), np.inf)


def _accuracy_level(name: str, level) -> float:
    level = check.positive_scalar(name, level)
    if level > 1:
        raise ValueError(f"{name} must be an accuracy in (0, 1]; got {level}")
    return level


def _check_history(history) -> GrokkingHistory:
    """Refuse a :class:`GrokkingHistory` whose arrays are non-finite, out of range or of mismatched lengths."""
    if not isinstance(history, GrokkingHistory):
        raise ValueError(f"history must be a GrokkingHistory; got {type(history).__name__}")
    epochs = check.as_array("history.epochs", history.epochs, ndim=1)
    if epochs.size == 0 or epochs[0] < 0 or np.any(np.diff(epochs) <= 0) or np.any(epochs != np.round(epochs)):
        raise ValueError("history.epochs must be increasing whole epochs from 0 or more")
    shape = (len(history.configs), epochs.size)
    for key in HISTORY_KEYS:
        values = check.as_array(f"history.{key}", getattr(history, key), ndim=2)
        if values.shape != shape:
            raise ValueError(f"history.{key} has shape {values.shape}; {len(history.configs)} configs x "
                             f"{epochs.size} epochs need {shape}")  # fmt: skip
        if np.any(values < 0) or (key != "train_loss" and np.any(values > 1)):
            raise ValueError(
                f"history.{key} must hold {'losses >= 0' if key == 'train_loss' else 'accuracies in [0, 1]'}"
            )
    ratio = check.positive("history.initial_ratio", history.initial_ratio)
    if ratio.shape != (len(history.configs),):
        raise ValueError(f"history.initial_ratio has shape {ratio.shape}; need one value per config")
    return history


# ============================================================================ saving, loading, plotting


def run_and_save(
    path,
    configs=PAPER_CONFIGS,
    *,
    n_train: int = 1000,
    n_test: int = 4000,
    data: MnistData | None = None,
    batched: bool = True,
    device="cpu",
    command: str | None = None,
    progress: bool = True,
    **settings,
) -> GrokkingHistory:
    """Load MNIST (``n_train``/``n_test`` digits unless ``data`` is given), train, and write the history as JSON.

    The file holds ``format``, ``configs``, ``settings``, ``data`` (source and message), ``epochs``,
    ``history`` (accuracies and loss per configuration and epoch, rounded to 6 decimals) and ``provenance``
    (device, date, command, wall time, versions, platform). Read it with :func:`load_results`.
    """
    provenance_.check_path(path)
    n_train = check.positive_int("n_train", n_train, maximum=MAX_SETTING)
    n_test = check.positive_int("n_test", n_test, maximum=MAX_SETTING)
    device = check.device("device", device)
    if command is not None:
        command = check.text("command", command)
    started = time.perf_counter()
    date = provenance_.utc_now()
    if data is None:
        data = load_mnist(n_train, n_test, seed=settings.get("seed", DEFAULT_SETTINGS["seed"]))
    history = train_grokking(data, configs, batched=batched, device=device, progress=progress, **settings)
    history.provenance = provenance_.record(
        provenance_.device_name(device), date, time.perf_counter() - started, command, torch_threads=_threads()
    )
    provenance_.write_json(history.to_dict(), path)
    return history


def load_results(path) -> GrokkingHistory:
    """Read and check a file written by :func:`run_and_save`; ``ValueError`` names the file and the problem.

    The file must match ``GROKKING_RUN_SCHEMA`` (``labhelpers.runs.schema``: types, ranges, finite
    numbers, provenance) and then agree with itself (``_check_stored_run``). An empty, truncated or
    binary file gets its own message.
    """
    _existing_file(path)
    raw = results_schema.read_results(path, "grokking run")
    try:
        configs = tuple(GrokkingConfig(**c) for c in raw["configs"])
    except (TypeError, ValueError) as error:
        raise results_schema.invalid(path, "grokking run", f"configs: {error}") from error
    _check_stored_run(path, raw)
    return GrokkingHistory(
        configs=configs,
        epochs=np.asarray(raw["epochs"], dtype=int),
        **{key: np.asarray(raw["history"][key], dtype=float) for key in HISTORY_KEYS},
        initial_ratio=np.asarray(raw["initial_ratio"], dtype=float),
        settings=raw["settings"],
        data=raw["data"],
        method=raw["method"],
        train_seconds=float(raw["train_seconds"]),
        provenance=raw["provenance"],
        throughput=_stored_throughput(raw.get("throughput")),
    )


def _stored_throughput(stored: dict[str, Any] | None) -> Throughput | None:
    """The :class:`~labhelpers.runs.Throughput` a file records (``None`` for runs stored before it was)."""
    if stored is None:
        return None
    speed, gflops = stored["samples_per_second"], stored["gflops_per_second"]
    flops = gflops * 1e9 / speed if gflops is not None and speed > 0 else None
    return Throughput(float(stored["train_seconds"]), int(stored["samples"]), flops)


def _existing_file(path) -> None:
    """Refuse, naming ``path``, a path that is not a string or path-like, is missing, or is a folder."""
    import os

    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"path must be a file name (str or os.PathLike); got {type(path).__name__}")
    if os.path.isdir(path):
        raise ValueError(f"path {os.fspath(path)!r} is a folder; give the results file inside it")
    if not os.path.isfile(path):
        raise ValueError(f"path {os.fspath(path)!r}: no such results file")


def _check_stored_run(path, raw: dict[str, Any]) -> None:
    """What a schema cannot state: distinct names, one row per configuration and one value per epoch.

    Also: the epochs increase from 0 to ``settings['epochs']``, the sizes the data message records are
    ``settings['n_train']`` and ``settings['n_test']``, and training took no longer than the whole run.
    """

    def agree(condition, problem):
        results_schema.agree(path, "grokking run", condition, problem)

    names = [c["name"] for c in raw["configs"]]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    agree(not duplicates, f"configs have duplicate names: {duplicates}")
    epochs, settings = raw["epochs"], raw["settings"]
    n_configs, n_epochs = len(names), len(epochs)
    n_ratios = len(raw["initial_ratio"])
    agree(n_ratios == n_configs, f"initial_ratio has {n_ratios} values for {n_configs} configs")
    for key in HISTORY_KEYS:
        rows = raw["history"][key]
        agree(len(rows) == n_configs, f"history[{key!r}] has {len(rows)} rows for {n_configs} configs")
        for k, row in enumerate(rows):
            agree(len(row) == n_epochs, f"history[{key!r}][{k}] has {len(row)} values for {n_epochs} epochs")
    increasing = epochs[0] == 0 and all(b > a for a, b in zip(epochs, epochs[1:]))
    agree(increasing, "epochs must increase from 0")
    last, planned = epochs[-1], settings["epochs"]
    agree(last == planned, f"epochs end at {last}, but settings['epochs'] is {planned}")
    recorded = results_schema.recorded_sizes(raw["data"]["message"]) or (settings["n_train"], settings["n_test"])
    for name, size in zip(("n_train", "n_test"), recorded):
        agree(settings[name] == size, f"settings[{name!r}] is {settings[name]}, but the data message records {size}")
    spent, wall = raw["train_seconds"], raw["provenance"]["wall_time_s"]
    agree(spent <= wall * (1 + 1e-9), f"train_seconds = {spent} is more than the run's wall time {wall} s")


BENCHMARK_FORMAT = "labhelpers.grokking_mnist/benchmark/1"


def benchmark(
    path,
    *,
    epochs: int = 20,
    n_train: int = 1000,
    n_test: int = 4000,
    device="cpu",
    command: str | None = None,
    progress: bool = True,
    **settings,
) -> dict[str, Any]:
    """Time the five configurations trained batched and one after another, and write both times as JSON.

    Both runs use the same data, draws and mini-batches (the loop trains each configuration alone with plain
    matrix products), so the file also records the largest difference between their training losses.
    Returns the record: ``batched_s``, ``loop_s``, ``ratio`` (batched / loop), ``max_loss_difference``,
    ``settings`` and ``provenance``.
    """
    provenance_.check_path(path)
    started = time.perf_counter()
    date = provenance_.utc_now()
    data = load_mnist(n_train, n_test, seed=settings.get("seed", DEFAULT_SETTINGS["seed"]))
    runs = {
        method: train_grokking(
            data, batched=(method == "batched"), device=device, progress=progress, epochs=epochs, **settings
        )
        for method in ("batched", "loop")
    }
    scale = np.abs(runs["loop"].train_loss).max()
    record = {
        "format": BENCHMARK_FORMAT,
        "batched_s": runs["batched"].train_seconds,
        "loop_s": runs["loop"].train_seconds,
        "ratio": runs["batched"].train_seconds / runs["loop"].train_seconds,
        "max_loss_difference": float(np.abs(runs["batched"].train_loss - runs["loop"].train_loss).max() / scale),
        "settings": runs["batched"].settings,
        "provenance": provenance_.record(
            provenance_.device_name(device), date, time.perf_counter() - started, command, torch_threads=_threads()
        ),
    }
    provenance_.write_json(record, path)
    return record


def load_benchmark(path) -> dict[str, Any]:
    """Read a file written by :func:`benchmark`; ``ValueError`` names the file and the problem.

    The file must match ``GROKKING_BENCHMARK_SCHEMA`` (``labhelpers.runs.schema``), its ``ratio``
    must be ``batched_s / loop_s`` (to a relative 1e-9), and the two timed runs together cannot have taken
    longer than the whole command.
    """
    _existing_file(path)
    record = results_schema.read_results(path, "grokking benchmark")
    batched, loop, ratio = record["batched_s"], record["loop_s"], record["ratio"]
    results_schema.agree(
        path,
        "grokking benchmark",
        math.isclose(ratio, batched / loop, rel_tol=1e-9),
        f"ratio is {ratio}, but batched_s / loop_s = {batched / loop}",
    )
    wall = record["provenance"]["wall_time_s"]
    results_schema.agree(
        path,
        "grokking benchmark",
        batched + loop <= wall * (1 + 1e-9),
        f"batched_s + loop_s = {batched + loop} is more than the run's wall time {wall} s",
    )
    return record


def config_label(config: GrokkingConfig) -> str:
    """A short label: the name and the scales that differ from the default's."""
    if not isinstance(config, GrokkingConfig):
        raise ValueError(f"config must be a GrokkingConfig; got {type(config).__name__}")
    default = PAPER_CONFIGS[0]
    changed = [
        f"{s.split('_')[0]} x{getattr(config, s):g}" for s in SCALES if getattr(config, s) != getattr(default, s)
    ]
    return config.name + (f" ({', '.join(changed)})" if changed else "")


def plot_history(history: GrokkingHistory, *, test_level: float | None = 0.8, title: str | None = None):
    """Train (dashed) and test (solid) accuracy against epoch, one panel per configuration (the paper's Fig. 11).

    Paper: Fig. 8, Fig. 11.

    Panels are laid out two to a row, sized for the book's column (6.8 in wide, so that the course's 10-pt
    ticks and legends stay readable); the epoch axis is logarithmic (epoch + 1). With ``test_level`` a grey
    band marks each wait between fitting the training set and reaching that test accuracy (none when the
    level is never reached). A last panel shows the measured weight-to-target ratio at initialisation of
    each configuration (``GrokkingHistory.initial_ratio``).
    """
    import matplotlib.pyplot as plt

    from ..plotting import PALETTE

    _check_history(history)
    if test_level is not None:
        test_level = _accuracy_level("test_level", test_level)
    if title is not None:
        title = check.text("title", title)
    R = len(history.configs)
    cols = min(R + 1, 2)
    rows = -(-(R + 1) // cols)
    fig, grid = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.3 * rows), squeeze=False, layout="constrained")
    axes, extra = grid.ravel()[:R], grid.ravel()[R:]
    x = history.epochs + 1
    fit = first_epoch(history, "train", 1.0)
    general = first_epoch(history, "test", test_level) if test_level is not None else np.full(R, np.inf)
    for r, ax in enumerate(axes):
        ax.plot(x, history.train_accuracy[r], "--", color=PALETTE[0], lw=1.5, label="train")
        ax.plot(x, history.test_accuracy[r], "-", color=PALETTE[1], lw=1.8, label="test")
        if np.isfinite(fit[r]) and np.isfinite(general[r]) and general[r] > fit[r]:
            ax.axvspan(fit[r] + 1, general[r] + 1, color="0.85", zorder=0, label=f"wait for {test_level:.0%} test")
        ax.set_xscale("log")
        ax.set_ylim(0, 1.02)
        ax.set_title(config_label(history.configs[r]), fontsize=10)
        if r % cols == 0:
            ax.set_ylabel("accuracy")
        if r + cols >= R:  # the lowest panel of its column
            ax.set_xlabel("epoch + 1")
    # One legend, where the curves leave room: under the second panel's curves (every cure fits early).
    handles, labels = axes[0].get_legend_handles_labels()
    axes[min(1, R - 1)].legend(handles, labels, loc="lower right")
    ratio_ax = extra[0]
    ratio_ax.barh(np.arange(R), history.initial_ratio, color=[PALETTE[k % len(PALETTE)] for k in range(R)])
    ratio_ax.set_yticks(np.arange(R), [name.split()[0] for name in history.names])  # "weight downscaling": "weight"
    ratio_ax.invert_yaxis()
    ratio_ax.set_xscale("log")
    ratio_ax.set_xlabel("RMS output / target scale")
    ratio_ax.set_title("weight-to-target ratio", fontsize=10)
    for ax in extra[1:]:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def main(argv: list[str] | None = None) -> GrokkingHistory | dict:
    """Command line: ``python -m labhelpers.grokking.mnist --out FILE [settings]`` runs :func:`run_and_save`."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m labhelpers.grokking.mnist",
        description="Grokking on MNIST: the paper's five configurations (App. H.3)",
    )
    parser.add_argument("--out", required=True, help="output JSON file")
    parser.add_argument("--n-train", type=int, default=1000)
    parser.add_argument("--n-test", type=int, default=4000)
    for name, value in DEFAULT_SETTINGS.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    parser.add_argument("--loop", action="store_true", help="train the configurations one after another")
    parser.add_argument("--benchmark", action="store_true", help="time batched against loop (see benchmark())")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    settings = {name: getattr(args, name) for name in DEFAULT_SETTINGS}
    command = " ".join(["python -m labhelpers.grokking.mnist", *(sys.argv[1:] if argv is None else argv)])
    if args.benchmark:
        record = benchmark(
            args.out, n_train=args.n_train, n_test=args.n_test, device=args.device, command=command, **settings
        )
        print(
            f"wrote {args.out}: batched {record['batched_s']:.1f} s, loop {record['loop_s']:.1f} s, ratio {record['ratio']:.2f}"
        )
        return record
    history = run_and_save(
        args.out,
        n_train=args.n_train,
        n_test=args.n_test,
        batched=not args.loop,
        device=args.device,
        command=command,
        **settings,
    )
    print(f"wrote {args.out}: {history.provenance['wall_time_s']:.0f} s on {history.provenance['device']}")
    for r, name in enumerate(history.names):
        print(f"  {name:20s} train {history.train_accuracy[r, -1]:.3f}  test {history.test_accuracy[r, -1]:.3f}")
    return history
