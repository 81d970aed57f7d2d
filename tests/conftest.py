"""Shared test setup: a headless matplotlib backend, no figure left open between tests, and the
tolerance audit (``pytest --tolerance-report=PATH``).

The audit wraps :func:`numpy.testing.assert_allclose` and records, for every call, the fraction of its
tolerance that the comparison used: ``max |actual - desired| / (atol + rtol |desired|)``. A test that
compares a closed form with a numerical solve should use at most a tenth of its tolerance (a 10x margin),
so that another CPU's rounding cannot make it fail. The report lists one line per test: the largest
fraction used and where.
"""

from __future__ import annotations

import csv
import inspect

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

_original_assert_allclose = np.testing.assert_allclose
_used: dict[str, tuple[float, str]] = {}
_current_test = {"id": None}


def pytest_addoption(parser):
    parser.addoption(
        "--tolerance-report",
        metavar="PATH",
        default=None,
        help="write, per test, the largest fraction of an assert_allclose tolerance used (CSV); run with -n 0",
    )


def tolerance_fraction(actual, desired, rtol=1e-7, atol=0.0) -> float:
    """Largest ``|actual - desired| / (atol + rtol |desired|)`` over the entries (0 where both are equal)."""
    actual, desired = np.broadcast_arrays(np.asarray(actual, dtype=float), np.asarray(desired, dtype=float))
    difference = np.abs(actual - desired)
    allowed = atol + rtol * np.abs(desired)
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(difference == 0, 0.0, difference / allowed)
    return float(np.max(fraction)) if fraction.size else 0.0


def _auditing_assert_allclose(actual, desired, rtol=1e-7, atol=0, *args, **kwargs):
    test = _current_test["id"]
    if test is not None:
        try:
            used = tolerance_fraction(actual, desired, rtol, atol)
        except (TypeError, ValueError):
            used = float("nan")
        caller = inspect.stack()[1]
        where = f"{caller.filename.rsplit('/', 1)[-1]}:{caller.lineno}"
        if test not in _used or used > _used[test][0]:
            _used[test] = (used, where)
    return _original_assert_allclose(actual, desired, rtol, atol, *args, **kwargs)


def pytest_configure(config):
    if config.getoption("--tolerance-report"):
        np.testing.assert_allclose = _auditing_assert_allclose


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    _current_test["id"] = item.nodeid
    yield
    _current_test["id"] = None


def pytest_unconfigure(config):
    path = config.getoption("--tolerance-report")
    if path:
        np.testing.assert_allclose = _original_assert_allclose
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["test", "fraction_of_tolerance_used", "where"])
            for test, (used, where) in sorted(_used.items(), key=lambda item: -np.nan_to_num(item[1][0], nan=1.0)):
                writer.writerow([test, f"{used:.3g}", where])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def one_torch_thread():
    """Torch on one thread for a module: on a shared 2-core machine that is faster and more repeatable."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
