"""Provenance of a stored run: device, date, command, wall time, library versions, platform.

Every results file that ships in ``labhelpers/results`` records where, when and how it was produced, so a
chapter can say so next to its figure. The same facts about the machine that builds the book
(:func:`machine`) and the provenance of every stored run (:func:`stored_runs`) make the book's execution
status page.

Book: chapters 3 and 5 use the stored runs; the execution status page lists the machine and every run.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from . import schema as _results_schema
from .resources import RESULTS_PACKAGE_DIR

PROVENANCE_SCHEMA = _results_schema.PROVENANCE_SCHEMA
PROVENANCE_KEYS = tuple(PROVENANCE_SCHEMA["required"])


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

    from .. import __version__ as labhelpers_version

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
    """The provenance dictionary (keys ``PROVENANCE_KEYS`` plus ``extra``); ``device`` is a name (``device_name``)."""
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
    """Raise ``ValueError`` naming ``where`` when ``provenance`` does not match ``PROVENANCE_SCHEMA``."""
    _results_schema.validate(provenance, "provenance record", where)


def check_path(path) -> Path:
    """``path`` as a ``Path``; ``ValueError`` when it is not a file path or is a folder (checked before a long run)."""
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"path must be a file path; got {path!r}")
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"path must be a file path; {path} is a folder")
    return path


def _file_mode() -> int:
    """The mode ``open`` would give a new file: 0666 less this process's umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_json(data: dict, path) -> Path:
    """Write ``data`` as JSON to ``path`` atomically: a crash or an error never leaves half a file.

    The text goes to a temporary file in the same folder, is flushed to disk (``fsync``) and then renamed
    over ``path`` (``os.replace``, atomic on POSIX and Windows). When anything fails (a value JSON cannot
    hold, such as NaN; a read-only folder; a full disk) the temporary file is removed, an older ``path`` is
    left as it was, and the error names ``path``.
    """
    path = check_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise OSError(error.errno, f"cannot write {path}: {error.strerror}") from error
    try:
        os.chmod(temporary, _file_mode())  # mkstemp makes it private (0600); a results file is not
        with os.fdopen(handle, "w") as stream:
            json.dump(data, stream, indent=1, allow_nan=False)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, (TypeError, ValueError)):
            raise ValueError(f"cannot write {path}: the results are not JSON-serialisable ({error})") from error
        if isinstance(error, OSError):
            raise OSError(error.errno, f"cannot write {path}: {error.strerror}") from error
        raise
    return path


def _cpu_model() -> str:
    """The processor's model name (``/proc/cpuinfo`` on Linux, ``sysctl`` on macOS), else what platform knows."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    if sys.platform == "darwin":
        import subprocess

        with contextlib.suppress(OSError, subprocess.SubprocessError):
            found = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, timeout=5
            )
            if found.returncode == 0 and found.stdout.strip():
                return found.stdout.strip()
    return platform.processor() or platform.machine() or "unknown"


def _memory_gib() -> float | None:
    """Physical memory in GiB (POSIX ``sysconf``); None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (AttributeError, ValueError, OSError):
        return None


def machine() -> dict[str, Any]:
    """The machine this process runs on: what the book's execution status page reports about its build.

    Returns
    -------
    dict
        ``cpu`` (model name), ``cores`` (logical CPUs), ``memory_gib`` (None if unknown), ``gpu`` (the CUDA
        device's name, None without one), ``os`` (``platform.platform()``), ``versions`` (as
        ``versions()``) and ``date`` (UTC, ISO 8601, as ``utc_now()``).
    """
    import torch

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "os": platform.platform(),
        "versions": versions(),
        "date": utc_now(),
    }


def _kind_of_format() -> dict[str, str]:
    """Each stored file's ``format`` string and the schema kind (key of ``schema.SCHEMAS``) that reads it."""
    kinds = {}
    for kind, document_schema in _results_schema.SCHEMAS.items():
        tag = document_schema.get("properties", {}).get("format", {}).get("const")
        if tag is not None:
            kinds[tag] = kind
    return kinds


def stored_runs(folder=None) -> list[dict[str, Any]]:
    """The provenance of every stored run, one entry per ``*.json`` file, sorted by file name.

    Each file is read by :func:`read_results` under the schema its ``format`` names,
    so a broken or unknown file raises :class:`ResultsFileError` naming it rather than giving a partial table.

    Parameters
    ----------
    folder : path, optional
        Where the files are; default the results that ship with the package (``labhelpers/results``).

    Returns
    -------
    list of dict
        ``file`` (the file's name), ``kind`` (the schema kind), ``format``, the file's ``provenance``, and
        ``data``: the message the run recorded about its training data (which digits, and any fallback),
        None when it recorded none.
    """
    if folder is None:
        from importlib import resources

        folder = Path(str(resources.files("labhelpers") / RESULTS_PACKAGE_DIR))
    if not isinstance(folder, (str, os.PathLike)) or not Path(folder).is_dir():
        raise ValueError(f"folder must be a folder of result files; got {folder!r}")
    kinds = _kind_of_format()
    runs = []
    for path in sorted(Path(folder).glob("*.json")):
        parsed = _results_schema.parse(path, "result")
        tag = parsed.get("format") if isinstance(parsed, dict) else None
        if tag not in kinds:
            raise _results_schema.invalid(path, "result", f"its format {tag!r} is none of {sorted(kinds)}")
        document = _results_schema.read_results(path, kinds[tag])
        provenance = document["provenance"]
        data = provenance.get("data_message") or document.get("data", {}).get("message")
        runs.append({"file": path.name, "kind": kinds[tag], "format": tag, "provenance": provenance, "data": data})
    return runs
