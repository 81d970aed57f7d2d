"""Bounded cost of gradient_flow: spans it cannot finish are refused, quickly, with an error naming t_max."""

from __future__ import annotations

import time

import numpy as np
import pytest

import labhelpers as lh


def _diagonal(scale=0.1):
    moments = lh.teacher_moments(np.ones(2), np.array([1.0, 0.5]))
    return lh.DiagonalLinearNetwork(2), {"a": np.full(2, scale), "b": np.full(2, scale)}, moments


@pytest.mark.parametrize("t_max", [1e6, 1e12, 1e308])
def test_an_impossible_span_is_refused_up_front(t_max):
    model, params, moments = _diagonal()
    started = time.perf_counter()
    with pytest.raises(ValueError, match=r"t_max=.*max_evaluations"):
        lh.gradient_flow(model, params, moments, t_max=t_max)
    assert time.perf_counter() - started < 1.0


def test_the_budget_stops_a_run_that_looked_feasible():
    model, params, moments = _diagonal()
    started = time.perf_counter()
    with pytest.raises(ValueError, match=r"more than max_evaluations=1000 .*t_max=300"):
        lh.gradient_flow(model, params, moments, t_max=300.0, max_evaluations=1000, rtol=1e-13)
    assert time.perf_counter() - started < 2.0


def test_max_step_is_honoured_and_validated():
    model, params, moments = _diagonal()
    run = lh.gradient_flow(model, params, moments, t_max=5.0, max_step=0.01, n_times=3)
    assert run.info["nfev"] >= 12 * 500
    for bad in (0.0, -1.0, np.nan, True, "0.1"):
        with pytest.raises(ValueError, match="max_step"):
            lh.gradient_flow(model, params, moments, t_max=5.0, max_step=bad)
