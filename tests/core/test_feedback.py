"""The feedback principle (labhelpers.core.feedback): conserved imbalances, the product's closed flow, and
layers built from a product and an imbalance.

Stated tolerances: under the ODE solver (DOP853, rtol 1e-10) the conserved imbalance drifts by at most
DRIFT_TOL = 1e-8 relative to its scale. Under discrete gradient descent the drift is O(lr) (each step
changes it by O(lr^2), over T/lr steps): halving lr must halve it, within 10%.
"""

from __future__ import annotations

import numpy as np
import pytest

import labhelpers as lh

DRIFT_TOL = 1e-8
EPS = np.finfo(float).eps


def _general_moments(d, c, seed=0):
    """Moments with correlated inputs (non-diagonal sigma_xx) and a linear teacher."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((64, d)) @ (np.eye(d) + 0.5 * rng.standard_normal((d, d)))
    Y = X @ rng.standard_normal((d, c)) + 0.1 * rng.standard_normal((64, c))
    return lh.empirical_moments(X, Y)


NETWORKS = {
    "diagonal": (lh.DiagonalLinearNetwork(3), lambda: lh.teacher_moments([1.0, 2.0, 0.5], [1.0, -2.0, 0.5])),
    "two-layer": (lh.LinearNetwork(3, 4, 2), lambda: _general_moments(3, 2)),
    "deep, equal widths": (lh.DeepLinearNetwork((3, 4, 4, 2)), lambda: _general_moments(3, 2, seed=1)),
    "deep, unequal widths": (lh.DeepLinearNetwork((3, 5, 4, 2)), lambda: _general_moments(3, 2, seed=2)),
}


# ---------------------------------------------------------------------------- imbalance
@pytest.mark.paper("Eq. 8")
def test_imbalance_diagonal_is_eq8():
    model = lh.DiagonalLinearNetwork(3)
    params = {"a": np.array([[1.0, -2.0, 0.5], [0.0, 3.0, 1.0]]), "b": np.array([[2.0, 1.0, -0.5], [1.0, 0.0, 1.0]])}
    np.testing.assert_array_equal(lh.imbalance(model, params), [[-3.0, 3.0, 0.0], [-1.0, 9.0, 0.0]])


@pytest.mark.paper("Eq. 8", "Eqs. 46-48")
def test_imbalance_two_layer_is_the_matrix_form():
    model = lh.LinearNetwork(3, 2, 4)
    rng = np.random.default_rng(0)
    W1, W2 = rng.standard_normal((5, 3, 2)), rng.standard_normal((5, 2, 4))
    Q = lh.imbalance(model, {"W1": W1, "W2": W2})
    assert Q.shape == (5, 2, 2)
    for k in range(5):
        np.testing.assert_allclose(Q[k], W2[k] @ W2[k].T - W1[k].T @ W1[k], rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(Q, Q.swapaxes(-1, -2), atol=1e-14)


def test_imbalance_deep_per_junction():
    rng = np.random.default_rng(0)
    equal = lh.DeepLinearNetwork((2, 3, 3, 3, 1))
    params = {name: rng.standard_normal((4, *shape)) for name, shape in equal.shapes().items()}
    Q = lh.imbalance(equal, params)
    assert Q.shape == (4, 3, 3, 3)  # batch, junction, hidden, hidden
    for junction in range(3):
        cur, nxt = params[f"W{junction + 1}"], params[f"W{junction + 2}"]
        expected = nxt @ nxt.swapaxes(-1, -2) - cur.swapaxes(-1, -2) @ cur
        np.testing.assert_allclose(Q[:, junction], expected, rtol=1e-14, atol=1e-14)
    unequal = lh.DeepLinearNetwork((2, 3, 5, 1))
    params = {name: rng.standard_normal(shape) for name, shape in unequal.shapes().items()}
    gaps = lh.imbalance(unequal, params)
    assert isinstance(gaps, list) and [g.shape for g in gaps] == [(3, 3), (5, 5)]
    np.testing.assert_allclose(gaps[1], params["W3"] @ params["W3"].T - params["W2"].T @ params["W2"], atol=1e-14)


def test_two_layer_deep_network_imbalance_matches_linear_network():
    rng = np.random.default_rng(3)
    params = {"W1": rng.standard_normal((3, 4)), "W2": rng.standard_normal((4, 2))}
    np.testing.assert_allclose(
        lh.imbalance(lh.DeepLinearNetwork((3, 4, 2)), params)[0],
        lh.imbalance(lh.LinearNetwork(3, 4, 2), params),
        rtol=1e-15,
    )


# ---------------------------------------------------------------------------- conservation
@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.paper("Eq. 8", "Eqs. 46-48")
def test_imbalance_is_conserved_by_gradient_flow(name):
    model, make_moments = NETWORKS[name]
    moments = make_moments()
    params0 = model.random_init(0.7, seed=4)
    trajectory = lh.gradient_flow(model, params0, moments, t_max=5.0, n_times=51)
    assert lh.conservation_drift(model, trajectory) <= DRIFT_TOL
    # Not trivially conserved: the weights moved and the loss fell by a large factor.
    moved = max(np.max(np.abs(trajectory.params[k][-1] - trajectory.params[k][0])) for k in model.param_names)
    assert moved > 0.3
    assert trajectory.loss[-1] < 0.2 * trajectory.loss[0]


@pytest.mark.parametrize("name", ["diagonal", "two-layer", "deep, equal widths"])
def test_gradient_descent_drift_is_first_order_in_lr(name):
    model, make_moments = NETWORKS[name]
    moments = make_moments()
    params0 = model.random_init(0.7, seed=4)
    t_max = 2.0
    drifts = []
    for lr in (0.004, 0.002, 0.001):
        descent = lh.gradient_descent(model, params0, lr=lr, steps=round(t_max / lr), moments=moments, record_every=25)
        drifts.append(lh.conservation_drift(model, descent))
    drifts = np.array(drifts)
    flow_drift = lh.conservation_drift(model, lh.gradient_flow(model, params0, moments, t_max=t_max, n_times=21))
    assert flow_drift <= DRIFT_TOL
    assert np.all(drifts > 1e3 * DRIFT_TOL), "discrete steps must break the conservation visibly"
    # Halving lr halves the drift. The O(lr^2) remainder bends the ratio by up to 6.2 % here (the deep network);
    # that is the discretisation itself, the same on every CPU, not rounding or solver error.
    np.testing.assert_allclose(drifts[:-1] / drifts[1:], 2.0, rtol=0.1)


def test_balanced_diagonal_start_stays_balanced_under_gradient_descent():
    """For the diagonal network each step maps C to (1 - lr^2 E^2) C: C = 0 is kept exactly."""
    model = lh.DiagonalLinearNetwork(2)
    moments = lh.teacher_moments([1.0, 2.0], [1.0, 0.5])
    params0 = {"a": np.array([0.1, 0.2]), "b": np.array([0.1, 0.2])}
    trajectory = lh.gradient_descent(model, params0, lr=0.05, steps=100, moments=moments)
    assert lh.conservation_drift(model, trajectory) <= 4 * EPS


def test_imbalance_drift_after_one_descent_step_is_the_theorem():
    """One step multiplies C = a^2 - b^2 by 1 - lr^2 r^2 (diagonal) and adds
    lr^2 (W1^T R R^T W1 - W2 R^T R W2^T) (two-layer): the drift after one step is exactly that."""
    model = lh.DiagonalLinearNetwork(1)
    moments = lh.teacher_moments([1.5], [1.0])
    lrs = np.array([0.3, 0.1, 0.03])
    a0, b0 = 0.4, 0.2
    start = {"a": np.full((3, 1), a0), "b": np.full((3, 1), b0)}
    descent = lh.gradient_descent(model, start, lr=lrs, steps=1, moments=moments)
    drift = lh.imbalance_drift(model, descent)
    assert drift.shape == (2, 3)
    r = 1.5 * (1.0 - a0 * b0)
    np.testing.assert_array_equal(drift[0], 0.0)
    np.testing.assert_allclose(drift[1], abs(a0**2 - b0**2) * lrs**2 * r**2, rtol=1e-12)
    # conservation_drift takes the same per-run clocks (times of shape (T, runs)).
    assert lh.conservation_drift(model, descent) == pytest.approx(drift.max() / 1.0, rel=1e-12)

    network, general = lh.LinearNetwork(3, 4, 2), _general_moments(3, 2)
    params0 = network.random_init(0.7, seed=5)
    step = lh.gradient_descent(network, params0, lr=0.05, steps=1, moments=general)
    W1, W2, R = params0["W1"], params0["W2"], network.residual(params0, general)
    change = 0.05**2 * (W1.T @ R @ R.T @ W1 - W2 @ R.T @ R @ W2.T)
    np.testing.assert_allclose(lh.imbalance_drift(network, step)[1], np.abs(change).max(), rtol=1e-10)


@pytest.mark.parametrize("name", NETWORKS)
def test_imbalance_drift_shapes_and_flow_level(name):
    model, make_moments = NETWORKS[name]
    moments = make_moments()
    trajectory = lh.gradient_flow(model, model.random_init(0.7, batch_shape=(2,), seed=6), moments, t_max=3.0)
    drift = lh.imbalance_drift(model, trajectory)
    assert drift.shape == (len(trajectory), 2)
    scale = max(np.max(np.abs(p)) ** 2 for p in trajectory.params.values())
    assert np.max(drift) <= DRIFT_TOL * scale
    # ... while the same runs under coarse gradient descent drift visibly.
    descent = lh.gradient_descent(model, trajectory.at(0), lr=0.05, steps=60, moments=moments)
    assert np.min(lh.imbalance_drift(model, descent)[-1]) > 1e3 * DRIFT_TOL * scale


def test_imbalance_drift_rejects_bad_input():
    model = lh.DiagonalLinearNetwork(1)
    trajectory = lh.gradient_flow(model, {"a": [0.1], "b": [0.1]}, lh.teacher_moments([1.0], [1.0]), t_max=1.0)
    with pytest.raises(ValueError, match="trajectory must be a labhelpers Trajectory"):
        lh.imbalance_drift(model, trajectory.params)
    with pytest.raises(ValueError, match="model must be a layerwise linear model"):
        lh.imbalance_drift(lh.LinearModel(1), trajectory)
    short = lh.Trajectory(
        trajectory.times[:1], trajectory.at(slice(0, 1)), trajectory.end_to_end[:1], trajectory.loss[:1]
    )
    with pytest.raises(ValueError, match="trajectory must record at least 2 times"):
        lh.imbalance_drift(model, short)


# ---------------------------------------------------------------------------- closed flow of the product
@pytest.mark.paper("Eqs. 36-38")
def test_product_flow_is_the_derivative_of_ab():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(50), rng.standard_normal(50)
    S, variance = rng.standard_normal(50), rng.uniform(0.1, 3.0, 50)
    model = lh.DiagonalLinearNetwork(50)
    velocity = model.flow({"a": a, "b": b}, lh.teacher_moments(variance, S))
    d_theta = velocity["a"] * b + a * velocity["b"]
    np.testing.assert_allclose(
        lh.product_flow(a * b, S, imbalance=a**2 - b**2, variance=variance), d_theta, rtol=1e-12, atol=1e-14
    )


def test_product_flow_feedback_factor():
    """Balanced (C = 0): the speed is 2|theta| E[x^2] (S - theta), vanishing at theta = 0."""
    assert lh.product_flow(0.0, 1.0) == 0.0
    assert lh.product_flow(0.25, 1.0, variance=2.0) == pytest.approx(2 * 0.25 * 2.0 * 0.75, rel=1e-15)
    assert lh.product_flow(0.0, 1.0, imbalance=-3.0) == pytest.approx(3.0, rel=1e-15)


# ---------------------------------------------------------------------------- layers from a product
@pytest.mark.parametrize("theta0", [0.7, -0.7, 1e-3, -1e-3, 100.0, -100.0, 0.0])
@pytest.mark.parametrize("C", [0.0, 0.5, -0.5, 100.0, -100.0, 1e-8, -1e-8])
def test_layers_from_product_reproduces_theta0_and_imbalance(theta0, C):
    a, b = lh.layers_from_product(theta0, C)
    # Machine precision: a few rounding errors of the quantities involved.
    assert abs(a * b - theta0) <= 4 * EPS * abs(theta0)
    assert abs(a**2 - b**2 - C) <= 8 * EPS * (a**2 + b**2)
    assert a + b >= 0


def test_layers_from_product_is_elementwise():
    """A zero entry (theta0 = C = 0) must not zero the other entries."""
    theta0 = np.array([0.0, 1.0, -2.0, 0.0])
    C = np.array([0.0, 0.0, 1.0, 3.0])
    a, b = lh.layers_from_product(theta0, C)
    np.testing.assert_allclose(a * b, theta0, rtol=4 * EPS, atol=0)
    np.testing.assert_allclose(a**2 - b**2, C, rtol=8 * EPS, atol=8 * EPS)
    np.testing.assert_array_equal([a[0], b[0]], [0.0, 0.0])
    assert a.shape == b.shape == (4,)
    a, b = lh.layers_from_product([[0.5], [-0.5]], [0.0, 1.0, -1.0])
    assert a.shape == (2, 3)


# ---------------------------------------------------------------------------- bad input
def test_imbalance_rejects_bad_input():
    model = lh.DiagonalLinearNetwork(2)
    with pytest.raises(ValueError, match="model must be a layerwise linear model"):
        lh.imbalance(lh.LinearModel(2), {"theta": np.zeros((2, 1))})
    with pytest.raises(ValueError, match="model must be a layerwise linear model"):
        lh.imbalance("diagonal", {"a": np.zeros(2), "b": np.zeros(2)})
    with pytest.raises(ValueError, match=r"params must be a dict with keys \['a', 'b'\]"):
        lh.imbalance(model, {"a": np.zeros(2)})
    with pytest.raises(ValueError, match=r"params\['b'\] must end in shape \(2,\)"):
        lh.imbalance(model, {"a": np.zeros(2), "b": np.zeros(3)})
    with pytest.raises(ValueError, match=r"params\['a'\] must contain only finite"):
        lh.imbalance(model, {"a": np.array([np.nan, 0.0]), "b": np.zeros(2)})
    with pytest.raises(ValueError, match="params must be a dict"):
        lh.imbalance(model, [np.zeros(2), np.zeros(2)])


def test_product_flow_rejects_bad_input():
    with pytest.raises(ValueError, match="variance"):
        lh.product_flow(0.1, 1.0, variance=0.0)
    with pytest.raises(ValueError, match="theta must contain only finite"):
        lh.product_flow(np.nan, 1.0)
    with pytest.raises(ValueError, match="imbalance"):
        lh.product_flow([0.1, 0.2], 1.0, imbalance=[1.0, 2.0, 3.0])


def test_layers_from_product_rejects_bad_input():
    with pytest.raises(ValueError, match="theta0 must contain only finite"):
        lh.layers_from_product(np.inf, 0.0)
    with pytest.raises(ValueError, match="imbalance must contain only finite"):
        lh.layers_from_product(0.1, np.nan)
    with pytest.raises(ValueError, match=r"theta0 \(2,\), imbalance \(3,\)"):
        lh.layers_from_product([0.1, 0.2], [0.0, 1.0, 2.0])


def test_conservation_drift_rejects_bad_input():
    model = lh.DiagonalLinearNetwork(1)
    moments = lh.teacher_moments([1.0], [1.0])
    trajectory = lh.gradient_flow(model, {"a": [0.1], "b": [0.1]}, moments, t_max=1.0, n_times=3)
    with pytest.raises(ValueError, match="trajectory must be a labhelpers Trajectory"):
        lh.conservation_drift(model, trajectory.params)
    with pytest.raises(ValueError, match="model must be a layerwise linear model"):
        lh.conservation_drift(lh.LinearModel(1), trajectory)
    with pytest.raises(ValueError, match="params must be a dict with keys"):
        lh.conservation_drift(lh.LinearNetwork(1, 1), trajectory)
    short = lh.Trajectory(
        trajectory.times[:1], trajectory.at(slice(0, 1)), trajectory.end_to_end[:1], trajectory.loss[:1]
    )
    with pytest.raises(ValueError, match="trajectory must record at least 2 times"):
        lh.conservation_drift(model, short)


# ---------------------------------------------------------------------------- extreme scales (issue 11)
def _product_flow_reference(theta, S, C, variance):
    """sqrt(C^2 + 4 theta^2) var (S - theta) in 60-digit mpmath, as a float (inf if beyond the float range)."""
    import mpmath

    with mpmath.workdps(60):
        theta, S, C, v = (mpmath.mpf(float(x)) for x in (theta, S, C, variance))
        return float(mpmath.sqrt(C**2 + 4 * theta**2) * v * (S - theta))


EXTREME_SCALES = (1e-310, 1e-200, 1e-150, 1.0, 1e150, 1e200, 1e300)


@pytest.mark.parametrize("scale", EXTREME_SCALES)
def test_product_flow_is_accurate_at_every_scale(scale):
    """Tolerance 4e-15 relative (measured worst 2.4e-16 on this grid: margin 17x).

    Where the exact value is subnormal its spacing sets the error: an absolute floor of 2 subnormal units.
    """
    worst = 0.0
    for theta, S, C, variance in [
        (0.3, 1.0, 0.0, 1.0),
        (-0.2, 1.0, 2.0, 3.0),
        (0.5, -1.0, -1e-3, 1e-3),
        (1.0, 0.7, 0.5, 1e-100),
        (0.0, 1.0, 1.0, 1.0),
        (1e-3, 1.0, 1e-20, 1.0),
    ]:
        for v in (variance, variance / scale):
            if not 1e-300 < v < 1e308:
                continue
            args = (theta * scale, S * scale, C * scale, v)
            expected = _product_flow_reference(*args)
            if not np.isfinite(expected) or abs(expected) > 1e308:
                with pytest.raises(ValueError, match="the speed theta' overflows"):
                    lh.product_flow(args[0], args[1], imbalance=args[2], variance=args[3])
                continue
            got = lh.product_flow(args[0], args[1], imbalance=args[2], variance=args[3])
            assert np.isfinite(got)
            error = abs(got - expected)
            assert error <= 4e-15 * abs(expected) + 2 * 5e-324, (args, got, expected)
            if abs(expected) > 1e-300:
                worst = max(worst, error / abs(expected))
    assert worst < 4e-16


@pytest.mark.parametrize(
    "theta, S, C, variance",
    [
        (1e-300, 2e-300, 1e300, 1e10),  # factor x variance overflows, the speed is 1e10
        (-1e-300, 3e-300, -1.5e308, 1e100),
        (7e-301, -2e-300, 1.7e308, 1e50),
        (1e-300, 1.7e308, 1e-300, 1e-300),  # factor x variance underflows, the speed is 3.8e-292
        (1e-300, 1.7e308, 1e-300, 1e-320),  # a subnormal variance
        (-1.7e308, 1.7e308, 0.0, 1e-310),  # S - theta overflows, the speed is 1.2e307
    ],
)
def test_product_flow_survives_intermediate_overflow_and_underflow(theta, S, C, variance):
    """Measured relative error 0 (exactly rounded) in every case; tolerance 4e-15."""
    expected = _product_flow_reference(theta, S, C, variance)
    got = lh.product_flow(theta, S, imbalance=C, variance=variance)
    assert abs(got - expected) <= 4e-15 * abs(expected)


def test_product_flow_is_bit_identical_on_the_ordinary_range():
    rng = np.random.default_rng(5)
    theta, S, C, v = (
        rng.standard_normal(200),
        rng.standard_normal(200),
        rng.standard_normal(200),
        rng.uniform(0.1, 3, 200),
    )
    np.testing.assert_array_equal(
        lh.product_flow(theta, S, imbalance=C, variance=v), np.sqrt(C**2 + 4.0 * theta**2) * v * (S - theta)
    )


@pytest.mark.parametrize("scale", EXTREME_SCALES)
@pytest.mark.parametrize("theta0, C", [(0.7, 0.0), (-0.7, 0.5), (1e-3, -100.0), (0.0, 3.0), (2.0, 1e-20)])
def test_layers_from_product_at_extreme_scales(scale, theta0, C):
    """a b = theta0 and a^2 - b^2 = C, in exact rational arithmetic on the returned floats.

    Tolerance 1e-14 relative to (a^2 + b^2) (the products' own rounding, 8 eps at most), measured worst 3.1e-16 (a b: 9.2e-17): margin 30x.
    Where theta0 is subnormal, a b is compared with an absolute floor of 1e-323 (its spacing).
    """
    from fractions import Fraction

    t, c = theta0 * scale, C * scale
    a, b = lh.layers_from_product(t, c)
    assert np.isfinite(a) and np.isfinite(b) and a + b >= 0
    fa, fb = Fraction(float(a)), Fraction(float(b))
    size = fa**2 + fb**2
    assert abs(fa * fb - Fraction(t)) <= Fraction(1e-14) * abs(Fraction(t)) + Fraction(1e-323)
    assert abs(fa**2 - fb**2 - Fraction(c)) <= Fraction(1e-14) * size


def test_layers_from_product_is_bit_identical_on_the_ordinary_range():
    theta0, C = np.linspace(-3, 3, 61), np.linspace(-2, 5, 61)[::-1]
    radius = np.sqrt(C**2 + 4.0 * theta0**2)
    larger = np.sqrt((radius + np.abs(C)) / 2.0)
    a, b = lh.layers_from_product(theta0, C)
    np.testing.assert_array_equal(np.maximum(np.abs(a), np.abs(b)), larger)


def test_imbalance_at_extreme_scales_and_overflow():
    model = lh.DiagonalLinearNetwork(2)
    # a^2 overflows (4e308) but a^2 - b^2 = (a - b)(a + b) ~ 8e302 does not; at 1e-155 they are subnormal.
    a, b = np.array([2e154, 1e-155]), np.array([2e154 * (1 - 1e-6), 2e-155])
    C = lh.imbalance(model, {"a": a, "b": b})
    np.testing.assert_allclose(C, (a - b) * (a + b), rtol=1e-15)
    assert np.all(np.isfinite(C)) and C[0] > 0 > C[1]
    with pytest.raises(ValueError, match=r"imbalance a\^2 - b\^2 \(Eq. 8\) overflows.*params is too large"):
        lh.imbalance(model, {"a": np.array([1e300, 0.0]), "b": np.zeros(2)})
    net = lh.LinearNetwork(2, 2, 1)
    # W2 W2^T and W1^T W1 overflow (1e310 in every entry) but nearly cancel: rescaled by the largest entry.
    W1, W2 = np.full((2, 2), 1e155 * np.sqrt(0.5)), np.full((2, 1), 1e155) * [[1.0], [1.0 - 1e-3]]
    gap = lh.imbalance(net, {"W1": W1, "W2": W2})
    W1s, W2s = W1 / 1e155, W2 / 1e155
    expected_over_1e310 = W2s @ W2s.T - W1s.T @ W1s  # about -1e-3 off the first entry
    np.testing.assert_allclose(gap / 1e155 / 1e155, expected_over_1e310, rtol=0, atol=1e-15)
    assert np.all(np.isfinite(gap)) and np.max(np.abs(gap)) < 1e308
    with pytest.raises(ValueError, match=r"overflows.*params is too large"):
        lh.imbalance(net, {"W1": W1 * 10, "W2": W2})


def test_conservation_drift_with_huge_weights_is_finite():
    model = lh.DiagonalLinearNetwork(1)
    times = np.array([0.0, 1.0])

    def run(a, b):
        return lh.Trajectory(
            times, {"a": np.array(a)[:, None], "b": np.array(b)[:, None]}, np.zeros((2, 1, 1)), np.zeros(2)
        )

    assert lh.conservation_drift(model, run([1e200, 1e200], [1e200, 1e200])) == 0.0  # a^2 - b^2 = inf - inf
    # Q(0) = 0, Q(1) = (0.5e154)(2.5e154) = 1.25e308; the scale (1.5e154)^2 overflows: 1.25 / 2.25.
    drift = lh.conservation_drift(model, run([1e154, 1.5e154], [1e154, 1e154]))
    assert drift == pytest.approx(1.25 / 2.25, rel=1e-14)
    with pytest.raises(ValueError, match=r"trajectory.params\['a'\] must contain only finite"):
        lh.imbalance_drift(model, run([np.nan, 1.0], [1.0, 1.0]))


def test_drifts_refuse_a_trajectory_with_non_finite_times():
    model = lh.DiagonalLinearNetwork(1)
    params = {"a": np.ones((2, 1)), "b": np.ones((2, 1))}
    run = lh.Trajectory(np.array([0.0, np.nan]), params, np.zeros((2, 1, 1)), np.zeros(2))
    for drift in (lh.conservation_drift, lh.imbalance_drift):
        with pytest.raises(ValueError, match="trajectory.times must contain only finite"):
            drift(model, run)
