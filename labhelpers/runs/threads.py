"""Thread-independent results for the course's small CPU runs.

A float32 matrix product on the CPU splits its work between torch's threads, and the split changes
the order of the additions, so one thread and two threads give results that differ in the last bits.
Training amplifies such differences (after a few hundred SGD or Adam steps they reach the printed
digits), so a chapter or lesson would print different numbers on a laptop and on the build machine.

The small CPU-mode trainers therefore run their loops under :func:`cpu_threads_pinned`, which sets
torch to one intra-op thread for the duration (and restores the caller's setting afterwards). Runs on
a GPU are left alone; so are the full-scale command-line runs, where speed matters more and the stored
results record their thread count.

Book: chapters 3 and 5, whose CPU runs must not depend on the thread count.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cpu_threads_pinned(device=None, threads: int = 1) -> Iterator[None]:
    """Run the block with ``threads`` torch threads when ``device`` is the CPU (or None), then restore."""
    import torch

    on_cpu = device is None or torch.device(device).type == "cpu"
    before = torch.get_num_threads()
    if on_cpu and before != threads:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        if on_cpu and torch.get_num_threads() != before:
            torch.set_num_threads(before)
