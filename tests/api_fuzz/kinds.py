"""Kinds of argument, and the bad or edge values the fuzz tries for each (issue 11, items 2-4 and 8).

A :class:`Kind` knows, from the argument's valid baseline value, two things:

- a fixed catalogue of :class:`Variant` values (``True`` for a float, ``'1.0'``, ``None``, NaN, ``1e308``,
  a size of ``10**30``, ``np.int64(3)`` for an int, ``'gpu'`` for a device, ...), each with what the
  library must do with it;
- a hypothesis strategy that draws further variants of the same kind (any float, any negative int, an
  array of the baseline's shape with arbitrary entries), with the expectation computed from the value.

What the library must do with a variant:

``REFUSE``
    raise a ``ValueError``/``TypeError`` that names the argument (bools, strings, NaN, a negative size);
``ACCEPT``
    return a finite result (``np.int64(3)`` where an int is expected, a float32 array, any student answer);
``EITHER``
    refuse clearly or return a finite result, within the timeout (``1e308``, a subnormal, ``10**30`` steps).
"""

from __future__ import annotations

import atexit
import copy
import dataclasses
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

REFUSE, ACCEPT, EITHER = "refuse", "accept", "either"


class Variant(NamedTuple):
    """One value to put in place of an argument, a short label for reports, and the expected behaviour."""

    label: str
    value: Any
    expect: str


class Kind:
    """A kind of argument: its catalogue of variants and its strategy for drawing more.

    Parameters
    ----------
    name : str
        For reports and the manifest listing.
    catalogue : callable
        ``catalogue(baseline) -> list[Variant]``.
    draw : callable, optional
        ``draw(baseline) -> SearchStrategy[Variant]``; defaults to sampling the catalogue.
    fuzzed : bool
        False for arguments the harness does not vary (see :func:`fixed`).
    """

    def __init__(self, name: str, catalogue: Callable[[Any], list[Variant]], draw=None, *, fuzzed: bool = True):
        self.name = name
        self.catalogue = catalogue
        self._draw = draw
        self.fuzzed = fuzzed

    def strategy(self, baseline: Any) -> st.SearchStrategy[Variant]:
        """Catalogue values and drawn values, half and half."""
        listed = st.sampled_from(self.catalogue(baseline))
        return listed if self._draw is None else st.one_of(listed, self._draw(baseline))

    def __repr__(self) -> str:
        return f"Kind({self.name})"


def _label(value: Any) -> str:
    if isinstance(value, np.ndarray):
        body = np.array2string(value.ravel()[:3], threshold=3, precision=3)
        return f"array({value.dtype}, shape={value.shape}, {body}{'...' if value.size > 3 else ''})"
    if isinstance(value, np.generic):
        return f"np.{type(value).__name__}({value!r})"
    text = repr(value)
    return text if len(text) <= 50 else text[:47] + "..."


def _v(value: Any, expect: str, label: str | None = None) -> Variant:
    return Variant(label or _label(value), value, expect)


def _junk(optional: bool) -> list[Variant]:
    """Values no numeric argument may take (``None`` is fine for an optional one)."""
    return [
        _v(True, REFUSE),
        _v("1.0", REFUSE),
        _v("abc", REFUSE),
        _v(1 + 2j, REFUSE),
        _v(None, ACCEPT if optional else REFUSE),
        _v(np.array([1.0, "x"], dtype=object), REFUSE, "object array [1.0, 'x']"),
    ]


def _scalar_expect(value: float, low: float | None, low_open: bool, high: float | None, high_open: bool) -> str:
    if not np.isfinite(value):
        return REFUSE
    if low is not None and (value < low or (low_open and value == low)):
        return REFUSE
    if high is not None and (value > high or (high_open and value == high)):
        return REFUSE
    return EITHER


def _float_kind(
    name: str, low: float | None, low_open: bool, high: float | None, optional: bool, high_open: bool = True
) -> Kind:
    def expect(x: float) -> str:
        return _scalar_expect(x, low, low_open, high, high_open)

    def catalogue(baseline: Any) -> list[Variant]:
        base = 0.5 if baseline is None else float(np.asarray(baseline).ravel()[0])
        values = [np.nan, np.inf, -np.inf, 1e308, -1e308, 5e-324, 0.0, -1.0, -5e-324]
        if high is not None:
            values.append(high)
        listed = _junk(optional) + [_v(x, expect(x)) for x in values]
        # The baseline in another numeric type must be accepted; an optional argument left out has no
        # baseline (0.5 is a stand-in, legal or not depending on the other arguments: lr without descent).
        same = ACCEPT if baseline is not None else EITHER
        listed.append(_v(np.float32(base), same))
        if float(base).is_integer():
            listed.append(_v(np.int64(base), same))
        return listed

    def draw(baseline: Any) -> st.SearchStrategy[Variant]:
        return st.floats(allow_nan=True, allow_infinity=True).map(lambda x: _v(x, expect(x)))

    return Kind(name, catalogue, draw)


def real(*, optional: bool = False) -> Kind:
    """Any finite real number."""
    return _float_kind("real", None, False, None, optional)


def positive(*, optional: bool = False, zero_ok: bool = False) -> Kind:
    """A finite number > 0 (>= 0 with ``zero_ok``)."""
    return _float_kind("non-negative" if zero_ok else "positive", 0.0, not zero_ok, None, optional)


def at_least_one(*, optional: bool = False) -> Kind:
    """A finite real number >= 1 (a count that may be fractional, e.g. a fitted number of shots)."""
    return _float_kind("real >= 1", 1.0, False, None, optional)


def fraction(*, optional: bool = False, one_ok: bool = False) -> Kind:
    """A number in (0, 1): a fraction of saturation, never reached exactly. With ``one_ok``, a number
    in (0, 1]: an accuracy level, a decay factor or a safety factor, for which 1 is legal."""
    return _float_kind("fraction in (0, 1]" if one_ok else "fraction", 0.0, True, 1.0, optional, not one_ok)


def _array_expect(array: np.ndarray, low: float | None, low_open: bool) -> str:
    if not np.all(np.isfinite(array)):
        return REFUSE
    if low is not None and np.any(array < low if not low_open else array <= low):
        return REFUSE
    return EITHER


def array(
    *, ndim: int | tuple[int, ...] | None = None, low: float | None = None, low_open: bool = False, optional=False
) -> Kind:
    """A float array; ``ndim`` fixes its dimensions, or lists those allowed (None: it broadcasts), ``low``
    bounds its entries."""
    ndims = (ndim,) if isinstance(ndim, int) else ndim

    def catalogue(baseline: Any) -> list[Variant]:
        if baseline is None:  # an optional array left out: only the values no array may be
            return _junk(optional)
        if hasattr(baseline, "detach"):  # a torch tensor: its numbers (np.array on it is deprecated)
            baseline = baseline.detach().cpu().numpy()
        base = np.array(baseline, dtype=float)
        with_nan, with_inf = base.copy(), base.copy()
        with_nan.flat[0], with_inf.flat[0] = np.nan, np.inf
        listed = _junk(optional) + [
            _v(with_nan, REFUSE, "NaN entry"),
            _v(with_inf, REFUSE, "inf entry"),
            _v(base.astype(bool), REFUSE, "bool array"),
            _v(base.astype(complex), REFUSE, "complex array"),
            _v(base.astype(str), REFUSE, "string array"),
            _v(base.astype(object), REFUSE, "object array of floats"),
            _v(base * 1e300 + (1e300 if low is None else 0.0), EITHER, "huge entries (x1e300)"),
            _v(base * 1e-310, EITHER if low is None or not low_open or np.all(base > 0) else REFUSE, "subnormal"),
            _v(base.astype(np.float32), ACCEPT, "float32 array"),
            _v(base.tolist(), ACCEPT, "nested list"),
        ]
        if low is not None:
            negative = base.copy()
            negative.flat[0] = low - 1.0
            listed.append(_v(negative, REFUSE, f"entry below {low}"))
        if ndims is not None:
            extra = base.reshape(base.shape + (1,) * (max(ndims) + 1 - base.ndim))
            listed += [_v(extra, REFUSE, f"{extra.ndim}-D"), _v(np.zeros((0,) * base.ndim), EITHER, "empty")]
            if min(ndims) > 0:
                listed.append(_v(base.reshape(-1)[0], REFUSE, "a scalar"))
        return listed

    def draw(baseline: Any) -> st.SearchStrategy[Variant]:
        if baseline is None:
            return st.sampled_from(_junk(optional))
        shape = np.shape(baseline)
        elements = st.floats(allow_nan=True, allow_infinity=True, width=64)
        return hnp.arrays(np.float64, shape, elements=elements).map(lambda a: _v(a, _array_expect(a, low, low_open)))

    name = f"array(ndim={ndim}, low={low})" if ndim is not None or low is not None else "array"
    return Kind(name, catalogue, draw)


def size(*, minimum: int = 1, optional: bool = False) -> Kind:
    """An integer >= ``minimum`` (a size, count, number of steps); numpy integers must be accepted."""

    def catalogue(baseline: Any) -> list[Variant]:
        if baseline is None:  # an optional size left out (the function infers it): no legal value to vary
            return _junk(optional) + [_v(1.5, REFUSE), _v(minimum - 1, REFUSE), _v(10**30, EITHER, "10**30")]
        base = int(baseline)
        return _junk(optional) + [
            _v(float(base), REFUSE),
            _v(base + 0.5, REFUSE),
            _v(str(base), REFUSE),
            _v(minimum - 1, REFUSE),
            _v(-(10**30), REFUSE),
            _v(10**30, EITHER, "10**30"),
            _v(10**12, EITHER, "10**12"),
            _v(np.int64(base), ACCEPT),
            _v(np.int32(base), ACCEPT),
            _v(np.uint32(base), ACCEPT),
            _v(np.array(base), REFUSE, "0-d array"),
        ]

    def draw(baseline: Any) -> st.SearchStrategy[Variant]:
        too_small = st.integers(max_value=minimum - 1).map(lambda n: _v(n, REFUSE))
        absurd = st.integers(min_value=10**12, max_value=10**40).map(lambda n: _v(n, EITHER))
        floats = st.floats().map(lambda x: _v(x, REFUSE))
        return st.one_of(too_small, absurd, floats)

    return Kind(f"size(>={minimum})", catalogue, draw)


def seed() -> Kind:
    """A seed in ``[0, 2**63 - 1]``."""

    def catalogue(baseline: Any) -> list[Variant]:
        return _junk(False) + [
            _v(-1, REFUSE),
            _v(2**64, REFUSE, "2**64"),
            _v(0.0, REFUSE),
            _v("0", REFUSE),
            _v(2**63 - 1, ACCEPT, "2**63-1"),
            _v(np.int64(int(baseline or 0) + 1), ACCEPT),
            _v(np.uint32(7), ACCEPT),
        ]

    def draw(baseline: Any) -> st.SearchStrategy[Variant]:
        out_of_range = st.one_of(st.integers(max_value=-1), st.integers(min_value=2**63, max_value=2**80))
        return out_of_range.map(lambda n: _v(n, REFUSE))

    return Kind("seed", catalogue, draw)


def flag(*, optional: bool = False) -> Kind:
    """A real boolean (``np.bool_`` accepted), never 0/1 or a string."""

    def catalogue(baseline: Any) -> list[Variant]:
        return [
            _v(1, REFUSE),
            _v(0, REFUSE),
            _v("True", REFUSE),
            _v(1.0, REFUSE),
            _v(None, ACCEPT if optional else REFUSE),
            _v(np.bool_(bool(baseline)), ACCEPT),
            _v(np.array([True, False]), REFUSE, "bool array"),
        ]

    return Kind("flag", catalogue)


def device(*, spelling_only: bool = False) -> Kind:
    """A device string for the shared resolver ("auto", "cpu", "cuda", "cuda:N", "mps").

    With ``spelling_only``, the argument is recorded rather than used (a stored run's config, which must
    load on a machine without the GPU it ran on): a well-spelled device this machine lacks may pass.
    """

    def catalogue(baseline: Any) -> list[Variant]:
        import torch

        return [
            _v("gpu", REFUSE),
            _v("tpu", REFUSE),
            _v("cuda:x", REFUSE),
            _v("", REFUSE),
            _v(0, REFUSE),
            _v(None, REFUSE),
            _v(True, REFUSE),
            _v("cuda:99", EITHER if spelling_only else REFUSE),
            _v("cuda", EITHER),
            _v("auto", ACCEPT),
            _v("CPU", ACCEPT),
            _v(torch.device("cpu"), ACCEPT, "torch.device('cpu')"),
        ]

    return Kind("device", catalogue)


def choice(*options: Any) -> Kind:
    """One of a fixed set of options (type-exact)."""

    def catalogue(baseline: Any) -> list[Variant]:
        return [_v("no-such-option", REFUSE), _v(None, REFUSE), _v(1, REFUSE), _v(True, REFUSE)] + [
            _v(option, ACCEPT) for option in options
        ]

    return Kind(f"choice{options}", catalogue)


def text(*, optional: bool = False) -> Kind:
    """A string (a name, label or title)."""

    def catalogue(baseline: Any) -> list[Variant]:
        return [_v(3, REFUSE), _v(["a"], REFUSE), _v(None, ACCEPT if optional else REFUSE), _v("x y", EITHER)]

    return Kind("text", catalogue)


def record(type_name: str, extra: Callable[[Any], list[Variant]] | None = None) -> Kind:
    """An object of a library type (a model, a data set, a result); ``extra`` adds type-specific bad values."""

    def catalogue(baseline: Any) -> list[Variant]:
        listed = [_v(None, REFUSE), _v("abc", REFUSE), _v(3, REFUSE), _v({}, REFUSE), _v(np.eye(2), REFUSE)]
        return listed + (extra(baseline) if extra else [])

    return Kind(type_name, catalogue)


def with_field(obj: Any, field: str, value: Any) -> Any:
    """A copy of a (possibly frozen) dataclass with one field replaced, skipping its checks: what an
    in-place edit by a user (``moments.sigma_xx[0, 0] = np.nan``) leaves behind."""
    clone = copy.deepcopy(obj)
    object.__setattr__(clone, field, value)
    return clone


def _first_array_field(obj: Any) -> str:
    return next(f.name for f in dataclasses.fields(obj) if isinstance(getattr(obj, f.name), np.ndarray))


def _broken_records(baseline: Any) -> list[Variant]:
    """Dataclass records whose first array field holds a NaN, or lost a dimension."""
    if not dataclasses.is_dataclass(baseline):
        return []
    field = _first_array_field(baseline)
    original = np.asarray(getattr(baseline, field))
    with_nan = original.astype(float)
    with_nan.flat[0] = np.nan
    return [
        _v(with_field(baseline, field, with_nan), REFUSE, f"{type(baseline).__name__} with NaN in {field}"),
        _v(with_field(baseline, field, original.reshape(-1)[:1]), REFUSE, f"{type(baseline).__name__}, {field} cut"),
    ]


def moments() -> Kind:
    """A :class:`labhelpers.core.Moments`; also tried with NaN entries or a non-symmetric ``sigma_xx``."""

    def extra(baseline: Any) -> list[Variant]:
        asymmetric = np.array(baseline.sigma_xx, dtype=float)
        if asymmetric.ndim == 2 and asymmetric.shape[0] > 1:
            asymmetric[0, 1] += 1.0
        negative = -np.array(baseline.sigma_xx, dtype=float)
        return _broken_records(baseline) + [
            _v(with_field(baseline, "sigma_xx", asymmetric), REFUSE, "Moments with sigma_xx not symmetric"),
            _v(with_field(baseline, "sigma_xx", negative), REFUSE, "Moments with sigma_xx negative definite"),
        ]

    return record("Moments", extra)


def dataset(type_name: str) -> Kind:
    """A dataclass of arrays (a data set, a history, a trajectory)."""
    return record(type_name, _broken_records)


def labels() -> Kind:
    """A 1-D array of class labels: non-negative integers (numpy integer dtypes and lists accepted)."""

    def catalogue(baseline: Any) -> list[Variant]:
        base = np.asarray(baseline)
        negative = base.copy()
        negative[0] = -1
        return _junk(False) + [
            _v(negative, REFUSE, "a label -1"),
            _v(base + 0.5, REFUSE, "fractional labels"),
            _v(base.astype(bool), REFUSE, "bool array"),
            _v(base.astype(str), REFUSE, "string array"),
            _v(base[:, None], REFUSE, "2-D"),
            _v(base[:-1], EITHER, "one label short"),
            _v(base.astype(float), EITHER, "integral floats"),
            _v(base.astype(np.int32), ACCEPT, "int32 array"),
            _v(base.tolist(), ACCEPT, "list of ints"),
        ]

    return Kind("labels", catalogue)


def params() -> Kind:
    """A dict of parameter arrays, e.g. ``{"W1": ..., "W2": ...}``."""

    def catalogue(baseline: dict) -> list[Variant]:
        key = next(iter(baseline))
        first = np.asarray(baseline[key], dtype=float)

        def replaced(value: Any) -> dict:
            return {**baseline, key: value}

        with_nan = first.copy()
        with_nan.flat[0] = np.nan
        return [
            _v(None, REFUSE),
            _v("abc", REFUSE),
            _v({}, REFUSE),
            _v({k: v for k, v in baseline.items() if k != key}, REFUSE, f"no {key!r}"),
            _v(replaced(with_nan), REFUSE, f"NaN in {key!r}"),
            _v(replaced(first[..., None]), REFUSE, f"{key!r} with an extra axis"),
            _v(replaced(first.astype(bool)), REFUSE, f"{key!r} as booleans"),
            _v(replaced(first.astype(complex)), REFUSE, f"{key!r} as complex"),
            _v(replaced(first * 1e300), EITHER, f"{key!r} x1e300"),
        ]

    return Kind("params", catalogue)


SCRATCH_ENV = "LABHELPERS_FUZZ_SCRATCH"
"""The folder a fuzz run keeps its files in (bad result files, outputs of calls), shared by its workers."""

_SCRATCH: dict[str, str] = {}


def scratch_root() -> str:
    """The run's folder: ``$LABHELPERS_FUZZ_SCRATCH`` if set (pytest sets it to a ``tmp_path`` folder,
    which pytest itself prunes), else a fresh temporary folder removed when this process exits. Workers
    inherit it, so a worker killed after a hang leaves nothing outside it."""
    if "root" not in _SCRATCH:
        root = os.environ.get(SCRATCH_ENV)
        if not root:
            root = tempfile.mkdtemp(prefix="labhelpers-fuzz-")
            atexit.register(shutil.rmtree, root, ignore_errors=True)
            os.environ[SCRATCH_ENV] = root
        os.makedirs(root, exist_ok=True)
        _SCRATCH["root"] = root
    return _SCRATCH["root"]


def scratch_dir() -> str:
    """This process's own subfolder of :func:`scratch_root` (a worker writes its files apart from the
    runner's)."""
    if "mine" not in _SCRATCH:
        _SCRATCH["mine"] = tempfile.mkdtemp(prefix=f"process-{os.getpid()}-", dir=scratch_root())
    return _SCRATCH["mine"]


def _bad_files() -> list[Variant]:
    folder = scratch_dir()
    contents = {
        "empty.json": b"",
        "truncated.json": b'{"epochs": [1, 2',
        "binary.json": bytes(range(256)),
        "list.json": b"[1, 2, 3]",
        "wrong_keys.json": json.dumps({"hello": 1}).encode(),
        "nan.json": b'{"epochs": [NaN]}',
    }
    listed = []
    for name, body in contents.items():
        path = os.path.join(folder, name)
        with open(path, "wb") as handle:
            handle.write(body)
        listed.append(_v(path, REFUSE, name))
    return listed + [
        _v(os.path.join(folder, "missing.json"), REFUSE, "missing.json"),
        _v(folder, REFUSE, "a folder"),
    ]


def path_in() -> Kind:
    """A stored result file to read; broken files must be refused with the file named."""

    def catalogue(baseline: Any) -> list[Variant]:
        return [_v(None, REFUSE), _v(3, REFUSE), _v(b"\x00", REFUSE)] + _bad_files()

    return Kind("result file", catalogue)


def path_out() -> Kind:
    """A file to write."""

    def catalogue(baseline: Any) -> list[Variant]:
        return [_v(None, REFUSE), _v(3, REFUSE), _v(scratch_dir(), REFUSE, "a folder")]

    return Kind("output file", catalogue)


class UnprintableAnswer:
    """A student answer whose ``str()`` and ``repr()`` raise."""

    def __str__(self) -> str:
        raise RuntimeError("no str")

    __repr__ = __str__

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise RuntimeError("no array")


def raising_function(*args: Any, **kwargs: Any) -> Any:
    """A student function that raises."""
    raise ZeroDivisionError("student bug")


def exiting_function(*args: Any, **kwargs: Any) -> Any:
    """A student function that calls ``sys.exit``."""
    sys.exit(3)


def nan_function(*args: Any, **kwargs: Any) -> Any:
    """A student function that returns NaN."""
    return float("nan")


def unfinished_function(*args: Any, **kwargs: Any) -> Any:
    """A student function left as ``...``."""
    return ...


def student() -> Kind:
    """What a student writes: anything must be accepted and get a verdict, never an exception."""

    def catalogue(baseline: Any) -> list[Variant]:
        values = [..., None, "abc", np.nan, [1, 2, "x"], [[1.0], [2.0, 3.0]], 1e308, True, {"a": 1}]
        listed = [_v(value, ACCEPT) for value in values]
        return listed + [
            _v(UnprintableAnswer(), ACCEPT, "object whose str() raises"),
            _v(raising_function, ACCEPT, "function that raises"),
            _v(exiting_function, ACCEPT, "function calling sys.exit"),
            _v(nan_function, ACCEPT, "function returning NaN"),
            _v(unfinished_function, ACCEPT, "function returning ..."),
        ]

    return Kind("student answer", catalogue)


def fixed(reason: str) -> Kind:
    """An argument the harness does not vary, with the reason (a callable to draw with, an Axes)."""
    return Kind(f"fixed ({reason})", lambda baseline: [], fuzzed=False)
