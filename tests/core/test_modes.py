"""Closed forms of one mode (labhelpers.core.modes) against accurate gradient flow.

Every closed form is compared with ``lh.gradient_flow`` (DOP853, rtol 1e-10, atol 1e-12). The stated
tolerance is ``|theory - simulation| <= RTOL * |simulation| + ATOL``: a relative error of 1e-6, with an
absolute floor of 1e-9 for the instants where a mode crosses or decays to zero (there a relative error
is meaningless; the integrator's own absolute tolerance is 1e-12). Each comparison also checks that the
window covers the dynamics (the mode moves a lot), so that agreement is not trivial.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.interpolate import CubicSpline
from scipy.optimize import brentq

import labhelpers as lh

RTOL = 1e-6  # closed form vs numerical integration, relative
ATOL = 1e-9  # absolute floor near theta = 0
TIME_RTOL = 1e-6  # crossing times: closed form vs spline-interpolated simulation


def _diagonal_flow(a0, b0, target_scale, variance, *, t_max, n_times=201):
    """Gradient flow of a one-coordinate diagonal network; returns times and theta = a b."""
    model = lh.DiagonalLinearNetwork(1)
    moments = lh.teacher_moments([variance], [target_scale])
    trajectory = lh.gradient_flow(
        model, {"a": np.atleast_1d(a0), "b": np.atleast_1d(b0)}, moments, t_max=t_max, n_times=n_times
    )
    return trajectory.times, trajectory.end_to_end[:, 0, 0]


def _product_flow_from(theta0, imbalance, target_scale, variance, *, t_max, n_times=201):
    a0, b0 = lh.layers_from_product(theta0, imbalance)
    # A few roundings: measured at most 0.25 of 1e-14, so 1e-13 keeps a 40x margin.
    np.testing.assert_allclose(a0 * b0, theta0, rtol=1e-13, atol=0)
    np.testing.assert_allclose(a0**2 - b0**2, imbalance, rtol=1e-13, atol=1e-14)
    return _diagonal_flow(a0, b0, target_scale, variance, t_max=t_max, n_times=n_times)


def _crossing_time(times, values, level):
    """First time a simulated curve crosses ``level``: root of a cubic spline through the samples."""
    spline = CubicSpline(times, values - level)
    k = int(np.argmax(np.sign(values - level) != np.sign(values[0] - level)))
    assert k > 0, "the simulation never crosses the level"
    return brentq(spline, times[k - 1], times[k], xtol=1e-14, rtol=1e-14)


# ---------------------------------------------------------------------------- linear model (Eq. 7 / 10)
@pytest.mark.paper("Eq. 7", "Eqs. 30-31")
def test_linear_mode_matches_linear_model_flow():
    variances = np.array([0.5, 1.0, 2.0, 3.0])
    scales = np.array([1.0, -2.0, 0.5, 3.0])
    theta0 = np.array([0.0, 0.3, -1.0, 5.0])
    model = lh.LinearModel(4)
    moments = lh.teacher_moments(variances, scales)
    trajectory = lh.gradient_flow(model, {"theta": theta0[:, None]}, moments, t_max=8.0, n_times=161)
    simulated = trajectory.params["theta"][..., 0]
    theory = lh.linear_mode(trajectory.times[:, None], scales, variance=variances, theta0=theta0)
    np.testing.assert_allclose(theory, simulated, rtol=RTOL, atol=ATOL)
    # The window covers the dynamics: every mode ends within 2% of its target, far from its start.
    assert np.all(np.abs(simulated[-1] - scales) < 0.02 * np.abs(scales - theta0))


@pytest.mark.paper("Eq. 10", "Eq. 31")
def test_linear_mode_eq10_from_zero():
    t = np.linspace(0, 5, 11)
    np.testing.assert_allclose(lh.linear_mode(t, 2.0, variance=0.5) / 2.0, 1 - np.exp(-0.5 * t), rtol=1e-14)


# ---------------------------------------------------------------------------- balanced diagonal network (Eq. 9)
SIGMOID_CASES = [
    # (target_scale S, variance E[x^2], theta0)
    (1.0, 1.0, 1e-3),
    (3.0, 0.5, 1e-2),
    (0.5, 2.0, 0.2),
    (2.0, 1.0, 5.0),  # theta0 > S: decays onto S from above
    (-1.5, 1.0, -1e-2),  # S < 0 with theta0 < 0 (a = -b)
    (-0.7, 3.0, -2.0),  # S < 0, |theta0| > |S|
]


@pytest.mark.parametrize(("S", "variance", "theta0"), SIGMOID_CASES)
@pytest.mark.paper("Eq. 9", "Eq. 39")
def test_sigmoidal_mode_matches_balanced_diagonal_network(S, variance, theta0):
    root = np.sqrt(abs(theta0))
    a0, b0 = root, np.sign(theta0) * root  # balanced: a^2 - b^2 = 0
    t_max = (abs(np.log(abs(S / theta0))) + 8.0) / (2 * abs(S) * variance)
    times, simulated = _diagonal_flow(a0, b0, S, variance, t_max=t_max)
    theory = lh.sigmoidal_mode(times, S, theta0, variance=variance)
    np.testing.assert_allclose(theory, simulated, rtol=RTOL, atol=ATOL)
    assert abs(simulated[-1] - S) < 0.01 * abs(S - theta0), "window too short: the mode has not saturated"


@pytest.mark.paper("Fig. 3")
def test_sigmoid_is_not_the_linear_curve():
    """Negative control: the comparison above discriminates (the linear mode is far off)."""
    times, simulated = _diagonal_flow(np.sqrt(1e-3), np.sqrt(1e-3), 1.0, 1.0, t_max=8.0)
    wrong = lh.linear_mode(times, 1.0, theta0=1e-3)
    assert np.max(np.abs(wrong - simulated)) > 0.5
    wrong_rate = lh.sigmoidal_mode(times, 1.0, 1e-3, variance=1.0 / 2)  # a missing factor 2 in the rate
    assert np.max(np.abs(wrong_rate - simulated)) > 1e4 * RTOL


# ---------------------------------------------------------------------------- any imbalance (product_mode)
PRODUCT_CASES = [
    # (S, theta0, C, variance, t_max)
    (1.0, 0.01, 0.5, 1.0, 12.0),  # positive imbalance
    (1.0, 0.01, -0.5, 1.0, 12.0),  # negative imbalance
    (2.0, 0.3, 3.0, 0.7, 6.0),
    (1.0, 3.0, 1.0, 1.0, 6.0),  # theta0 > S
    (2.0, -0.3, 0.2, 0.7, 12.0),  # theta0 < 0 < S: crosses zero, then rises
    (1.0, -1.0, 1e-4, 1.0, 20.0),  # nearly anti-aligned: lingers near zero, then escapes
    (1.0, -1.0, 1e-6, 1.0, 25.0),  # (a + b)^2 ~ 1e-13 at the start: needs a cancellation-free formula
    (1.0, 0.5, 20.0, 1.0, 1.0),  # |C| >> S: nearly exponential
    (1.0, 1e-3, -50.0, 1.0, 0.5),
    (1.0, -0.5, 20.0, 2.0, 0.5),
    (-1.0, 0.1, 0.4, 1.5, 10.0),  # S < 0, theta0 of the other sign
    (-2.0, -0.05, -0.3, 1.0, 6.0),  # S < 0, theta0 < 0
    (0.0, 0.7, 0.3, 1.0, 10.0),  # S = 0: decays to zero
    (0.0, -0.7, 1.5, 1.0, 5.0),
    (0.0, 0.7, 0.0, 1.0, 10.0),  # S = 0, C = 0: double root, algebraic decay
    (1.0, 0.2, 0.0, 1.0, 10.0),  # C = 0: Eq. 9
]


@pytest.mark.parametrize(("S", "theta0", "C", "variance", "t_max"), PRODUCT_CASES)
def test_product_mode_matches_diagonal_network(S, theta0, C, variance, t_max):
    times, simulated = _product_flow_from(theta0, C, S, variance, t_max=t_max)
    theory = lh.product_mode(times, S, theta0, imbalance=C, variance=variance)
    np.testing.assert_allclose(theory, simulated, rtol=RTOL, atol=ATOL)
    # The mode moves: at least 90% of the way from theta0 to its limit S (or to 0 when S = 0, where the
    # C = 0 decay is algebraic and slower: 80%).
    travelled = abs(simulated[-1] - theta0) / abs(S - theta0)
    assert travelled > (0.8 if S == 0 and C == 0 else 0.9)


@pytest.mark.parametrize(("S", "theta0"), [(1.0, -0.2), (-1.0, 0.2), (0.0, -0.5), (0.5, -2.0)])
def test_product_mode_anti_aligned_start_decays_to_zero(S, theta0):
    """a = -b (C = 0, theta0 of the wrong sign): both layers shrink and theta -> 0, never reaching S."""
    root = np.sqrt(abs(theta0))
    a0, b0 = root, -np.sign(S) * root if S != 0 else -root
    times, simulated = _diagonal_flow(a0, b0, S, 1.0, t_max=10.0)
    theory = lh.product_mode(times, S, theta0, imbalance=0.0)
    np.testing.assert_allclose(theory, simulated, rtol=RTOL, atol=ATOL)
    assert abs(simulated[-1]) <= 0.1 * abs(theta0)
    assert np.all(np.abs(theory) <= abs(theta0) + 1e-15)


def test_product_mode_at_zero_imbalance_is_the_sigmoid():
    t = np.linspace(0, 10, 101)[:, None]
    S = np.array([0.3, 1.0, 4.0, -2.0, 2.0, 50.0, -0.01])
    theta0 = np.array([1e-4, 0.2, 0.1, -0.5, 7.0, 1e-8, -1e-9])
    variance = np.array([1.0, 0.5, 2.0, 1.0, 0.3, 0.1, 10.0])
    np.testing.assert_allclose(
        lh.product_mode(t, S, theta0, imbalance=0.0, variance=variance),
        lh.sigmoidal_mode(t, S, theta0, variance=variance),
        rtol=1e-12,
        atol=0,
    )


@pytest.mark.parametrize("theta0", [0.0, 0.5, -0.5, 2.0])
def test_product_mode_approaches_exponential_for_large_imbalance(theta0):
    """|C| >> S: theta' = sqrt(C^2 + 4 theta^2) E[x^2] (S - theta) -> Eq. 10 with variance |C| E[x^2].

    The relative correction to the rate is 2 theta^2 / C^2, so the largest deviation is of order
    max(S, |theta0|)^2 |S - theta0| / C^2; it must shrink 100-fold when C grows 10-fold.
    """
    S, variance = 1.0, 1.5
    errors = []
    for C in (10.0, -100.0, 1000.0):
        t = np.linspace(0, 10 / (abs(C) * variance), 400)
        product = lh.product_mode(t, S, theta0, imbalance=C, variance=variance)
        exponential = lh.linear_mode(t, S, theta0=theta0, variance=abs(C) * variance)
        errors.append(np.max(np.abs(product - exponential)))
        assert errors[-1] <= max(S, abs(theta0)) ** 2 * abs(S - theta0) / C**2
    ratios = np.array(errors[1:]) / np.array(errors[:-1])
    # The ratio differs from 0.01 by the next order of the expansion (up to 6.7 % for theta0 = 2): exact
    # arithmetic, the same on every CPU, not rounding or solver error.
    np.testing.assert_allclose(ratios, 0.01, rtol=0.1)


def test_product_mode_broadcasts():
    out = lh.product_mode(np.linspace(0, 1, 7)[:, None, None], [1.0, 2.0], 0.1, imbalance=[[0.0], [0.5], [-2.0]])
    assert out.shape == (7, 3, 2)
    np.testing.assert_allclose(out[0], 0.1, rtol=1e-13)  # measured 2.2e-15: margin 45x
    # a = b = 0 is a fixed point (theta0 = 0, C = 0), for any S.
    np.testing.assert_array_equal(lh.product_mode([0.0, 1.0, 100.0], [[-1.0], [0.0], [2.0]], 0.0), 0.0)


# ---------------------------------------------------------------------------- times to reach a level
SATURATION_CASES = [
    # (fraction, S, theta0, C, variance)
    (0.5, 1.0, 1e-3, 0.0, 1.0),
    (0.9, 2.0, 1e-2, 0.0, 0.5),
    (0.5, 1.0, 1e-2, 0.3, 1.0),
    (0.5, 1.0, 1e-2, -0.3, 1.0),
    (0.99, 1.0, 0.1, 5.0, 2.0),
    (0.5, 1.0, -0.2, 0.5, 1.0),  # rises from a negative start
    (0.0, 1.0, -0.2, 0.5, 1.0),  # the time the mode crosses zero
    (0.75, 3.0, 0.5, 0.0, 1.0),
]


@pytest.mark.parametrize(("fraction", "S", "theta0", "C", "variance"), SATURATION_CASES)
def test_saturation_time_matches_simulated_crossing(fraction, S, theta0, C, variance):
    t_level = lh.saturation_time(fraction, S, theta0, imbalance=C, variance=variance)
    level = fraction * S
    # The closed-form trajectory is at the level at that time ...
    np.testing.assert_allclose(
        lh.product_mode(t_level, S, theta0, imbalance=C, variance=variance), level, rtol=1e-9, atol=1e-12
    )
    # ... and so is the simulated one: its spline-interpolated crossing time agrees.
    times, simulated = _product_flow_from(theta0, C, S, variance, t_max=1.5 * t_level, n_times=601)
    assert _crossing_time(times, simulated, level) == pytest.approx(t_level, rel=TIME_RTOL)
    # Integrating exactly to t_level lands on the level.
    _, at_level = _product_flow_from(theta0, C, S, variance, t_max=t_level, n_times=2)
    assert at_level[-1] == pytest.approx(level, rel=RTOL, abs=ATOL)


@pytest.mark.parametrize(("S", "theta0", "variance"), [(1.0, 1e-3, 1.0), (4.0, 0.1, 0.25), (0.3, 1e-6, 3.0)])
@pytest.mark.paper("Eq. 9")
def test_half_rise_time_matches_simulation_and_eq9(S, theta0, variance):
    t_half = lh.half_rise_time(S, theta0, variance=variance)
    np.testing.assert_allclose(lh.sigmoidal_mode(t_half, S, theta0, variance=variance), S / 2, rtol=1e-12)
    assert t_half == pytest.approx(lh.saturation_time(0.5, S, theta0, variance=variance), rel=1e-12)
    root = np.sqrt(theta0)
    times, simulated = _diagonal_flow(root, root, S, variance, t_max=1.5 * t_half, n_times=601)
    assert _crossing_time(times, simulated, S / 2) == pytest.approx(t_half, rel=TIME_RTOL)


def test_half_rise_time_scaling():
    """Inversely proportional to S E[x^2] at fixed S/theta0, logarithmic in the initial scale."""
    base = lh.half_rise_time(1.0, 1e-3)
    assert lh.half_rise_time(2.0, 2e-3, variance=3.0) == pytest.approx(base / 6, rel=1e-12)
    assert lh.half_rise_time(1.0, 1e-6) - base == pytest.approx(np.log((1e6 - 1) / 999) / 2, rel=1e-12)


@pytest.mark.parametrize(("fraction", "variance"), [(0.5, 1.0), (0.9, 0.5), (0.999, 3.0)])
def test_linear_saturation_time_matches_simulation(fraction, variance):
    t_level = lh.linear_saturation_time(fraction, variance=variance)
    assert lh.linear_mode(t_level, 2.0, variance=variance) == pytest.approx(2.0 * fraction, rel=1e-12)
    model = lh.LinearModel(1)
    moments = lh.teacher_moments([variance], [2.0])
    trajectory = lh.gradient_flow(model, {"theta": np.zeros((1, 1))}, moments, t_max=1.5 * t_level, n_times=601)
    simulated = trajectory.params["theta"][:, 0, 0]
    assert _crossing_time(trajectory.times, simulated, 2.0 * fraction) == pytest.approx(t_level, rel=TIME_RTOL)


def test_layerwise_mode_is_delayed_relative_to_linear():
    """Emergence: from a small start, the layerwise mode takes far longer to reach half its target."""
    assert lh.half_rise_time(1.0, 1e-6) > 9 * lh.linear_saturation_time(0.5)


# ---------------------------------------------------------------------------- Saxe et al.: Eq. 12
@pytest.mark.paper("Eq. 12")
def test_two_layer_network_modes_follow_eq12():
    """Whitened inputs, sigma_xy = U S V^T, balanced start aligned with the singular vectors."""
    rng = np.random.default_rng(1)
    d, c = 4, 3
    U, _ = np.linalg.qr(rng.standard_normal((d, c)))
    V, _ = np.linalg.qr(rng.standard_normal((c, c)))
    R, _ = np.linalg.qr(rng.standard_normal((c, c)))
    singular_values = np.array([3.0, 2.0, 1.0])
    theta0 = np.array([1e-3, 2e-3, 1e-3])
    moments = lh.whitened_moments(U @ np.diag(singular_values) @ V.T)
    params0 = {"W1": U @ np.diag(np.sqrt(theta0)) @ R.T, "W2": R @ np.diag(np.sqrt(theta0)) @ V.T}
    model = lh.LinearNetwork(d, c, c)
    trajectory = lh.gradient_flow(model, params0, moments, t_max=6.0, n_times=121)
    modes = U.T @ trajectory.end_to_end @ V  # (T, c, c): diagonal = theta_alpha(t)
    theory = lh.sigmoidal_mode(trajectory.times[:, None], singular_values, theta0)
    np.testing.assert_allclose(np.diagonal(modes, axis1=1, axis2=2), theory, rtol=RTOL, atol=ATOL)
    off_diagonal = modes - np.einsum("tk,kl->tkl", np.diagonal(modes, axis1=1, axis2=2), np.eye(c))
    assert np.max(np.abs(off_diagonal)) < ATOL
    # The map never leaves the span of U (the fourth input direction is never used).
    assert np.max(np.abs(trajectory.end_to_end - U @ U.T @ trajectory.end_to_end)) < ATOL
    # Learned in order of singular value, and all learned by the end.
    half_times = lh.half_rise_time(singular_values, theta0)
    assert np.all(np.diff(half_times) > 0)
    # At t = 6 the slowest mode is at 99.4 % of its target (Eq. 9 itself): "learned" means within 10 %.
    np.testing.assert_allclose(np.diagonal(modes[-1]), singular_values, rtol=0.1)


# ---------------------------------------------------------------------------- bad input
def test_linear_mode_rejects_bad_input():
    with pytest.raises(ValueError, match="variance"):
        lh.linear_mode(1.0, 1.0, variance=0.0)
    with pytest.raises(ValueError, match="variance"):
        lh.linear_mode(1.0, 1.0, variance=[1.0, -1.0])
    with pytest.raises(ValueError, match="t must be non-negative"):
        lh.linear_mode([-1.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="target_scale"):
        lh.linear_mode(1.0, np.nan)
    with pytest.raises(ValueError, match="theta0"):
        lh.linear_mode(1.0, 1.0, theta0=np.inf)
    with pytest.raises(ValueError, match=r"t \(3,\), target_scale \(2,\)"):
        lh.linear_mode([0.0, 1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="target_scale must be a real number"):
        lh.linear_mode(1.0, "one")


def test_sigmoidal_mode_rejects_bad_input():
    with pytest.raises(ValueError, match="theta0 must be nonzero and have the sign of target_scale"):
        lh.sigmoidal_mode(1.0, 1.0, -0.1)
    with pytest.raises(ValueError, match="theta0 must be nonzero"):
        lh.sigmoidal_mode(1.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="theta0 must be nonzero"):
        lh.sigmoidal_mode(1.0, 0.0, 0.1)
    with pytest.raises(ValueError, match="variance"):
        lh.sigmoidal_mode(1.0, 1.0, 0.1, variance=-2.0)
    with pytest.raises(ValueError, match="t must be non-negative"):
        lh.sigmoidal_mode(-0.5, 1.0, 0.1)
    with pytest.raises(ValueError, match="theta0 must contain only finite"):
        lh.sigmoidal_mode(1.0, 1.0, np.nan)
    with pytest.raises(ValueError, match="shapes do not broadcast"):
        lh.sigmoidal_mode([1.0, 2.0], [1.0, 2.0, 3.0], 0.1)


def test_sigmoidal_mode_source_fits_the_book_column():
    """The feedback chapter shows this function's source (literalinclude): it must cite its equation and fit
    the column without scrolling (80 characters; the book's limit for shown code is 88)."""
    import inspect

    source = inspect.getsource(lh.sigmoidal_mode)
    too_long = [line for line in source.splitlines() if len(line) > 80]
    assert not too_long, f"lines over 80 characters: {too_long}"
    assert "(Eq. 9)" in source.splitlines()[1]


def test_product_mode_rejects_bad_input():
    with pytest.raises(ValueError, match="variance"):
        lh.product_mode(1.0, 1.0, 0.1, variance=0.0)
    with pytest.raises(ValueError, match="t must be non-negative"):
        lh.product_mode(-1.0, 1.0, 0.1)
    with pytest.raises(ValueError, match="imbalance must contain only finite"):
        lh.product_mode(1.0, 1.0, 0.1, imbalance=np.inf)
    with pytest.raises(ValueError, match="imbalance"):
        lh.product_mode([1.0, 2.0], 1.0, 0.1, imbalance=[0.0, 1.0, 2.0])


def test_half_rise_time_rejects_bad_input():
    with pytest.raises(ValueError, match="target_scale"):
        lh.half_rise_time(-1.0, -0.1)
    with pytest.raises(ValueError, match="target_scale"):
        lh.half_rise_time(0.0, 0.1)
    with pytest.raises(ValueError, match=r"theta0 must lie in \(0, target_scale/2\)"):
        lh.half_rise_time(1.0, 0.5)
    with pytest.raises(ValueError, match="theta0 must lie"):
        lh.half_rise_time(1.0, -0.1)
    with pytest.raises(ValueError, match="variance"):
        lh.half_rise_time(1.0, 0.1, variance=0.0)
    with pytest.raises(ValueError, match="theta0 must contain only finite"):
        lh.half_rise_time(1.0, np.nan)


def test_saturation_time_rejects_bad_input():
    with pytest.raises(ValueError, match="fraction must lie strictly between"):
        lh.saturation_time(1.0, 1.0, 0.1)
    with pytest.raises(ValueError, match="fraction must lie strictly between"):
        lh.saturation_time(0.05, 1.0, 0.1)  # below the start: never crossed on the way up
    with pytest.raises(ValueError, match="fraction must lie strictly between"):
        lh.saturation_time(0.5, 1.0, 2.0)  # starts above the target
    with pytest.raises(ValueError, match="theta0 <= 0 with imbalance = 0"):
        lh.saturation_time(0.5, 1.0, -0.1)
    with pytest.raises(ValueError, match="target_scale"):
        lh.saturation_time(0.5, -1.0, -0.1)
    with pytest.raises(ValueError, match="variance"):
        lh.saturation_time(0.5, 1.0, 0.1, variance=[1.0, 0.0])
    with pytest.raises(ValueError, match="fraction must contain only finite"):
        lh.saturation_time(np.nan, 1.0, 0.1)


def test_linear_saturation_time_rejects_bad_input():
    for fraction in (0.0, 1.0, -0.5, 2.0):
        with pytest.raises(ValueError, match=r"fraction must lie in \(0, 1\)"):
            lh.linear_saturation_time(fraction)
    with pytest.raises(ValueError, match="variance"):
        lh.linear_saturation_time(0.5, variance=0.0)
    with pytest.raises(ValueError, match="fraction must contain only finite"):
        lh.linear_saturation_time(np.nan)
