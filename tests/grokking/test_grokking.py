"""Eq. 15's wide scalar network and its exact solution (Theorem I.1, App. I) against gradient flow.

Tolerances. Closed form vs ``lh.gradient_flow`` (DOP853, rtol 1e-12, atol 1e-14): the weight vectors agree
to a relative error ``||a_theory - a_sim|| / ||a_sim|| <= 1e-6`` at every recorded time, and the slope
``beta`` to ``1e-6`` relative with an absolute floor of ``1e-9`` (``beta`` crosses zero in some runs).
The conserved ``Sigma^2 - beta^2`` drifts by at most ``1e-8`` relative to ``Sigma_0^2`` along the
simulation. Each comparison also checks that the window covers the dynamics (``beta`` moves most of the way
from ``beta_0`` to ``S``), so agreement is not trivial.
"""

from __future__ import annotations

import numpy as np
import pytest

import labhelpers as lh
from labhelpers import grokking as grok
from labhelpers.core.models import autograd_flow

RTOL = 1e-6  # closed form vs integration, relative
ATOL_SLOPE = 1e-9  # absolute floor for beta near zero
DRIFT = 1e-8  # conservation of Sigma^2 - beta^2, relative to Sigma_0^2


def _simulate(params0, S, Z, t_max, n_times=121):
    model = grok.WideScalarNetwork(params0["a"].shape[-1], Z)
    return lh.gradient_flow(
        model, params0, grok.target_moments(S), t_max=t_max, n_times=n_times, rtol=1e-12, atol=1e-14
    )


def _relative_vector_error(theory, simulated):
    return np.linalg.norm(theory - simulated, axis=-1) / np.linalg.norm(simulated, axis=-1)


CASES = [
    # (name, params0, S, Z, t_max)
    ("gaussian p=1", grok.gaussian_init(1, 0.3, seed=1), 1.0, 1.0, 30.0),
    ("gaussian p=5 small", grok.gaussian_init(5, 0.05, seed=2), 2.0, 1.0, 20.0),
    ("gaussian p=50 Z=10", grok.gaussian_init(50, 0.2, seed=3), 3.0, 10.0, 200.0),
    ("gaussian p=20 S<0", grok.gaussian_init(20, 0.1, seed=4), -1.5, 0.5, 10.0),
    ("gaussian p=200 lazy", grok.gaussian_init(200, 1.0, seed=5), 0.2, 1.0, 1.0),
    ("ntk p=400", grok.ntk_init(400, seed=6)[1], 1.0, 20.0, 200.0),
    ("signs 3 of 8", grok.sign_init(8, 3, 0.2), 1.0, 1.0, 30.0),
    ("signs all aligned (B=0)", grok.sign_init(6, 6, 0.05), 1.0, 2.0, 60.0),
    ("signs none aligned (A=0)", grok.sign_init(4, 0, 0.5), 1.0, 1.0, 10.0),
    ("signs 1 of 10 large", grok.sign_init(10, 1, 1.0), 0.5, 1.0, 60.0),
]


@pytest.mark.parametrize("name, params0, S, Z, t_max", CASES, ids=[c[0] for c in CASES])
@pytest.mark.paper("Eq. 16", "Eqs. 73-84")
def test_exact_solution_matches_gradient_flow(name, params0, S, Z, t_max):
    trajectory = _simulate(params0, S, Z, t_max)
    theory = grok.exact_solution(trajectory.times, params0["a"], params0["b"], S, Z)
    for key in ("a", "b"):
        assert theory[key].shape == trajectory.params[key].shape
        assert np.max(_relative_vector_error(theory[key], trajectory.params[key])) <= RTOL, key
    beta_sim = trajectory.end_to_end[:, 0, 0]
    np.testing.assert_allclose(grok.slope(theory, Z), beta_sim, rtol=RTOL, atol=ATOL_SLOPE)
    A, B = grok.aligned_scales(params0, Z)
    beta_closed = grok.exact_slope(trajectory.times, A, B, S, Z)
    np.testing.assert_allclose(beta_closed, beta_sim, rtol=RTOL, atol=ATOL_SLOPE)
    if A > 0 or S <= 0:  # with A = 0 and S > 0 the slope tends to 0, not S
        beta0 = beta_sim[0]
        assert abs(beta_sim[-1] - S) <= 0.05 * abs(S - beta0), "window too short: beta did not approach S"
        assert abs(S - beta0) > 0.1 * abs(S)


def test_batched_exact_solution_matches_batched_flow():
    params0 = grok.gaussian_init(7, 0.2, batch_shape=(3,), seed=7)
    S = np.array([1.0, 2.0, -0.5])
    Z = 1.5
    model = grok.WideScalarNetwork(7, Z)
    # One moments object serves one S: integrate the three runs separately and stack them.
    sims = [_simulate({k: v[i] for k, v in params0.items()}, S[i], Z, t_max=25.0, n_times=51).params for i in range(3)]
    times = np.linspace(0.0, 25.0, 51)
    theory = grok.exact_solution(times, params0["a"], params0["b"], S, Z)
    assert theory["a"].shape == (51, 3, 7)
    for i in range(3):
        for key in ("a", "b"):
            assert np.max(_relative_vector_error(theory[key][:, i], sims[i][key])) <= RTOL
    assert model.end_to_end(params0).shape == (3, 1, 1)


@pytest.mark.paper("Eq. 15", "Eqs. 71-72", "Eq. 78")
def test_flow_matches_autograd():
    model = grok.WideScalarNetwork(6, 2.5)
    params = grok.gaussian_init(6, 0.7, batch_shape=(4,), seed=8)
    for moments in (grok.target_moments(1.3), lh.teacher_moments([0.6], [-2.0])):
        hand = model.flow(params, moments)
        auto = autograd_flow(model, params, moments)
        for key in ("a", "b"):
            np.testing.assert_allclose(hand[key], auto[key], rtol=1e-12, atol=1e-14)
    # and the closed-form rate: beta' = (2/Z) Sigma (S - beta) for E[x^2] = 1
    S = 1.3
    velocity = model.flow(params, grok.target_moments(S))
    beta_dot = (velocity["a"] * params["b"] + params["a"] * velocity["b"]).sum(-1) / model.Z
    beta, Sigma = grok.slope(params, model.Z), grok.weight_scale(params, model.Z)
    np.testing.assert_allclose(beta_dot, 2.0 / model.Z * Sigma * (S - beta), rtol=1e-12)


@pytest.mark.paper("Eqs. 17-18")
def test_conservation_of_sigma_squared_minus_beta_squared():
    params0 = grok.gaussian_init(30, 0.3, seed=9)
    Z, S = 2.0, 2.0
    trajectory = _simulate(params0, S, Z, t_max=40.0)
    beta = grok.slope(trajectory.params, Z)
    Sigma = grok.weight_scale(trajectory.params, Z)
    invariant = Sigma**2 - beta**2
    drift = np.max(np.abs(invariant - invariant[0])) / Sigma[0] ** 2
    assert drift <= DRIFT
    A, B = grok.aligned_scales(params0, Z)
    np.testing.assert_allclose(invariant[0], 4 * A * B, rtol=1e-12)
    # the window is not trivial: Sigma itself changes by a lot
    assert Sigma[-1] > 1.5 * Sigma[0]


@pytest.mark.paper("Eq. 20")
def test_aligned_scales_sum_and_difference():
    params = grok.gaussian_init(9, 1.0, batch_shape=(2, 3), seed=10)
    A, B = grok.aligned_scales(params, 3.0)
    np.testing.assert_allclose(A + B, grok.weight_scale(params, 3.0), rtol=1e-13)
    np.testing.assert_allclose(A - B, grok.slope(params, 3.0), rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------------- growth factors
@pytest.mark.paper("Eq. 19", "Eq. 98")
def test_growth_factor_starts_at_one_and_ends_at_gamma_plus():
    A = np.array([0.1, 1.0, 3.0, 0.0, 2.0, 0.5, 0.0])
    B = np.array([0.5, 1.0, 0.0, 1.0, 2.0, 0.0, 0.0])
    S = np.array([2.0, -1.0, 1.0, -2.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(grok.growth_factor(0.0, A, B, S, 1.7), 1.0)
    late = grok.growth_factor(1e4, A[:3], B[:3], S[:3], 1.0)
    np.testing.assert_allclose(late, grok.growth_factors(A[:3], B[:3], S[:3])[0], rtol=1e-12)


@pytest.mark.paper("Eqs. 85-97")
def test_growth_factor_equals_papers_form():
    rng = np.random.default_rng(11)
    A, B = rng.uniform(0.05, 2.0, 20), rng.uniform(0.05, 2.0, 20)
    S, Z = rng.uniform(-3.0, 3.0, 20), rng.uniform(0.5, 4.0, 20)
    t = np.linspace(0.0, 5.0, 41)[:, None]
    gp, gm = grok.growth_factors(A, B, S)
    Q = (1 - gp) / (1 - gm)
    r = 2.0 / Z * np.sqrt(S**2 + 4 * A * B)
    paper = (gp - Q * gm * np.exp(-r * t)) / (1 - Q * np.exp(-r * t))
    np.testing.assert_allclose(grok.growth_factor(t, A, B, S, Z), paper, rtol=1e-10)
    # gamma+- are the roots of -A g^2 + S g + B
    for g in (gp, gm):
        np.testing.assert_allclose(-A * g**2 + S * g + B, 0.0, atol=1e-12)
    assert np.all(gp > 0) and np.all(gm < 0)


def test_growth_factor_edge_cases_have_closed_forms_and_no_nan():
    t = np.linspace(0.0, 3.0, 31)
    # B = 0: logistic gamma = S / (S e + A (1 - e)), e = exp(-2 S t / Z)
    A, S, Z = 0.2, 1.5, 2.0
    e = np.exp(-2 * S * t / Z)
    np.testing.assert_allclose(grok.growth_factor(t, A, 0.0, S, Z), S / (S * e + A * (1 - e)), rtol=1e-13)
    # A = 0: gamma' = (2/Z)(S gamma + B), so gamma = (1 + B/S) exp(2 S t / Z) - B/S
    B = 0.7
    np.testing.assert_allclose(
        grok.growth_factor(t, 0.0, B, S, Z), (1 + B / S) * np.exp(2 * S * t / Z) - B / S, rtol=1e-12
    )
    # S = 0 and A B = 0: double root at zero
    np.testing.assert_allclose(grok.growth_factor(t, 0.0, B, 0.0, Z), 1 + 2 * B * t / Z, rtol=1e-14)
    np.testing.assert_allclose(grok.growth_factor(t, A, 0.0, 0.0, Z), 1 / (1 + 2 * A * t / Z), rtol=1e-14)
    # at huge times: finite where gamma stays in range, a clear error where it truly overflows (A = 0, S > 0)
    huge = grok.growth_factor(1e6, [1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [-1.0, 1.0, 0.0])
    assert np.all(np.isfinite(huge))
    with pytest.raises(ValueError, match="t and A"):
        grok.growth_factor(1e6, [0.0, 0.0], [1.0, 0.0], [1.0, 1.0])
    beta = grok.exact_slope(1e6, [0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [1.0, -1.0, 1.0])
    # A = 0, S > 0: beta = -B/gamma -> 0; B = 0, S < 0: a = b cannot reach a negative slope, beta -> 0
    np.testing.assert_allclose(beta, [0.0, 0.0, 1.0], atol=1e-12)
    weights = grok.exact_solution(1e6, grok.sign_init(3, 0)["a"], grok.sign_init(3, 0)["b"], 1.0)
    assert np.all(np.isfinite(weights["a"])) and np.allclose(weights["a"], 0.0)


# ---------------------------------------------------------------------------- weight-to-target ratio
def test_gamma_plus_from_ratio_matches_growth_factors():
    S = np.array([0.5, 1.0, 4.0])
    Sigma0 = np.array([2.0, 0.01, 30.0])
    expected = grok.growth_factors(Sigma0 / 2, Sigma0 / 2, S)[0]
    np.testing.assert_allclose(grok.gamma_plus_from_ratio(Sigma0 / S), expected, rtol=1e-13)
    np.testing.assert_allclose(grok.gamma_plus_from_ratio(Sigma0 / S), (S + np.sqrt(S**2 + Sigma0**2)) / Sigma0)


@pytest.mark.paper("Eq. 19")
def test_gamma_plus_limits_lazy_and_rich():
    lazy = np.array([1e2, 1e3, 1e6])
    rich = np.array([1e-2, 1e-3, 1e-6])
    # lazy: gamma+ = 1 + 1/rho + O(1/rho^2), so within 1.01/rho of 1
    assert np.all(np.abs(grok.gamma_plus_from_ratio(lazy) - 1.0) <= 1.01 / lazy)
    assert np.all(grok.gamma_plus_from_ratio(lazy) > 1.0)
    # rich: gamma+ = 2/rho + O(1), within 1% of 2/rho and >> 1
    np.testing.assert_allclose(grok.gamma_plus_from_ratio(rich) * rich / 2, 1.0, rtol=1e-2)
    assert np.all(grok.gamma_plus_from_ratio(rich) >= 100.0)


@pytest.mark.paper("Fig. 7(c)")
def test_ntk_init_is_lazy_as_width_grows():
    moves, gammas = [], []
    for width in (100, 1600):
        model, params0 = grok.ntk_init(width, seed=12)
        assert model.Z == pytest.approx(np.sqrt(width))
        A, B = grok.aligned_scales(params0, model.Z)
        gammas.append(grok.growth_factors(A, B, 1.0)[0])
        final = grok.exact_solution(1e4, params0["a"], params0["b"], 1.0, model.Z)
        moves.append(np.linalg.norm(final["a"] - params0["a"]) / np.linalg.norm(params0["a"]))
    # relative movement shrinks like 1/sqrt(width): 16x the width, about 4x less movement
    assert 2.5 < moves[0] / moves[1] < 6.5
    assert abs(gammas[1] - 1) < abs(gammas[0] - 1) < 0.2


# ---------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: grok.WideScalarNetwork(0), "width"),
        (lambda: grok.WideScalarNetwork(3, Z=0.0), "Z"),
        (lambda: grok.WideScalarNetwork(3, Z=-1.0), "Z"),
        (lambda: grok.exact_solution(1.0, np.ones(3), np.ones(4), 1.0), "a0 and b0"),
        (lambda: grok.exact_solution(1.0, np.ones(3), np.ones(3), 1.0, Z=0.0), "Z"),
        (lambda: grok.exact_solution(-1.0, np.ones(3), np.ones(3), 1.0), "t"),
        (lambda: grok.exact_solution(1.0, np.ones(0), np.ones(0), 1.0), "a0"),
        (lambda: grok.slope({"a": np.ones(2), "b": np.ones(3)}), "params['a'] and params['b']"),
        (lambda: grok.weight_scale({"a": np.ones(2)}), "params"),
        (lambda: grok.growth_factor(1.0, -1.0, 1.0, 1.0), "A"),
        (lambda: grok.growth_factor(1.0, 1.0, -1.0, 1.0), "B"),
        (lambda: grok.growth_factor(1.0, 1.0, 1.0, 1.0, Z=0.0), "Z"),
        (lambda: grok.growth_factors(0.0, 1.0, 1.0), "A"),
        (lambda: grok.gamma_plus_from_ratio(0.0), "ratio"),
        (lambda: grok.sign_init(0, 0), "width"),
        (lambda: grok.sign_init(3, 4), "n_aligned"),
        (lambda: grok.gaussian_init(-2, 1.0), "width"),
        (lambda: grok.ntk_init(0), "width"),
        (lambda: grok.target_moments([1.0, 2.0]), "target_scale"),
    ],
)
def test_bad_inputs_raise_value_error_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name.replace("[", r"\[").replace("]", r"\]")):
        call()


def test_model_rejects_wrong_parameter_shapes():
    model = grok.WideScalarNetwork(4)
    with pytest.raises(ValueError, match="params\\['a'\\]"):
        model.end_to_end({"a": np.ones(3), "b": np.ones(4)})


# ---------------------------------------------------------------------------- additions for the chapter
def test_mirrored_init_starts_at_zero_output_with_equal_scales():
    params = grok.mirrored_init(10, 0.7, batch_shape=(3,), seed=13)
    assert params["a"].shape == (3, 10)
    np.testing.assert_allclose(grok.slope(params, 2.0), 0.0, atol=1e-14)
    A, B = grok.aligned_scales(params, 2.0)
    np.testing.assert_allclose(A, B, rtol=1e-12)
    np.testing.assert_allclose(A + B, grok.weight_scale(params, 2.0), rtol=1e-12)
    # the whole trajectory then depends on the ratio only: gamma+ from the ratio equals gamma+ from A, B
    S = 0.3
    np.testing.assert_allclose(
        grok.growth_factors(A, B, S)[0], grok.gamma_plus_from_ratio(grok.weight_scale(params, 2.0) / S), rtol=1e-12
    )


def test_time_to_fraction_inverts_the_exact_slope():
    rng = np.random.default_rng(14)
    A, B = rng.uniform(0.05, 2.0, 12), rng.uniform(0.0, 2.0, 12)
    S, Z = rng.uniform(-3.0, 3.0, 12), rng.uniform(0.5, 4.0, 12)
    S = np.where(np.abs(S - (A - B)) < 0.1, S + 0.5, S)
    fractions = np.array([0.01, 0.3, 0.5, 0.9, 0.999])[:, None]
    t = grok.time_to_fraction(fractions, A, B, S, Z)
    assert np.all(t > 0) and np.all(np.diff(t, axis=0) > 0)
    beta0 = A - B
    np.testing.assert_allclose(grok.exact_slope(t, A, B, S, Z), beta0 + fractions * (S - beta0), rtol=1e-9, atol=1e-12)


def test_time_to_fraction_limits_rich_and_lazy():
    # zero-output start, tau = Z/(2S) = 1/2: half-way at ~ tau ln(2/rho) (rich) and tau ln(2)/rho (lazy)
    rich, lazy = np.array([1e-4, 1e-6]), np.array([1e4, 1e6])
    t_rich = grok.time_to_fraction(0.5, rich / 2, rich / 2, 1.0) / 0.5
    t_lazy = grok.time_to_fraction(0.5, lazy / 2, lazy / 2, 1.0) / 0.5
    np.testing.assert_allclose(t_rich, np.log(2 / rich), rtol=1e-3)
    np.testing.assert_allclose(t_lazy, np.log(2) / lazy, rtol=1e-3)


def test_rescaled_problem_formulas_and_collapse_under_gradient_flow():
    out = grok.rescaled_problem(2.0, 1.0, 1.0, weight_scale=0.5, target_scale=4.0, input_scale=0.5, output_scale=0.25)
    # Sigma0' = c w^2 Sigma0, S' = k S / alpha, Z' = Z / c, tau' = Z' / (2 alpha^2 S')
    np.testing.assert_allclose(
        [out["Sigma0"], out["S"], out["Z"], out["variance"]], [0.25 * 0.25 * 2, 8.0, 4.0, 0.25], rtol=1e-14
    )
    np.testing.assert_allclose(out["ratio"], 2.0 * 0.25 * 0.25 * 0.5 / 4.0, rtol=1e-14)
    np.testing.assert_allclose(out["time_unit"], 0.5 / (0.25 * 0.5 * 4.0), rtol=1e-14)
    # Every knob, simulated with its own model and moments, follows the reference problem with the same ratio.
    base = grok.mirrored_init(6, 1.0, seed=15)
    Sigma0 = grok.weight_scale(base)
    hat_t = np.linspace(0.0, 12.0, 25)
    for knob in ({"weight_scale": 0.3}, {"target_scale": 5.0}, {"input_scale": 0.2}, {"output_scale": 0.2}):
        new = grok.rescaled_problem(Sigma0, 1.0, **knob)
        w0 = {k: v * knob.get("weight_scale", 1.0) for k, v in base.items()}
        moments = lh.teacher_moments([float(new["variance"])], [float(new["S"])])
        flow = lh.gradient_flow(
            grok.WideScalarNetwork(6, float(new["Z"])), w0, moments, times=hat_t * new["time_unit"], rtol=1e-12
        )
        half = new["ratio"] / 2
        reference = grok.exact_slope(hat_t / 2, half, half, 1.0)
        np.testing.assert_allclose(flow.end_to_end[:, 0, 0] / new["S"], reference, atol=1e-8)
        assert reference[-1] > 0.9  # the window covers the learning
        assert new["ratio"] < Sigma0  # every knob in this direction lowers the ratio


def test_diagonal_network_cures_collapse_and_lazy_start_groks_only_with_weight_decay():
    data = grok.sparse_teacher(40, 20, 2, n_test=400, seed=16)
    s0 = np.sqrt(1.0 / 2)  # ratio 1
    run = grok.train_diagonal(
        data,
        init_scale=[s0, s0, s0 / 10, s0, s0, s0],
        target_scale=[1, 1, 1, 100, 1, 1],
        input_scale=[1, 1, 1, 1, 0.01, 1],
        output_scale=[1, 1, 1, 1, 1, 0.01],
        weight_decay=[0, 2e-2, 0, 0, 0, 0],
        steps=8000,
        n_records=40,
    )
    np.testing.assert_allclose(run.ratio, [1.0, 1.0, 1e-2, 1e-2, 1e-2, 1e-2], rtol=1e-12)
    test = run.test_loss / run.test_loss[0]
    train = run.train_loss / run.train_loss[0]
    # Theorem (four cures): same ratio, same trajectory step by step (the step size follows the curvature).
    assert np.abs(test[:, 3:] - test[:, 2:3]).max() < 1e-10
    # lazy start without weight decay: fits the training set, does not generalise
    assert train[-1, 0] < 1e-4 and test[-1, 0] > 0.2
    # rich start: generalises; lazy start with weight decay: generalises, but much later than it fits
    assert test[-1, 2] < 0.02 and test[-1, 1] < 0.02
    fit, general = run.first_step_below(0.05, "train"), run.first_step_below(0.05, "test")
    assert general[1] > 10 * fit[1]
    assert 0 < general[2] < 4 * fit[2]
    assert general[0] == -1


def test_diagonal_pieces_init_step_and_record():
    """train_diagonal's pieces: a zero output at the start, one gradient step by hand, the records it keeps."""
    from labhelpers.grokking import diagonal

    data = grok.sparse_teacher(6, 5, 2, n_test=7, seed=1)
    s, k = np.array([0.3, 0.5]), np.array([1.0, 2.0])
    a, b = diagonal._mirrored_pairs(s, 2, 6)
    assert a.shape == b.shape == (2, 2, 6) and np.all((a * b).sum(1) == 0)  # aligned + anti-aligned: no output
    X, y = data["X_train"], data["y_train"]
    task = diagonal._Task(X, k[:, None] * y, data["X_test"], k[:, None] * data["y_test"], np.array([[1.5], [1.0]]))
    theta, residual = diagonal._outputs(task, a, b)
    np.testing.assert_array_equal(residual, -task.targets)
    a1, b1 = diagonal._gradient_step(task, a, b, residual, 0.1, 0.01)
    grad = task.scale[:, None] * (residual @ X)[:, None, :] / X.shape[0]  # dL/d(a b), (R, 1, d)
    np.testing.assert_allclose(a1, a - 0.1 * (grad * b + 0.01 * a), rtol=1e-15)
    np.testing.assert_allclose(b1, b - 0.1 * (grad * a + 0.01 * b), rtol=1e-15)
    records = {"train": [], "test": [], "coefficients": []}
    diagonal._record(records, task, theta, residual)
    np.testing.assert_allclose(records["train"][0], 0.5 * np.mean(task.targets**2, 1))
    run = grok.train_diagonal(data, init_scale=s, target_scale=k, steps=50, n_records=5)
    assert run.train_loss.shape == (len(run.steps), 2) and run.steps[0] == 0 and run.steps[-1] == 50
    np.testing.assert_allclose(run.train_loss[0], records["train"][0])


@pytest.mark.paper("Eq. 25", "Fig. 7", "Fig. 9")
def test_feature_arrows_chain_ends_at_the_sum():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    sizes = np.array([0.5, -0.2, 0.3, 0.1])
    grok.feature_arrows(ax, sizes, row=1.0)
    bar = ax.lines[-1]
    np.testing.assert_allclose(bar.get_xdata(), [0.7, 0.7])
    segments = np.concatenate([line.get_xdata() for line in ax.lines if line.get_linestyle() == "-"][:-1])
    assert np.nanmin(segments) == 0.0 and np.nanmax(segments) == pytest.approx(0.7)  # 0 -> .5 -> .3 -> .6 -> .7
    assert sorted(np.round(segments[~np.isnan(segments)], 12)) == [0.0, 0.3, 0.3, 0.5, 0.5, 0.6, 0.6, 0.7]
    with pytest.raises(ValueError, match="colors"):
        grok.feature_arrows(ax, sizes, colors=["r", "g"])
    with pytest.raises(ValueError, match="contributions"):
        grok.feature_arrows(ax, [])
    plt.close(fig)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: grok.mirrored_init(3, 1.0), "width"),
        (lambda: grok.mirrored_init(4, 0.0), "scale"),
        (lambda: grok.time_to_fraction(1.0, 1.0, 1.0, 2.0), "fraction"),
        (lambda: grok.time_to_fraction(0.5, 1.0, 0.5, 0.5), "S must differ"),
        (lambda: grok.time_to_fraction(0.5, 0.0, 1.0, 1.0), "A"),
        (lambda: grok.rescaled_problem(1.0, 1.0, input_scale=0.0), "input_scale"),
        (lambda: grok.rescaled_problem(-1.0, 1.0), "Sigma0"),
        (lambda: grok.sparse_teacher(5, 10, 6), "n_relevant"),
        (lambda: grok.train_diagonal({"X_train": 1}), "data"),
        (lambda: grok.train_diagonal(grok.sparse_teacher(5, 4, 1), weight_decay=-1.0), "weight_decay"),
        (lambda: grok.train_diagonal(grok.sparse_teacher(5, 4, 1), output_scale=[[1.0]]), "output_scale"),
        (lambda: grok.train_diagonal(grok.sparse_teacher(5, 4, 1), safety=2.0), "safety"),
    ],
)
def test_new_bad_inputs_raise_value_error_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize("ratio, sigmoidal", [(0.2, True), (0.34, True), (0.37, False), (1.0, False)])
def test_slope_is_sigmoidal_only_below_the_ratio_one_over_root_eight(ratio, sigmoidal):
    """Remark gk-rem-shape: from beta_0 = 0, beta(t) has inflections iff Sigma_0 / S < 1/sqrt(8) = 0.354."""
    t = np.linspace(0.0, 60.0, 30001)
    curve = grok.exact_slope(t, ratio / 2, ratio / 2, 1.0)
    d2 = np.diff(curve, 2)
    signs = np.sign(d2[np.abs(d2) > 1e-13])
    assert (np.count_nonzero(np.diff(signs)) > 0) == sigmoidal


def test_slope_from_all_anti_aligned_units_never_fits_a_positive_target():
    """Remark gk-rem-shape, A = 0: beta = -B / gamma rises towards 0, not to S."""
    t = np.linspace(0.0, 5.0, 51)
    beta = grok.exact_slope(t, 0.0, 0.5, 1.0)
    assert np.all(np.diff(beta) > 0) and beta[-1] < 0 and abs(beta[-1]) < 1e-3
