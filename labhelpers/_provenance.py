"""Provenance of a stored run: device, date, command, wall time, library versions, platform.

Every results file that ships in ``labhelpers/results`` records where, when and how it was produced, so a
chapter can say so next to its figure.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

PROVENANCE_KEYS = ("device", "date", "command", "wall_time_s", "versions", "platform")


def device_name(device) -> str:
    """A readable name of a torch device: the GPU's model, or the CPU with its core count."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{device.type} ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"


def versions() -> dict[str, str | None]:
    """Versions of python, numpy, torch, labhelpers, CUDA/cuDNN (None on CPU) and torchvision (None if absent)."""
    import torch

    from . import __version__ as labhelpers_version

    found = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "labhelpers": labhelpers_version,
        "cuda": torch.version.cuda,
        "cudnn": str(torch.backends.cudnn.version()) if torch.cuda.is_available() else None,
    }
    try:
        import torchvision

        found["torchvision"] = torchvision.__version__
    except Exception:  # noqa: BLE001 - optional, and may fail to import against this torch
        found["torchvision"] = None
    return found


def utc_now() -> str:
    """The current UTC time in ISO 8601, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def command_line(command: str | None = None) -> str:
    """``command`` if given, else this process's command line (``python -m ...`` keeps its module name)."""
    if command is not None:
        if not isinstance(command, str):
            raise ValueError(f"command must be a string; got {command!r}")
        return command
    return " ".join([Path(sys.executable).name, *sys.argv])


def record(device: str, date: str, wall_time_s: float, command: str | None = None, **extra: Any) -> dict[str, Any]:
    """The provenance dictionary (keys ``PROVENANCE_KEYS`` plus ``extra``); ``device`` is a name (:func:`device_name`)."""
    return {
        "device": device,
        "date": date,
        "command": command_line(command),
        "wall_time_s": float(wall_time_s),
        "versions": versions(),
        "platform": platform.platform(),
        **extra,
    }


def check_record(provenance: Any, where: str) -> None:
    """Raise ``ValueError`` naming ``where`` when a provenance record misses a key."""
    if not isinstance(provenance, dict):
        raise ValueError(f"{where}: provenance must be a mapping; got {type(provenance).__name__}")
    missing = [key for key in PROVENANCE_KEYS if key not in provenance]
    if missing:
        raise ValueError(f"{where}: provenance is missing {missing}; it needs {list(PROVENANCE_KEYS)}")


def check_path(path) -> Path:
    """``path`` as a ``Path``; ``ValueError`` when it is not a file path (checked before a long run starts)."""
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"path must be a file path; got {path!r}")
    return Path(path)


def write_json(data: dict, path) -> Path:
    """Write ``data`` as JSON through a temporary file, so that a crash never leaves half a file."""
    path = check_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w") as handle:
        json.dump(data, handle, indent=1, allow_nan=False)
    os.replace(temporary, path)
    return path
