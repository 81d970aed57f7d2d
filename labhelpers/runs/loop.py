"""The one training scaffold every torch trainer of the course uses: init, step, measure, record.

A trainer builds its model, data and optimiser (init), then hands :func:`train_loop` two functions:

- ``step(unit)`` does one unit of training (an epoch of minibatches, or one optimiser step) and returns
  how many samples it passed through the network;
- ``measure(unit)`` evaluates the model at a recorded unit and returns the values to record (or ``None``).

:func:`train_loop` runs the units with a progress bar (:func:`show_progress`), calls ``measure`` at the recorded units, keeps the records (:class:`Records`)
and times the training itself, apart from the measurements (:class:`Throughput`: samples per second and,
where the trainer knows its FLOP count per sample, achieved GFLOP/s). Stored runs record the throughput.

Helpers for the pieces every step shares: :func:`epoch_batches` (a seeded permutation cut into
minibatches) and :func:`optimizer_step` (divergence check, backward pass, update). The scaffold draws no
random numbers and changes no order of operations, so a trainer moved onto it gives the same numbers.

Book: every chapter that trains a network (chapters 2, 3 and 5, and the grids of chapter 4).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..core import validation as check
from ..core.divergence import DivergenceGuard


def show_progress(progress: bool | None, default: bool) -> bool:
    """Whether to draw a progress bar: ``progress`` when given (a bool), else ``default``. Chapters pass
    ``progress=False`` (or their full-scale flag), so that no bar reaches the built book."""
    return default if progress is None else check.flag("progress", progress)


@dataclass
class Throughput:
    """How fast a run trained: samples passed per second of training (measurements excluded), and the
    achieved GFLOP/s where the FLOP count per sample is known."""

    train_seconds: float
    samples: int
    flops_per_sample: float | None = None

    @property
    def samples_per_second(self) -> float:
        return self.samples / self.train_seconds if self.train_seconds > 0 else float("nan")

    @property
    def gflops_per_second(self) -> float | None:
        if self.flops_per_sample is None:
            return None
        return self.flops_per_sample * self.samples_per_second / 1e9

    def as_dict(self) -> dict[str, float | None]:
        """The numbers a stored run records (JSON-ready)."""
        return {
            "train_seconds": self.train_seconds,
            "samples": self.samples,
            "samples_per_second": self.samples_per_second,
            "gflops_per_second": self.gflops_per_second,
        }


@dataclass
class Records:
    """Per-unit records: ``units[i]`` was measured with ``values[name][i]`` for every recorded name."""

    units: list[int] = field(default_factory=list)
    values: dict[str, list[Any]] = field(default_factory=dict)

    def add(self, unit: int, values: dict[str, Any]) -> None:
        if self.values and set(values) != set(self.values):
            raise ValueError(
                f"measure must return the same names at every unit: unit {unit} gave {sorted(values)}, "
                f"earlier units gave {sorted(self.values)}"
            )
        self.units.append(unit)
        for name, value in values.items():
            self.values.setdefault(name, []).append(value)


def train_loop(
    units: int,
    step: Callable[[int], int],
    measure: Callable[[int], dict[str, Any] | None] | None = None,
    *,
    recorded: Iterable[int] = (),
    measure_first: bool = True,
    desc: str = "training",
    progress: bool = False,
    postfix: Callable[[dict[str, Any]], dict[str, str]] | None = None,
    flops_per_sample: float | None = None,
    mininterval: float = 0.1,
) -> tuple[Records, Throughput]:
    """Run ``step(1), ..., step(units)``, measuring at unit 0 (if ``measure_first``) and at ``recorded``.

    ``step`` returns the number of samples it trained on; the sum over units and the time spent in
    ``step`` (not in ``measure``) give the :class:`Throughput`. ``measure`` returns the values to record,
    or ``None`` when it keeps its own records (they are then not collected). ``postfix`` turns the last
    measured values into the progress bar's postfix. Returns the records and the throughput.
    """
    from tqdm.auto import tqdm

    units = check.integer("units", units, minimum=0)
    wanted = {int(u) for u in recorded}
    records = Records()

    def measured(unit: int) -> dict[str, Any] | None:
        values = measure(unit) if measure is not None else None
        if values is not None:
            records.add(unit, values)
        return values

    if measure_first and measure is not None:
        measured(0)
    samples, seconds = 0, 0.0
    bar = tqdm(range(1, units + 1), disable=not progress, desc=desc, mininterval=mininterval)
    for unit in bar:
        started = time.perf_counter()
        samples += int(step(unit))
        seconds += time.perf_counter() - started
        if unit in wanted:
            values = measured(unit)
            if postfix is not None and values is not None:
                bar.set_postfix(postfix(values))
    return records, Throughput(seconds, samples, flops_per_sample)


def epoch_batches(torch, n: int, batch_size: int, generator, device) -> Iterator[Any]:
    """The minibatch indices of one epoch: a permutation of ``range(n)`` drawn from ``generator`` (on the
    CPU, so that every device sees the same order), moved to ``device`` and cut into ``batch_size`` pieces
    (the last one may be shorter)."""
    order = torch.randperm(n, generator=generator).to(device)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


def optimizer_step(optimizer, losses, guard: DivergenceGuard, step: int) -> None:
    """One optimiser update on ``losses`` (one loss, or one per stacked run: their sum gives each run its
    own gradient). The losses are checked first, so a diverging run stops at the step it diverged with a
    message naming it (:class:`~labhelpers.core.DivergenceGuard`)."""
    guard.check(step, losses.detach())
    optimizer.zero_grad(set_to_none=True)
    (losses.sum() if losses.ndim else losses).backward()
    optimizer.step()
