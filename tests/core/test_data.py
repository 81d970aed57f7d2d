"""Data (labhelpers.core.data): teacher moments against samples, whitening, the population loss, Moments.

Stated tolerances: a sample moment agrees with its theoretical value within STDERR_TOL = 5 standard
errors (each standard error estimated from the same samples); exact identities (whitening, the loss
from empirical moments) hold to 1e-10 / 1e-12 relative. The positive semi-definite checks of Moments allow
eigenvalues down to -PSD_RTOL = -1e-8 per dimension (matrices scaled to a unit diagonal); the moments built by
this package's helpers, on singular joint matrices at scales 1e-150 .. 1e100 and up to 1e5 samples, reach
-8.6e-17 at worst (margin 1e8), and the impossible moments of the tests sit at -0.04 or below.
"""

from __future__ import annotations

import numpy as np
import pytest

import labhelpers as lh

STDERR_TOL = 5.0


def _within_standard_errors(products, expected):
    """Mean of ``products`` (n, ...) vs ``expected``: |mean - expected| in units of the standard error."""
    n = products.shape[0]
    standard_error = products.std(axis=0, ddof=1) / np.sqrt(n)
    return np.abs(products.mean(axis=0) - expected) / standard_error


@pytest.mark.paper("Eq. 1")
def test_teacher_moments_match_samples():
    variances = np.array([0.5, 1.0, 3.0])
    scales = np.array([[1.0, -2.0], [0.5, 0.0], [-1.0, 0.3]])
    moments = lh.teacher_moments(variances, scales)
    X = lh.gaussian_features(100_000, variances, seed=1)
    Y = lh.teacher_targets(X, scales)
    assert X.shape == (100_000, 3) and Y.shape == (100_000, 2)
    xx = X[:, :, None] * X[:, None, :]
    xy = X[:, :, None] * Y[:, None, :]
    yy = Y[:, :, None] * Y[:, None, :]
    assert np.max(_within_standard_errors(xx, moments.sigma_xx)) < STDERR_TOL
    assert np.max(_within_standard_errors(xy, moments.sigma_xy)) < STDERR_TOL
    assert np.max(_within_standard_errors(yy, moments.sigma_yy)) < STDERR_TOL
    # The test discriminates: variances off by 5% are rejected.
    wrong = lh.teacher_moments(1.05 * variances, scales)
    assert np.max(_within_standard_errors(xx, wrong.sigma_xx)) > STDERR_TOL
    # Exact structure: sigma_xx = diag(var), sigma_xy = diag(var) S, sigma_yy = S^T diag(var) S.
    np.testing.assert_array_equal(moments.sigma_xx, np.diag(variances))
    np.testing.assert_allclose(moments.sigma_xy, variances[:, None] * scales, rtol=1e-15)
    assert (moments.input_dim, moments.output_dim) == (3, 2)


def test_teacher_moments_vector_scales_give_one_output():
    moments = lh.teacher_moments([1.0, 2.0], [3.0, -1.0])
    assert moments.sigma_xy.shape == (2, 1)
    np.testing.assert_allclose(moments.sigma_yy, [[1.0 * 9 + 2.0 * 1]], rtol=1e-15)


def test_gaussian_features_seed_and_variances():
    X = lh.gaussian_features(20_000, [0.25, 4.0], seed=3)
    np.testing.assert_array_equal(X, lh.gaussian_features(20_000, [0.25, 4.0], seed=3))
    assert not np.array_equal(X, lh.gaussian_features(20_000, [0.25, 4.0], seed=4))
    assert np.max(_within_standard_errors(X, 0.0)) < STDERR_TOL
    assert np.max(_within_standard_errors(X**2, np.array([0.25, 4.0]))) < STDERR_TOL


def test_teacher_targets_noise_has_the_stated_variance():
    X = lh.gaussian_features(50_000, [1.0, 1.0], seed=5)
    clean = lh.teacher_targets(X, [1.0, -1.0])
    noisy = lh.teacher_targets(X, [1.0, -1.0], noise=0.3, seed=6)
    assert clean.shape == noisy.shape == (50_000,)
    np.testing.assert_allclose(clean, X[:, 0] - X[:, 1], rtol=1e-15)
    residual = noisy - clean
    assert _within_standard_errors(residual**2, 0.09) < STDERR_TOL
    assert _within_standard_errors(residual, 0.0) < STDERR_TOL
    np.testing.assert_array_equal(noisy, lh.teacher_targets(X, [1.0, -1.0], noise=0.3, seed=6))


def test_whiten_gives_identity_covariance():
    rng = np.random.default_rng(0)
    mixing = np.array([[2.0, 0.0, 0.0], [1.5, 0.3, 0.0], [-1.0, 0.2, 0.05]])
    X = rng.standard_normal((500, 3)) @ mixing.T + np.array([5.0, -2.0, 1.0])
    X_white, W = lh.whiten(X)
    n = X.shape[0]
    np.testing.assert_allclose(X_white.T @ X_white / n, np.eye(3), rtol=0, atol=1e-10)
    np.testing.assert_allclose(X_white.mean(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(X_white, (X - X.mean(axis=0)) @ W, rtol=1e-14, atol=1e-12)
    np.testing.assert_allclose(W, W.T, rtol=1e-12)  # ZCA: symmetric
    # Whitened data give whitened moments: sigma_xx = I, and whitened_moments rebuilds the rest.
    Y = X_white @ np.array([[1.0], [2.0], [-1.0]])
    empirical = lh.empirical_moments(X_white, Y)
    np.testing.assert_allclose(empirical.sigma_xx, np.eye(3), atol=1e-10)
    rebuilt = lh.whitened_moments(empirical.sigma_xy)
    np.testing.assert_array_equal(rebuilt.sigma_xx, np.eye(3))
    np.testing.assert_allclose(rebuilt.sigma_yy, empirical.sigma_yy, rtol=1e-9)


def test_whitened_moments_structure():
    sigma_xy = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
    moments = lh.whitened_moments(sigma_xy)
    np.testing.assert_array_equal(moments.sigma_xx, np.eye(3))
    np.testing.assert_array_equal(moments.sigma_xy, sigma_xy)
    np.testing.assert_allclose(moments.sigma_yy, sigma_xy.T @ sigma_xy, rtol=1e-15)
    # The optimum P = sigma_xy has zero loss.
    assert abs(moments.loss(sigma_xy)) < 1e-14


@pytest.mark.paper("Eq. 2")
def test_moments_loss_is_half_mean_squared_error_from_samples():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((200, 3)) @ rng.standard_normal((3, 3))
    Y = X @ rng.standard_normal((3, 2)) + rng.standard_normal((200, 2))
    moments = lh.empirical_moments(X, Y)
    P = rng.standard_normal((4, 5, 3, 2))  # batch of maps
    direct = 0.5 * np.mean(np.sum((Y - X @ P) ** 2, axis=-1), axis=-1)
    np.testing.assert_allclose(moments.loss(P), direct, rtol=1e-12)
    assert moments.loss(P[0, 0]).shape == ()


def test_moments_loss_accepts_vectors_for_one_output():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((100, 4))
    y = X @ np.array([1.0, 0.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(100)
    moments = lh.empirical_moments(X, y)
    assert moments.sigma_xy.shape == (4, 1)
    p = rng.standard_normal((7, 4))
    direct = 0.5 * np.mean((y - p @ X.T) ** 2, axis=-1)
    np.testing.assert_allclose(moments.loss(p), direct, rtol=1e-12)
    np.testing.assert_allclose(moments.loss(p[..., None]), direct, rtol=1e-12)
    np.testing.assert_allclose(moments.loss(p[0]), direct[0], rtol=1e-12)


@pytest.mark.paper("Eq. 2")
def test_population_loss_from_teacher_moments_matches_samples():
    variances, scales = np.array([1.0, 0.5]), np.array([2.0, -1.0])
    moments = lh.teacher_moments(variances, scales)
    P = np.array([0.5, 0.5])
    exact = 0.5 * np.sum(variances * (scales - P) ** 2)
    assert moments.loss(P) == pytest.approx(exact, rel=1e-14)
    X = lh.gaussian_features(100_000, variances, seed=8)
    squared = 0.5 * (lh.teacher_targets(X, scales) - X @ P) ** 2
    assert _within_standard_errors(squared, exact) < STDERR_TOL


def test_random_moments_are_moments_of_a_distribution():
    moments = lh.random_moments(4, 3, seed=2)
    assert moments.sigma_xx.shape == (4, 4) and moments.sigma_xy.shape == (4, 3) and moments.sigma_yy.shape == (3, 3)
    joint = np.block([[moments.sigma_xx, moments.sigma_xy], [moments.sigma_xy.T, moments.sigma_yy]])
    # Stated bounds: sigma_xx >= I and the Schur complement >= I, so the joint matrix is positive definite.
    assert np.linalg.eigvalsh(moments.sigma_xx).min() >= 1.0 - 1e-12
    schur = moments.sigma_yy - moments.sigma_xy.T @ np.linalg.solve(moments.sigma_xx, moments.sigma_xy)
    assert np.linalg.eigvalsh(schur).min() >= 1.0 - 1e-12
    assert np.linalg.eigvalsh(joint).min() > 0
    # Correlated inputs: the off-diagonal of sigma_xx is far from zero.
    assert np.max(np.abs(moments.sigma_xx - np.diag(np.diag(moments.sigma_xx)))) > 0.1
    again = lh.random_moments(4, 3, seed=2)
    np.testing.assert_array_equal(again.sigma_xy, moments.sigma_xy)
    assert not np.array_equal(lh.random_moments(4, 3, seed=3).sigma_xy, moments.sigma_xy)
    assert lh.random_moments(2).output_dim == 1


def test_random_moments_rejects_bad_input():
    with pytest.raises(ValueError, match="input_dim must be an integer >= 1"):
        lh.random_moments(0, 1)
    with pytest.raises(ValueError, match="output_dim must be an integer >= 1"):
        lh.random_moments(3, 1.5)
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        lh.random_moments(3, 1, seed=-1)


# ---------------------------------------------------------------------------- bad input
def test_moments_rejects_bad_input():
    eye = np.eye(2)
    with pytest.raises(ValueError, match="sigma_xx must have shape"):
        lh.Moments(np.eye(3), np.ones((2, 1)), np.eye(1))
    with pytest.raises(ValueError, match="sigma_yy must have shape"):
        lh.Moments(eye, np.ones((2, 1)), eye)
    with pytest.raises(ValueError, match="sigma_xy must be 2-D"):
        lh.Moments(eye, np.ones(2), np.eye(1))
    with pytest.raises(ValueError, match="sigma_xx must be symmetric"):
        lh.Moments(np.array([[1.0, 0.5], [0.0, 1.0]]), np.ones((2, 1)), np.eye(1))
    with pytest.raises(ValueError, match="sigma_yy must be symmetric"):
        lh.Moments(eye, np.ones((2, 2)), np.array([[1.0, 0.5], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="sigma_xx must have a non-negative diagonal"):
        lh.Moments(-eye, np.ones((2, 1)), np.eye(1))
    with pytest.raises(ValueError, match="sigma_xy must contain only finite"):
        lh.Moments(eye, np.array([[np.nan], [1.0]]), np.eye(1))
    with pytest.raises(ValueError, match="sigma_yy must be a real number"):
        lh.Moments(eye, np.ones((2, 1)), "one")


def test_moments_loss_rejects_bad_input():
    moments = lh.teacher_moments([1.0, 2.0], [[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"end_to_end must end in shape \(2, 2\)"):
        moments.loss(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="end_to_end must be an array"):
        moments.loss(3.0)
    with pytest.raises(ValueError, match="end_to_end must contain only finite"):
        moments.loss(np.full((2, 2), np.inf))


def test_teacher_moments_rejects_bad_input():
    for variances in ([1.0, 0.0], [1.0, -2.0], [1.0, np.nan]):
        with pytest.raises(ValueError, match="variances must"):
            lh.teacher_moments(variances, [1.0, 1.0])
    with pytest.raises(ValueError, match="variances must be 1-D"):
        lh.teacher_moments([[1.0, 1.0]], [1.0, 1.0])
    with pytest.raises(ValueError, match="target_scales must have 2 rows"):
        lh.teacher_moments([1.0, 1.0], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="target_scales must be 1-D or 2-D"):
        lh.teacher_moments([1.0, 1.0], np.ones((2, 1, 1)))
    with pytest.raises(ValueError, match="target_scales must contain only finite"):
        lh.teacher_moments([1.0, 1.0], [np.inf, 1.0])


def test_whitened_moments_rejects_bad_input():
    with pytest.raises(ValueError, match="sigma_xy must be 2-D"):
        lh.whitened_moments([1.0, 2.0])
    with pytest.raises(ValueError, match="sigma_xy must contain only finite"):
        lh.whitened_moments([[np.nan]])


def test_gaussian_features_rejects_bad_input():
    for n in (0, -5, 10.0, True):
        with pytest.raises(ValueError, match="n_samples must be an integer >= 1"):
            lh.gaussian_features(n, [1.0])
    with pytest.raises(ValueError, match="variances must be strictly positive"):
        lh.gaussian_features(10, [1.0, 0.0])
    with pytest.raises(ValueError, match="variances must be 1-D"):
        lh.gaussian_features(10, 1.0)
    for seed in (-1, 1.5, "abc", None):
        with pytest.raises(ValueError, match="seed must be an integer >= 0"):
            lh.gaussian_features(10, [1.0], seed=seed)


def test_teacher_targets_rejects_bad_input():
    X = np.ones((5, 2))
    with pytest.raises(ValueError, match="X must be 2-D"):
        lh.teacher_targets(np.ones(5), [1.0])
    with pytest.raises(ValueError, match="target_scales must have 2 rows"):
        lh.teacher_targets(X, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="noise must be non-negative"):
        lh.teacher_targets(X, [1.0, 2.0], noise=-0.1)
    with pytest.raises(ValueError, match="noise must be a single number"):
        lh.teacher_targets(X, [1.0, 2.0], noise=[0.1, 0.2])
    with pytest.raises(ValueError, match="X must contain only finite"):
        lh.teacher_targets(np.full((5, 2), np.nan), [1.0, 2.0])
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        lh.teacher_targets(X, [1.0, 2.0], noise=0.1, seed=-3)


def test_empirical_moments_rejects_bad_input():
    with pytest.raises(ValueError, match="X and Y must have the same number of rows"):
        lh.empirical_moments(np.ones((5, 2)), np.ones(4))
    with pytest.raises(ValueError, match="X must be 2-D"):
        lh.empirical_moments(np.ones(5), np.ones(5))
    with pytest.raises(ValueError, match="Y must be 1-D or 2-D"):
        lh.empirical_moments(np.ones((5, 2)), np.ones((5, 1, 1)))
    with pytest.raises(ValueError, match="X must have at least one sample"):
        lh.empirical_moments(np.ones((0, 2)), np.ones(0))
    with pytest.raises(ValueError, match="Y must contain only finite"):
        lh.empirical_moments(np.ones((5, 2)), np.full(5, np.nan))


def test_whiten_rejects_bad_input():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 2))
    with pytest.raises(ValueError, match="X has a direction of variance .* cannot be whitened"):
        lh.whiten(np.column_stack([X, X[:, 0]]))  # duplicated feature
    with pytest.raises(ValueError, match="X has a direction of variance"):
        lh.whiten(rng.standard_normal((3, 5)))  # more features than samples
    with pytest.raises(ValueError, match="X needs at least 2 samples"):
        lh.whiten(X[:1])
    with pytest.raises(ValueError, match="X must be 2-D"):
        lh.whiten(X[:, 0])
    for eps in (0.0, -1.0, np.nan):
        with pytest.raises(ValueError, match="eps must"):
            lh.whiten(X, eps=eps)


# ---------------------------------------------------------------------------- domain: real second moments
def test_moments_must_be_positive_semidefinite():
    # Symmetric with a positive diagonal, yet a correlation of 2: eigenvalues -1 and 3.
    bad = np.array([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match=r"sigma_xx must be positive semi-definite.*smallest eigenvalue is -1"):
        lh.Moments(bad, np.zeros((2, 1)), np.eye(1))
    with pytest.raises(ValueError, match=r"sigma_yy must be positive semi-definite.*smallest eigenvalue is -1"):
        lh.Moments(np.eye(1), np.zeros((1, 2)), bad)
    # The check is scale-free: the same shape at 1e-300 or 1e300 (largest eigenvalue 3 x scale) is refused.
    for scale in (1e-300, 1e300):
        with pytest.raises(ValueError, match="sigma_xx must be positive semi-definite"):
            lh.Moments(scale * bad, np.zeros((2, 1)), np.eye(1))
    # ... and so is a violation hidden by very different scales of the two inputs.
    mixed = np.array([[1e10, 2.0], [2.0, 1e-10]])
    with pytest.raises(ValueError, match="sigma_xx must be positive semi-definite"):
        lh.Moments(mixed, np.zeros((2, 1)), np.eye(1))


def test_moments_sigma_xy_must_obey_cauchy_schwarz():
    with pytest.raises(ValueError, match="sigma_xy is impossible with sigma_xx and sigma_yy"):
        lh.Moments(np.eye(1), [[2.0]], np.eye(1))  # |E[xy]| = 2 > sqrt(E[x^2] E[y^2]) = 1
    with pytest.raises(ValueError, match="sigma_xy is impossible with sigma_xx and sigma_yy"):
        lh.Moments(np.eye(2), [[0.8], [0.8]], np.eye(1))  # each fine alone, together 1.28 > 1
    with pytest.raises(ValueError, match="sigma_xy is impossible with sigma_xx and sigma_yy"):  # correlated inputs
        lh.Moments([[1.0, 0.5], [0.5, 1.0]], [[1.0], [-1.0]], np.eye(1))
    with pytest.raises(ValueError, match="input 1 has E.x_i.2. = 0"):
        lh.Moments(np.diag([1.0, 0.0]), [[0.0], [1e-3]], np.eye(1))
    # The boundary (y a linear function of x, Schur complement exactly zero) is legal at every scale.
    for scale in (1e-300, 1e-8, 1.0, 1e8, 1e150):
        m = lh.Moments(scale * np.eye(2), scale * np.array([[0.6], [0.8]]), scale * np.eye(1))
        assert m.output_dim == 1
    lh.Moments([[1.0, 0.5], [0.5, 1.0]], [[1.0], [0.5]], [[1.0]])  # y = x_1: correlated, singular joint
    lh.Moments(np.diag([1.0, 0.0]), [[1.0], [0.0]], np.eye(1))  # a silent input with no correlation


def test_moments_from_data_and_teachers_pass_the_checks_at_every_scale():
    rng = np.random.default_rng(4)
    for scale in (1e-150, 1e-5, 1.0, 1e5, 1e100):
        X = scale * rng.standard_normal((500, 5)) @ rng.standard_normal((5, 5))
        lh.empirical_moments(X, X @ rng.standard_normal((5, 3)))  # noise-free: joint matrix singular
        lh.teacher_moments(scale * np.arange(1.0, 6.0), rng.standard_normal((5, 8)))  # c > d: sigma_yy singular
        lh.whitened_moments(scale * rng.standard_normal((4, 7)))


def test_moment_builders_refuse_overflow_and_absurd_sizes():
    with pytest.raises(ValueError, match="target_scales is too large"):
        lh.teacher_moments([1e300], [1e300])
    with pytest.raises(ValueError, match="sigma_xy is too large"):
        lh.whitened_moments([[1e200]])
    with pytest.raises(ValueError, match="X is too large"):
        lh.empirical_moments([[1e200], [1.0]], [1.0, 1.0])
    with pytest.raises(ValueError, match="end_to_end is too large"):
        lh.teacher_moments([1.0], [1.0]).loss([1e200])
    with pytest.raises(ValueError, match="input_dim and output_dim asks for"):
        lh.random_moments(10**7)
    with pytest.raises(ValueError, match="variances asks for"):
        lh.teacher_moments(np.ones(10**6), np.ones(10**6))
    with pytest.raises(ValueError, match="sigma_xy asks for"):
        lh.whitened_moments(np.ones((1, 10**6)))


def test_samplers_refuse_absurd_sizes_and_overflow():
    with pytest.raises(ValueError, match="n_samples x len.variances. asks for"):
        lh.gaussian_features(10**12, [1.0])
    with pytest.raises(ValueError, match="target_scales asks for"):
        lh.teacher_targets(np.ones((10**5, 1)), np.ones((1, 10**6)))
    with pytest.raises(ValueError, match="X, target_scales or noise is too large"):
        lh.teacher_targets(np.full((2, 2), 1e200), [1e200, 1e200])
    with pytest.raises(ValueError, match="X, target_scales or noise is too large"):
        lh.teacher_targets(np.ones((50, 2)), [1.0, 1.0], noise=1.7e308)
    with pytest.raises(ValueError, match="X is too large"):
        lh.whiten(np.array([[1e200, 0.0], [-1e200, 1.0], [0.0, 2.0]]))
    for seed in (2**63, np.int64(-1), True):
        with pytest.raises(ValueError, match="seed must be an integer"):
            lh.gaussian_features(3, [1.0], seed=seed)
    np.testing.assert_array_equal(
        lh.gaussian_features(3, [1.0], seed=np.int64(7)), lh.gaussian_features(3, [1.0], seed=7)
    )


def test_samplers_return_float64_whatever_the_input_dtype():
    # Integer inputs (even unsigned) are read as their values, never wrapped: the outputs are float64.
    X = np.array([[1, 2], [3, 4]], dtype=np.uint8)
    Y = lh.teacher_targets(X, np.array([-1, 1], dtype=np.int8))
    assert Y.dtype == np.float64
    np.testing.assert_array_equal(Y, [1.0, 1.0])
    assert lh.gaussian_features(4, np.array([1, 2], dtype=np.uint8)).dtype == np.float64
    assert lh.whiten(np.array([[0, 1], [2, 0], [1, 3]], dtype=np.uint16))[0].dtype == np.float64


def test_whiten_refuses_more_features_than_samples_before_the_eigendecomposition():
    with pytest.raises(ValueError, match=r"more features \(3\) than samples minus one \(2\)"):
        lh.whiten(np.random.default_rng(0).standard_normal((3, 3)))


def test_moments_refuse_empty_matrices_and_name_every_size():
    with pytest.raises(ValueError, match="sigma_xy must have at least one row and one column"):
        lh.whitened_moments(np.ones((0, 2)))
    with pytest.raises(ValueError, match="input_dim and output_dim asks for"):
        lh.random_moments(2, 10**12)


def test_whiten_is_scale_free():
    """eps is relative to the largest variance: the same data at 1e-100 or 1e100 whiten to the same result."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 3)) @ np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.2], [0.0, 0.0, 0.1]])
    white, _ = lh.whiten(X)
    for scale in (1e-100, 1e-6, 1e100):
        np.testing.assert_allclose(lh.whiten(scale * X)[0], white, rtol=1e-9, atol=1e-12)  # measured 1.2e-14
    with pytest.raises(ValueError, match="cannot be whitened"):
        lh.whiten(np.ones((5, 2)))  # no variance at all
