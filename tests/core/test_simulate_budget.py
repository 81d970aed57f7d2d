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


def test_descent_refuses_a_clock_that_overflows():
    model, params, moments = _diagonal()
    teacher = {"a": np.ones(2), "b": np.array([1.0, 0.5])}  # at the optimum: the flow is zero, no divergence
    with pytest.raises(ValueError, match=r"lr x steps = 1e\+306 x 1000 overflows"):
        lh.gradient_descent(model, teacher, lr=1e306, steps=1000, moments=moments)
    run = lh.gradient_descent(model, teacher, lr=1e305, steps=1000, moments=moments, record_every=1000)
    assert np.all(np.isfinite(run.times)) and run.times[-1] == 1e308


def test_descent_refuses_samples_that_do_not_fit_in_memory():
    model, params, _ = _diagonal()
    X, Y = np.ones((10**5, 2)), np.ones(10**5)
    batch = {name: np.full((10**4, 2), 0.1) for name in params}  # 1e4 runs x 1e5 samples x 3 records
    start = time.perf_counter()
    with pytest.raises(ValueError, match="X and Y asks for"):
        lh.gradient_descent(model, batch, lr=0.1, steps=1, X=X, Y=Y)
    assert time.perf_counter() - start < 2.0


def test_flow_overflow_names_params0():
    model, _, moments = _diagonal()
    huge = {"a": np.full(2, 1e150), "b": np.full(2, 1e150)}
    with pytest.raises(ValueError, match="params0"):
        lh.gradient_flow(model, huge, moments, t_max=1e-300, n_times=2)


def test_flow_refuses_a_record_that_cannot_fit_in_memory():
    model, params, moments = _diagonal()
    start = time.perf_counter()
    with pytest.raises(ValueError, match="n_times"):
        lh.gradient_flow(model, params, moments, t_max=1.0, n_times=10**12)
    batch = {name: np.full((10**6, 2), 0.1) for name in params}
    with pytest.raises(ValueError, match=r"n_times \(the recorded trajectory\) asks for"):
        lh.gradient_flow(model, batch, moments, t_max=1.0, n_times=10**5)
    assert time.perf_counter() - start < 2.0


def test_descent_from_an_overflowing_start_blames_params0():
    """A start whose loss overflows is refused before any step, naming params0 (not the learning rate)."""
    model, moments = lh.LinearNetwork(2, 3, 1), lh.random_moments(2, 1, seed=0)
    with pytest.raises(ValueError, match="params0 is too large: the loss at the start overflows"):
        lh.gradient_descent(model, model.random_init(1e100), lr=0.1, steps=3, moments=moments)


def test_simulators_refuse_moments_edited_after_they_were_built():
    model, params, moments = _diagonal()
    for edit in ("nan", "asymmetric", "negative", "cut"):
        broken = lh.teacher_moments(np.ones(2), np.array([1.0, 0.5]))
        if edit == "nan":
            broken.sigma_xx[0, 0] = np.nan
        elif edit == "asymmetric":
            broken.sigma_xx[0, 1] = 1.0
        elif edit == "negative":
            broken.sigma_xx[:] = -np.eye(2)
        else:
            object.__setattr__(broken, "sigma_xx", np.eye(1))
        with pytest.raises(ValueError, match="moments is no longer valid"):
            lh.gradient_flow(model, params, broken, t_max=1.0)
        with pytest.raises(ValueError, match="moments is no longer valid"):
            lh.gradient_descent(model, params, lr=0.1, steps=2, moments=broken)
        with pytest.raises(ValueError, match="moments is no longer valid"):
            lh.autograd_flow(model, params, broken)


def test_descent_on_moments_still_checks_the_device():
    model, params, moments = _diagonal()
    for bad in ("gpu", "", 0, None, True, "cuda:x"):
        with pytest.raises(ValueError, match="device"):
            lh.gradient_descent(model, params, lr=0.1, steps=2, moments=moments, device=bad)
