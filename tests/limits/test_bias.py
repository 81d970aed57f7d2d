"""Biases and skip connections (labhelpers.limits.bias): the exponential bias, the product-skip race and the two
networks, checked against gradient flow of every parameter, scipy's ODE solver, mpmath's Lambert function and
autograd.

Stated tolerances (each about 10x the error measured when written):
- with centred inputs, gradient flow of (a, b, c) follows Eq. lm-bias-relax to BIAS_TOL = 5e-10 absolute
  (measured 4.3e-11) and Eq. 9 to MODE_TOL = 1e-8 relative (measured 7.9e-10);
- skip_mode matches gradient flow of (a, b, s) to SKIP_TOL = 2e-7, relative in theta (measured 9.8e-9) and absolute
  in s (measured 1.5e-8);
- skip_product_share matches mpmath's Lambert W to SHARE_TOL = 1e-12 relative (measured 2.4e-15) and the end of a
  long skip_mode run to END_TOL = 1e-8 (measured 5.5e-13).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import labhelpers as lh
from labhelpers import limits as lm

BIAS_TOL = 5e-10
MODE_TOL = 1e-8
SKIP_TOL = 2e-7
SHARE_TOL = 1e-12
END_TOL = 1e-8


def _balanced(theta0, d=1, **extra):
    root = np.full(d, np.sqrt(theta0))
    return {"a": root.copy(), "b": root.copy(), **extra}


def test_offset_moments_are_those_of_the_input_with_a_constant():
    rng = np.random.default_rng(0)
    mu, var, S, c = np.array([0.5, -1.0]), np.array([2.0, 0.5]), np.array([1.0, 3.0]), 0.7
    x = mu + np.sqrt(var) * rng.standard_normal((400_000, 2))
    xt = np.column_stack([x, np.ones(len(x))])
    y = x @ S + c
    m = lm.offset_moments(mu, var, S, c)
    assert np.allclose(m.sigma_xx, xt.T @ xt / len(x), atol=0.02)
    assert np.allclose(m.sigma_xy[:, 0], xt.T @ y / len(x), rtol=0.01, atol=0.02)
    assert m.sigma_yy[0, 0] == pytest.approx(np.mean(y**2), rel=0.01)
    # exact identities: E[1 * 1] = 1 and E[y] = S . mu + c
    assert m.sigma_xx[-1, -1] == 1.0 and m.sigma_xy[-1, 0] == pytest.approx(S @ mu + c, rel=1e-15)


def test_bias_relaxes_exponentially_and_modes_stay_sigmoidal_with_centred_inputs():
    S, var, c_star, theta0 = np.array([2.0, 1.0]), np.array([1.0, 0.5]), -1.5, 1e-3
    net, t = lm.BiasedDiagonalNetwork(2), np.linspace(0.0, 12.0, 121)
    run = lh.gradient_flow(net, _balanced(theta0, 2, c=np.array([0.4])), lm.offset_moments([0, 0], var, S, c_star),
                           times=t)  # fmt: skip
    P = run.end_to_end[..., 0]
    assert np.max(np.abs(P[:, 2] - lm.bias_relaxation(t, c_star, 0.4))) < BIAS_TOL
    assert lh.plotting.relative_error(P[:, :2], lh.sigmoidal_mode(t[:, None], S, theta0, variance=var)) < MODE_TOL


def test_bias_rate_does_not_depend_on_the_data_or_the_bias():
    """The bias obeys dc/dt = E[residual]: with a mean, c' = (c* - c) + mu . (S - theta) exactly, at every time."""
    mu, var, S, c_star = np.array([1.0, 0.5]), np.array([1.0, 3.0]), np.array([2.0, 1.0]), 1.5
    net = lm.BiasedDiagonalNetwork(2)
    params = {"a": np.array([0.3, -0.2]), "b": np.array([0.5, 0.1]), "c": np.array([0.25])}
    flow = net.flow(params, lm.offset_moments(mu, var, S, c_star))
    theta = params["a"] * params["b"]
    assert flow["c"][0] == pytest.approx((c_star - 0.25) + mu @ (S - theta), rel=1e-14)
    auto = lh.autograd_flow(net, params, lm.offset_moments(mu, var, S, c_star))
    for name in params:
        assert np.allclose(auto[name], flow[name], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("eta", [0.0, 0.05, 0.3, 1.0, 3.0])
def test_skip_mode_matches_gradient_flow_of_all_parameters(eta):
    theta0, S, var = 1e-3, 1.2, 0.8
    t = np.linspace(0.0, 40.0, 81)
    run = lh.gradient_flow(lm.SkipDiagonalNetwork(1, eta), _balanced(theta0, s=np.zeros(1)),
                           lh.teacher_moments([var], [S]), times=t)  # fmt: skip
    theta, skip = lm.skip_mode(t, S, theta0, eta, variance=var)
    assert lh.plotting.relative_error((run.params["a"] * run.params["b"])[:, 0], theta) < SKIP_TOL
    assert np.max(np.abs(run.params["s"][:, 0] - skip)) < SKIP_TOL
    if eta > 0:  # the conservation law Eq. lm-skip-law
        assert np.allclose(np.log(theta / theta0), 2 * skip / eta, rtol=1e-8, atol=1e-10)


def test_fixed_skip_leaves_a_smaller_sigmoid():
    t = np.linspace(0.0, 30.0, 61)
    theta, skip = lm.skip_mode(t, 1.0, 1e-3, 0.0, skip0=0.4)
    assert np.all(skip == 0.4)
    assert lh.plotting.relative_error(theta, lh.sigmoidal_mode(t, 0.6, 1e-3)) < 1e-8
    assert lm.skip_product_share(1.0, 1e-3, 0.0, skip0=0.4) == pytest.approx(0.6, rel=1e-15)


@pytest.mark.parametrize("eta", [1e-4, 1e-3, 0.02, 0.16, 0.5, 2.0, 50.0])
@pytest.mark.parametrize("theta0", [1e-6, 1e-3, 0.05])
def test_product_share_is_the_lambert_solution(eta, theta0):
    S = 1.0
    x = mpmath.mpf(2 * theta0 / eta) * mpmath.exp(mpmath.mpf(2 * S / eta))
    expected = float(eta / 2 * mpmath.lambertw(x)) / S
    assert lm.skip_product_share(S, theta0, eta) == pytest.approx(expected, rel=SHARE_TOL)


def test_product_share_is_where_the_flow_ends_and_crossover_halves_it():
    etas, theta0 = np.array([0.03, 0.1, 0.3, 1.0]), 1e-3
    theta, skip = lm.skip_mode(np.array([0.0, 400.0]), 1.0, theta0, etas)
    assert np.allclose(theta[-1], lm.skip_product_share(1.0, theta0, etas), rtol=END_TOL, atol=0)
    assert np.allclose(theta[-1] + skip[-1], 1.0, rtol=END_TOL)
    half = lm.skip_crossover_rate([1.0, 2.0], [1e-3, 1e-6])
    assert np.allclose(lm.skip_product_share([1.0, 2.0], [1e-3, 1e-6], half), 0.5, rtol=1e-12)
    assert half[0] == pytest.approx(1 / np.log(500), rel=1e-15)  # 0.161
    # a slower skip leaves more to the product
    assert np.all(np.diff(lm.skip_product_share(1.0, theta0, np.geomspace(1e-3, 10, 30))) < 0)


def test_skip_network_flow_matches_autograd():
    params = {"a": np.array([0.3, -0.4]), "b": np.array([0.2, 0.5]), "s": np.array([0.1, -0.3])}
    moments = lh.random_moments(2, seed=3)
    net = lm.SkipDiagonalNetwork(2, 1.0)
    auto, hand = lh.autograd_flow(net, params, moments), net.flow(params, moments)
    for name in params:
        assert np.allclose(auto[name], hand[name], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: lm.offset_moments([0.0], [0.0], [1.0]), "variances"),
        (lambda: lm.offset_moments([0.0, 1.0], [1.0], [1.0]), "means"),
        (lambda: lm.offset_moments([0.0], [1.0], [1.0, 2.0]), "target_scales"),
        (lambda: lm.offset_moments([0.0], [1.0], [1.0], offset=np.nan), "offset"),
        (lambda: lm.bias_relaxation(-1.0, 1.0), "t"),
        (lambda: lm.bias_relaxation([1.0, 2.0], [1.0, 2.0, 3.0]), "shapes"),
        (lambda: lm.BiasedDiagonalNetwork(0), "features"),
        (lambda: lm.SkipDiagonalNetwork(0), "input_dim"),
        (lambda: lm.SkipDiagonalNetwork(2, -1.0), "skip_rate"),
        (lambda: lm.skip_product_share(1.0, 0.0, 0.1), "theta0"),
        (lambda: lm.skip_product_share(1.0, 1e-3, -0.1), "skip_rate"),
        (lambda: lm.skip_product_share(1.0, 0.6, 0.1, skip0=0.5), "target_scale"),
        (lambda: lm.skip_crossover_rate(1.0, 0.6), "target_scale"),
        (lambda: lm.skip_crossover_rate(1.0, -1.0), "theta0"),
        (lambda: lm.skip_mode([1.0, 0.5], 1.0, 1e-3, 0.1), "t"),
        (lambda: lm.skip_mode([0.0, 1.0], 1.0, 1e-3, 0.1, variance=0.0), "variance"),
    ],
)
def test_bad_input_names_the_argument(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()
