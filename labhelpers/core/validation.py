"""Argument checks shared by every public function (scikit-learn's habit).

Each helper raises ``ValueError`` naming the argument, what it got, and what it needs,
so that a wrong call fails loudly at the boundary instead of returning NaN later.

The checks are strict on purpose. Where a number is expected, only real numbers pass: Python and numpy
integers and floats, and arrays of them. Booleans, strings (even ``"1.0"``), complex numbers, ``None`` and
object arrays are refused, because ``np.asarray(x, dtype=float)`` would quietly turn ``True`` into 1.0 and
``"1.0"`` into 1.0, and a student's slip would then run on as if it were meant. Integers accept numpy
integers (``np.int64(3)``) everywhere; flags must be real booleans.

We write these few checks by hand rather than use a validation library (pydantic, beartype): they must
understand numpy arrays, broadcasting and our error wording, and they are tested on their own.

Book: no section of its own; every public function of the package checks its arguments here.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

MAX_SEED = 2**63 - 1
"""Largest seed accepted: numpy's generators take any non-negative integer, torch's ``manual_seed`` < 2**64."""


def _describe(value: Any) -> str:
    """Say what an argument was: its value when short, else its shape."""
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return repr(value.item())
        if value.size <= 6:
            return f"{value.tolist()} (shape {value.shape})"
        return f"an array of shape {value.shape}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_KIND_NAMES = {"b": "booleans", "U": "strings", "S": "bytes", "c": "complex numbers", "O": "Python objects"}


def _real_numbers(name: str, value: Any) -> np.ndarray:
    """``value`` as a numpy array of real numbers (integer or float dtype), refusing everything else."""
    if value is None:
        raise ValueError(f"{name} must be a real number or an array of them; got None")
    if isinstance(value, (str, bytes)):
        raise ValueError(f"{name} must be a real number, not a string; got {_describe(value)}")
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu().numpy()
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as error:  # ragged nesting and the like
        raise ValueError(f"{name} must be a real number or a regular array of them; got {_describe(value)}") from error
    if raw.dtype.kind not in "iuf":
        what = _KIND_NAMES.get(raw.dtype.kind, f"dtype {raw.dtype}")
        raise ValueError(f"{name} must be real numbers (integers or floats), not {what}; got {_describe(value)}")
    return raw


def as_array(name: str, value: Any, *, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Convert ``value`` to a finite float array, optionally of a given number of dimensions.

    Refuses booleans, strings, complex numbers, ``None`` and object arrays (see the module docstring).
    """
    raw = _real_numbers(name, value)
    with np.errstate(over="ignore"):
        array = raw.astype(float, copy=False) if raw.dtype != np.float64 else raw
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if array.ndim not in allowed:
            need = " or ".join(f"{k}-D" for k in allowed)
            raise ValueError(f"{name} must be {need}; got {_describe(array)} ({array.ndim}-D)")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite numbers; got {_describe(value)}")
    return array


def positive(name: str, value: Any, *, allow_zero: bool = False) -> np.ndarray:
    """Return ``value`` as an array after checking every entry is > 0 (or >= 0)."""
    array = as_array(name, value)
    bad = array < 0 if allow_zero else array <= 0
    if np.any(bad):
        need = "non-negative" if allow_zero else "strictly positive"
        raise ValueError(f"{name} must be {need}; got {_describe(value)}")
    return array


def positive_scalar(name: str, value: Any, *, allow_zero: bool = False) -> float:
    array = positive(name, value, allow_zero=allow_zero)
    if array.ndim != 0:
        raise ValueError(f"{name} must be a single number; got {_describe(value)}")
    return float(array)


def scalar(name: str, value: Any, *, low: float | None = None, high: float | None = None) -> float:
    """A finite real number, optionally in the closed interval ``[low, high]``."""
    array = as_array(name, value)
    if array.ndim != 0:
        raise ValueError(f"{name} must be a single number; got {_describe(value)}")
    number = float(array)
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
        raise ValueError(f"{name} must lie in {bounds}; got {_describe(value)}")
    return number


def integer(name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer (Python or numpy, not a bool or a float), optionally within ``[minimum, maximum]``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        need = "an integer" if minimum is None else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {need}; got {_describe(value)} ({type(value).__name__})")
    number = int(value)
    if minimum is not None and number < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {number}")
    if maximum is not None and number > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}; got {number}")
    return number


def positive_int(name: str, value: Any, *, minimum: int = 1, maximum: int | None = None) -> int:
    return integer(name, value, minimum=minimum, maximum=maximum)


def seed(name: str, value: Any) -> int:
    """A seed: an integer in ``[0, 2**63 - 1]`` (numpy and torch both take these)."""
    return integer(name, value, minimum=0, maximum=MAX_SEED)


def rng(name: str, seed_value: Any) -> np.random.Generator:
    """A numpy random generator from a seed (see :func:`seed`)."""
    return np.random.default_rng(seed(name, seed_value))


def flag(name: str, value: Any) -> bool:
    """A real boolean (``True``/``False`` or a numpy bool), not 0/1 or a string."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {_describe(value)} ({type(value).__name__})")
    return bool(value)


def optional_flag(name: str, value: Any) -> bool | None:
    """``None`` (let the function decide) or a real boolean."""
    return None if value is None else flag(name, value)


def text(name: str, value: Any) -> str:
    """A string (for names, paths and labels)."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string; got {_describe(value)} ({type(value).__name__})")
    return value


def fits_in_memory(name: str, n_values: float, *, bytes_per_value: int = 8, share: float = 0.5) -> None:
    """Refuse, before allocating, an array of ``n_values`` that would take more than ``share`` of the RAM."""
    needed = float(n_values) * bytes_per_value
    if needed > share * _physical_memory():
        raise ValueError(
            f"{name} asks for about {needed / 2**30:.3g} GiB ({n_values:.3g} values), more than "
            f"{share:.0%} of this machine's {_physical_memory() / 2**30:.3g} GiB of memory; choose smaller sizes"
        )


def _physical_memory() -> float:
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # not POSIX: assume a modest laptop
        return 8.0 * 2**30


_DEVICE_KINDS = ("auto", "cpu", "cuda", "mps")


def device_name(name: str, value: Any) -> str:
    """Check only the spelling of a device (``"CPU"``, ``torch.device("cpu")``, ``"cuda:1"``); lower-cased.

    Used where a device is recorded rather than used (a stored run's config): a GPU run must still load on
    a laptop. What :func:`device` refuses for its spelling (``"gpu"``, ``""``, ``0``) is refused here too.
    """
    text = str(value) if type(value).__name__ == "device" and type(value).__module__.startswith("torch") else value
    if isinstance(text, str):
        kind, colon, index = text.strip().lower().partition(":")
        if kind in _DEVICE_KINDS and (not colon or (kind == "cuda" and index.isascii() and index.isdigit())):
            return text.strip().lower()
    raise ValueError(f"{name} must be one of {_DEVICE_KINDS} (or 'cuda:N'); got {_describe(value)}")


def device(name: str, value: Any):
    """Resolve a device string through one rule shared by every trainer; returns a ``torch.device``.

    ``"auto"`` picks CUDA, else Apple's MPS, else the CPU. ``"cpu"``, ``"cuda"``, ``"cuda:N"`` and ``"mps"``
    are taken as asked if this machine has them; anything else (``"gpu"``, ``"tpu"``, ``1``) is refused
    with a list of what is accepted. A ``torch.device`` passes through the same checks.
    """
    import torch

    value = device_name(name, value)
    kind, _, index = value.partition(":")
    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    if kind == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    if kind == "cuda":
        if not cuda:
            raise ValueError(f"{name}={value!r} was asked for, but CUDA is not available here; use 'cpu' or 'auto'")
        if index and int(index) >= torch.cuda.device_count():
            raise ValueError(f"{name}={value!r}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    if kind == "mps" and not mps:
        raise ValueError(f"{name}={value!r} was asked for, but Apple's MPS is not available here; use 'cpu' or 'auto'")
    return torch.device(value)


def same_length(**arrays: np.ndarray) -> int:
    """Check that 1-D arrays share one length and return it."""
    lengths = {name: np.shape(a)[0] if np.ndim(a) else None for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"arguments must have the same length; {described}")
    return next(iter(lengths.values()))


def broadcastable(**arrays: Any) -> tuple[np.ndarray, ...]:
    """Broadcast arrays together, naming them if their shapes do not fit."""
    converted = {name: as_array(name, a) for name, a in arrays.items()}
    try:
        return tuple(np.broadcast_arrays(*converted.values()))
    except ValueError as error:
        shapes = ", ".join(f"{name} {a.shape}" for name, a in converted.items())
        raise ValueError(f"shapes do not broadcast together: {shapes}") from error


def one_of(name: str, value: Any, choices: tuple[Any, ...]) -> Any:
    try:
        known = any(type(value) is type(choice) and value == choice for choice in choices)
    except (TypeError, ValueError):  # arrays and objects that cannot be compared
        known = False
    if not known:
        raise ValueError(f"{name} must be one of {choices}; got {_describe(value)}")
    return value


def samples(X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Check a data set: ``X`` (n, d) and ``Y`` (n,) or (n, c) with the same n >= 1; return ``Y`` as 2-D."""
    X = as_array("X", X, ndim=2)
    Y = as_array("Y", Y, ndim=(1, 2))
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"X and Y must have the same number of rows; got {X.shape[0]} and {Y.shape[0]}")
    if X.shape[0] == 0:
        raise ValueError(f"X must have at least one sample (row); got shape {X.shape}")
    return X, Y


def batch_dims_broadcast(first: str, a: np.ndarray, a_core: int, second: str, b: np.ndarray, b_core: int) -> None:
    """Check that the leading (batch) dimensions of two arrays broadcast, ``a_core``/``b_core`` trailing dims aside."""
    batch_a, batch_b = a.shape[: a.ndim - a_core], b.shape[: b.ndim - b_core]
    try:
        np.broadcast_shapes(batch_a, batch_b)
    except ValueError as error:
        raise ValueError(f"the batch dimensions of {first} {batch_a} and {second} {batch_b} must broadcast") from error
