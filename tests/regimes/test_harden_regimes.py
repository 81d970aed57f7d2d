"""Hardening of labhelpers.regimes.balanced, ntk_grid and relu (issue 11): devices, bounded cost, divergence at the step."""

import time

import numpy as np
import pytest

from labhelpers import regimes
from labhelpers import regimes as ntk_grid
from labhelpers.core.divergence import DivergenceError
from labhelpers.regimes import relu


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((10, 2)), rng.standard_normal((10, 2))
    params = regimes.random_lambda_balanced(np.array([0.0, 1.0]), 1.0, 2, 2, 2)
    return params["W1"], params["W2"], X, Y


@pytest.mark.parametrize("trainer", [ntk_grid.train_grid, ntk_grid.train_grid_loop, ntk_grid.train_path])
def test_grid_trainers_stop_at_the_diverging_step(problem, trainer):
    W1, W2, X, Y = problem
    with pytest.raises(DivergenceError, match=r"at step [0-3]\b.*lr"):
        trainer(W1, W2, X, Y, steps=3, lr=1e6)


def test_relu_trainer_stops_at_the_diverging_step():
    params = relu.neuron_balanced(0.0, 1.0, 3, 4)
    X = np.random.default_rng(1).standard_normal((8, 3))
    with pytest.raises(DivergenceError, match=r"at step [0-3]\b.*lr"):
        relu.train_two_layer(params["W1"], params["a"], X, X[:, 0], steps=3, lr=1e8, n_records=2)


def test_unknown_devices_are_named(problem):
    W1, W2, X, Y = problem
    with pytest.raises(ValueError, match="device"):
        ntk_grid.train_grid(W1, W2, X, Y, steps=2, device="gpu")
    with pytest.raises(ValueError, match="device"):
        ntk_grid.train_path(W1, W2, X, Y, steps=2, backend="torch", device="tpu")
    with pytest.raises(ValueError, match="device"):
        regimes.ntk_autodiff(W1, W2, X, device="gpu")


def test_absurd_costs_are_refused_up_front(problem):
    W1, W2, X, Y = problem
    start = time.perf_counter()
    for trainer in (ntk_grid.train_grid, ntk_grid.train_grid_loop, ntk_grid.train_path):
        with pytest.raises(ValueError, match="steps"):
            trainer(W1, W2, X, Y, steps=10**12)
    with pytest.raises(ValueError, match="n_records"):
        ntk_grid.train_path(W1, W2, X, Y, steps=10, n_records=10**15)
    params = relu.neuron_balanced(0.0, 1.0, 3, 4)
    with pytest.raises(ValueError, match="steps"):
        relu.train_two_layer(
            params["W1"], params["a"], X[:, :3] if X.shape[1] >= 3 else np.ones((4, 3)), np.ones(4), steps=10**13
        )
    with pytest.raises(ValueError, match="weights"):
        regimes.random_lambda_balanced(np.zeros(10**6), 1.0, 10**3, 10**3, 10**3)
    assert time.perf_counter() - start < 2.0


def test_bool_and_string_progress_flags_are_refused(problem):
    W1, W2, X, Y = problem
    with pytest.raises(ValueError, match="progress"):
        ntk_grid.train_grid(W1, W2, X, Y, steps=2, progress=1)


def test_lambda_mode_is_finite_and_sigmoidal_for_tiny_lambda():
    t = np.linspace(0.0, 10.0, 11)
    s, theta0 = 1.0, 0.1
    sigmoid = s / (1 + (s / theta0 - 1) * np.exp(-2 * s * t))  # Eq. 9 (lam = 0)
    # measured difference ~1e-16 for lam = 1e-100; tolerance 1e-12
    np.testing.assert_allclose(regimes.lambda_mode(t, s, theta0, 1e-100), sigmoid, rtol=1e-12)


# ---------------------------------------------------------------------------- wave 2: every error names its argument
@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: regimes.symmetric_init(0.5, 10**12, 4, 1), "input_dim"),
        (lambda: regimes.symmetric_init(0.5, 2, 10**12, 1), "hidden_dim"),
        (lambda: regimes.random_lambda_balanced(0.5, 0.1, 2, 1, 10**30), "output_dim"),
        (lambda: regimes.aligned_kernel_distance([[0.5], [1.0]], 0.1, 0.5, 10**12, 1), "input_dim"),
        (lambda: relu.neuron_balanced(0.5, 0.1, 2, 10**12), "width"),
    ],
)
def test_sizes_too_large_for_memory_name_the_size(call, name):
    start = time.perf_counter()
    with pytest.raises(ValueError, match=name):
        call()
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize("name, value", [("lam", True), ("lam", "1.0"), ("s", None), ("s", [-1.0]), ("theta0", [-0.1])])
def test_lambda_mode_names_its_own_arguments(name, value):
    arguments = dict(t=np.linspace(0, 1, 3), s=2.0, theta0=0.1, lam=0.5)
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        regimes.lambda_mode(**{**arguments, name: value})


def test_kernels_that_overflow_are_refused_not_returned_as_inf():
    rng = np.random.default_rng(1)
    W1, W2, X = rng.normal(size=(2, 3)), rng.normal(size=(3, 1)), rng.normal(size=(5, 2))
    for call in (regimes.ntk, regimes.ntk_autodiff):
        with pytest.raises(ValueError, match="W1, W2 or X"):
            call(W1 * 1e300, W2, X)
    W1, a = rng.normal(size=(2, 4)), rng.normal(size=4)
    for call in (relu.relu_ntk, relu.relu_ntk_autodiff):
        with pytest.raises(ValueError, match="W1, a or X"):
            call(W1, a * 1e300, X[:, :2])
    with pytest.raises(ValueError, match="W1 and a"):
        relu.neuron_imbalance(W1 * 1e300, a)


def test_a_bad_start_names_the_arguments_that_made_it():
    rng = np.random.default_rng(2)
    W1, a, X, y = rng.normal(size=(2, 4)), rng.normal(size=4), rng.normal(size=(6, 2)), np.linspace(-1, 1, 6)
    with pytest.raises(DivergenceError, match=r"step 0.*max\|y\|=1e\+300"):
        relu.train_two_layer(W1, a, X, y * 1e300, steps=3, n_records=2)
    with pytest.raises(ValueError, match="zero.*X"):
        relu.train_two_layer(W1, a, X * 1e-310, y, steps=3, n_records=2)


def test_grid_errors_name_the_grid_arguments(problem):
    W1, W2, X, Y = problem
    with pytest.raises(DivergenceError, match=r"step 0.*max\|Y\|"):
        ntk_grid.train_grid(W1, W2, X, Y * 1e300, steps=3)
    with pytest.raises(DivergenceError, match="target_divisor"):
        ntk_grid.train_grid_loop(W1, W2, X, Y, steps=3, target_divisor=5e-324)
    with pytest.raises(ValueError, match="device"):
        ntk_grid.train_path(W1[0], W2[0], X, Y, steps=3, n_records=2, device="gpu")  # numpy backend too
    with pytest.raises(ValueError, match="lams"):  # p > c needs lam <= 0
        ntk_grid.lambda_scale_grid([1.0], [0.5], X, Y[:, :1], hidden_dim=2, steps=3)
    with pytest.raises(ValueError, match="scales"):
        ntk_grid.lambda_scale_grid([0.0], [-0.5], X, Y, steps=3)
    with pytest.raises(ValueError, match="scales"):  # subnormal strengths: a zero kernel at the start
        ntk_grid.lambda_scale_grid([0.0], [1e-310], X, Y, steps=3)
    with pytest.raises(ValueError, match="init_scale"):
        ntk_grid.weight_to_target_grid([0.0], [1.0], X, Y, hidden_dim=2, init_scale=True, steps=3)
    with pytest.raises(ValueError, match="init_scale"):
        ntk_grid.weight_to_target_grid([0.0], [1.0], X, Y, hidden_dim=2, init_scale=1e308, steps=3)
    with pytest.raises(DivergenceError, match="ratios"):
        ntk_grid.weight_to_target_grid([0.0], [1e-310], X, Y, hidden_dim=2, steps=3)


def test_values_at_the_float_limit_are_refused_not_returned_as_nan():
    t = np.linspace(0, 1, 3)
    np.testing.assert_allclose(regimes.lambda_mode(t, 2.0, 0.1, 1e307), [0.1, 2.0, 2.0], rtol=1e-12)  # err 0
    # At the float limit itself the mode is still finite: product_mode rescales by a power of two.
    np.testing.assert_allclose(regimes.lambda_mode(t, 2.0, 0.1, 1.79e308), [0.1, 2.0, 2.0], rtol=1e-12)
    rng = np.random.default_rng(3)
    W1, a, X = rng.normal(size=(2, 4)), rng.normal(size=4), rng.normal(size=(6, 2))
    with pytest.raises(ValueError, match="W1, a or X"):
        relu.outputs(W1 * 1e300, a * 1e10, X)
