"""Simulators (labhelpers.core.simulate): gradient flow, gradient descent, batching, and the Trajectory record.

Stated tolerances: a batched gradient flow equals separate runs to BATCH_RTOL = 1e-8 relative to the
largest entry of each parameter (each run is accurate to ~1e-10; the adaptive steps differ). Gradient descent approaches gradient flow at first order: over
lr in (0.1, 0.03, 0.01, 0.003) the largest deviation max_t |theta_GD(t) - theta_GF(t)| decreases
monotonically with a log-log slope in [0.8, 1.2].
"""

from __future__ import annotations

import numpy as np
import pytest

import labhelpers as lh

BATCH_RTOL = 1e-8


def _diagonal_problem():
    model = lh.DiagonalLinearNetwork(3)
    moments = lh.teacher_moments([1.0, 2.0, 0.5], [1.0, -1.5, 2.0])
    return model, moments


def _two_layer_problem():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    Y = X @ rng.standard_normal((3, 2))
    return lh.LinearNetwork(3, 4, 2), lh.empirical_moments(X, Y)


# ---------------------------------------------------------------------------- the Trajectory record
def test_gradient_flow_trajectory_layout():
    model, moments = _two_layer_problem()
    params0 = model.random_init(0.3, batch_shape=(2,), seed=1)
    trajectory = lh.gradient_flow(model, params0, moments, t_max=3.0, n_times=31)
    np.testing.assert_array_equal(trajectory.times, np.linspace(0, 3.0, 31))
    assert len(trajectory) == 31
    assert trajectory.params["W1"].shape == (31, 2, 3, 4) and trajectory.params["W2"].shape == (31, 2, 4, 2)
    assert trajectory.end_to_end.shape == (31, 2, 3, 2)
    assert trajectory.loss.shape == (31, 2)
    np.testing.assert_allclose(trajectory.end_to_end, trajectory.params["W1"] @ trajectory.params["W2"], rtol=1e-14)
    np.testing.assert_allclose(trajectory.loss, model.loss(trajectory.params, moments), rtol=1e-14)
    assert all(np.array_equal(trajectory.at(0)[k], params0[k]) for k in params0)
    assert all(np.array_equal(trajectory.final[k], trajectory.params[k][-1]) for k in params0)
    assert trajectory.info["rtol"] == 1e-10 and "DOP853" in trajectory.info["method"]
    # Gradient flow never increases the loss, and here it learns.
    assert np.all(np.diff(trajectory.loss, axis=0) <= 1e-12)
    assert np.all(trajectory.loss[-1] < 0.05 * trajectory.loss[0])


def test_gradient_flow_records_exactly_the_requested_times():
    model, moments = _diagonal_problem()
    times = [0.0, 0.1, 0.5, 2.0, 7.5]
    trajectory = lh.gradient_flow(model, {"a": [0.1, 0.2, 0.3], "b": [0.1, -0.2, 0.3]}, moments, times=times)
    np.testing.assert_array_equal(trajectory.times, times)
    np.testing.assert_array_equal(trajectory.params["a"][0], [0.1, 0.2, 0.3])


def test_gradient_descent_times_and_recording():
    model, moments = _diagonal_problem()
    params0 = {"a": np.array([0.1, 0.2, 0.3]), "b": np.array([0.1, -0.2, 0.3])}
    trajectory = lh.gradient_descent(model, params0, lr=0.05, steps=10, moments=moments, record_every=3)
    np.testing.assert_allclose(trajectory.times, 0.05 * np.array([0, 3, 6, 9, 10]), rtol=1e-15)
    assert trajectory.params["a"].shape == (5, 3) and trajectory.loss.shape == (5,)
    # One step by hand: params + lr * flow.
    one = lh.gradient_descent(model, params0, lr=0.05, steps=1, moments=moments)
    velocity = model.flow(params0, moments)
    for key in params0:
        np.testing.assert_allclose(one.final[key], params0[key] + 0.05 * velocity[key], rtol=1e-15)


def test_simulators_do_not_modify_params0():
    model, moments = _two_layer_problem()
    params0 = model.random_init(0.3, seed=2)
    saved = {k: v.copy() for k, v in params0.items()}
    X = np.random.default_rng(0).standard_normal((10, 3))
    lh.gradient_flow(model, params0, moments, t_max=1.0, n_times=3)
    lh.gradient_descent(model, params0, lr=0.1, steps=5, moments=moments)
    lh.gradient_descent(model, params0, lr=0.1, steps=5, X=X, Y=X[:, :2])
    assert all(np.array_equal(params0[k], saved[k]) for k in params0)


# ---------------------------------------------------------------------------- batching
@pytest.mark.parametrize("problem", [_diagonal_problem, _two_layer_problem])
def test_batched_gradient_flow_equals_separate_runs(problem):
    model, moments = problem()
    batch = model.random_init(0.4, batch_shape=(3,), seed=3)
    together = lh.gradient_flow(model, batch, moments, t_max=4.0, n_times=21)
    for run in range(3):
        alone = lh.gradient_flow(model, {k: v[run] for k, v in batch.items()}, moments, t_max=4.0, n_times=21)
        for key in model.param_names:
            scale = np.max(np.abs(alone.params[key]))  # matrix entries: relative to the largest one
            np.testing.assert_allclose(together.params[key][:, run], alone.params[key], rtol=0, atol=BATCH_RTOL * scale)
        # The loss decays ~1e6-fold: compare it on the scale of its initial value.
        np.testing.assert_allclose(together.loss[:, run], alone.loss, rtol=BATCH_RTOL, atol=BATCH_RTOL * alone.loss[0])


def test_batched_learning_rates_equal_separate_runs():
    model, moments = _two_layer_problem()
    params0 = model.random_init(0.4, seed=4)
    lrs = np.array([0.01, 0.03, 0.05])
    batch = {k: np.stack([v] * 3) for k, v in params0.items()}
    together = lh.gradient_descent(model, batch, lr=lrs, steps=40, moments=moments, record_every=10)
    # Each run has its own clock: times[:, k] = step * lrs[k], shape (T, runs).
    assert together.times.shape == (5, 3) and len(together) == 5
    assert together.info["recorded_steps"] == [0, 10, 20, 30, 40]
    np.testing.assert_allclose(together.times, np.outer([0, 10, 20, 30, 40], lrs), rtol=1e-15)
    for run, lr in enumerate(lrs):
        alone = lh.gradient_descent(model, params0, lr=lr, steps=40, moments=moments, record_every=10)
        np.testing.assert_allclose(together.times[:, run], alone.times, rtol=1e-15)
        for key in model.param_names:
            np.testing.assert_allclose(together.params[key][:, run], alone.params[key], rtol=1e-14, atol=1e-15)


def test_batched_learning_rates_broadcast_over_a_grid_of_runs():
    """lr of shape (3, 1) against a batch (3, 2): times have shape (T, 3, 2), constant along the last axis."""
    model, moments = _diagonal_problem()
    lrs = np.array([[0.01], [0.02], [0.04]])
    params0 = {"a": np.full((3, 2, 3), 0.1), "b": np.full((3, 2, 3), 0.2)}
    trajectory = lh.gradient_descent(model, params0, lr=lrs, steps=6, moments=moments, record_every=3)
    assert trajectory.times.shape == (3, 3, 2)
    expected = np.array([0, 3, 6])[:, None, None] * np.broadcast_to(lrs, (3, 2))
    np.testing.assert_allclose(trajectory.times, expected, rtol=1e-15)


# ---------------------------------------------------------------------------- descent -> flow
def test_gradient_descent_converges_to_gradient_flow_at_first_order():
    model, moments = _diagonal_problem()
    params0 = {"a": np.array([0.05, 0.3, -0.1]), "b": np.array([0.05, 0.1, 0.2])}
    spacing, t_max = 0.3, 6.0
    grid = np.arange(0, round(t_max / spacing) + 1) * spacing
    flow = lh.gradient_flow(model, params0, moments, times=grid).end_to_end
    lrs = np.array([0.1, 0.03, 0.01, 0.003])
    deviations = []
    for lr in lrs:
        descent = lh.gradient_descent(
            model, params0, lr=lr, steps=round(t_max / lr), moments=moments, record_every=round(spacing / lr)
        )
        np.testing.assert_allclose(descent.times, grid, rtol=1e-12, atol=1e-12)
        deviations.append(np.max(np.abs(descent.end_to_end - flow)))
    deviations = np.array(deviations)
    assert np.all(np.diff(deviations) < 0), deviations
    slope = np.polyfit(np.log(lrs), np.log(deviations), 1)[0]
    assert 0.8 <= slope <= 1.2, slope
    assert deviations[0] > 1e-3  # visible at the largest step: the comparison discriminates


# ---------------------------------------------------------------------------- bad input
def test_gradient_flow_rejects_bad_input():
    model, moments = _diagonal_problem()
    p = {"a": np.full(3, 0.1), "b": np.full(3, 0.1)}
    with pytest.raises(ValueError, match="model must be a labhelpers.core.models.Model"):
        lh.gradient_flow("diagonal", p, moments, t_max=1.0)
    with pytest.raises(ValueError, match="params0 must be a dict"):
        lh.gradient_flow(model, [p["a"], p["b"]], moments, t_max=1.0)
    with pytest.raises(ValueError, match=r"params0 must be a dict with keys \['a', 'b'\]"):
        lh.gradient_flow(model, {"a": p["a"]}, moments, t_max=1.0)
    with pytest.raises(ValueError, match=r"params0\['a'\] must end in shape \(3,\)"):
        lh.gradient_flow(model, {"a": np.zeros(2), "b": np.zeros(2)}, moments, t_max=1.0)
    with pytest.raises(ValueError, match=r"params0\['b'\] must contain only finite"):
        lh.gradient_flow(model, {"a": p["a"], "b": [0.1, np.nan, 0.1]}, moments, t_max=1.0)
    with pytest.raises(ValueError, match="moments are for inputs/outputs"):
        lh.gradient_flow(model, p, lh.teacher_moments([1.0, 1.0], [1.0, 1.0]), t_max=1.0)
    with pytest.raises(ValueError, match="moments must be a labhelpers.core.data.Moments"):
        lh.gradient_flow(model, p, None, t_max=1.0)
    with pytest.raises(ValueError, match="t_max must be strictly positive"):
        lh.gradient_flow(model, p, moments, t_max=0.0)
    with pytest.raises(ValueError, match="t_max"):
        lh.gradient_flow(model, p, moments, t_max=np.inf)
    with pytest.raises(ValueError, match="n_times must be an integer >= 2"):
        lh.gradient_flow(model, p, moments, t_max=1.0, n_times=1)
    with pytest.raises(ValueError, match="give either t_max= .* or times="):
        lh.gradient_flow(model, p, moments)
    with pytest.raises(ValueError, match="give either t_max= .* or times="):
        lh.gradient_flow(model, p, moments, t_max=1.0, times=[0.0, 1.0])
    for times in ([0.0, 1.0, 1.0], [0.0, 2.0, 1.0], [-1.0, 1.0], [1.0]):
        with pytest.raises(ValueError, match="times must be increasing, non-negative and have at least 2"):
            lh.gradient_flow(model, p, moments, times=times)
    with pytest.raises(ValueError, match="times must be 1-D"):
        lh.gradient_flow(model, p, moments, times=[[0.0, 1.0]])
    with pytest.raises(ValueError, match="rtol must be strictly positive"):
        lh.gradient_flow(model, p, moments, t_max=1.0, rtol=0.0)
    with pytest.raises(ValueError, match="atol must be strictly positive"):
        lh.gradient_flow(model, p, moments, t_max=1.0, atol=-1e-12)


def test_gradient_descent_rejects_bad_input():
    model, moments = _diagonal_problem()
    p = {"a": np.full(3, 0.1), "b": np.full(3, 0.1)}
    X = np.random.default_rng(0).standard_normal((8, 3))
    Y = X @ np.array([1.0, -1.5, 2.0])
    for lr in (0.0, -0.1, np.nan):
        with pytest.raises(ValueError, match="lr must"):
            lh.gradient_descent(model, p, lr=lr, steps=10, moments=moments)
    with pytest.raises(ValueError, match=r"lr of shape \(2,\) must broadcast to the batch shape"):
        lh.gradient_descent(model, p, lr=[0.1, 0.2], steps=10, moments=moments)
    for steps in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="steps must be an integer >= 1"):
            lh.gradient_descent(model, p, lr=0.1, steps=steps, moments=moments)
    with pytest.raises(ValueError, match="record_every must be an integer >= 1"):
        lh.gradient_descent(model, p, lr=0.1, steps=10, moments=moments, record_every=0)
    with pytest.raises(ValueError, match="give either moments= .* or both X= and Y="):
        lh.gradient_descent(model, p, lr=0.1, steps=10)
    with pytest.raises(ValueError, match="give either moments= .* or both X= and Y="):
        lh.gradient_descent(model, p, lr=0.1, steps=10, moments=moments, X=X, Y=Y)
    with pytest.raises(ValueError, match="give either moments= .* or both X= and Y="):
        lh.gradient_descent(model, p, lr=0.1, steps=10, moments=moments, X=X)
    with pytest.raises(ValueError, match="give either moments= .* or both X= and Y="):
        lh.gradient_descent(model, p, lr=0.1, steps=10, X=X)
    with pytest.raises(ValueError, match="X and Y must have the same number of rows"):
        lh.gradient_descent(model, p, lr=0.1, steps=10, X=X, Y=Y[:5])
    with pytest.raises(ValueError, match="X, Y of widths 2, 1 do not match"):
        lh.gradient_descent(model, p, lr=0.1, steps=10, X=X[:, :2], Y=Y)
    with pytest.raises(ValueError, match="X must have at least one sample"):
        lh.gradient_descent(model, p, lr=0.1, steps=10, X=X[:0], Y=Y[:0])
    with pytest.raises(ValueError, match="X must contain only finite"):
        lh.gradient_descent(model, p, lr=0.1, steps=10, X=np.full_like(X, np.nan), Y=Y)
    with pytest.raises(ValueError, match="Y must be 1-D or 2-D"):
        lh.gradient_descent(model, p, lr=0.1, steps=10, X=X, Y=Y[:, None, None])
    with pytest.raises(ValueError, match="moments are for inputs/outputs"):
        lh.gradient_descent(model, p, lr=0.1, steps=10, moments=lh.teacher_moments([1.0], [1.0]))
    with pytest.raises(ValueError, match="params0 must be a dict with keys"):
        lh.gradient_descent(model, {"theta": np.zeros((3, 1))}, lr=0.1, steps=10, moments=moments)


@pytest.mark.parametrize("on", ["moments", "samples"])
def test_gradient_descent_divergence_names_lr(on):
    """A step far beyond the stability limit (2 / curvature) must fail loudly, not return NaN."""
    model, moments = _diagonal_problem()
    p = {"a": np.full(3, 1.0), "b": np.full(3, 1.0)}
    X = np.random.default_rng(0).standard_normal((50, 3))
    data = {"moments": moments} if on == "moments" else {"X": X, "Y": X @ np.array([1.0, -1.5, 2.0])}
    with pytest.raises(ValueError, match=r"diverged at step \d+: .*learning rate \(lr\).*lr=5"):
        lh.gradient_descent(model, p, lr=5.0, steps=200, **data)
