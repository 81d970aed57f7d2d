"""Linear and non-linear networks (labhelpers.limits.nonlinear): mirrored ReLU units against Eq. lm-relu-clock,
the linear network against Eq. 12, conservation laws, parity, and argument checks.

Stated tolerances (each about 10x the error measured when written, RK4 at dt = 0.02):
- the linear network follows Eq. 12 to LIN_TOL = 2e-6 of a target (measured 2.0e-7);
- the mirrored ReLU network follows Eq. lm-relu-clock to RELU_TOL = 2e-7 (measured 1.3e-8);
- a ReLU unit's imbalance drifts by less than DRIFT_TOL = 1e-6 (measured 7e-8 at dt = 0.04), while tanh's moves by
  more than 0.1 (measured 5.8);
- odd networks explain at most ODD_TOL = 1e-4 of an even target (measured 1.2e-5).
"""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers import collapse as co
from labhelpers import limits as lm

LIN_TOL = 2e-6
RELU_TOL = 2e-7
DRIFT_TOL = 1e-6
ODD_TOL = 1e-4

S = np.array([3.0, 1.5, 0.75])


@pytest.fixture(scope="module")
def task():
    sxy = co.random_correlation(3, 3, S, seed=1)
    X = lm.symmetric_gaussian_inputs(128, 3, seed=0)
    return sxy, X


def test_symmetric_inputs_are_white_and_mirrored():
    X = lm.symmetric_gaussian_inputs(50, 4, seed=3)
    assert X.shape == (100, 4)
    assert np.allclose(X.T @ X / 100, np.eye(4), atol=1e-12)
    assert np.allclose(X[:50], -X[50:], atol=0)


@pytest.mark.parametrize("activation, tol", [("linear", LIN_TOL), ("relu", RELU_TOL)])
def test_mirrored_networks_follow_the_linear_theory(task, activation, tol):
    sxy, X = task
    t = np.arange(0, 12.01, 0.2)
    run = lm.train_network(X, X @ sxy, lm.mirrored_init(sxy, 6, 1e-3), activation, t)
    modes = co.mode_strengths(run.linear_map, sxy)
    assert np.max(np.abs(modes - lm.linear_prediction(t, sxy, 1e-3, activation)) / S) < tol
    assert np.max(run.nonlinear_share) < 1e-20  # a mirrored ReLU network is exactly linear


def test_relu_half_rise_ratio_matches_eq_lm_relu_ratio(task):
    sxy, X = task
    t = np.arange(0, 12.01, 0.05)
    half = {}
    for act in ("linear", "relu"):
        run = lm.train_network(X, X @ sxy, lm.mirrored_init(sxy, 6, 1e-3), act, t, dt=0.025)
        half[act] = lm.half_rise_times(t, co.mode_strengths(run.linear_map, sxy), S)
    expected = 2 * np.log(2 * S / 1e-3 - 1) / np.log(S / 1e-3 - 1)
    assert np.allclose(half["relu"] / half["linear"], expected, rtol=2e-3)  # interpolation on a 0.05 grid


def test_conservation_per_unit_for_relu_not_for_tanh(task):
    sxy, X = task
    start = lm.random_init(3, 6, 3, 0.1, seed=2)
    t = np.arange(0, 6.01, 0.4)
    relu = lm.train_network(X, X @ sxy, start, "relu", t, dt=0.04)
    tanh = lm.train_network(X, X @ sxy, start, "tanh", t, dt=0.04)
    assert np.max(np.abs(relu.unit_imbalance - relu.unit_imbalance[0])) < DRIFT_TOL
    assert np.max(np.abs(tanh.unit_imbalance - tanh.unit_imbalance[0])) > 0.1


def test_odd_networks_cannot_fit_an_even_target(task):
    _, X = task
    y = np.abs(X[:, :1])
    start = {n: np.stack([lm.random_init(3, 6, 1, 0.05, seed=k)[n] for k in range(2)]) for n in ("W1", "W2")}
    t = np.array([0.0, 8.0])
    for act in ("linear", "tanh"):
        run = lm.train_network(X, y, start, act, t, dt=0.04)
        assert np.max(np.abs(1 - 2 * run.loss[-1] / np.mean(y**2))) < ODD_TOL
    relu = lm.train_network(X, y, start, "relu", np.array([0.0, 16.0]), dt=0.04)
    assert np.all(1 - 2 * relu.loss[-1] / np.mean(y**2) > 0.9)


def test_gain_is_a_rescaling_of_the_plain_tanh_network(task):
    """tanh(x gW1) gW2 at target g^2 y and time t = g^2 x (phi_g network at target y and time g^2 t)."""
    sxy, X = task
    g, start = 0.3, lm.mirrored_init(sxy, 6, 1e-2)
    plain = {k: g * v for k, v in start.items()}
    a = lm.train_network(X, g**2 * X @ sxy, plain, "tanh", np.array([0.0, 20.0]), dt=0.01)
    b = lm.train_network(X, X @ sxy, start, "tanh", np.array([0.0, 20.0 * g**2]), dt=0.01 * g**2, gain=g)
    assert np.allclose(a.linear_map[-1], g**2 * b.linear_map[-1], rtol=1e-9, atol=1e-12)


def test_half_rise_times_interpolates_and_reports_nan():
    t = np.linspace(0, 1, 11)
    curves = np.stack([t, 0.1 * t], axis=1)
    out = lm.half_rise_times(t, curves, 1.0)
    assert out[0] == pytest.approx(0.5) and np.isnan(out[1])


@pytest.mark.parametrize(
    "call",
    [
        lambda X, p: lm.train_network(X, X, p, "sigmoid", [0.0, 0.1]),
        lambda X, p: lm.train_network(X, X, p, "relu", [0.0, 0.13], dt=0.02),
        lambda X, p: lm.train_network(X, X[:, :2], p, "relu", [0.0, 0.1]),
        lambda X, p: lm.train_network(X, X, {"W1": p["W1"]}, "relu", [0.0, 0.1]),
        lambda X, p: lm.train_network(X, X, p, "tanh", [0.0, 0.1], gain=-1.0),
        lambda X, p: lm.train_network(X[:2], X[:2], p, "relu", [0.0, 0.1]),
        lambda X, p: lm.mirrored_init(np.eye(3), 5, 1e-3),
        lambda X, p: lm.mirrored_init(np.eye(3), 6, 0.0),
        lambda X, p: lm.random_init(3, 6, 3, -1.0),
        lambda X, p: lm.symmetric_gaussian_inputs(2, 3),
        lambda X, p: lm.linear_prediction([0.0, 1.0], np.eye(3), 1e-3, "gelu"),
        lambda X, p: lm.half_rise_times([0.0, 0.0], [[0.0], [1.0]], 1.0),
    ],
)
def test_bad_arguments_raise_value_errors(task, call):
    _, X = task
    with pytest.raises(ValueError):
        call(X, lm.random_init(3, 6, 3, 0.1))
