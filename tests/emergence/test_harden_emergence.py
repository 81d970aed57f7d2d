"""Hardening of chapter 2's helpers (issue 11): edge domains against mpmath, bad inputs, bounded cost, divergence.

Stated tolerances: closed forms against mpmath at 50 digits within REL = 1e-12 relative. Measured: at
most 4e-16 for strengths and emergence times, 2.5e-14 for the loss at 1e-177 (its log-odds near -200
carry an absolute error of ~200 eps): a margin of 40 or more. Calls with absurd sizes must fail within
FAST = 2 s.
"""

from __future__ import annotations

import time

import mpmath
import numpy as np
import pytest

from labhelpers import emergence as em
from labhelpers.core.divergence import DivergenceError
from labhelpers.emergence import mlp, mlp_setup, parity, skills

REL = 1e-12
FAST = 2.0
mpmath.mp.dps = 50


def _strength_reference(t, p, S, theta0):
    """R = 1 / (1 + (S/theta0 - 1) e^{-2 S p t}) and 1 - R at 50 digits (Eq. 9)."""
    x = (mpmath.mpf(S) / mpmath.mpf(theta0) - 1) * mpmath.exp(-2 * mpmath.mpf(S) * mpmath.mpf(p) * mpmath.mpf(t))
    return float(1 / (1 + x)), float(x / (1 + x))


@pytest.mark.parametrize(
    "t, p, S, theta0",
    [
        (10.0, 0.3, 1.0, 1e-300),  # tiny theta0: R ~ 1e-300
        (1200.0, 0.3, 1.0, 1e-300),  # rises through half strength near t = 1151
        (5.0, 0.5, 1.0, 5e-324),  # subnormal theta0: S/theta0 overflows
        (1e-300, 1.0, 1e308, 1.0),  # S p beyond float range, tiny t
        (0.0, 1.0, 1e308, 1.0),  # t = 0 with S p = inf (0 x inf before)
        (50.0, 0.2, 2.0, 1.9),  # theta0 near S
        (1e300, 0.5, 1e-320, 1e-322),  # subnormal S and theta0: R = 1/(1 + 99 e^-1e-20) = 0.01
    ],
)
def test_skill_strength_matches_mpmath_at_the_edges(t, p, S, theta0):
    R_ref, _ = _strength_reference(t, p, S, theta0)
    R = em.skill_strength(t, p, target_scale=S, theta0=theta0)
    assert np.isfinite(R) and R == pytest.approx(R_ref, rel=REL, abs=1e-320)  # R_ref may be subnormal


def test_loss_in_time_keeps_relative_precision_once_learned():
    p = np.array([0.6, 0.3, 0.1])
    S, theta0 = 1.5, 1e-3
    for t in (1.0, 100.0, 400.0, 700.0):  # the loss falls to 1e-177 at t = 700
        gaps = [_strength_reference(t, pk, S, theta0)[1] for pk in p]
        reference = sum(0.5 * S**2 * pk * g**2 for pk, g in zip(p, gaps))
        assert em.loss_in_time(t, p, target_scale=S, theta0=theta0) == pytest.approx(reference, rel=REL, abs=0)


def test_emergence_time_at_the_edges():
    p = np.array([0.5, 1e-3])
    for S, theta0 in ((1.0, 5e-324), (1e308, 1e-300), (1e-300, 1e-310), (1.0, 0.49)):
        reference = [
            float(mpmath.log(mpmath.mpf(S) / mpmath.mpf(theta0) - 1) / (2 * mpmath.mpf(S) * mpmath.mpf(pk))) for pk in p
        ]
        np.testing.assert_allclose(em.emergence_time(p, target_scale=S, theta0=theta0), reference, rtol=REL, atol=0)
    with pytest.raises(ValueError, match="overflows"):
        em.emergence_time(p, target_scale=1e-305, theta0=1e-320)


def test_data_laws_stay_finite_for_huge_training_sets():
    p = parity.power_law_frequencies(50, 0.5)
    D = np.array([0.0, 1e10, 1e308])
    for shots in (1, 7, 1e300):
        q = em.skill_strength_in_data(D[:, None], p, shots=shots)
        loss = em.loss_in_data(D, p, shots=shots)
        assert np.all(np.isfinite(q)) and np.all(np.isfinite(loss)) and np.all((q >= 0) & (q <= 1))
    # One shot: 1 - (1 - p)^D against mpmath for a rare skill.
    reference = float(1 - (1 - mpmath.mpf(1e-12)) ** 1000)
    assert em.skill_strength_in_data(1000, [1e-12]) == pytest.approx(reference, rel=REL)


def test_overflowing_losses_raise():
    p = parity.power_law_frequencies(5, 1.0)
    for call in (
        lambda: em.loss_in_time([0.0], p, target_scale=1e200),
        lambda: em.loss_in_data([0.0], p, target_scale=1e200),
        lambda: em.loss_in_parameters([0], p, target_scale=1e200),
        lambda: em.skill_loss(np.zeros(5), p, target_scale=1e200),
    ):
        with pytest.raises(ValueError, match="target_scale"):
            call()


@pytest.mark.parametrize("value", [True, "1.0", 1 + 0j, None, np.array([object()])])
def test_floats_refuse_non_numbers(value):
    p = parity.power_law_frequencies(5, 1.0)
    for name, call in (
        ("theta0", lambda: em.skill_strength(1.0, p, theta0=value)),
        ("target_scale", lambda: em.loss_in_time(1.0, p, target_scale=value)),
        ("alpha", lambda: em.scaling_exponents(value)),
        ("shots", lambda: em.loss_in_data(10, p, shots=value)),
        ("level", lambda: em.crossing_time([0.0, 1.0], [0.0, 1.0], value)),
    ):
        with pytest.raises(ValueError, match=name):
            call()


def test_power_law_fit_and_crossing_edges():
    assert em.fit_power_law([1e-300, 1e300], [1e300, 1e-300]).slope == pytest.approx(-1.0, rel=REL)
    with pytest.raises(ValueError, match="prefactor"):
        em.fit_power_law([1e-10, 1e-9], [1e300, 1e-300])
    with pytest.raises(ValueError, match="x"):
        em.PowerLawFit(-1.0, 1.0)(0.0)
    # Values at +-1e308: the difference overflows, the interpolation must not.
    assert em.crossing_time([0.0, 1.0], [-1.7e308, 1.7e308], 0.0) == pytest.approx(0.5)
    assert em.fit_threshold([1e-200, 1e-190], [0.0, 1.0]) == pytest.approx(1e-195, rel=REL)
    assert em.fit_threshold([1e200, 1e210], [0.0, 1.0]) == pytest.approx(1e205, rel=REL)


def test_skill_model_solver_is_bounded():
    p = parity.power_law_frequencies(5, 1.0)
    moments = em.skill_moments(p)
    for kwargs, name in (({"t_max": 1e308}, "t_max"), ({"times": [0.0, 1e300]}, "times")):
        start = time.perf_counter()
        with pytest.raises(ValueError, match=name):
            em.simulate_skill_model(moments, **kwargs)
        assert time.perf_counter() - start < FAST
    with pytest.raises(ValueError, match="theta0"):
        em.simulate_skill_model(moments, theta0=1e300, t_max=1.0)
    with pytest.raises(ValueError, match="theta0"):
        em.simulate_skill_model(moments, theta0=True, t_max=1.0)
    with pytest.raises(ValueError, match="max_evaluations"):
        em.simulate_skill_model(moments, t_max=1.0, max_evaluations=1.5)
    start = time.perf_counter()
    with pytest.raises(ValueError, match="frequencies"):
        em.skill_moments(np.full(10**6, 1e-6))  # two dense 10^6 x 10^6 matrices: 16 TB
    assert time.perf_counter() - start < FAST
    # The default budget shrinks as 1e11 / n_skills^2 evaluations, and refuses beyond 31 622 skills (the
    # moments of that many skills alone take 16 GB, so the rule is checked on its own).
    assert skills._evaluation_budget(20, None) == 500_000 and skills._evaluation_budget(10_000, None) == 1000
    with pytest.raises(ValueError, match="skills"):
        skills._evaluation_budget(40_000, None)


def test_closed_forms_refuse_sizes_up_front():
    start = time.perf_counter()
    p = np.full(100_000, 1e-5)
    with pytest.raises(ValueError, match="^t has"):
        em.loss_in_time(np.ones(10**6), p)  # 1e11 terms
    with pytest.raises(ValueError, match="^n_samples has"):
        em.loss_in_data(np.ones(10**6), p)
    with pytest.raises(ValueError, match="^t "):
        em.skill_strength(np.ones((10**7, 1)), np.full(10**6, 1e-6))  # a 1e13 broadcast
    with pytest.raises(ValueError, match="^n_samples "):
        em.skill_strength_in_data(np.ones((10**7, 1)), np.full(10**6, 1e-6))
    with pytest.raises(ValueError, match="n_tasks"):
        em.skill_strength_in_parameters(3, 10**13)
    assert time.perf_counter() - start < FAST


# ---------------------------------------------------------------------------- parity
def test_parity_accepts_numpy_integers_and_refuses_contradictions():
    problem = parity.SparseParity(n_tasks=np.int64(3), n_bits=np.int32(6), bits_per_task=np.int16(2), seed=np.int64(4))
    assert problem.seed == 4 and problem.sample(np.int64(5), seed=np.uint8(2)).X.shape == (5, 9)
    np.testing.assert_array_equal(
        problem.subsets, parity.SparseParity(n_tasks=3, n_bits=6, bits_per_task=2, seed=4).subsets
    )
    with pytest.raises(ValueError, match="bits_per_task"):
        parity.SparseParity(n_tasks=3, n_bits=4, bits_per_task=5)
    with pytest.raises(ValueError, match="n_tasks"):
        parity.SparseParity(n_tasks=True, n_bits=4)
    with pytest.raises(ValueError, match="n_bits"):
        parity.SparseParity(n_tasks=10**7, n_bits=10**7)
    with pytest.raises(ValueError, match="alpha"):
        parity.power_law_frequencies(3, "1.0")
    assert np.all(np.isfinite(parity.power_law_frequencies(10, 1e308)))
    with pytest.raises(ValueError, match="n_tasks"):
        parity.power_law_frequencies(10**13, 1.0)


@pytest.mark.parametrize("dtype", [np.uint8, bool, "U3", None, object])
def test_samplers_refuse_dtypes_that_cannot_hold_the_bits(dtype):
    problem = parity.SparseParity(n_tasks=3, n_bits=6, bits_per_task=2)
    with pytest.raises(ValueError, match="dtype"):
        problem.sample(5, dtype=dtype)
    with pytest.raises(ValueError, match="dtype"):
        problem.single_skill_data(0, 5, dtype=dtype)
    assert problem.sample(5, dtype=np.int8).X.min() == -1


def test_samplers_refuse_sizes_that_cannot_fit():
    problem = parity.SparseParity(n_tasks=3, n_bits=6, bits_per_task=2)
    start = time.perf_counter()
    with pytest.raises(ValueError, match="n"):
        problem.sample(10**15)
    assert time.perf_counter() - start < FAST


# ---------------------------------------------------------------------------- MLP trainers
@pytest.fixture(scope="module")
def tiny():
    return parity.SparseParity(n_tasks=3, n_bits=6, bits_per_task=2, alpha=0.5, seed=0)


SMALL = dict(widths=8, n_train=64, steps=3, batch_size=8, record_every=1, n_eval=10, n_probe=20, progress=False)


@pytest.mark.parametrize("train", [mlp.train_mlp_batched, mlp.train_mlp_loop])
@pytest.mark.parametrize("optimizer, lr", [("sgd", 1e6), ("adam", 1e3)])
def test_divergence_is_caught_at_the_step(tiny, train, optimizer, lr):
    with pytest.raises(DivergenceError, match=r"at step [23]\b.*learning rate"):
        train(tiny, seeds=[0], optimizer=optimizer, lr=lr, init_scale=3.0, **dict(SMALL, steps=30))


def test_a_bad_start_is_blamed_on_the_start(tiny):
    with pytest.raises(DivergenceError, match="step 1.*init scale"):
        mlp.train_mlp_batched(tiny, seeds=[0], init_scale=1e30, **SMALL)


def test_trainers_accept_numpy_integers(tiny):
    run = mlp.train_mlp_batched(tiny, seeds=np.arange(2), data_seed=np.int64(1), eval_seed=np.uint16(5), **SMALL)
    again = mlp.train_mlp_batched(tiny, seeds=[0, 1], data_seed=1, eval_seed=5, **SMALL)
    np.testing.assert_array_equal(run.test_loss, again.test_loss)


@pytest.mark.parametrize(
    "changes, name",
    [
        ({"device": "gpu"}, "device"),
        ({"device": 1}, "device"),
        ({"progress": 1}, "progress"),
        ({"dtype": ["float32"]}, "dtype"),
        ({"lr": True}, "lr"),
        ({"init_scale": "0.3"}, "init_scale"),
        ({"seeds": "01"}, "seeds"),
        ({"seeds": [2**63]}, r"seeds\[0\]"),
        ({"eval_seed": 2**63}, "eval_seed"),
        ({"steps": 10**12}, "steps"),
        ({"weight_decay": 1e300}, "weight_decay"),
        ({"widths": 10**12}, "widths"),
        ({"n_train": 10**13}, "n_train"),
        ({"n_eval": 10**12}, "n_eval"),
    ],
)
def test_bad_trainer_settings_fail_fast(tiny, changes, name):
    for train in (mlp.train_mlp_batched, mlp.train_mlp_loop):
        start = time.perf_counter()
        with pytest.raises(ValueError, match=name):
            train(tiny, **{**SMALL, "seeds": [0], **changes})
        assert time.perf_counter() - start < FAST


def test_mlp_output_checks_device_and_size(tiny):
    params = {"W1": np.zeros((1, 9, 4)), "b1": np.zeros((1, 4)), "W2": np.zeros((1, 4)), "b2": np.zeros(1)}
    with pytest.raises(ValueError, match="device"):
        mlp.mlp_output(params, np.zeros((2, 9)), device="gpu")
    with pytest.raises(ValueError, match="X"):
        mlp.mlp_output(params, np.zeros((2, 9)).astype(object))


# ---------------------------------------------------------------------------- API fuzz regressions (wave 2)
def test_fit_time_scale_fits_rates_below_the_normal_range():
    # 2 S p_k underflows (1e-310) although the fitted constants are normal numbers: the design column is
    # scaled by a power of two. Measured: kappa within 1.1e-16, theta0 within 2.1e-15 of the truth (REL = 1e-12).
    S, theta0, kappa = 1e-300, 1e-303, 1e-290
    p = np.array([0.5, 0.3, 0.2]) * 1e-10
    steps = np.arange(1.0, 201.0) * 1e19
    logit = 2 * p[None, :] * (S / kappa) * steps[:, None] - np.log(S / theta0 - 1)
    fit = em.fit_time_scale(steps, 1 / (1 + np.exp(-logit)), p, target_scale=S)
    assert fit.steps_per_time == pytest.approx(kappa, rel=REL)
    assert fit.theta0 == pytest.approx(theta0, rel=REL)
    # A time scale that is itself subnormal is refused, naming what to rescale.
    steps = np.arange(1.0, 21.0)
    R = 1 / (1 + 999 * np.exp(-2 * np.outer(steps * 2, [0.5, 0.3, 0.2])))
    for kwargs, name in (
        ({"frequencies": np.array([0.5, 0.3, 0.2]) * 1e-310}, "frequencies"),
        ({"target_scale": 5e-324}, "target_scale"),
    ):
        with pytest.raises(ValueError, match=name):
            em.fit_time_scale(steps, R, **{"frequencies": [0.5, 0.3, 0.2], **kwargs})


def test_sentinels_of_curves_that_never_get_there():
    # Documented results, not failures: NaN for a curve that never reaches the level, inf for no learned skill;
    # subnormal curves that do reach a subnormal level give the interpolated time.
    t = np.linspace(0.0, 3.0, 5)
    assert np.isnan(em.crossing_time(t, np.linspace(0.0, 1.0, 5) * 1e-310, 0.5))
    assert em.crossing_time(t, np.linspace(0.0, 1.0, 5) * 1e-310, 0.5e-310) == pytest.approx(1.5, rel=1e-9)
    assert em.fit_threshold([1.0, 2.0, 4.0, 8.0], np.array([0.0, 1.0, 9.0, 10.0]) * 1e-310) == np.inf


def test_scaling_exponents_need_alpha_above_zero():
    with pytest.raises(ValueError, match="alpha must be strictly positive"):
        em.scaling_exponents(np.array(0.0))
    assert em.scaling_exponents(1e-300).time == pytest.approx(-1e-300, rel=REL)


def test_fit_power_law_names_x_for_a_single_abscissa():
    with pytest.raises(ValueError, match="x must hold at least 2 distinct"):
        em.fit_power_law([1.1, 1.1, 1.1, 1.1], [1.0, 0.5, 0.25, 0.125])


def test_skill_model_checks_moments_again_and_the_time_grid():
    moments = em.skill_moments([0.6, 0.4])
    for row, column, value in ((0, 0, np.nan), (0, 1, 0.3), (1, 1, -0.4)):  # NaN, not symmetric, not PSD
        broken = em.skill_moments([0.6, 0.4])
        broken.sigma_xx[row, column] = value  # an in-place edit after the checks of the constructor
        with pytest.raises(ValueError, match="^moments is no longer valid"):
            em.simulate_skill_model(broken, t_max=1.0, n_times=3)
    with pytest.raises(ValueError, match="t_max"):
        em.simulate_skill_model(moments, t_max=5e-324, n_times=5)


def test_trainers_take_any_legal_seed_and_clamp_what_changes_nothing(tiny):
    assert mlp_setup._eval_seed(2**63 - 1, 0) == 2**63 - 1 and mlp_setup._eval_seed(2**63 - 1, 2) == 1
    assert mlp_setup._eval_seed(1_000_000, 2) == 1_000_002  # the default seeds are unchanged
    run = mlp.train_mlp_batched(tiny, seeds=[0], **{**SMALL, "record_every": 10**30, "n_probe": 10**30})
    same = mlp.train_mlp_batched(tiny, seeds=[0], **{**SMALL, "record_every": 3, "n_probe": 64})
    np.testing.assert_array_equal(run.skill_strength, same.skill_strength)
    np.testing.assert_array_equal(run.train_loss, same.train_loss)
    assert run.info["record_every"] == 3 and run.info["n_probe"] == 64
    for train in (mlp.train_mlp_batched, mlp.train_mlp_loop):
        assert np.all(np.isfinite(train(tiny, seeds=[0], eval_seed=2**63 - 1, **SMALL).skill_strength))


@pytest.mark.parametrize("S, dtype", [(5e-324, "float32"), (1e-20, "float32"), (1e20, "float32"), (1e-160, "float64")])
def test_trainers_refuse_target_scales_whose_square_leaves_the_dtype(tiny, S, dtype):
    with pytest.raises(ValueError, match="target_scale must lie in"):
        mlp.train_mlp_batched(tiny, seeds=[0], target_scale=S, dtype=dtype, **SMALL)
