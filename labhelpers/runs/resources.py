"""Stored results of full-scale runs that ship with the package (``labhelpers/results/*.json``).

Chapters plot these when they run in CPU mode; each file carries its own provenance (device, date,
command, wall time, library versions), written by the command that produced it.

Book: chapters 3 and 5 (the stored ResNet18 and MNIST runs).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

RESULTS_PACKAGE_DIR = "results"


def results_file(name: str) -> Path:
    """Path of the stored results file ``name`` (e.g. ``"grokking_mnist_cpu.json"``).

    Raises ``FileNotFoundError`` naming the file and listing the ones that ship, when ``name`` is missing.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty file name such as 'grokking_mnist_cpu.json'; got {name!r}")
    folder = Path(str(resources.files("labhelpers") / RESULTS_PACKAGE_DIR))
    path = folder / name
    if not path.is_file():
        shipped = sorted(p.name for p in folder.glob("*.json")) if folder.is_dir() else []
        raise FileNotFoundError(f"name: no stored results file {name!r} in {folder}; the package ships {shipped}")
    return path
