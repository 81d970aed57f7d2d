"""The worker process of :mod:`.runner`: make the calls it is sent, answer with what happened.

Answers are plain dicts: ``{"status": "raised", ...}`` for an exception from the library,
``{"status": "returned", "finite": ..., "where": ..., "sentinels": ...}`` for a result, and
``{"status": "harness", "message": ...}`` when the harness itself failed (a baseline that cannot be
built, a result it cannot inspect): a problem to fix here, never blamed on the library.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import time
import warnings
from collections.abc import Mapping
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

MAX_DEPTH = 8
"""How deep the inspection follows records inside records; library results nest three levels at most."""

MAX_ITEMS = 10_000
"""Object arrays and sequences longer than this are not walked item by item (none of the results is)."""

NAN, POS_INF, NEG_INF = "nan", "+inf", "-inf"


def _float_kinds(values: np.ndarray) -> set[str]:
    """Which non-finite values (NaN, +inf, -inf) a float or complex array holds."""
    parts = (values.real, values.imag) if values.dtype.kind == "c" else (values,)
    found = set()
    for part in parts:
        if np.isnan(part).any():
            found.add(NAN)
        if np.isposinf(part).any():
            found.add(POS_INF)
        if np.isneginf(part).any():
            found.add(NEG_INF)
    return found


def _tensor_kinds(tensor: Any) -> set[str]:
    """Which non-finite values a torch tensor holds; integer and boolean tensors are always finite."""
    import torch

    if not (tensor.is_floating_point() or tensor.is_complex()):
        return set()
    tensor = tensor.detach()
    found = set()
    for part in (tensor.real, tensor.imag) if tensor.is_complex() else (tensor,):
        checks = ((NAN, torch.isnan), (POS_INF, torch.isposinf), (NEG_INF, torch.isneginf))
        found |= {kind for kind, test in checks if bool(test(part).any())}
    return found


def _is_torch(value: Any, kind: str) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor if kind == "tensor" else torch.nn.Module)


def _children(value: Any) -> list[tuple[str, Any]] | None:
    """The named parts of a container or record, or None for a leaf that holds no numbers to check."""
    if isinstance(value, Mapping):
        return [(f"[{key!r}]", item) for key, item in value.items()]
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple record
        return [(f".{name}", getattr(value, name)) for name in value._fields]
    if isinstance(value, (list, tuple)):
        return [(f"[{i}]", item) for i, item in enumerate(value[:MAX_ITEMS])]
    if isinstance(value, np.ndarray) and value.dtype.kind == "O":
        return [(f"[{i}]", item) for i, item in enumerate(value.flat) if i < MAX_ITEMS]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [(f".{field.name}", getattr(value, field.name, None)) for field in dataclasses.fields(value)]
    if _is_torch(value, "module"):
        return [(f".{name}", tensor) for name, tensor in [*value.named_parameters(), *value.named_buffers()]]
    if type(value).__module__.startswith("labhelpers") and hasattr(value, "__dict__"):  # a library object
        return [(f".{name}", item) for name, item in vars(value).items() if not name.startswith("_")]
    return None


def non_finite(value: Any, where: str = "result") -> dict[str, set[str]]:
    """Where ``value`` holds NaN or +-inf: ``{path: {"nan", "+inf", "-inf"}}``, empty if it is all finite.

    Walks dicts, lists, tuples, NamedTuples, dataclasses, torch modules and library objects, and checks
    only the numbers in them: Python and numpy floats and complex numbers, float or complex arrays and
    tensors. Integers (of any size), booleans, strings, ``None`` and other objects hold no NaN and are
    skipped. A path reads like code: ``result.metrics['loss']``, ``result[0]``.
    """
    found: dict[str, set[str]] = {}
    seen: set[int] = set()
    stack = [(value, where, 0)]
    while stack:
        item, path, depth = stack.pop()
        kinds = _leaf_kinds(item)
        if kinds is not None:
            if kinds:
                found[path] = kinds
            continue
        if depth >= MAX_DEPTH or id(item) in seen:
            continue
        seen.add(id(item))
        children = _children(item) or []
        stack.extend((child, path + name, depth + 1) for name, child in reversed(children))
    return found


def _leaf_kinds(value: Any) -> set[str] | None:
    """The non-finite kinds of a number, array or tensor; None when ``value`` is not one (walk into it)."""
    if isinstance(value, (bool, np.bool_, int, np.integer)):
        return set()
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return set() if math.isfinite(number) else {NAN if math.isnan(number) else POS_INF if number > 0 else NEG_INF}
    if isinstance(value, (complex, np.complexfloating)):
        return _float_kinds(np.asarray(value, dtype=complex))
    if isinstance(value, np.ndarray) and value.dtype.kind != "O":
        return _float_kinds(value) if value.dtype.kind in "fc" else set()
    if _is_torch(value, "tensor"):
        return _tensor_kinds(value)
    return None


def judge(found: dict[str, set[str]], nan_ok: Mapping[str, str], inf_ok: Mapping[str, str]) -> tuple[str | None, list]:
    """Split what :func:`non_finite` found into undeclared (a failure: its description) and declared sentinels.

    ``nan_ok`` and ``inf_ok`` map an output path to the documented reason why NaN, or ``+inf``, is a
    meaningful result there (see :class:`manifest.Entry`); ``-inf`` is never declared.
    """
    bad, declared = [], []
    for path, kinds in sorted(found.items()):
        allowed = ({NAN} if path in nan_ok else set()) | ({POS_INF} if path in inf_ok else set())
        if kinds - allowed:
            bad.append(f"{path}: {', '.join(sorted(kinds))}")
        else:
            declared.append(path)
    return ("; ".join(bad) or None), declared


def run_one(entry_name: str, argument: str | None, value: Any) -> dict:
    """Call one entry with one argument replaced; describe what happened."""
    import matplotlib.pyplot as plt

    from .manifest import ENTRIES

    entry = ENTRIES[entry_name]
    try:
        kwargs = entry.build()
    except Exception as error:  # noqa: BLE001 - the baseline itself cannot be built
        return {"status": "harness", "message": f"building the baseline failed: {error!r}"}
    if argument is not None:
        kwargs[argument] = value
    start = time.perf_counter()
    try:
        result = entry.invoke(kwargs)
    except BaseException as error:  # noqa: BLE001 - SystemExit and KeyboardInterrupt from the library count too
        seconds = time.perf_counter() - start
        clear = isinstance(error, (ValueError, TypeError))
        return {"status": "raised", "type": type(error).__name__, "clear_type": clear, "message": str(error),
                "seconds": seconds}  # fmt: skip
    finally:
        plt.close("all")
    seconds = time.perf_counter() - start
    try:
        where, sentinels = judge(non_finite(result), entry.nan_ok, entry.inf_ok)
    except Exception as error:  # noqa: BLE001 - a result the harness cannot inspect: the harness's bug
        return {"status": "harness", "message": f"the result could not be inspected: {error!r}", "seconds": seconds}
    return {"status": "returned", "finite": where is None, "where": where, "sentinels": sentinels, "seconds": seconds}


def serve(read_fd: int, write_fd: int) -> None:
    """Answer calls until the pipe closes."""
    import matplotlib

    matplotlib.use("Agg")
    import torch

    import labhelpers  # noqa: F401 - import once, before the first timed call

    torch.set_num_threads(1)
    # Warm up what the first trainer call would otherwise pay for inside its timeout (torch.optim's imports).
    weight = torch.zeros(1, requires_grad=True)
    weight.sum().backward()
    torch.optim.Adam([weight]).step()
    warnings.simplefilter("ignore")
    receive, send = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    send.send("ready")
    while True:
        try:
            entry_name, argument, value = receive.recv()
        except (EOFError, OSError):
            os._exit(0)
        try:
            answer = run_one(entry_name, argument, value)
        except BaseException as error:  # noqa: BLE001 - the harness itself failed
            answer = {"status": "harness", "message": f"harness error: {error!r}"}
        try:
            send.send(answer)
        except Exception:  # noqa: BLE001 - an unpicklable message
            answer["message"] = repr(answer.get("message"))[:500]
            send.send(answer)
