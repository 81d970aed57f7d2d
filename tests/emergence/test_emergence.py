"""The skill model, its resource laws and calibration (labhelpers.emergence) against simulation and theory.

Stated tolerances:

- closed forms vs gradient flow of the skill model (``simulate_skill_model``, DOP853 at rtol 1e-12 with its
  step capped below the fastest skill's time scale): relative error <= RTOL = 1e-6 for every skill strength
  and for the loss (measured: 2e-12 and 4e-12, a margin of 10^5; without the step cap the error was 2e-7
  here and 1.2e-6 on an AVX-512 machine);
- fitted exponents of L(T), L(D), L(N) vs the predictions -alpha/(alpha+1), -alpha/(alpha+1), -alpha:
  within EXPONENT_TOL = 0.02, for alpha in {0.5, 1} with 10^5 skills, fitted by least squares on logs over
  two decades (T, D in [1e2, 1e4]; N in [10, 1e3]). The finite number of skills and the discreteness of
  the first ranks bend the curves slightly: the largest deviation in these ranges is about 0.01 (for
  alpha = 0.5), and using the exponent of the other resource would miss by 0.17 or more;
- Monte Carlo checks (data emergence on sampled training sets): within Z = 5 standard errors.
"""

from __future__ import annotations

import numpy as np
import pytest

import labhelpers as lh
from labhelpers import emergence as em
from labhelpers.emergence import parity, scaling

RTOL = 1e-6
EXPONENT_TOL = 0.02
Z = 5.0


# ---------------------------------------------------------------------------- closed form vs gradient flow
@pytest.mark.paper("Eq. 9", "Eq. 11")
def test_skill_strength_matches_gradient_flow():
    p = parity.power_law_frequencies(20, 0.5)
    S, theta0 = 2.0, 1e-3
    t_max = 2.0 * em.emergence_time(p, target_scale=S, theta0=theta0)[-1]
    trajectory = em.simulate_skill_model(em.skill_moments(p, target_scale=S), theta0=theta0, t_max=t_max)
    simulated = trajectory.end_to_end[:, :, 0] / S
    theory = em.skill_strength(trajectory.times[:, None], p, target_scale=S, theta0=theta0)
    np.testing.assert_allclose(theory, simulated, rtol=RTOL, atol=0)
    # The simulated loss comes from Moments.loss, which expands the square: near zero loss (1e-9 at the end)
    # it carries an absolute rounding error of about eps * S^2 ~ 1e-15, hence the atol (measured 6e-16).
    np.testing.assert_allclose(
        em.loss_in_time(trajectory.times, p, target_scale=S, theta0=theta0), trajectory.loss, rtol=RTOL, atol=1e-13
    )
    # The window covers the dynamics: every skill starts near 0 and ends learned.
    assert simulated[0].max() < 1e-3 and simulated[-1].min() > 0.99


def test_skill_model_fitted_on_a_finite_sample():
    problem = parity.SparseParity(n_tasks=15, n_bits=10, bits_per_task=3, alpha=0.7, seed=1)
    data = problem.sample(150, seed=2)
    p_hat = problem.empirical_frequencies(data.task)
    assert np.any(p_hat == 0), "the sample should miss some rare skills for this test to mean something"
    S, theta0 = 1.5, 1e-3
    moments = em.empirical_skill_moments(problem, data, target_scale=S)
    np.testing.assert_allclose(np.diag(moments.sigma_xx), p_hat, rtol=1e-14)
    np.testing.assert_allclose(moments.sigma_xy[:, 0], S * p_hat, rtol=1e-14)
    t_max = 2.0 * em.emergence_time(p_hat[p_hat > 0], target_scale=S, theta0=theta0).max()
    trajectory = em.simulate_skill_model(moments, theta0=theta0, t_max=t_max)
    simulated = trajectory.end_to_end[:, :, 0] / S
    theory = em.skill_strength(trajectory.times[:, None], p_hat, target_scale=S, theta0=theta0)
    np.testing.assert_allclose(theory, simulated, rtol=RTOL, atol=0)
    # Data emergence: seen skills are learned, unseen ones never move.
    assert np.all(simulated[-1, p_hat > 0] > 0.99)
    np.testing.assert_allclose(simulated[:, p_hat == 0], theta0 / S, rtol=1e-14)


def test_skill_loss_is_the_population_loss():
    p = parity.power_law_frequencies(30, 1.0)
    t = np.geomspace(1.0, 1e4, 9)
    R = em.skill_strength(t[:, None], p, target_scale=3.0, theta0=0.01)
    # Once every skill is learned (t = 1e4: loss 3e-34), skill_loss only sees strengths rounded near 1 and
    # its 1 - R carries an absolute error ~eps, so its loss is off by up to S^2/2 eps^2 ~ 1e-31 (measured
    # 3e-34), while loss_in_time takes 1 - R from the log-odds: hence the atol. Elsewhere the two differ by
    # rounding amplified in 1 - R (1.6e-13 measured), so rtol 1e-11 (a 60x margin).
    np.testing.assert_allclose(
        em.skill_loss(R, p, target_scale=3.0),
        em.loss_in_time(t, p, target_scale=3.0, theta0=0.01),
        rtol=1e-11,
        atol=1e-30,
    )
    moments = em.skill_moments(p, target_scale=3.0)
    np.testing.assert_allclose(
        em.skill_loss(R, p, target_scale=3.0), moments.loss(3.0 * R), rtol=1e-12, atol=1e-12
    )  # moments.loss expands the square: absolute error ~1e-15


@pytest.mark.paper("Eq. 60")
def test_loss_in_data_and_parameters_from_strengths():
    p = parity.power_law_frequencies(40, 0.5)
    D = np.array([0, 1, 10, 1000])
    # Strengths are 0 or 1 skill by skill, so the expected loss is linear in the expected strength q_k:
    # E[L(D)] = S^2/2 sum_k p_k (1 - q_k), not skill_loss(q) (which squares 1 - q_k).
    q = em.skill_strength_in_data(D[:, None], p)
    np.testing.assert_allclose(em.loss_in_data(D, p, target_scale=2.0), 0.5 * 2.0**2 * (1 - q) @ p, rtol=1e-12)
    N = np.array([0, 1, 7, 40])
    np.testing.assert_allclose(
        em.loss_in_parameters(N, p, target_scale=2.0),
        em.skill_loss(em.skill_strength_in_parameters(N[:, None], 40), p, target_scale=2.0),
        rtol=1e-12,
    )
    np.testing.assert_allclose(em.loss_in_data(0, p, target_scale=2.0), 2.0, rtol=1e-14)  # S^2/2: nothing learned
    np.testing.assert_allclose(em.loss_in_parameters([0, 40], p, target_scale=2.0), [2.0, 0.0], atol=1e-15)


def test_emergence_time_scales_as_one_over_frequency():
    p = parity.power_law_frequencies(8, 1.0)
    times = em.emergence_time(p, target_scale=2.0, theta0=1e-4)
    np.testing.assert_allclose(times * p, np.log(2.0 / 1e-4 - 1) / 4.0, rtol=1e-13)
    np.testing.assert_allclose(em.skill_strength(times, p, target_scale=2.0, theta0=1e-4), 0.5, rtol=1e-12)


# ---------------------------------------------------------------------------- data emergence: Monte Carlo
@pytest.mark.paper("Eq. 60")
def test_loss_in_data_is_the_expected_loss_over_training_sets():
    problem = parity.SparseParity(n_tasks=30, n_bits=8, bits_per_task=3, alpha=0.5, seed=0)
    D, n_sets, S = 40, 400, 1.0
    # Skill model trained to convergence: learned iff seen (App. E, Eq. 60).
    losses = []
    for seed in range(n_sets):
        seen = problem.empirical_frequencies(problem.sample(D, seed=seed).task) > 0
        losses.append(0.5 * S**2 * problem.frequencies[~seen].sum())
    losses = np.array(losses)
    expected = em.loss_in_data(D, problem.frequencies, target_scale=S)
    assert abs(losses.mean() - expected) < Z * losses.std(ddof=1) / np.sqrt(n_sets)
    # ... and the per-skill learning probability.
    seen_rate = np.mean(
        [problem.empirical_frequencies(problem.sample(D, seed=s).task) > 0 for s in range(n_sets)], axis=0
    )
    q = em.skill_strength_in_data(D, problem.frequencies)
    assert np.all(np.abs(seen_rate - q) <= Z * np.sqrt(q * (1 - q) / n_sets) + 1e-12)


# ---------------------------------------------------------------------------- scaling laws
@pytest.fixture(scope="module", params=[0.5, 1.0])
def power_law(request):
    alpha = request.param
    return alpha, parity.power_law_frequencies(100_000, alpha)


def test_time_and_data_exponents(power_law):
    alpha, p = power_law
    expected = em.scaling_exponents(alpha)
    grid = np.geomspace(1e2, 1e4, 41)
    time_fit = em.fit_power_law(grid, em.loss_in_time(grid, p, theta0=1e-3))
    data_fit = em.fit_power_law(grid, em.loss_in_data(grid, p))
    assert abs(time_fit.slope - expected.time) < EXPONENT_TOL
    assert abs(data_fit.slope - expected.data) < EXPONENT_TOL


def test_parameter_exponent(power_law):
    alpha, p = power_law
    N = np.unique(np.round(np.geomspace(1, 1e5, 200)).astype(int))
    fit = em.fit_power_law(N, em.loss_in_parameters(N, p), x_range=(10, 1e3))
    assert abs(fit.slope - em.scaling_exponents(alpha).parameters) < EXPONENT_TOL


def test_monotone_trends():
    p = parity.power_law_frequencies(1000, 0.7)
    t = np.geomspace(1.0, 1e6, 30)
    R = em.skill_strength(t[:, None], p)
    assert np.all(np.diff(R, axis=0) >= 0)  # every skill grows in time
    assert np.all(np.diff(R, axis=1) <= 0)  # rarer skills are behind at every time
    assert np.all(np.diff(em.loss_in_time(t, p)) < 0)
    D = np.geomspace(1, 1e6, 30)
    assert np.all(np.diff(em.loss_in_data(D, p)) < 0)
    assert np.all(np.diff(em.skill_strength_in_data(D[:, None], p), axis=0) >= 0)
    assert np.all(np.diff(em.loss_in_parameters(np.arange(1001), p)) < 0)
    # A smaller initialisation delays emergence; a larger target scale speeds it up.
    assert np.all(em.skill_strength(100.0, p, theta0=1e-6) <= em.skill_strength(100.0, p, theta0=1e-3))
    assert np.all(em.emergence_time(p, target_scale=2.0) < em.emergence_time(p, target_scale=1.0))


def test_sums_over_many_skills_are_chunked_exactly(monkeypatch):
    p = parity.power_law_frequencies(5000, 0.5)
    t = np.geomspace(1.0, 1e5, 17)
    whole = em.loss_in_time(t, p)
    monkeypatch.setattr(scaling, "_CHUNK_ENTRIES", 3 * 5000)  # three times per chunk
    np.testing.assert_allclose(em.loss_in_time(t, p), whole, rtol=1e-14)
    np.testing.assert_allclose(em.loss_in_time(t.reshape(17, 1), p)[:, 0], whole, rtol=1e-14)


def test_scaling_exponents():
    assert em.scaling_exponents(1.0) == (-0.5, -0.5, -1.0)
    exps = em.scaling_exponents([0.5, 2.0])
    np.testing.assert_allclose(exps.time, [-1 / 3, -2 / 3])
    np.testing.assert_allclose(exps.parameters, [-0.5, -2.0])


def test_fit_power_law_recovers_a_power_law():
    x = np.geomspace(1, 1e3, 20)
    fit = em.fit_power_law(x, 3.0 * x**-0.7)
    assert abs(fit.slope + 0.7) < 1e-12 and abs(fit.prefactor - 3.0) < 1e-10
    np.testing.assert_allclose(fit(x), 3.0 * x**-0.7, rtol=1e-10)
    # Only the chosen range counts.
    y = np.where(x < 10, 1.0, 5.0 * x**-2.0)
    assert abs(em.fit_power_law(x, y, x_range=(10, 1e3)).slope + 2.0) < 1e-12


# ---------------------------------------------------------------------------- bad inputs
def test_bad_inputs_raise():
    p = parity.power_law_frequencies(5, 1.0)
    with pytest.raises(ValueError, match="frequencies"):
        em.skill_strength(1.0, [-0.1, 0.5])
    with pytest.raises(ValueError, match="theta0"):
        em.skill_strength(1.0, p, target_scale=1.0, theta0=1.0)
    with pytest.raises(ValueError, match="^t must be"):
        em.skill_strength(-1.0, p)
    with pytest.raises(ValueError, match="target_scale"):
        em.loss_in_time(1.0, p, target_scale=0.0)
    with pytest.raises(ValueError, match="frequencies"):
        em.loss_in_data(10, [0.5, 1.5])
    with pytest.raises(ValueError, match="frequencies"):
        em.loss_in_data(10, np.ones((2, 2)) / 4)
    with pytest.raises(ValueError, match="n_samples"):
        em.loss_in_data(-1, p)
    with pytest.raises(ValueError, match="n_skills"):
        em.loss_in_parameters(6, p)
    with pytest.raises(ValueError, match="n_skills"):
        em.loss_in_parameters(2.5, p)
    with pytest.raises(ValueError, match="n_tasks"):
        em.skill_strength_in_parameters(2, 0)
    with pytest.raises(ValueError, match="strengths"):
        em.skill_loss(np.zeros(4), p)
    with pytest.raises(ValueError, match="alpha"):
        em.scaling_exponents(-0.1)
    with pytest.raises(ValueError, match="at least 2"):
        em.fit_power_law([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], x_range=(2.5, 10))
    with pytest.raises(ValueError, match="strictly positive"):
        em.fit_power_law([1.0, 2.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="x_range"):
        em.fit_power_law([1.0, 2.0], [1.0, 2.0], x_range=(3, 1))
    with pytest.raises(ValueError, match="same length"):
        em.fit_power_law([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="moments"):
        em.simulate_skill_model(p, t_max=1.0)
    problem = parity.SparseParity(n_tasks=3, n_bits=4, bits_per_task=2)
    with pytest.raises(ValueError, match="problem"):
        em.empirical_skill_moments("parity", problem.sample(5))
    with pytest.raises(ValueError, match="data"):
        em.empirical_skill_moments(problem, problem.sample(5).X)
    with pytest.raises(ValueError, match="theta0"):
        em.emergence_time(p, theta0=0.6)


@pytest.mark.paper("Eq. 11")
def test_skill_model_is_a_diagonal_network():
    p = parity.power_law_frequencies(4, 1.0)
    moments = em.skill_moments(p, target_scale=2.0)
    reference = lh.teacher_moments(p, np.full(4, 2.0))
    np.testing.assert_array_equal(moments.sigma_xx, reference.sigma_xx)
    np.testing.assert_array_equal(moments.sigma_xy, reference.sigma_xy)


# ---------------------------------------------------------------------------- reading and calibrating curves
def test_crossing_time_recovers_the_half_rise_time():
    p = parity.power_law_frequencies(4, 1.0)
    t = np.linspace(0.0, 200.0, 4001)
    R = em.skill_strength(t[:, None], p, theta0=1e-3)
    measured = em.crossing_time(t, R, 0.5)
    # Linear interpolation on a grid of 0.05: the logistic's curvature leaves an error far below 1e-3.
    np.testing.assert_allclose(measured, em.emergence_time(p, theta0=1e-3), rtol=1e-3)
    assert em.crossing_time(t, R[:, 0], 0.5).shape == ()
    # A curve that starts above the level crosses at the first time; one that never gets there, never.
    curves = np.stack([np.full(t.size, 0.7), np.full(t.size, 0.2)], axis=1)
    np.testing.assert_array_equal(em.crossing_time(t, curves, 0.5), [0.0, np.nan])


def test_fit_time_scale_recovers_the_constants():
    p = parity.power_law_frequencies(5, 0.5)
    kappa, theta0, S = 37.0, 2e-3, 1.5
    steps = np.arange(0, 4000, 10.0)
    R = em.skill_strength(steps[:, None] / kappa, p, target_scale=S, theta0=theta0)
    fit = em.fit_time_scale(steps, R, p, target_scale=S)
    assert abs(fit.steps_per_time / kappa - 1) < 1e-10 and abs(fit.theta0 / theta0 - 1) < 1e-8
    np.testing.assert_allclose(fit.strength(steps[:, None], p), R, rtol=1e-8)
    np.testing.assert_allclose(fit.emergence_steps(p), em.crossing_time(steps, R), rtol=1e-3)
    # Only the chosen skills count: a distorted first skill does not move the fit.
    distorted = R.copy()
    distorted[:, 0] = np.sqrt(R[:, 0])
    fit = em.fit_time_scale(steps, distorted, p, target_scale=S, skills=[1, 2, 3, 4])
    assert abs(fit.steps_per_time / kappa - 1) < 1e-10
    assert abs(em.fit_time_scale(steps, distorted, p, target_scale=S).steps_per_time / kappa - 1) > 0.01


def test_fit_threshold_finds_the_step():
    resource = np.geomspace(1, 1000, 40)
    strengths = (resource >= 30).astype(float)
    c = em.fit_threshold(resource, strengths)
    below, above = resource[resource < 30].max(), resource[resource >= 30].min()
    assert c == pytest.approx(np.sqrt(below * above), rel=1e-12)
    # Noise that does not cross the middle changes nothing; the extremes are handled.
    noisy = strengths + np.where(strengths > 0, -0.3, 0.3) * np.random.default_rng(0).random(40)
    assert em.fit_threshold(resource, noisy) == c
    assert em.fit_threshold(resource, np.ones(40)) == 1.0
    assert em.fit_threshold(resource, np.zeros(40)) == np.inf


def test_shots_generalise_data_emergence():
    from scipy.stats import binom

    p = parity.power_law_frequencies(30, 0.5)
    D = np.array([0, 1, 5, 50, 500, 5000])
    for shots in (1, 2, 10):
        q = em.skill_strength_in_data(D[:, None], p, shots=shots)
        np.testing.assert_allclose(q, binom.sf(shots - 1, D[:, None], p), rtol=1e-10, atol=1e-300)
        expected = 0.5 * 4.0 * (binom.cdf(shots - 1, D[:, None], p) @ p)
        np.testing.assert_allclose(em.loss_in_data(D, p, target_scale=2.0, shots=shots), expected, rtol=1e-10)
    # More shots needed: less learned from the same data; one shot is the skill model.
    assert np.all(em.skill_strength_in_data(D[:, None], p, shots=5) <= em.skill_strength_in_data(D[:, None], p))
    # The exponent of L(D) does not depend on the number of shots.
    p_many = parity.power_law_frequencies(100_000, 1.0)
    grid = np.geomspace(1e3, 1e5, 41)
    slope = em.fit_power_law(grid, em.loss_in_data(grid, p_many, shots=10)).slope
    assert abs(slope - em.scaling_exponents(1.0).data) < 3 * EXPONENT_TOL


def test_calibration_bad_inputs_raise():
    p = parity.power_law_frequencies(3, 1.0)
    steps = np.arange(10.0)
    R = np.tile(np.linspace(0.01, 0.99, 10)[:, None], (1, 3))
    with pytest.raises(ValueError, match="times must be increasing"):
        em.crossing_time([0.0, 0.0, 1.0], np.zeros(3))
    with pytest.raises(ValueError, match="curves must have the time axis first"):
        em.crossing_time(steps, np.zeros((3, 10)))
    with pytest.raises(ValueError, match="strengths must have shape"):
        em.fit_time_scale(steps, R[:, :2], p)
    with pytest.raises(ValueError, match="skills must list skill indices"):
        em.fit_time_scale(steps, R, p, skills=[3])
    with pytest.raises(ValueError, match="window"):
        em.fit_time_scale(steps, R, p, window=(0.5, 0.2))
    with pytest.raises(ValueError, match="at least 2 strengths"):
        em.fit_time_scale(steps, np.zeros((10, 3)), p)
    with pytest.raises(ValueError, match="do not rise"):
        em.fit_time_scale(steps, R[::-1], p)
    with pytest.raises(ValueError, match="resource must be strictly positive"):
        em.fit_threshold([0.0, 1.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="one size"):
        em.fit_threshold([1.0, 2.0], [0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="shots must be at least 1"):
        em.skill_strength_in_data(10, p, shots=0.5)
    with pytest.raises(ValueError, match="shots"):
        em.loss_in_data(10, p, shots=-1)
