"""Grokking on modular addition, the results: stored runs with provenance, the figure and the command line.

Book: chapter 5, "Modular arithmetic" (Sec. gk-modular). The data, model and trainer are in
:mod:`labhelpers.grokking.modular`.

:func:`run_and_save` trains and writes a :class:`~labhelpers.grokking.modular.ModularHistory` with its
provenance (device, date, command, wall time, versions, thread count) to a small JSON file, and
:func:`load_modular` reads it back, checked against its schema (``labhelpers.runs.schema.MODULAR_RUN_SCHEMA``)
and against itself.
:func:`plot_modular` draws train and test accuracy against the step. Command line::

    python -m labhelpers.grokking.modular --out grokking_modular.json --p 31 --width 512 --steps 5000
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..core import validation as check
from ..runs import provenance as provenance_
from ..runs import schema as results_schema
from ..runs.loop import Throughput
from .modular import (
    DEFAULT_SETTINGS,
    HISTORY_KEYS,
    MODULAR_CONFIGS,
    ModularConfig,
    ModularHistory,
    _level,
    _threads,
    first_step,
    grokking_delay,
    modular_dataset,
    train_modular,
)

RESULTS_FORMAT = results_schema.MODULAR_RUN_SCHEMA["properties"]["format"]["const"]
KIND = "grokking modular run"


def history_record(history: ModularHistory) -> dict[str, Any]:
    """The JSON-ready record of a run (accuracies and losses rounded to 6 decimals)."""
    if not isinstance(history, ModularHistory):
        raise ValueError(f"history must be a ModularHistory; got {type(history).__name__}")
    record = {
        "format": RESULTS_FORMAT,
        "configs": [c.as_dict() for c in history.configs],
        "settings": history.settings,
        "steps": [int(s) for s in history.steps],
        "initial_ratio": [float(r) for r in history.initial_ratio],
        "history": {key: np.round(getattr(history, key), 6).tolist() for key in HISTORY_KEYS},
        "train_seconds": float(history.train_seconds),
        "provenance": history.provenance,
    }
    if history.throughput is not None:
        record["throughput"] = history.throughput.as_dict()
    return record


def run_and_save(
    path,
    configs=MODULAR_CONFIGS,
    *,
    p: int = 31,
    train_fraction: float = 0.6,
    device="cpu",
    command: str | None = None,
    progress: bool = True,
    pin_threads: bool = False,
    **settings,
) -> ModularHistory:
    """Build the task, train every configuration, and write the history with its provenance as JSON.

    The file holds ``format``, ``configs``, ``settings``, ``steps``, ``initial_ratio``, ``history``,
    ``train_seconds``, ``throughput`` and ``provenance`` (device, date, command, wall time, versions,
    platform, torch threads). Read it with :func:`load_modular`. The split is seeded by ``settings['seed']``.
    """
    provenance_.check_path(path)
    device = check.device("device", device)
    if command is not None:
        command = check.text("command", command)
    started = time.perf_counter()
    date = provenance_.utc_now()
    data = modular_dataset(p, train_fraction, seed=settings.get("seed", DEFAULT_SETTINGS["seed"]))
    history = train_modular(data, configs, device=device, progress=progress, pin_threads=pin_threads, **settings)
    history.provenance = provenance_.record(
        provenance_.device_name(device),
        date,
        time.perf_counter() - started,
        command,
        torch_threads=_threads(),
    )
    provenance_.write_json(history_record(history), path)
    return history


def load_modular(path) -> ModularHistory:
    """Read and check a file written by :func:`run_and_save`; ``ValueError`` names the file and the problem.

    Beyond ``MODULAR_RUN_SCHEMA``: distinct names, one row per configuration and one value per
    recorded step, steps increasing from 0 to ``settings['steps']``, ``n_train + n_test = p**2``, and a
    training time no longer than the run's wall time.
    """
    raw = results_schema.read_results(path, KIND)

    def agree(condition, problem):
        results_schema.agree(path, KIND, condition, problem)

    try:
        configs = tuple(ModularConfig(**c) for c in raw["configs"])
    except (TypeError, ValueError) as error:
        raise results_schema.invalid(path, KIND, f"configs: {error}") from error
    names = [c.name for c in configs]
    agree(len(set(names)) == len(names), f"configs have duplicate names: {names}")
    steps, settings = raw["steps"], raw["settings"]
    agree(len(raw["initial_ratio"]) == len(configs), "initial_ratio needs one value per config")
    for key in HISTORY_KEYS:
        rows = raw["history"][key]
        agree(len(rows) == len(configs), f"history[{key!r}] has {len(rows)} rows for {len(configs)} configs")
        agree(all(len(row) == len(steps) for row in rows), f"history[{key!r}] needs {len(steps)} values a row")
    agree(steps[0] == 0 and all(b > a for a, b in zip(steps, steps[1:])), "steps must increase from 0")
    agree(
        steps[-1] == settings["steps"],
        f"steps end at {steps[-1]}, but settings['steps'] is {settings['steps']}",
    )
    n = settings["p"] ** 2
    agree(settings["n_train"] + settings["n_test"] == n, f"n_train + n_test must be p**2 = {n}")
    wall = raw["provenance"]["wall_time_s"]
    agree(raw["train_seconds"] <= wall * (1 + 1e-9), f"train_seconds is more than the wall time {wall} s")
    stored = raw.get("throughput")
    throughput = None
    if stored is not None:
        speed, gflops = stored["samples_per_second"], stored["gflops_per_second"]
        flops = gflops * 1e9 / speed if gflops is not None and speed > 0 else None
        throughput = Throughput(float(stored["train_seconds"]), int(stored["samples"]), flops)
    return ModularHistory(
        configs=configs,
        steps=np.asarray(steps, dtype=int),
        **{key: np.asarray(raw["history"][key], dtype=float) for key in HISTORY_KEYS},
        initial_ratio=np.asarray(raw["initial_ratio"], dtype=float),
        settings=settings,
        train_seconds=float(raw["train_seconds"]),
        throughput=throughput,
        provenance=raw["provenance"],
    )


def plot_modular(history: ModularHistory, *, train_level: float = 0.99, test_level: float = 0.95, title=None):
    """Train (dashed) and test (solid) accuracy against the step, one panel per configuration.

    A grey band marks each configuration's wait from fitting (``train_level``) to generalising
    (``test_level``), and the panel title gives that delay in steps. Panels two to a row, 6.8 in wide.
    """
    import matplotlib.pyplot as plt

    from ..plotting import PALETTE

    if not isinstance(history, ModularHistory):
        raise ValueError(f"history must be a ModularHistory; got {type(history).__name__}")
    if title is not None:
        title = check.text("title", title)
    train_level = _level("train_level", train_level)
    test_level = _level("test_level", test_level)
    fit = first_step(history, "train", train_level)
    general = first_step(history, "test", test_level)
    delay = grokking_delay(history, train_level=train_level, test_level=test_level)
    R = len(history.configs)
    cols = 2 if R > 1 else 1
    rows = -(-R // cols)
    fig, grid = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.2 * rows), squeeze=False, sharex=True,
                             sharey=True, layout="constrained")  # fmt: skip
    for r, ax in enumerate(grid.ravel()):
        if r >= R:
            ax.axis("off")
            continue
        ax.plot(history.steps, history.train_accuracy[r], "--", color=PALETTE[0], lw=1.5, label="train")
        ax.plot(history.steps, history.test_accuracy[r], "-", color=PALETTE[1], lw=1.8, label="test")
        if np.isfinite(fit[r]) and np.isfinite(general[r]) and general[r] > fit[r]:
            ax.axvspan(fit[r], general[r], color="0.85", zorder=0, label="delay")
        shown = "never" if not np.isfinite(delay[r]) else f"{delay[r]:.0f}"
        ax.set_title(f"{history.configs[r].name}: delay {shown}", fontsize=10)
        ax.set_ylim(-0.02, 1.02)
        if r % cols == 0:
            ax.set_ylabel("accuracy")
        if r + cols >= R:
            ax.set_xlabel("step")
    grid.ravel()[min(1, R - 1)].legend(loc="lower right", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def main(argv: list[str] | None = None) -> ModularHistory:
    """Command line ``python -m labhelpers.grokking.modular --out FILE [settings]`` (:func:`run_and_save`)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m labhelpers.grokking.modular",
        description="Grokking on (a + b) mod p with Gromov's quadratic MLP: default, upstream and cures",
    )
    parser.add_argument("--out", required=True, help="output JSON file")
    parser.add_argument("--p", type=int, default=31)
    parser.add_argument("--train-fraction", type=float, default=0.6)
    for name, value in DEFAULT_SETTINGS.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--pin-threads", action="store_true", help="one torch thread on the CPU")
    args = parser.parse_args(argv)
    settings = {name: getattr(args, name) for name in DEFAULT_SETTINGS}
    command = " ".join(["python -m labhelpers.grokking.modular", *(sys.argv[1:] if argv is None else argv)])
    history = run_and_save(args.out, p=args.p, train_fraction=args.train_fraction, device=args.device,
                           command=command, pin_threads=args.pin_threads, **settings)  # fmt: skip
    print(f"wrote {args.out}: {history.provenance['wall_time_s']:.0f} s on {history.provenance['device']}")
    delay = grokking_delay(history)
    for r, name in enumerate(history.names):
        final = f"final train {history.train_accuracy[r, -1]:.3f} test {history.test_accuracy[r, -1]:.3f}"
        print(f"  {name:24s} ratio {history.initial_ratio[r]:8.3g}  delay {delay[r]:6.0f}  {final}")
    return history
