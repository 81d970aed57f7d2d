"""Greedy low-rank dynamics and neural collapse (labhelpers.collapse.saxe) against exact cases and theory.

Tolerances:

- Metrics of constructed exact cases (a simplex ETF with no within-class spread) are zero up to rounding:
  ``EXACT = 1e-12`` (NC1 is a ratio of squares, so it is at the level of 1e-24 there).
- Invariances (relabelling, sample order, scaling, translation) hold to ``INVARIANT = 1e-10`` relative:
  the computations differ only in rounding.
- Eq. 12: mode strengths of ``lh.gradient_flow`` (DOP853, rtol 1e-10) against ``lh.sigmoidal_mode``
  within ``RTOL = 1e-6`` relative, as in tests/core/test_modes.py.
- The unconstrained feature model from init scale ``sigma = 1e-4``: the conserved imbalance is
  ``O(sigma^2 N)``, so the converged values of ``ufm_limit`` hold to ``UFM_RTOL = 1e-3`` relative (the
  largest deviation measured is 8 % of that tolerance; from ``sigma = 1e-3`` it was 81 %). The
  init leaves ``O(sigma)`` components that gradient flow never moves (orthogonal to the classifier), so
  the feature matrix has C singular values ``n^(1/4)`` and the rest below ``RANK_RTOL = 1e-2`` times the
  largest: its numerical rank at that relative tolerance is C.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.interpolate import CubicSpline
from scipy.optimize import brentq

import labhelpers as lh
from labhelpers import collapse as co

EXACT = 1e-12
INVARIANT = 1e-10
RTOL = 1e-6
UFM_RTOL = 1e-3
RANK_RTOL = 1e-2
NC_KEYS = ("nc1", "equinorm", "angle_std", "angle_shift", "etf_distance", "self_duality", "ncc_mismatch")


def _random_problem(C=4, n=6, D=7, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.repeat(np.arange(C), n))
    features = rng.standard_normal((C * n, D))
    classifier = rng.standard_normal((C, D))
    bias = rng.standard_normal(C)
    return features, labels, classifier, bias


def _assert_metrics_close(a: co.CollapseMetrics, b: co.CollapseMetrics, rtol=INVARIANT):
    for key in NC_KEYS:
        np.testing.assert_allclose(getattr(a, key), getattr(b, key), rtol=rtol, atol=1e-14, err_msg=key)


# ---------------------------------------------------------------------------- simplex ETF and exact collapse
@pytest.mark.paper("Eq. 66")
def test_simplex_etf_geometry():
    for C, D in ((2, 1), (3, 2), (5, 8), (10, 512)):
        M = co.simplex_etf(C, D, scale=2.5, seed=3)
        assert M.shape == (C, D)
        np.testing.assert_allclose(M @ M.T, 2.5**2 * C / (C - 1) * (np.eye(C) - 1.0 / C), atol=EXACT)
        np.testing.assert_allclose(M.sum(axis=0), 0.0, atol=EXACT)


@pytest.mark.paper("Eqs. 65-68")
def test_exact_collapse_gives_zero_metrics():
    C, n, D = 5, 4, 9
    M = co.simplex_etf(C, D, seed=1)
    labels = np.tile(np.arange(C), n)
    offset = np.linspace(-1.0, 2.0, D)  # a global mean does not matter for NC1-NC3
    features = 3.0 * M[labels] + offset
    # Classifier W = M with the bias that removes the offset: W h + b = 3 M m_c.
    metrics = co.collapse_metrics(features, labels, M, -M @ offset)
    assert metrics.nc1 < EXACT**2
    for key in ("equinorm", "angle_std", "angle_shift", "etf_distance", "self_duality"):
        assert getattr(metrics, key) < EXACT, key
    assert metrics.ncc_mismatch == 0.0


@pytest.mark.paper("Eqs. 65-68")
def test_random_features_are_far_from_collapse():
    features, labels, classifier, bias = _random_problem(C=4, n=6, D=4)
    metrics = co.collapse_metrics(features, labels, classifier, bias)
    assert metrics.nc1 > 1.0
    assert metrics.equinorm > 0.05
    assert metrics.angle_std > 0.1 and metrics.angle_shift > 0.1
    assert metrics.etf_distance > 0.2
    assert metrics.self_duality > 0.5
    assert metrics.ncc_mismatch > 0.3


@pytest.mark.paper("Eqs. 62-65")
def test_nc1_matches_the_pseudo_inverse_formula():
    features, labels, _, _ = _random_problem(C=5, n=7, D=12, seed=2)
    C, N = 5, features.shape[0]
    means = np.stack([features[labels == c].mean(axis=0) for c in range(C)])
    centred = means - features.mean(axis=0)
    within = sum(np.outer(h - means[c], h - means[c]) for h, c in zip(features, labels)) / N
    between = centred.T @ centred / C
    direct = np.trace(within @ np.linalg.pinv(between)) / C
    np.testing.assert_allclose(co.nc1(features, labels), direct, rtol=1e-10)
    mu, mu_G = co.class_means(features, labels)
    np.testing.assert_allclose(mu, means, rtol=1e-13)
    np.testing.assert_allclose(mu_G, features.mean(axis=0), rtol=1e-13)


def test_individual_functions_agree_with_collapse_metrics():
    features, labels, classifier, bias = _random_problem(seed=4)
    metrics = co.collapse_metrics(features, labels, classifier, bias)
    assert co.nc1(features, labels) == pytest.approx(metrics.nc1, rel=1e-14)
    for key, value in co.nc2(features, labels).items():
        assert value == pytest.approx(getattr(metrics, key), rel=1e-14)
    assert co.nc3(features, labels, classifier) == pytest.approx(metrics.self_duality, rel=1e-14)
    assert co.nc4(features, labels, classifier, bias) == pytest.approx(metrics.ncc_mismatch, rel=1e-14)
    assert set(metrics.as_dict()) == set(NC_KEYS)
    without = co.collapse_metrics(features, labels)
    assert without.self_duality is None and without.ncc_mismatch is None


# ---------------------------------------------------------------------------- invariances and batching
def test_metrics_invariant_to_relabelling_and_sample_order():
    features, labels, classifier, bias = _random_problem(C=5, n=5, D=6, seed=5)
    reference = co.collapse_metrics(features, labels, classifier, bias)
    rng = np.random.default_rng(0)
    relabel = rng.permutation(5)  # class c becomes relabel[c]
    W, b = np.empty_like(classifier), np.empty_like(bias)
    W[relabel], b[relabel] = classifier, bias
    _assert_metrics_close(co.collapse_metrics(features, relabel[labels], W, b), reference)
    order = rng.permutation(labels.size)
    _assert_metrics_close(co.collapse_metrics(features[order], labels[order], classifier, bias), reference)


def test_metrics_invariant_to_scaling_and_translation():
    features, labels, classifier, _ = _random_problem(C=4, n=8, D=5, seed=6)
    reference = co.collapse_metrics(features, labels, classifier)
    _assert_metrics_close(co.collapse_metrics(3.7 * features, labels, 0.2 * classifier), reference)
    # NC1-NC3 do not see a common shift of the features (NC4 does: W h changes).
    shifted = co.collapse_metrics(features + np.arange(5.0), labels, classifier)
    for key in ("nc1", "equinorm", "angle_std", "angle_shift", "etf_distance", "self_duality"):
        np.testing.assert_allclose(getattr(shifted, key), getattr(reference, key), rtol=INVARIANT, err_msg=key)


def test_metrics_batch_over_snapshots():
    rng = np.random.default_rng(7)
    labels = np.repeat(np.arange(3), 4)
    features = rng.standard_normal((5, 12, 6))
    classifiers = rng.standard_normal((5, 3, 6))
    biases = rng.standard_normal((5, 3))
    batched = co.collapse_metrics(features, labels, classifiers, biases)
    for key in NC_KEYS:
        assert getattr(batched, key).shape == (5,)
    for t in range(5):
        single = co.collapse_metrics(features[t], labels, classifiers[t], biases[t])
        for key in NC_KEYS:
            np.testing.assert_allclose(getattr(batched, key)[t], getattr(single, key), rtol=1e-12, err_msg=key)


def test_nc1_ignores_directions_below_the_pseudo_inverse_cut_off():
    # Two classes: Sigma_B has rank 1. Spread along the between-class direction counts, spread orthogonal
    # to it does not (Sigma_B^+ is zero there), however large.
    labels = np.array([0, 0, 1, 1])
    along = np.array([[0.9, 0.0], [1.1, 0.0], [-0.9, 0.0], [-1.1, 0.0]])
    across = np.array([[1.0, 5.0], [1.0, -5.0], [-1.0, 5.0], [-1.0, -5.0]])
    # Sigma_W = 0.01 along e1, Sigma_B = 1 along e1: NC1 = (1/2) * 0.01 / 1.
    assert co.nc1(along, labels) == pytest.approx(0.005, rel=1e-12)
    assert co.nc1(across, labels) < EXACT


# ---------------------------------------------------------------------------- bad inputs
def test_bad_inputs_raise_value_errors():
    features, labels, classifier, bias = _random_problem(C=3, n=4, D=5)
    with pytest.raises(ValueError, match="class 1 has no samples"):
        co.collapse_metrics(features, np.where(labels == 1, 0, labels))
    with pytest.raises(ValueError, match="class 3 has no samples"):
        co.nc1(features, labels, n_classes=4)
    with pytest.raises(ValueError, match="at least 2 classes"):
        co.nc1(features, np.zeros(12, dtype=int))
    with pytest.raises(ValueError, match="one entry per sample"):
        co.nc1(features, labels[:-1])
    with pytest.raises(ValueError, match="integers"):
        co.nc1(features, labels + 0.5)
    with pytest.raises(ValueError, match=">= 0"):
        co.nc1(features, labels - 1)
    with pytest.raises(ValueError, match="classifier must have shape"):
        co.nc3(features, labels, classifier[:, :4])
    with pytest.raises(ValueError, match="classifier must have shape"):
        co.collapse_metrics(features, labels, classifier, n_classes=4)
    with pytest.raises(ValueError, match="bias must have shape"):
        co.nc4(features, labels, classifier, bias[:2])
    with pytest.raises(ValueError, match="bias was given without classifier"):
        co.collapse_metrics(features, labels, bias=bias)
    with pytest.raises(ValueError, match="features must have shape"):
        co.nc1(features[0], labels)
    with pytest.raises(ValueError, match="finite"):
        co.nc1(np.where(features > 1, np.nan, features), labels)
    with pytest.raises(ValueError, match="coincides with the global mean"):
        co.nc2(np.ones_like(features), labels)
    with pytest.raises(ValueError, match="classifier is zero"):
        co.nc3(features, labels, np.zeros_like(classifier))
    with pytest.raises(ValueError, match="rcond"):
        co.nc1(features, labels, rcond=1.5)
    with pytest.raises(ValueError, match="n_classes"):
        co.simplex_etf(1, 3)
    with pytest.raises(ValueError, match="dim must be >= n_classes - 1"):
        co.simplex_etf(5, 3)


# ---------------------------------------------------------------------------- ranks
def test_effective_and_numerical_rank():
    diag = np.diag([3.0, 3.0, 3.0, 0.0])
    assert co.effective_rank(diag) == pytest.approx(3.0, rel=1e-12)
    assert co.numerical_rank(diag) == 3
    assert co.effective_rank(np.zeros((3, 2))) == 0.0 and co.numerical_rank(np.zeros((3, 2))) == 0
    spread = np.diag([1.0, 1e-3, 1e-9])
    assert co.numerical_rank(spread) == 2
    assert co.numerical_rank(spread, rtol=1e-2) == 1
    assert co.numerical_rank(spread, rtol=0.0, atol=1e-6) == 2
    assert 1.0 < co.effective_rank(spread) < 1.02
    stack = np.stack([np.diag([1.0, 0.0]), np.diag([1.0, 1.0])])
    np.testing.assert_allclose(co.effective_rank(stack), [1.0, 2.0], rtol=1e-12)
    np.testing.assert_array_equal(co.numerical_rank(stack), [1, 2])
    with pytest.raises(ValueError, match="matrix must be"):
        co.effective_rank(np.ones(3))
    with pytest.raises(ValueError, match="rtol"):
        co.numerical_rank(diag, rtol=-1.0)


# ---------------------------------------------------------------------------- greedy dynamics (Eq. 12)
@pytest.mark.parametrize("n_levels", [2, 3, 4])
def test_hierarchical_correlation_singular_values(n_levels):
    sigma_xy = co.hierarchical_correlation(n_levels)
    assert sigma_xy.shape == (2 ** (n_levels - 1), 2**n_levels - 1)
    assert set(np.unique(sigma_xy)) == {0.0, 1.0}
    assert np.all(sigma_xy[:, 0] == 1.0)  # the root property: every item has it
    _, s, _ = co.mode_basis(sigma_xy)
    np.testing.assert_allclose(s, co.hierarchical_singular_values(n_levels), rtol=1e-12)


def test_random_correlation_has_the_given_singular_values():
    sigma_xy = co.random_correlation(7, 4, [3.0, 2.0, 1.0, 0.5], seed=2)
    assert sigma_xy.shape == (7, 4)
    np.testing.assert_allclose(co.mode_basis(sigma_xy)[1], [3.0, 2.0, 1.0, 0.5], rtol=1e-12)
    with pytest.raises(ValueError, match="at most min"):
        co.random_correlation(3, 2, [3.0, 2.0, 1.0])
    with pytest.raises(ValueError, match="strictly positive"):
        co.random_correlation(3, 2, [1.0, 0.0])


@pytest.mark.paper("Eqs. 49-51")
def test_aligned_init_is_balanced_and_aligned():
    sigma_xy = co.random_correlation(6, 4, [3.0, 2.0, 1.0, 0.5], seed=0)
    theta0 = np.array([1e-3, 2e-3, 3e-3, 4e-3])
    params = co.aligned_init(sigma_xy, 5, theta0, seed=1)
    model = lh.LinearNetwork(6, 5, 4)
    np.testing.assert_allclose(lh.imbalance(model, params), 0.0, atol=1e-15)
    np.testing.assert_allclose(co.mode_strengths(params["W1"] @ params["W2"], sigma_xy), theta0, rtol=1e-10)
    # A narrow network initialises only its p strongest modes.
    narrow = co.aligned_init(sigma_xy, 2, 1e-3)
    np.testing.assert_allclose(co.mode_strengths(narrow["W1"] @ narrow["W2"], sigma_xy), [1e-3, 1e-3, 0, 0], atol=1e-15)
    with pytest.raises(ValueError, match="one entry per initialised mode"):
        co.aligned_init(sigma_xy, 5, [1e-3, 1e-3])


def _saxe_run(sigma_xy, hidden_dim, theta0, t_max, n_times=241):
    d, c = sigma_xy.shape
    params0 = co.aligned_init(sigma_xy, hidden_dim, theta0, seed=1)
    return lh.gradient_flow(
        lh.LinearNetwork(d, hidden_dim, c), params0, lh.whitened_moments(sigma_xy), t_max=t_max, n_times=n_times
    )


@pytest.mark.parametrize(
    "sigma_xy, hidden_dim",
    [(co.random_correlation(6, 4, [3.0, 2.0, 1.0, 0.5], seed=0), 5), (co.hierarchical_correlation(3), 4)],
    ids=["random", "hierarchy"],
)
@pytest.mark.paper("Eq. 12", "Eqs. 52-59")
def test_mode_strengths_follow_eq12(sigma_xy, hidden_dim):
    theta0 = 1e-3
    _, s, _ = co.mode_basis(sigma_xy)
    trajectory = _saxe_run(sigma_xy, hidden_dim, theta0, t_max=12.0 / s.min())
    simulated = co.mode_strengths(trajectory, sigma_xy)
    theory = lh.sigmoidal_mode(trajectory.times[:, None], s, theta0, variance=1.0)
    np.testing.assert_allclose(simulated, theory, rtol=RTOL, atol=0)
    np.testing.assert_allclose(co.saxe_modes(trajectory.times, sigma_xy, theta0), theory, rtol=1e-12)
    # The window covers the dynamics: every mode starts at 1e-3 of its target and ends within 1e-6 of it.
    np.testing.assert_allclose(simulated[-1], s, rtol=1e-6)
    # The modes stay decoupled: W1 W2 stays diagonal in the singular bases.
    U, _, V = co.mode_basis(sigma_xy)
    rotated = np.einsum("da,tdc,cb->tab", U, trajectory.end_to_end, V)
    off_diagonal = rotated - np.einsum("ta,ab->tab", simulated, np.eye(s.size))
    assert np.abs(off_diagonal).max() < 1e-8 * s.max()


@pytest.mark.paper("Eq. 12")
def test_modes_are_learned_in_order_of_singular_value():
    sigma_xy = co.random_correlation(6, 4, [3.0, 2.0, 1.0, 0.5], seed=0)
    theta0 = 1e-3
    _, s, _ = co.mode_basis(sigma_xy)
    # 481 records: the spline reading the crossing time errs by 2 % of the tolerance below (78 % with 241).
    trajectory = _saxe_run(sigma_xy, 5, theta0, t_max=12.0 / s.min(), n_times=481)
    simulated = co.mode_strengths(trajectory, sigma_xy) / s
    half_times = []
    for a in range(s.size):
        spline = CubicSpline(trajectory.times, simulated[:, a] - 0.5)
        k = int(np.argmax(simulated[:, a] > 0.5))
        half_times.append(brentq(spline, trajectory.times[k - 1], trajectory.times[k], xtol=1e-13))
    assert np.all(np.diff(half_times) > 0)  # strongest mode first
    np.testing.assert_allclose(half_times, lh.half_rise_time(s, theta0), rtol=1e-5)
    # The rank of W1 W2 (modes above half their smallest target) climbs one step at a time: 0, 1, 2, 3, 4.
    steps = co.numerical_rank(trajectory.end_to_end, rtol=0.0, atol=s.min() / 2)
    assert steps[0] == 0 and steps[-1] == s.size
    assert set(np.diff(steps)) <= {0, 1}
    assert set(steps) == set(range(s.size + 1))


def test_saxe_modes_edge_cases():
    sigma_xy = np.diag([2.0, 0.0])
    t = np.array([0.0, 1.0, 10.0])
    theta = co.saxe_modes(t, sigma_xy, [0.0, 0.5])
    np.testing.assert_allclose(theta[:, 0], 0.0)  # starts at zero, stays there
    np.testing.assert_allclose(theta[:, 1], 0.5 / (1.0 + t))  # s = 0: theta' = -2 theta^2
    with pytest.raises(ValueError, match="one entry per mode"):
        co.saxe_modes(t, sigma_xy, [0.1, 0.1, 0.1])


# ---------------------------------------------------------------------------- unconstrained feature model
def test_ufm_flow_matches_autograd():
    from labhelpers.core.models import autograd_flow

    model = co.UnconstrainedFeatures(6, 4, 3, bias=True)
    rng = np.random.default_rng(0)
    params = {"H": rng.standard_normal((6, 4)), "W": rng.standard_normal((3, 4)), "b": rng.standard_normal(3)}
    moments = lh.whitened_moments(co.one_hot(np.arange(6) % 3))
    expected = autograd_flow(model, params, moments)
    for name, value in model.flow(params, moments).items():
        np.testing.assert_allclose(value, expected[name], rtol=1e-12, atol=1e-12)
    # Without bias it is the linear network with W1 = H, W2 = W^T.
    plain = co.UnconstrainedFeatures(6, 4, 3)
    net = lh.LinearNetwork(6, 4, 3).flow({"W1": params["H"], "W2": params["W"].T}, moments)
    flow = plain.flow({"H": params["H"], "W": params["W"]}, moments)
    np.testing.assert_allclose(flow["H"], net["W1"], rtol=1e-14)
    np.testing.assert_allclose(flow["W"], net["W2"].T, rtol=1e-14)


@pytest.fixture(scope="module")
def ufm_runs():
    return {bias: co.train_ufm(4, 10, 12, init_scale=1e-4, bias=bias, seed=0) for bias in (False, True)}


@pytest.mark.parametrize("bias", [False, True], ids=["no-bias", "bias"])
@pytest.mark.paper("Eq. 13")
def test_ufm_reaches_the_predicted_collapse(ufm_runs, bias):
    C, n = 4, 10
    trajectory = ufm_runs[bias]
    limit = co.ufm_limit(C, n, bias=bias)
    labels = trajectory.info["labels"]
    H, W = trajectory.params["H"], trajectory.params["W"]
    b = trajectory.params.get("b")
    metrics = co.collapse_metrics(H, labels, W, b)

    # NC1 falls from its random-start value to (almost) zero; the class means approach a simplex ETF.
    assert metrics.nc1[0] > 1.0 and metrics.nc1[-1] < 1e-8
    assert metrics.etf_distance[0] > 0.2 and metrics.etf_distance[-1] < 1e-4
    assert metrics.ncc_mismatch[-1] == 0.0
    assert trajectory.loss[0] > 10.0 and abs(trajectory.loss[-1]) < 1e-8
    # NC3: zero with a bias; without, the classifier keeps the global mean: sqrt(2 - 2 sqrt(1 - 1/C)).
    assert metrics.self_duality[-1] == pytest.approx(limit["self_duality"], abs=2e-3)

    # Eq. 13: the feature matrix has rank C (C - 1 with a bias), with a clear gap in its spectrum.
    s = np.linalg.svd(H[-1], compute_uv=False)
    assert co.numerical_rank(H[-1], rtol=RANK_RTOL) == limit["rank"]
    np.testing.assert_allclose(s[: limit["rank"]], n**0.25, rtol=UFM_RTOL)
    assert co.numerical_rank(H[0], rtol=RANK_RTOL) == 12  # the random start has full rank

    # The derived norms and the duality w_c = sqrt(n) mu_c.
    means, _ = co.class_means(H[-1], labels)
    np.testing.assert_allclose(np.linalg.norm(H[-1], axis=1), limit["feature_norm"], rtol=UFM_RTOL)
    np.testing.assert_allclose(np.linalg.norm(W[-1], axis=1), limit["classifier_norm"], rtol=UFM_RTOL)
    np.testing.assert_allclose(W[-1], limit["classifier_to_mean"] * means, atol=UFM_RTOL * n**0.25)
    centred = means - H[-1].mean(axis=0)
    np.testing.assert_allclose(np.linalg.norm(centred, axis=1), limit["centred_mean_norm"], rtol=UFM_RTOL)
    if bias:
        np.testing.assert_allclose(b[-1], limit["bias"], atol=2e-3)


def test_ufm_gradient_descent_agrees_with_flow(ufm_runs):
    descent = co.train_ufm(4, 10, 12, init_scale=1e-3, method="descent", seed=0)
    flow = ufm_runs[False]
    assert descent.times[-1] >= flow.times[-1]
    labels = descent.info["labels"]
    final = co.collapse_metrics(descent.params["H"][-1], labels, descent.params["W"][-1])
    assert final.nc1 < 1e-8 and final.etf_distance < 1e-4
    np.testing.assert_allclose(np.linalg.svd(descent.params["H"][-1], compute_uv=False)[:4], 10**0.25, rtol=UFM_RTOL)


def test_ufm_bad_arguments():
    with pytest.raises(ValueError, match="feature_dim must be >= n_classes"):
        co.train_ufm(4, 3, 3)
    with pytest.raises(ValueError, match="n_classes"):
        co.train_ufm(1, 3, 3)
    with pytest.raises(ValueError, match="method"):
        co.train_ufm(2, 3, 3, method="adam")
    with pytest.raises(ValueError, match="lr is for method='descent'"):
        co.train_ufm(2, 3, 3, lr=0.1)
    with pytest.raises(ValueError, match="bias must be True or False"):
        co.UnconstrainedFeatures(4, 3, 2, bias="yes")


# ---------------------------------------------------------------------------- pictures of the collapse
def test_class_plane_of_a_simplex_is_an_equilateral_triangle():
    etf = co.simplex_etf(3, 6, scale=2.0, seed=1)
    labels = np.repeat(np.arange(3), 4)
    rng = np.random.default_rng(0)
    features = etf[labels] + 5.0  # a common shift: class_plane centres it away
    coords = co.class_plane(features, labels)
    assert coords.shape == (12, 2)
    np.testing.assert_allclose(np.sqrt((coords**2).sum(-1).mean()), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(coords, axis=1), 1.0, rtol=1e-12)
    means, _ = co.class_means(coords, labels)
    np.testing.assert_allclose((means @ means.T)[np.triu_indices(3, 1)], -0.5, atol=1e-12)
    # A stack of snapshots is seen in the frame of the reference; noise off the plane is dropped.
    noisy = features + 1e-3 * rng.standard_normal((2, 12, 6))
    stacked = co.class_plane(noisy, labels, reference=features)
    assert stacked.shape == (2, 12, 2)
    # The seeded 1e-3 noise moves the projected points by up to 1.1e-3 (a fixed draw, the same on every CPU).
    np.testing.assert_allclose(stacked, np.broadcast_to(coords, stacked.shape), atol=5e-3)
    with pytest.raises(ValueError, match="reference must have shape"):
        co.class_plane(features, labels, reference=features[:, :3])
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        co.class_plane(features[:, :1], labels)
    with pytest.raises(ValueError, match="coincides with the global mean"):
        co.class_plane(np.ones((12, 6)), labels)


COLUMN_PX = 688  # the widest the book shows a figure at a 1280-px window (scripts/figure_report.py)


def _column_css_px(fig) -> float:
    """Size in CSS px of the figure's smallest text when the book shrinks it to the column width."""
    return lh.plotting.smallest_text_pt(fig) * COLUMN_PX / (72 * max(fig.get_size_inches()[0], COLUMN_PX / 72))


def test_plot_feature_snapshots_stack_in_rows_of_three_readable_in_the_column():
    import matplotlib.pyplot as plt

    trajectory = co.train_ufm(3, 5, 4, init_scale=1e-2, n_times=41, seed=0)
    with plt.rc_context():
        lh.plotting.use_style()
        axes = co.plot_feature_snapshots(trajectory, [0.0, 0.5, 1.0, 2.0])
        fig = axes[0].figure
        assert len(axes) == 4 and len(fig.axes) == 4  # a 2 x 3 grid, the two spare places removed
        rows = sorted({round(ax.get_position().y0, 3) for ax in axes})
        assert len(rows) == 2 and fig.get_size_inches()[0] <= 7.5
        assert _column_css_px(fig) >= 9.0
        plt.close(fig)


@pytest.mark.paper("Fig. 5")
def test_plot_feature_snapshots():
    trajectory = co.train_ufm(3, 5, 4, init_scale=1e-2, n_times=41, seed=0)
    axes = co.plot_feature_snapshots(trajectory, [0.0, trajectory.times[-1]])
    assert len(axes) == 2
    assert axes[1].get_title().startswith(f"t = {trajectory.times[-1]:.3g}")
    # Last snapshot: every sample sits on its class mean (the stars), at the vertices of the triangle.
    dots = axes[1].collections[0].get_offsets()
    np.testing.assert_allclose(np.linalg.norm(dots, axis=1), 1.0, rtol=1e-4)
    with pytest.raises(ValueError, match="train_ufm run"):
        co.plot_feature_snapshots(lh.gradient_flow, [0.0])
    with pytest.raises(ValueError, match="one Axes per time"):
        co.plot_feature_snapshots(trajectory, [0.0, 1.0], axes=axes[:1])
    with pytest.raises(ValueError, match="times must be non-negative"):
        co.plot_feature_snapshots(trajectory, [-1.0])
    with pytest.raises(ValueError, match=r"coords must have shape \(N, 2\)"):
        co.draw_feature_plane(axes[0], np.zeros((15, 3)), trajectory.info["labels"])
