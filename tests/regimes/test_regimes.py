"""Lazy and rich regimes (labhelpers.regimes.balanced, labhelpers.regimes.grid): lambda-balanced starts, their modes,
the tangent kernel, the kernel distance, and the batched grid trainer of the paper's Fig. 6.

Stated tolerances:
- constructions (Eq. 14) hold to BALANCE_TOL = 1e-12 (absolute, weights of order 1);
- under gradient flow (DOP853, rtol 1e-12) the imbalance drifts by at most DRIFT_TOL = 1e-8, and every
  mode follows lambda_mode to MODE_TOL = 1e-6 relative to its target;
- the closed-form kernel matches torch's Jacobian to KERNEL_TOL = 1e-10 relative to its norm;
- the batched trainer matches the loop to GRID_TOL = 1e-10 (float64).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import labhelpers as lh
from labhelpers import regimes
from labhelpers import regimes as ntk_grid

BALANCE_TOL = 1e-12
DRIFT_TOL = 1e-8
MODE_TOL = 1e-6
KERNEL_TOL = 1e-10
GRID_TOL = 1e-10

# (d, p, c, lam): square, funnel (p > c needs lam <= 0), anti-funnel (p > d needs lam >= 0),
# wider than both (lam = 0 only), bottleneck (p < min(d, c)).
SHAPES = [
    (3, 3, 3, 0.7),
    (3, 3, 3, -2.0),
    (5, 4, 2, -0.5),
    (2, 4, 5, 1.5),
    (3, 6, 3, 0.0),
    (5, 2, 4, 1.3),
]


def _imbalance(params):
    W1, W2 = params["W1"], params["W2"]
    return W2 @ W2.swapaxes(-1, -2) - W1.swapaxes(-1, -2) @ W1


# ---------------------------------------------------------------------------- lambda-balanced starts
@pytest.mark.parametrize("d, p, c, lam", SHAPES)
@pytest.mark.paper("Eq. 14")
def test_random_lambda_balanced_satisfies_eq14_and_sets_the_modes(d, p, c, lam):
    m = min(d, p, c)
    theta0 = np.linspace(0.2, 1.5, m)
    params = regimes.random_lambda_balanced(lam, theta0, d, p, c, seed=1)
    assert params["W1"].shape == (d, p) and params["W2"].shape == (p, c)
    np.testing.assert_allclose(_imbalance(params), lam * np.eye(p), rtol=0, atol=BALANCE_TOL)
    # The same matrix as lh.imbalance (the sign of Eq. 8).
    np.testing.assert_array_equal(lh.imbalance(lh.LinearNetwork(d, p, c), params), _imbalance(params))
    singular = np.linalg.svd(params["W1"] @ params["W2"], compute_uv=False)
    np.testing.assert_allclose(np.sort(singular)[::-1][:m], theta0[::-1], rtol=0, atol=BALANCE_TOL)
    np.testing.assert_allclose(singular[m:], 0.0, atol=BALANCE_TOL)


@pytest.mark.parametrize("d, p, c, lam", SHAPES)
@pytest.mark.paper("Eq. 14")
def test_lambda_balanced_is_aligned_with_the_task(d, p, c, lam):
    rng = np.random.default_rng(2)
    sigma_xy = rng.standard_normal((d, c))
    m = min(d, p, c)
    theta0 = np.linspace(0.1, 0.4, m)
    params = regimes.lambda_balanced(lam, theta0, sigma_xy, hidden_dim=p, seed=3)
    np.testing.assert_allclose(_imbalance(params), lam * np.eye(p), rtol=0, atol=BALANCE_TOL)
    U, _, Vt = np.linalg.svd(sigma_xy, full_matrices=True)
    expected = np.zeros((d, c))
    expected[np.arange(m), np.arange(m)] = theta0
    np.testing.assert_allclose(U.T @ params["W1"] @ params["W2"] @ Vt.T, expected, rtol=0, atol=BALANCE_TOL)


def test_balanced_starts_broadcast_over_a_batch():
    lam = np.array([[-1.0], [0.0], [2.0]])  # (3, 1)
    theta0 = np.array([[[0.5, 1.0]], [[2.0, 0.1]]])[:, None]  # (2, 1, 1, 2) -> batch (2, 3, 1)
    batch = regimes.random_lambda_balanced(lam, theta0, 2, 2, 2, seed=4)
    assert batch["W1"].shape == (2, 3, 1, 2, 2)
    expected = np.broadcast_to(lam[..., None, None] * np.eye(2), batch["W1"].shape)
    np.testing.assert_allclose(_imbalance(batch), expected, rtol=0, atol=BALANCE_TOL)
    single = regimes.random_lambda_balanced(2.0, [2.0, 0.1], 2, 2, 2, seed=4)
    np.testing.assert_array_equal(batch["W1"][1, 2, 0], single["W1"])
    np.testing.assert_array_equal(batch["W2"][1, 2, 0], single["W2"])


def test_balanced_start_without_cancellation_for_large_imbalance():
    params = regimes.random_lambda_balanced(1e8, 1e-3, 2, 2, 2)
    singular = np.linalg.svd(params["W1"] @ params["W2"], compute_uv=False)
    np.testing.assert_allclose(singular, 1e-3, rtol=1e-12)
    np.testing.assert_allclose(_imbalance(params), 1e8 * np.eye(2), rtol=1e-14, atol=1e8 * 1e-15)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: regimes.random_lambda_balanced(0.5, 1.0, 5, 4, 2), "lam must be <= 0 when hidden_dim > output_dim"),
        (lambda: regimes.random_lambda_balanced(-0.5, 1.0, 2, 4, 5), "lam must be >= 0 when hidden_dim > input_dim"),
        (lambda: regimes.random_lambda_balanced(0.1, 1.0, 3, 6, 3), "lam must be <= 0"),
        (lambda: regimes.random_lambda_balanced(0.0, -1.0, 2, 2, 2), "theta0 must be non-negative"),
        (lambda: regimes.random_lambda_balanced(0.0, [1.0, 2.0, 3.0], 2, 2, 2), "one strength per mode"),
        (lambda: regimes.random_lambda_balanced(np.nan, 1.0, 2, 2, 2), "lam must contain only finite"),
        (lambda: regimes.random_lambda_balanced(0.0, 1.0, 2, 0, 2), "hidden_dim must be an integer >= 1"),
        (lambda: regimes.random_lambda_balanced(0.0, 1.0, 2, 2, 2, seed=-1), "seed must be an integer >= 0"),
        (lambda: regimes.random_lambda_balanced([0.0, 1.0], [[1.0], [2.0], [3.0]], 2, 2, 2), "must broadcast"),
        (lambda: regimes.lambda_balanced(0.0, 1.0, [1.0, 2.0]), "sigma_xy must be 2-D"),
        (lambda: regimes.symmetric_init(0.0, 2, 3, 2), "hidden_dim must be even"),
        (lambda: regimes.symmetric_init(0.0, 2, 4, 2, scale=0.0), "scale must be strictly positive"),
    ],
)
def test_constructions_reject_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_symmetric_init_outputs_zero_with_a_nonzero_kernel():
    lam = np.array([-0.3, 0.0, 0.4])
    params = regimes.symmetric_init(lam, 6, 8, 2, scale=0.1, seed=5)
    assert params["W1"].shape == (3, 6, 8) and params["W2"].shape == (3, 8, 2)
    np.testing.assert_allclose(params["W1"] @ params["W2"], 0.0, atol=1e-14)
    # Standard deviations: sigma1 = 0.1 + max(-lam, 0), sigma2 = 0.1 + max(lam, 0) (Eq. 8 sign).
    base = regimes.symmetric_init(0.0, 6, 8, 2, scale=1.0, seed=5)
    for k, (s1, s2) in enumerate([(0.4, 0.1), (0.1, 0.1), (0.1, 0.5)]):
        np.testing.assert_allclose(params["W1"][k], s1 * base["W1"], rtol=1e-15)
        np.testing.assert_allclose(params["W2"][k], s2 * base["W2"], rtol=1e-15)
    X = np.random.default_rng(6).standard_normal((4, 6))
    assert np.all(np.linalg.norm(regimes.ntk(params["W1"], params["W2"], X), axis=(-2, -1)) > 0)


# ---------------------------------------------------------------------------- conservation and modes
@pytest.mark.parametrize("d, p, c, lam", [(3, 3, 3, 0.8), (4, 3, 2, -0.6)])
@pytest.mark.paper("Eq. 8", "Eq. 14")
def test_imbalance_is_conserved_by_gradient_flow(d, p, c, lam):
    sigma_xy = np.random.default_rng(7).standard_normal((d, c))
    params = regimes.random_lambda_balanced(lam, 0.3, d, p, c, seed=8)
    model = lh.LinearNetwork(d, p, c)
    trajectory = lh.gradient_flow(model, params, lh.whitened_moments(sigma_xy), t_max=8.0, n_times=9, rtol=1e-12)
    Q = lh.imbalance(model, trajectory.params)
    assert np.abs(Q - lam * np.eye(p)).max() <= DRIFT_TOL
    assert trajectory.loss[-1] < 0.5 * trajectory.loss[0]  # it did learn


@pytest.mark.parametrize(
    "d, p, c, lam",
    [(3, 3, 3, 0.0), (3, 3, 3, 0.5), (3, 3, 3, -2.0), (3, 3, 3, 6.0), (5, 4, 2, -1.0), (2, 3, 4, 1.0)],
)
@pytest.mark.paper("Eq. 69")
def test_modes_of_the_matrix_network_follow_lambda_mode(d, p, c, lam):
    rng = np.random.default_rng(9)
    m = min(d, p, c)
    U, _ = np.linalg.qr(rng.standard_normal((d, d)))
    V, _ = np.linalg.qr(rng.standard_normal((c, c)))
    s = np.array([3.0, 2.0, 1.0])[:m]
    sigma_xy = U[:, :m] @ np.diag(s) @ V[:, :m].T
    theta0 = np.array([0.01, 0.03, 0.1])[:m]
    params = regimes.lambda_balanced(lam, theta0, sigma_xy, hidden_dim=p, seed=10)
    times = np.linspace(0.0, 6.0, 25)
    trajectory = lh.gradient_flow(
        lh.LinearNetwork(d, p, c), params, lh.whitened_moments(sigma_xy), times=times, rtol=1e-12
    )
    # Project P(t) on the task's singular vectors (the same frames lambda_balanced used).
    Ut, _, Vtt = np.linalg.svd(sigma_xy, full_matrices=True)
    projected = Ut.T @ trajectory.end_to_end @ Vtt.T
    modes = projected[:, np.arange(m), np.arange(m)]
    expected = regimes.lambda_mode(times[:, None], s, theta0, lam)
    assert np.abs(modes - expected).max() <= MODE_TOL * s.max()
    off = projected.copy()
    off[:, np.arange(m), np.arange(m)] = 0.0
    assert np.abs(off).max() <= MODE_TOL * s.max()
    assert np.all(modes[-1] > 0.5 * s)  # the comparison covers the rise, not only the plateau


def test_lambda_mode_is_product_mode_with_unit_variance():
    t = np.linspace(0, 5, 11)[:, None]
    lam = np.array([-3.0, 0.0, 0.2, 4.0])
    np.testing.assert_array_equal(
        regimes.lambda_mode(t, 2.0, 0.05, lam), lh.product_mode(t, 2.0, 0.05, imbalance=lam, variance=1.0)
    )


@pytest.mark.paper("Eq. 70")
def test_lambda_mode_is_sigmoidal_as_lambda_vanishes():
    s, theta0 = 2.0, 0.01
    t = np.linspace(0, 4, 401)
    sigmoid = lh.sigmoidal_mode(t, s, theta0)
    np.testing.assert_allclose(regimes.lambda_mode(t, s, theta0, 0.0), sigmoid, rtol=1e-10)
    errors = [np.abs(regimes.lambda_mode(t, s, theta0, lam) - sigmoid).max() for lam in (1e-1, 1e-2, 1e-3)]
    assert errors[0] > errors[1] > errors[2] and errors[2] < 1e-3 * s


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.paper("Eq. 70")
def test_lambda_mode_is_exponential_at_rate_lambda_as_lambda_grows(sign):
    s, theta0 = 1.0, 0.1
    tau = np.linspace(0, 10, 201)  # time in units of 1/|lam|
    errors = []
    for size in (10.0, 100.0, 1000.0):
        t = tau / size
        lazy = lh.linear_mode(t, s, variance=size, theta0=theta0)  # s + (theta0 - s) exp(-|lam| t)
        errors.append(np.abs(regimes.lambda_mode(t, s, theta0, sign * size) - lazy).max())
    assert errors[2] < MODE_TOL * s
    # The gap closes like 1/lam^2 (the rate is |lam| sqrt(1 + 4 theta^2/lam^2)): a factor ~100 per decade.
    assert errors[1] < 0.02 * errors[0] and errors[2] < 0.02 * errors[1]


# ---------------------------------------------------------------------------- tangent kernel
def test_ntk_matches_autodiff_for_a_batch_of_networks():
    rng = np.random.default_rng(11)
    d, p, c, n = 3, 4, 2, 5
    W1, W2 = rng.standard_normal((2, 3, d, p)), rng.standard_normal((2, 3, p, c))
    X = rng.standard_normal((n, d))
    K = regimes.ntk(W1, W2, X)
    assert K.shape == (2, 3, c * n, c * n)
    reference = regimes.ntk_autodiff(W1, W2, X)
    scale = np.linalg.norm(reference, axis=(-2, -1)).max()
    assert np.abs(K - reference).max() <= KERNEL_TOL * scale


def test_ntk_is_the_kronecker_formula_in_output_major_order():
    rng = np.random.default_rng(12)
    W1, W2, X = rng.standard_normal((3, 2)), rng.standard_normal((2, 4)), rng.standard_normal((5, 3))
    K = regimes.ntk(W1, W2, X)
    A = X @ W1 @ W1.T @ X.T
    expected = np.kron(np.eye(4), A) + np.kron(W2.T @ W2, X @ X.T)
    np.testing.assert_allclose(K, expected, rtol=1e-14, atol=1e-13)
    # Entry ((k, i), (l, j)) at row k n + i: output 1 on sample 2 against output 3 on sample 0.
    k, i, l, j, n = 1, 2, 3, 0, 5
    np.testing.assert_allclose(K[k * n + i, l * n + j], (W2.T @ W2)[k, l] * (X @ X.T)[i, j], rtol=1e-14)
    np.testing.assert_allclose(K, K.T, atol=1e-13)
    assert np.linalg.eigvalsh(K).min() > -1e-12 * np.abs(K).max()


def test_ntk_broadcasts_layers_with_different_batches():
    rng = np.random.default_rng(13)
    W1, W2, X = rng.standard_normal((2, 1, 3, 2)), rng.standard_normal((4, 2, 2)), rng.standard_normal((3, 3))
    K = regimes.ntk(W1, W2, X)
    assert K.shape == (2, 4, 6, 6)
    np.testing.assert_allclose(K[1, 3], regimes.ntk(W1[1, 0], W2[3], X), rtol=1e-14)


@pytest.mark.parametrize(
    "W1, W2, X, match",
    [
        (np.ones((3, 2)), np.ones((3, 2)), np.ones((4, 3)), "must share the hidden width"),
        (np.ones(3), np.ones((3, 2)), np.ones((4, 3)), "must be \\(batches of\\) matrices"),
        (np.ones((3, 2)), np.ones((2, 2)), np.ones((4, 2)), "X must have 3 columns"),
        (np.ones((2, 3, 2)), np.ones((3, 2, 2)), np.ones((4, 3)), "must broadcast"),
        (np.full((3, 2), np.inf), np.ones((2, 2)), np.ones((4, 3)), "W1 must contain only finite"),
    ],
)
def test_ntk_rejects_bad_arguments(W1, W2, X, match):
    with pytest.raises(ValueError, match=match):
        regimes.ntk(W1, W2, X)


# ---------------------------------------------------------------------------- kernel distance
def _random_psd(rng, batch, size):
    A = rng.standard_normal(batch + (size, size))
    return A @ A.swapaxes(-1, -2)


def test_kernel_distance_is_zero_for_identical_and_rescaled_kernels():
    rng = np.random.default_rng(14)
    K = _random_psd(rng, (5,), 6)
    np.testing.assert_array_equal(regimes.kernel_distance(K, K), 0.0)
    assert np.abs(regimes.kernel_distance(K, 7.3 * K)).max() < 1e-15
    other = _random_psd(rng, (5,), 6)
    np.testing.assert_allclose(
        regimes.kernel_distance(0.01 * K, 250.0 * other), regimes.kernel_distance(K, other), rtol=1e-12
    )


def test_kernel_distance_is_symmetric_bounded_and_the_fort_formula():
    rng = np.random.default_rng(15)
    K0, Kt = _random_psd(rng, (50,), 4), _random_psd(rng, (50,), 4)
    distance = regimes.kernel_distance(K0, Kt)
    assert distance.shape == (50,)
    np.testing.assert_array_equal(distance, regimes.kernel_distance(Kt, K0))
    assert np.all((distance >= 0) & (distance <= 1))
    cosine = np.sum(K0 * Kt, axis=(-2, -1)) / (np.linalg.norm(K0, axis=(-2, -1)) * np.linalg.norm(Kt, axis=(-2, -1)))
    np.testing.assert_allclose(distance, 1 - cosine, rtol=1e-12, atol=1e-15)
    # Kernels with disjoint supports are orthogonal: distance exactly 1.
    assert regimes.kernel_distance(np.diag([1.0, 0.0]), np.diag([0.0, 3.0])) == pytest.approx(1.0, abs=1e-15)
    # Broadcasting: one reference kernel against a batch.
    np.testing.assert_allclose(regimes.kernel_distance(K0[0], Kt), regimes.kernel_distance(K0[:1], Kt), rtol=1e-15)


def test_kernel_distance_resolves_tiny_distances():
    eps = 1e-6
    exact = -np.expm1(-0.5 * np.log1p(eps**2))  # 1 - 1/sqrt(1 + eps^2), about eps^2 / 2
    distance = regimes.kernel_distance(np.diag([1.0, 0.0]), np.diag([1.0, eps]))
    np.testing.assert_allclose(distance, exact, rtol=1e-9)


@pytest.mark.parametrize(
    "K0, Kt, match",
    [
        (np.zeros((3, 3)), np.eye(3), "K0 must be nonzero"),
        (np.eye(3), np.stack([np.eye(3), np.zeros((3, 3))]), "Kt must be nonzero"),
        (np.eye(3), np.eye(2), "same size"),
        (np.ones(3), np.ones(3), "same size"),
        (np.eye(2) * np.nan, np.eye(2), "K0 must contain only finite"),
        (np.ones((2, 3, 3)), np.ones((3, 3, 3)), "must broadcast"),
    ],
)
def test_kernel_distance_rejects_bad_inputs(K0, Kt, match):
    with pytest.raises(ValueError, match=match):
        regimes.kernel_distance(K0, Kt)


# ---------------------------------------------------------------------------- grid trainer (Fig. 6)
def _fig6a_task(seed=0):
    """The paper's Fig. 6a task: n = 10 whitened inputs in d = 2, standard normal targets in c = 2."""
    rng = np.random.default_rng(seed)
    X, _ = lh.whiten(rng.standard_normal((10, 2)))
    return X, rng.standard_normal((10, 2))


def _fig6b_task(seed=0, d=10):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((10, d)), rng.standard_normal((10, 2))


def test_batched_grid_equals_the_loop_for_lambda_balanced_starts():
    X, Y = _fig6a_task()
    lams, scales = np.array([-4.0, 0.0, 1.0]), np.array([1.0, 9.0])
    kwargs = dict(target_divisor=scales**2, steps=1500, lr=0.01)
    batched = ntk_grid.lambda_scale_grid(lams, scales, X, Y, **kwargs)
    loop = ntk_grid.lambda_scale_grid(lams, scales, X, Y, method="loop", **kwargs)
    assert batched.kernel_distance.shape == (3, 2)
    assert np.abs(batched.kernel_distance - loop.kernel_distance).max() <= GRID_TOL
    for name in ("W1", "W2"):
        assert np.abs(batched.final[name] - loop.final[name]).max() <= GRID_TOL
    np.testing.assert_allclose(batched.loss, loop.loss, rtol=GRID_TOL, atol=GRID_TOL)
    assert list(batched.axes) == ["lam", "scale"]


def test_batched_grid_equals_the_loop_for_zero_output_starts():
    X, Y = _fig6b_task(d=6)
    kwargs = dict(hidden_dim=6, steps=1000)
    batched = ntk_grid.weight_to_target_grid([-0.3, 0.2], [0.5, 5.0], X, Y, **kwargs)
    loop = ntk_grid.weight_to_target_grid([-0.3, 0.2], [0.5, 5.0], X, Y, method="loop", **kwargs)
    assert np.abs(batched.kernel_distance - loop.kernel_distance).max() <= GRID_TOL
    assert np.abs(batched.final["W1"] - loop.final["W1"]).max() <= GRID_TOL
    # A zero-output start: the initial loss is that of f = 0 on Y / ratio.
    np.testing.assert_allclose(batched.initial_loss[0], 0.5 * np.sum(Y**2) / 10 / np.array([0.5, 5.0]) ** 2, rtol=1e-12)


def test_numpy_and_torch_backends_agree():
    X, Y = _fig6b_task(d=4)
    params = regimes.symmetric_init(np.array([-0.2, 0.3]), 4, 4, 2, seed=1)
    results = [
        ntk_grid.train_grid(params["W1"], params["W2"], X, Y, steps=500, target_divisor=2.0, backend=backend)
        for backend in ("torch", "numpy")
    ]
    assert np.abs(results[0].kernel_distance - results[1].kernel_distance).max() <= GRID_TOL
    assert np.abs(results[0].final["W2"] - results[1].final["W2"]).max() <= GRID_TOL
    assert results[1].info["trainer"] == "batched (stacked networks, numpy)"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_batched_grid_runs_on_a_gpu():
    X, Y = _fig6a_task()
    kwargs = dict(target_divisor=[1.0, 4.0], steps=500)
    cpu = ntk_grid.lambda_scale_grid([-2.0, 0.0], [1.0, 2.0], X, Y, **kwargs)
    gpu = ntk_grid.lambda_scale_grid([-2.0, 0.0], [1.0, 2.0], X, Y, device="cuda", **kwargs)
    assert gpu.info["device"] == "cuda"
    assert np.abs(cpu.kernel_distance - gpu.kernel_distance).max() <= GRID_TOL
    np.testing.assert_allclose(
        regimes.ntk_autodiff(cpu.final["W1"], cpu.final["W2"], X, device="cuda"),
        regimes.ntk(cpu.final["W1"], cpu.final["W2"], X),
        rtol=KERNEL_TOL,
        atol=KERNEL_TOL,
    )


def test_grid_training_is_gradient_descent_on_the_samples():
    """One grid point trained by train_grid equals lh.gradient_descent on (X, Y / r) from the same start."""
    X, Y = _fig6a_task(seed=1)
    params = regimes.random_lambda_balanced(0.5, 0.7, 2, 2, 2, seed=2)
    result = ntk_grid.train_grid(params["W1"][None], params["W2"][None], X, Y, steps=300, lr=0.02, target_divisor=3.0)
    trajectory = lh.gradient_descent(
        lh.LinearNetwork(2, 2, 2), params, X=X, Y=Y / 3.0, lr=0.02, steps=300, record_every=300
    )
    np.testing.assert_allclose(result.final["W1"][0], trajectory.final["W1"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(result.loss[0], trajectory.loss[-1], rtol=1e-10)


@pytest.mark.paper("Fig. 6(a)")
def test_kernel_distance_grows_as_lambda_and_scale_shrink_fig6a():
    """Fig. 6a mapping (theta0 = sqrt(a), targets Y / a): at each absolute scale a the distance rises
    strictly as |lambda| falls on either side of 0; at each lambda it falls strictly as a grows; balanced
    networks are rich (> 1e-2) and |lambda| = 6 lazy (< 1e-5) at every a."""
    X, Y = _fig6a_task()
    lams, a = np.array([-6.0, -3.0, -1.0, 0.0, 1.0, 3.0, 6.0]), np.array([1.0, 4.0, 16.0])
    distance = ntk_grid.lambda_scale_grid(lams, np.sqrt(a), X, Y, target_divisor=a).kernel_distance
    assert np.all(np.diff(distance[:4], axis=0) > 0) and np.all(np.diff(distance[3:], axis=0) < 0)
    assert np.all(np.diff(distance, axis=1) < 0)
    assert np.all(distance[3] > 1e-2) and np.all(distance[[0, -1]] < 1e-5)


@pytest.mark.paper("Fig. 6(b)")
def test_kernel_distance_falls_with_weight_to_target_ratio_and_imbalance_fig6b():
    """Fig. 6b (zero-output starts, targets Y / r): for r in {1, 10, 50} the distance falls strictly as r
    grows at every lambda; for r >= 10 it falls strictly as |lambda| grows on either side of 0; at the
    smallest ratio r = 0.1 every network is rich (> 1e-2)."""
    X, Y = _fig6b_task()
    lams, ratios = np.array([-0.5, -0.25, 0.0, 0.25, 0.5]), np.array([0.1, 1.0, 10.0, 50.0])
    distance = ntk_grid.weight_to_target_grid(lams, ratios, X, Y, hidden_dim=10).kernel_distance
    assert np.all(np.diff(distance[:, 1:], axis=1) < 0)
    lazy = distance[:, 2:]
    assert np.all(np.diff(lazy[:3], axis=0) > 0) and np.all(np.diff(lazy[2:], axis=0) < 0)
    assert np.all(distance[:, 0] > 1e-2)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(W2=np.ones((4, 2, 2))), "same grid shape and hidden"),
        (dict(Y=np.ones((4, 3))), "X and Y must have the same number of rows"),
        (dict(Y=np.ones((10, 3))), "X and Y must have 2 and 2 columns"),
        (dict(target_divisor=0.0), "target_divisor must be strictly positive"),
        (dict(target_divisor=np.ones(4)), "must broadcast to the grid shape"),
        (dict(lr=-0.1), "lr must be strictly positive"),
        (dict(steps=0), "steps must be an integer >= 1"),
    ],
)
@pytest.mark.parametrize("trainer", [ntk_grid.train_grid, ntk_grid.train_grid_loop])
def test_grid_trainers_reject_bad_arguments(trainer, kwargs, match):
    X, Y = _fig6a_task()
    arguments = dict(W1=np.ones((3, 2, 2)), W2=np.ones((3, 2, 2)), X=X, Y=Y, steps=5)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=match):
        trainer(**arguments)


@pytest.mark.parametrize("trainer", [ntk_grid.train_grid, ntk_grid.train_grid_loop])
def test_grid_trainers_report_divergence(trainer):
    X, Y = _fig6a_task()
    params = regimes.random_lambda_balanced(0.0, 5.0, 2, 2, 2)
    with pytest.raises(ValueError, match="diverged"):
        trainer(params["W1"][None], params["W2"][None], X, Y, steps=200, lr=1.0)


def test_grid_method_and_backend_are_checked():
    X, Y = _fig6a_task()
    with pytest.raises(ValueError, match="method must be one of"):
        ntk_grid.lambda_scale_grid([0.0], [1.0], X, Y, method="fast")
    with pytest.raises(ValueError, match="1 grid point\\(s\\) start with a zero tangent kernel"):
        ntk_grid.lambda_scale_grid([0.0, 1.0], [0.0], X, Y, steps=5)
    with pytest.raises(ValueError, match="backend must be one of"):
        ntk_grid.lambda_scale_grid([0.0], [1.0], X, Y, backend="jax")
    with pytest.raises(ValueError, match="ratios must be strictly positive"):
        ntk_grid.weight_to_target_grid([0.0], [0.0], X, Y, hidden_dim=2)


# ---------------------------------------------------------------------------- the kernel along training
@pytest.mark.parametrize(
    "d, p, c, lam",
    [(3, 3, 3, 0.0), (3, 3, 3, 2.0), (3, 3, 3, -0.7), (5, 2, 2, -1.0), (2, 2, 4, 1.5), (5, 4, 2, -0.7), (2, 4, 5, 0.6)],
)
def test_aligned_kernel_distance_is_the_kernel_distance_of_the_flow(d, p, c, lam):
    """From an aligned lambda-balanced start on whitened data, the closed form (mode strengths only) equals
    the kernel distance of the simulated network's tangent kernels, including spare hidden directions."""
    rng = np.random.default_rng(16)
    n = 12
    X, _ = lh.whiten(rng.standard_normal((n, d)))
    sigma_xy = X.T @ (X @ rng.standard_normal((d, c))) / n
    m = min(d, p, c)
    s = np.linalg.svd(sigma_xy, compute_uv=False)[:m]
    theta0 = np.linspace(0.03, 0.08, m)
    params = regimes.lambda_balanced(lam, theta0, sigma_xy, hidden_dim=p, seed=17)
    times = np.linspace(0.0, 5.0, 11)
    trajectory = lh.gradient_flow(
        lh.LinearNetwork(d, p, c), params, lh.whitened_moments(sigma_xy), times=times, rtol=1e-12
    )
    K = regimes.ntk(trajectory.params["W1"], trajectory.params["W2"], X)
    simulated = regimes.kernel_distance(K[0], K)
    theta = regimes.lambda_mode(times[:, None], s, theta0, lam)
    closed = regimes.aligned_kernel_distance(theta, theta0, lam, d, c, hidden_dim=p)
    assert closed.shape == (11,) and closed[0] < 1e-30
    assert simulated.max() > 1e-3  # the kernel did move: the comparison is not between zeros
    assert np.abs(closed - simulated).max() <= 1e-9 * simulated.max()


def test_aligned_kernel_distance_broadcasts_and_resolves_the_lazy_limit():
    theta0 = np.array([0.01, 0.02])
    lam = np.array([0.0, 1.0, 10.0, 100.0, -100.0])
    theta = np.array([1.0, 0.5])  # both modes learned
    distance = regimes.aligned_kernel_distance(theta, theta0, lam, 2, 2)
    assert distance.shape == (5,)
    assert np.all(np.diff(distance[:4]) < 0)  # the larger |lambda|, the lazier
    np.testing.assert_allclose(distance[3], distance[4], rtol=1e-10)  # a square network: only |lambda| counts
    # Lazy limit: sigma^2 changes by about (theta^2 - theta0^2)/|lambda| on a kernel of size |lambda|, so the
    # distance falls like 1/lambda^4: a decade in lambda is about four decades in distance.
    ratio = distance[2] / distance[3]
    assert 0.5e4 < ratio < 2e4 and distance[3] > 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(theta=[0.1, 0.2, 0.3]), "theta must end in an axis of length 2"),
        (dict(theta0=-0.1), "theta0 must be non-negative"),
        (dict(lam=0.5, hidden_dim=3), "lam must be <= 0 when hidden_dim > output_dim"),
        (dict(theta=[[0.1, 0.2]] * 3, lam=[0.0, 1.0]), "must broadcast"),
        (dict(theta=[0.0, 0.0], theta0=[0.0, 0.0], lam=0.0), "the tangent kernel is zero"),
    ],
)
def test_aligned_kernel_distance_rejects_bad_arguments(kwargs, match):
    arguments = dict(theta=[0.5, 0.2], theta0=[0.01, 0.01], lam=1.0, input_dim=3, output_dim=2)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=match):
        regimes.aligned_kernel_distance(**arguments)


def test_train_path_ends_where_train_grid_ends_and_starts_at_zero_distance():
    X, Y = _fig6a_task()
    params = regimes.random_lambda_balanced(np.array([-3.0, 0.0, 2.0]), 0.5, 2, 2, 2, seed=3)
    path = ntk_grid.train_path(params["W1"], params["W2"], X, Y, steps=700, lr=0.01, n_records=12)
    final = ntk_grid.train_grid(params["W1"], params["W2"], X, Y, steps=700, lr=0.01, backend="numpy")
    assert path.steps[0] == 0 and path.steps[-1] == 700 and np.all(np.diff(path.steps) > 0)
    np.testing.assert_allclose(path.times, path.steps * 0.01)
    assert path.kernel_distance.shape == (len(path.steps), 3) and np.all(path.kernel_distance[0] == 0)
    assert np.abs(path.params["W1"][-1] - final.final["W1"]).max() <= GRID_TOL
    np.testing.assert_allclose(path.kernel_distance[-1], final.kernel_distance, rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(path.loss[[0, -1]], np.stack([final.initial_loss, final.loss]), rtol=1e-10)
    # torch gives the same path
    torch_path = ntk_grid.train_path(
        params["W1"], params["W2"], X, Y, steps=700, record_steps=[0, 100, 700], backend="torch"
    )
    np.testing.assert_allclose(torch_path.params["W2"][-1], path.params["W2"][-1], rtol=0, atol=GRID_TOL)


@pytest.mark.paper("Fig. 10")
def test_funnel_with_a_heavy_first_layer_turns_rich_late():
    """App. G: a funnel (d > p = c) whose heavier layer is the first (lambda < 0) is lazy at first and rich
    later; with the heavier layer second (lambda > 0) it stays lazy."""
    rng = np.random.default_rng(18)
    d, p, c, n = 6, 2, 2, 20
    X, _ = lh.whiten(rng.standard_normal((n, d)))
    beta = rng.standard_normal((d, c))
    Y = X @ (beta / np.linalg.norm(beta, 2))
    params = regimes.random_lambda_balanced(np.array([-8.0, 8.0]), 0.1, d, p, c, seed=1)
    path = ntk_grid.train_path(params["W1"], params["W2"], X, Y, steps=40_000, lr=0.005, n_records=30, progress=False)
    early = path.times <= 0.5
    assert path.kernel_distance[early, 0].max() < 1e-3  # lazy at first ...
    assert path.kernel_distance[-1, 0] > 0.5  # ... rich in the end
    assert path.kernel_distance[:, 1].max() < 1e-4  # lazy throughout
    # The heavy-first funnel sits on a plateau (the part of the task outside W1's range) before it learns it.
    plateau = path.loss[np.searchsorted(path.times, 0.5), 0]
    assert plateau > 0.3 * path.loss[0, 0] and path.loss[-1, 0] < 1e-3 * plateau
    assert path.loss[-1, 1] < 1e-12


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(record_steps=[1, 5]), "record_steps must be increasing integers from 0"),
        (dict(record_steps=[0, 5, 3]), "record_steps must be increasing"),
        (dict(record_steps=[0, 50]), "at most steps=10"),
        (dict(n_records=1), "n_records must be an integer >= 2"),
        (dict(backend="jax"), "backend must be one of"),
    ],
)
def test_train_path_rejects_bad_arguments(kwargs, match):
    X, Y = _fig6a_task()
    with pytest.raises(ValueError, match=match):
        ntk_grid.train_path(np.ones((2, 2)), np.ones((2, 2)), X, Y, steps=10, **kwargs)
