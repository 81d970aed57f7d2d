"""Depth (labhelpers.limits.depth): the balanced depth-L mode, its closed-form timing, the stage overlap and the
depth-L diagonal network, checked against quadrature, scipy's ODE solver, the core's two-layer results and the
core's DeepLinearNetwork.

Stated tolerances (each about 10x the error measured when written):
- the closed-form time (Eq. lm-deep-time) matches adaptive quadrature to TIME_TOL = 1e-12 relative
  (quadrature asked for 1e-13; measured 2e-15);
- the inverted mode matches scipy's DOP853 on the scalar ODE (rtol 1e-12) to MODE_TOL = 1e-10 relative
  (measured 1e-11);
- gradient flow of all L*d layer parameters (rtol 1e-10) follows the closed form to FLOW_TOL = 2e-7 relative
  (measured 1.4e-8) and conserves every a_l^2 - a_k^2 to DRIFT_TOL = 1e-9 (measured 1.4e-11);
- the stage overlap of the simulated network matches stage_overlap to OVERLAP_TOL = 1e-9 relative (measured 6e-12).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad, solve_ivp

import labhelpers as lh
from labhelpers import limits as lm

TIME_TOL = 1e-12
MODE_TOL = 1e-10
FLOW_TOL = 2e-7
DRIFT_TOL = 1e-9
OVERLAP_TOL = 1e-9


@pytest.mark.parametrize("depth", [2, 3, 4, 5, 6, 10])
@pytest.mark.parametrize(("theta0", "fraction"), [(1e-3, 0.5), (1e-6, 0.1), (0.1, 0.99), (0.3, 0.4)])
def test_closed_form_time_matches_quadrature(depth, theta0, fraction):
    S, var = 1.7, 0.6

    def inverse_speed(u):
        return 1.0 / (depth * var * u ** (2 - 2 / depth) * (S - u))

    expected = quad(inverse_speed, theta0, fraction * S, limit=500, epsabs=0, epsrel=1e-13)[0]
    got = lm.deep_saturation_time(fraction, S, theta0, depth, variance=var)
    assert got == pytest.approx(expected, rel=TIME_TOL)


def test_depth_two_is_the_logistic_mode():
    S, theta0, var = np.array([0.5, 1.0, 3.0]), 1e-4, np.array([2.0, 1.0, 0.5])
    assert np.allclose(lm.deep_half_rise_time(S, theta0, 2, variance=var),
                       lh.half_rise_time(S, theta0, variance=var), rtol=1e-13, atol=0)  # fmt: skip
    t = np.linspace(0.0, 20.0, 41)[:, None]
    assert np.allclose(lm.deep_mode(t, S, theta0, 2, variance=var),
                       lh.sigmoidal_mode(t, S, theta0, variance=var), rtol=1e-12, atol=0)  # fmt: skip


@pytest.mark.parametrize("depth", [3, 4, 6])
def test_deep_mode_solves_the_scalar_equation(depth):
    t = np.linspace(0.0, 40.0, 81)
    exact = solve_ivp(lambda _, y: lm.deep_mode_rate(np.maximum(y, 0.0), 1.3, depth, variance=0.8), (0, 40), [2e-3],
                      t_eval=t, method="DOP853", rtol=1e-12, atol=1e-18).y[0]  # fmt: skip
    got = lm.deep_mode(t, 1.3, 2e-3, depth, variance=0.8)
    assert np.max(np.abs(got / exact - 1)) < MODE_TOL
    # the inverse of deep_saturation_time, level by level
    levels = np.array([0.01, 0.5, 0.9, 0.999])
    times = lm.deep_saturation_time(levels, 1.3, 2e-3, depth, variance=0.8)
    assert np.allclose(lm.deep_mode(times, 1.3, 2e-3, depth, variance=0.8), levels * 1.3, rtol=1e-12, atol=0)


def test_the_delay_grows_as_a_power_of_the_initial_scale():
    """Eq. lm-deep-delay: (L - 2) S t_1/2 theta0^(1 - 2/L) -> 1 as theta0 -> 0 (error O(theta0^(1 - 2/L)))."""
    for depth in (3, 4, 6):
        theta0 = 1e-12
        scaled = (depth - 2) * 2.0 * lm.deep_half_rise_time(2.0, theta0, depth) * theta0 ** (1 - 2 / depth)
        assert scaled == pytest.approx(1.0, rel=10 * theta0 ** (1 - 2 / depth) * 2.0 ** (2 / depth - 1) * depth)


def test_rise_sharpens_with_depth():
    """The 10-90 % rise in units of the half-rise time shrinks with depth (0.64, 0.22, 0.12, 0.058)."""
    ratios = [
        (lm.deep_saturation_time(0.9, 1.0, 1e-3, L) - lm.deep_saturation_time(0.1, 1.0, 1e-3, L))
        / lm.deep_half_rise_time(1.0, 1e-3, L)
        for L in (2, 3, 4, 6)
    ]
    assert np.all(np.diff(ratios) < 0)
    assert ratios[0] == pytest.approx(np.log(81) / np.log(999), rel=1e-12)
    assert ratios[-1] == pytest.approx(0.0580, abs=5e-4)


@pytest.mark.parametrize("depth", [2, 3, 4, 6])
def test_network_gradient_flow_follows_the_closed_form(depth):
    S, var, theta0 = np.array([1.0, 0.6]), np.array([1.0, 2.0]), 1e-3
    net = lm.DeepDiagonalNetwork(depth, 2)
    t = np.linspace(0.0, 40.0, 201)
    run = lh.gradient_flow(net, net.balanced_init(theta0), lh.teacher_moments(var, S), times=t)
    theory = lm.deep_mode(t[:, None], S, theta0, depth, variance=var)
    assert lh.plotting.relative_error(run.end_to_end[..., 0], theory) < FLOW_TOL


def test_network_matches_the_core_deep_linear_network_and_autograd():
    """One coordinate of DeepDiagonalNetwork is DeepLinearNetwork((1, ..., 1)); the flow matches torch."""
    start = {"a1": np.array([0.3]), "a2": np.array([0.5]), "a3": np.array([-0.2]), "a4": np.array([0.4])}
    moments = lh.teacher_moments([1.5], [0.7])
    net, core = lm.DeepDiagonalNetwork(4, 1), lh.DeepLinearNetwork((1,) * 5)
    ours = lh.gradient_flow(net, start, moments, t_max=10.0, n_times=11)
    theirs = lh.gradient_flow(core, {f"W{l}": v[:, None] for l, v in enumerate(start.values(), 1)}, moments,
                              t_max=10.0, n_times=11)  # fmt: skip
    assert np.allclose(ours.end_to_end, theirs.end_to_end, rtol=1e-8, atol=1e-12)
    two = {"a1": np.array([[0.3, -0.1], [0.2, 0.4]]), "a2": np.array([[0.5, 0.2], [0.1, 0.3]])}
    m2 = lh.teacher_moments([1.0, 0.5], [1.0, -0.5])
    auto, hand = lh.autograd_flow(lm.DeepDiagonalNetwork(2, 2), two, m2), lm.DeepDiagonalNetwork(2, 2).flow(two, m2)
    for name in two:
        assert np.allclose(auto[name], hand[name], rtol=1e-12, atol=1e-15)


def test_balance_is_conserved_from_an_unbalanced_start():
    net = lm.DeepDiagonalNetwork(4, 2)
    start = {f"a{l + 1}": np.array([0.1 + 0.05 * l, 0.2 - 0.03 * l]) for l in range(4)}
    run = lh.gradient_flow(net, start, lh.teacher_moments([1.0, 1.0], [1.0, 0.5]), t_max=30.0)
    squares = np.stack([run.params[name] ** 2 for name in net.param_names])
    gaps = squares - squares[:1]  # a_l^2 - a_1^2, shape (L, T, d)
    assert np.max(np.abs(gaps - gaps[:, :1])) < DRIFT_TOL
    assert run.end_to_end[-1, 0, 0] == pytest.approx(1.0, rel=1e-6)  # it learns the first mode


@pytest.mark.parametrize("depth", [2, 3, 6])
def test_stage_overlap_matches_simulation_and_shrinks_with_depth(depth):
    S, theta0 = np.array([1.0, 2.0, 1.5]), 1e-2  # in any order: the stages are sorted by time
    net = lm.DeepDiagonalNetwork(depth, 3)
    finished = lm.deep_saturation_time(0.9, S, theta0, depth)
    run = lh.gradient_flow(net, net.balanced_init(np.full(3, theta0)), lh.teacher_moments(np.ones(3), S),
                           times=np.concatenate([[0.0], np.sort(finished)[:2]]))  # fmt: skip
    simulated = np.array([run.end_to_end[1, 2, 0] / 1.5, run.end_to_end[2, 0, 0] / 1.0])
    assert lh.plotting.relative_error(simulated, lm.stage_overlap(S, theta0, depth)) < OVERLAP_TOL


def test_stage_overlap_values():
    """Depth 2 reproduces chapter 2's Eq. em-overlap; deeper networks separate the stages (0.65 -> 0.06)."""
    theta0, r = 1e-3, 2.0  # equal targets, variances 1 and 1/2: time-scale ratio r
    rho = 1 / theta0 - 1
    expected = 1 / (1 + rho ** (1 - 1 / r) * 9.0 ** (-1 / r))
    assert lm.stage_overlap([1.0, 1.0], theta0, 2, variance=[1.0, 0.5])[0] == pytest.approx(expected, rel=1e-12)
    worst = [lm.stage_overlap([2.0, 1.5, 1.0], 1e-2, L).max() for L in (2, 3, 4, 6, 8)]
    assert np.all(np.diff(worst) < 0)
    assert worst[0] == pytest.approx(0.6488, abs=1e-3) and worst[3] == pytest.approx(0.0620, abs=1e-3)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: lm.deep_mode_rate(0.5, 1.0, 1), "depth"),
        (lambda: lm.deep_mode_rate(0.5, 1.0, 2.0), "depth"),
        (lambda: lm.deep_mode_rate(0.5, 1.0, 10**6), "depth"),
        (lambda: lm.deep_mode_rate(-0.5, 1.0, 3), "theta"),
        (lambda: lm.deep_mode_rate(0.5, 0.0, 3), "target_scale"),
        (lambda: lm.deep_saturation_time(1.0, 1.0, 1e-3, 3), "fraction"),
        (lambda: lm.deep_saturation_time(0.5, 1.0, 0.6, 3), "theta0"),
        (lambda: lm.deep_saturation_time(0.5, 1.0, 1e-3, 3, variance=-1.0), "variance"),
        (lambda: lm.deep_half_rise_time(1.0, np.nan, 3), "theta0"),
        (lambda: lm.deep_half_rise_time(1.0, 5e-324, 200), "deep_saturation_time"),
        (lambda: lm.deep_mode(-1.0, 1.0, 1e-3, 3), "t"),
        (lambda: lm.deep_mode(1.0, 1.0, 1.0, 3), "theta0"),
        (lambda: lm.stage_overlap([1.0], 1e-3, 3), "target_scales"),
        (lambda: lm.stage_overlap([[1.0, 2.0]], 1e-3, 3), "target_scales"),
        (lambda: lm.stage_overlap([1.0, 2.0], 1e-3, 3, level=1.0), "level"),
        (lambda: lm.DeepDiagonalNetwork(3, 0), "input_dim"),
        (lambda: lm.DeepDiagonalNetwork(3, 2).balanced_init([1.0, 2.0, 3.0]), "theta0"),
    ],
)
def test_bad_input_names_the_argument(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()
