"""Argument checks shared by every public function (scikit-learn's habit).

Each helper raises ``ValueError`` naming the argument, what it got, and what it needs,
so that a wrong call fails loudly at the boundary instead of returning NaN later.
"""

from __future__ import annotations

from typing import Any

import numpy as np


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


def as_array(name: str, value: Any, *, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Convert ``value`` to a finite float array, optionally of a given number of dimensions."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric; got {_describe(value)}") from error
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


def positive_int(name: str, value: Any, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {_describe(value)}")
    return int(value)


def rng(name: str, seed: Any) -> np.random.Generator:
    """A numpy random generator from ``seed`` (an integer >= 0, as ``np.random.default_rng`` takes)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{name} must be an integer >= 0; got {_describe(seed)}")
    return np.random.default_rng(seed)


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
    if value not in choices:
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
