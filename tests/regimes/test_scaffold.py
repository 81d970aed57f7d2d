"""The chapter-4 trainers on the training scaffold: the shared gradient step, the throughput they report,
and KernelPath.first_time (the date at which a network's kernel leaves its start)."""

from __future__ import annotations

import numpy as np
import pytest

import labhelpers as lh
from labhelpers import regimes
from labhelpers.core.divergence import DivergenceGuard
from labhelpers.regimes import descent


def _task(seed=0, n=10, d=2, c=2):
    rng = np.random.default_rng(seed)
    X, _ = lh.whiten(rng.standard_normal((n, d)))
    return X, rng.standard_normal((n, c))


# ---------------------------------------------------------------------------- the shared step
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_one_step_is_the_gradient_step_of_the_module_docstring(backend):
    X, Y = _task()
    params = regimes.random_lambda_balanced(np.array([-1.0, 2.0]), 0.5, 2, 2, 2, seed=1)
    W1, W2, divisor = params["W1"], params["W2"], np.array([1.0, 3.0])
    guard = DivergenceGuard("test", lr=0.1)
    state = descent.stacked(W1, W2, X, Y, divisor, 0.1, backend, "cpu", guard)
    assert state.step(1) == 2 * 10  # n samples per network
    A, B = state.weights()
    E = X.T @ Y / 10 / divisor[:, None, None] - X.T @ X / 10 @ W1 @ W2
    np.testing.assert_allclose(A, W1 + 0.1 * E @ W2.swapaxes(-1, -2), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(B, W2 + 0.1 * W1.swapaxes(-1, -2) @ E, rtol=1e-12, atol=1e-14)
    assert guard.first == pytest.approx(float((E * E).max()), rel=1e-12)


def test_the_guard_numbers_the_steps_from_zero():
    X, Y = _task()
    W1, W2 = np.ones((2, 2)), np.ones((2, 2))
    seen = []

    class Recording(DivergenceGuard):
        def check(self, step, loss):
            seen.append(step)

    state = descent.Descent(W1, W2, X.T @ X / 10, X.T @ Y / 10, 0.01, Recording("test"), samples=10)
    lh.runs.train_loop(3, state.step)
    assert seen == [0, 1, 2]


def test_stacked_and_one_by_one_trainers_agree_bit_for_bit_on_numpy():
    """The same step function on a stack of one network and on that network alone."""
    X, Y = _task(seed=2)
    params = regimes.random_lambda_balanced(np.array([0.5]), 0.7, 2, 2, 2, seed=2)
    stacked = regimes.train_grid(params["W1"], params["W2"], X, Y, steps=50, target_divisor=2.0, backend="numpy")
    alone = regimes.train_grid_loop(params["W1"], params["W2"], X, Y, steps=50, target_divisor=2.0)
    for name in ("W1", "W2"):
        np.testing.assert_allclose(stacked.final[name], alone.final[name], rtol=1e-13, atol=1e-15)


# ---------------------------------------------------------------------------- throughput
def test_every_trainer_reports_its_throughput():
    X, Y = _task()
    params = regimes.random_lambda_balanced(np.array([0.0, 1.0, 2.0]), 0.5, 2, 2, 2)
    flops = 2.0 * (3 * 8 + 8) / 10  # per sample: two FLOPs per multiply-add of one step, over n = 10
    for backend in ("torch", "numpy"):
        grid = regimes.train_grid(params["W1"], params["W2"], X, Y, steps=20, backend=backend)
        assert grid.throughput.samples == 20 * 3 * 10 and grid.throughput.flops_per_sample == pytest.approx(flops)
    loop = regimes.train_grid_loop(params["W1"], params["W2"], X, Y, steps=20)
    assert loop.throughput.samples == 20 * 3 * 10 and loop.throughput.gflops_per_second > 0
    path = regimes.train_path(params["W1"], params["W2"], X, Y, steps=30, record_steps=[0, 5, 20])
    assert path.throughput.samples == 20 * 3 * 10  # it stops at the last record
    relu = regimes.neuron_balanced(np.array([-1.0, 1.0]), 0.2, 3, 4, seed=1)
    Xr = np.random.default_rng(3).standard_normal((10, 3))
    run = regimes.train_two_layer(relu["W1"], relu["a"], Xr, Y[:, 0], steps=7, n_records=3)
    assert run.throughput.samples == 7 * 2 * 10 and run.throughput.flops_per_sample == 6.0 * 3 * 4
    assert set(run.throughput.as_dict()) == {"train_seconds", "samples", "samples_per_second", "gflops_per_second"}


def test_results_built_by_hand_have_no_throughput():
    path = regimes.KernelPath(np.arange(2), np.arange(2.0), np.zeros((2, 1)), np.zeros((2, 1)), {})
    assert path.throughput is None


# ---------------------------------------------------------------------------- KernelPath.first_time
def _path(distances, times=None):
    distances = np.asarray(distances, dtype=float)
    times = np.arange(len(distances)) * 0.5 if times is None else np.asarray(times, dtype=float)
    return regimes.KernelPath(np.arange(len(times)), times, distances, np.zeros_like(distances), {})


def test_first_time_is_the_first_record_above_the_level():
    path = _path([[0.0, 0.0], [0.01, 0.2], [0.3, 0.25], [0.5, 0.05]])
    assert path.first_time(0, 0.1) == 1.0 and path.first_time(1, 0.1) == 0.5
    assert path.first_time(1, 0.2) == 1.0  # strictly above
    assert path.first_time(0, -1.0) == 0.0  # above from the start


def test_first_time_is_nan_when_the_level_is_never_reached():
    """np.argmax of an all-False array is 0: the time of the first record would be a wrong answer."""
    path = _path([[0.0, 0.0], [0.01, 0.2], [0.02, 0.3]])
    assert np.isnan(path.first_time(0, 0.1))
    assert np.isnan(path.first_time(1, 0.3))


def test_first_time_picks_a_network_of_a_grid_by_its_index():
    distances = np.zeros((3, 2, 2))
    distances[2, 1, 0] = 1.0
    path = _path(distances)
    assert path.first_time((1, 0), 0.5) == 1.0 and np.isnan(path.first_time((0, 1), 0.5))
    for k in (1, (2, 0), 1.5, "a"):  # a row, out of range, not an integer index
        with pytest.raises(ValueError, match="k must pick one network"):
            path.first_time(k, 0.5)
    with pytest.raises(ValueError, match="level"):
        _path([[0.0], [1.0]]).first_time(0, "high")


def test_first_time_dates_the_delayed_transition_of_a_funnel():
    """As in the book: a funnel with a heavy first layer turns rich late, one with a heavy second layer never."""
    rng = np.random.default_rng(18)
    X, _ = lh.whiten(rng.standard_normal((20, 6)))
    beta = rng.standard_normal((6, 2))
    Y = X @ (beta / np.linalg.norm(beta, 2))
    params = regimes.random_lambda_balanced(np.array([-8.0, 8.0]), 0.1, 6, 2, 2, seed=1)
    path = regimes.train_path(params["W1"], params["W2"], X, Y, steps=20_000, lr=0.005, n_records=30)
    late = path.first_time(0, 0.1)
    assert late == path.times[np.argmax(path.kernel_distance[:, 0] > 0.1)] and late > 0.5
    assert np.isnan(path.first_time(1, 0.1))
