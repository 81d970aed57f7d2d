"""Issue 11 (items 2-6) for the neural-collapse chapter: strict arguments, bounded cost, finite closed forms,
divergence caught at the step, contradictory configs refused."""

import time

import numpy as np
import pytest
import torch

from labhelpers import collapse as co
from labhelpers.collapse import mnist_mlp as ct
from labhelpers.collapse import resnet as rn
from labhelpers.collapse.resnet import model as rn_model
from labhelpers.core import mnist
from labhelpers.core.divergence import DivergenceError


def _fast(call, *args, **kwargs):
    """Run ``call`` expecting a ValueError within two seconds; return the error."""
    started = time.perf_counter()
    with pytest.raises(ValueError) as info:
        call(*args, **kwargs)
    assert time.perf_counter() - started < 2.0
    return info.value


@pytest.fixture(scope="module")
def clusters():
    rng = np.random.default_rng(0)
    y = np.arange(30) % 3
    X = rng.standard_normal((30, 20)) + 3.0 * np.eye(20)[y]
    return X, y, X[:9], y[:9]


# ---------------------------------------------------------------------------- the collapse MLP
def test_mlp_accepts_numpy_integer_seeds(clusters):
    plain = ct.train_collapse_mlp(*clusters, hidden=(8,), epochs=1, seed=3)
    numpy_seed = ct.train_collapse_mlp(*clusters, hidden=(8,), epochs=1, seed=np.int64(3))
    np.testing.assert_array_equal(plain.metrics["nc1"], numpy_seed.metrics["nc1"])
    assert numpy_seed.config["seed"] == 3 and type(numpy_seed.config["seed"]) is int


@pytest.mark.parametrize(
    "change, name",
    [
        ({"device": "gpu"}, "device"),
        ({"epochs": 10**12}, "epochs"),
        ({"progress": 1}, "progress"),
        ({"seed": 2**64}, "seed"),
        ({"lr": True}, "lr"),
        ({"momentum": "0.9"}, "momentum"),
        ({"hidden": (10**9, 10**9)}, "hidden"),
        ({"X_test": np.full((9, 20), 1e300)}, "X_test"),
    ],
)
def test_mlp_refuses_bad_arguments_quickly(clusters, change, name):
    X, y, X_test, y_test = clusters
    settings = {"hidden": (8,), "epochs": 1, **change}
    X_test = settings.pop("X_test", X_test)
    error = _fast(ct.train_collapse_mlp, X, y, X_test, y_test, **settings)
    assert name in str(error)


@pytest.mark.parametrize(
    "change, name",
    [
        ({"lr": 1e308}, "lr"),
        ({"weight_decay": 1e308}, "weight_decay"),
        ({"y_train": "strings"}, "y_train"),
        ({"y_test": "strings"}, "y_test"),
        ({"X_train": "constant"}, "X_train"),
    ],
)
def test_mlp_blames_the_argument(clusters, change, name):
    X, y, X_test, y_test = clusters
    data = {"X_train": X, "y_train": y, "X_test": X_test, "y_test": y_test}
    key, value = next(iter(change.items()))
    if value == "strings":
        change = {key: data[key].astype(str)}
    elif value == "constant":
        change = {key: np.full_like(X, 0.5)}
    settings = {**data, "hidden": (8,), "epochs": 1, **change}
    assert name in str(_fast(ct.train_collapse_mlp, **settings))


def test_mlp_standardises_subnormal_and_huge_pixels_like_moderate_ones(clusters):
    # pixels scaled by an exact power of two give the same standardised inputs, hence the same run
    X, y, X_test, y_test = clusters
    X = np.round(X * 8.0) / 8.0  # few significant bits, so that the subnormal copy is exact
    X_test = np.round(X_test * 8.0) / 8.0
    plain = ct.train_collapse_mlp(X, y, X_test, y_test, hidden=(8,), epochs=1)
    for k in (2.0**-1060, 2.0**900):
        scaled = ct.train_collapse_mlp(X * k, y, X_test * k, y_test, hidden=(8,), epochs=1)
        # measured difference 0 (exact scaling, same float32 inputs); tolerance 1e-6
        np.testing.assert_allclose(scaled.metrics["nc1"], plain.metrics["nc1"], rtol=1e-6)


def test_mlp_batch_size_beyond_the_data_is_full_batch(clusters):
    run = ct.train_collapse_mlp(*clusters, hidden=(8,), epochs=1, batch_size=10**30)
    full = ct.train_collapse_mlp(*clusters, hidden=(8,), epochs=1, batch_size=30)
    assert run.config["batch_size"] == 30
    np.testing.assert_array_equal(run.metrics["train_loss"], full.metrics["train_loss"])


def test_mlp_divergence_names_the_step(clusters):
    with pytest.raises(DivergenceError, match=r"MLP training diverged at step [1-3]\b.*learning rate"):
        ct.train_collapse_mlp(*clusters, hidden=(8,), epochs=1, batch_size=10, lr=1e6, momentum=0.0)


# ---------------------------------------------------------------------------- the ResNet trainer
@pytest.mark.parametrize(
    "settings, name",
    [
        ({"lr_decay_epochs": (8, 4), "epochs": 10}, "strictly increasing"),
        ({"lr_decay_epochs": (4, 12), "epochs": 10}, "within the run"),
        ({"batch_size": 64, "n_train": 32}, "batch_size"),
        ({"n_metric": 64, "n_train": 32, "batch_size": 8}, "n_metric"),
        ({"batch_size": 1}, "batch_size"),
        ({"epochs": 10**12}, "epochs"),
        ({"seed": -1}, "seed"),
        ({"device": "gpu"}, "device"),
        ({"device": "cuda:x"}, "device"),
        ({"lr": "0.1"}, "lr"),
    ],
)
def test_train_config_refuses_contradictions(settings, name):
    with pytest.raises(ValueError, match=name):
        rn.TrainConfig(**settings)


def test_train_config_keeps_the_stored_run_loading():
    from labhelpers.runs.resources import results_file

    stored = rn.load_results(results_file("resnet18_mnist_cpu.json"))
    assert stored.config["lr_decay_epochs"] == [190, 300] and len(stored) == 380
    assert rn.TrainConfig(seed=np.int64(2)).seed == 2


def test_train_collapse_refuses_more_samples_than_the_data_has():
    data = rn.random_images(16, 8, n_classes=4, channels=1, size=8)
    config = dict(dataset="random", epochs=1, width=2, batch_size=8)
    for settings, name in (({"n_train": 32}, "n_train"), ({"n_test": 9}, "n_test"), ({"batch_size": 32}, "batch_size")):
        with pytest.raises(ValueError, match=name):
            rn.train_collapse(data, rn.TrainConfig(**{**config, **settings}), progress=False)
    with pytest.raises(ValueError, match="progress"):
        rn.train_collapse(data, rn.TrainConfig(**config), progress="yes")


def test_resnet_refuses_a_width_that_cannot_fit_before_allocating():
    assert "width" in str(_fast(rn.ResNet18, width=10**6))
    assert "n_train" in str(_fast(rn.random_images, 10**12, 1))


def test_resnet_divergence_names_the_step():
    data = rn.random_images(16, 8, n_classes=4, channels=1, size=8)
    config = rn.TrainConfig(dataset="random", epochs=2, width=2, batch_size=8, lr=1e12, momentum=0.0, loss="mse")
    with pytest.raises(DivergenceError, match=r"ResNet training diverged at step [1-4]\b"):
        rn.train_collapse(data, config, progress=False)


def test_weight_count_is_that_of_the_network():
    model = rn.ResNet18(5, 1, width=4)
    convolutions = sum(p.numel() for p in model.parameters() if p.dim() == 4)
    assert rn_model._weight_count(1, 4, (2, 2, 2, 2)) == convolutions


# ---------------------------------------------------------------------------- the unconstrained feature model
@pytest.mark.parametrize(
    "settings, name",
    [
        ({"t_max": 1e308}, "t_max"),
        ({"t_max": 1e308, "method": "descent"}, "t_max"),
        ({"init_scale": 1e200}, "init_scale"),
        ({"init_scale": 1e10}, "init_scale"),
        ({"bias": 1}, "bias"),
        ({"seed": 2**63}, "seed"),
        ({"n_times": 10**12}, "n_times"),
        ({"feature_dim": 10**12}, "feature_dim"),
        ({"n_per_class": 10**7}, "n_classes x n_per_class"),
        ({"t_max": 5e-324}, "t_max"),
        ({"lr": np.float32(0.5)}, "lr is for method='descent'"),
        ({"lr": True, "method": "descent"}, "lr"),
    ],
)
def test_ufm_refuses_quickly(settings, name):
    # each size too large for memory is blamed by its own name, before anything is allocated
    assert name in str(_fast(co.train_ufm, **{"n_classes": 3, "n_per_class": 2, "feature_dim": 3, **settings}))


def test_unconstrained_features_needs_two_classes():
    with pytest.raises(ValueError, match="n_classes"):
        co.UnconstrainedFeatures(4, 3, 1)


def test_saxe_modes_refuses_an_all_zero_start_but_keeps_zero_modes():
    sigma_xy = np.diag([2.0, 1.0])
    with pytest.raises(ValueError, match="theta0"):
        co.saxe_modes([0.0, 1.0], sigma_xy, np.array(0.0))
    theta = co.saxe_modes([0.0, 1.0], sigma_xy, [0.0, 0.5])  # an uninitialised mode stays at zero
    assert np.all(theta[:, 0] == 0.0) and np.all(theta[:, 1] > 0)


@pytest.fixture(scope="module")
def ufm_run():
    return co.train_ufm(3, 4, 3, init_scale=0.1, t_max=2.0, n_times=11)


@pytest.mark.parametrize("broken", ["nan time", "times cut", "decreasing", "labels short"])
def test_plot_feature_snapshots_refuses_broken_trajectories(ufm_run, broken):
    import copy

    run = copy.deepcopy(ufm_run)
    if broken == "nan time":
        object.__setattr__(run, "times", np.where(np.arange(11) == 3, np.nan, run.times))
    elif broken == "times cut":
        object.__setattr__(run, "times", run.times[:1])
    elif broken == "decreasing":
        object.__setattr__(run, "times", run.times[::-1].copy())
    else:
        run.info["labels"] = run.info["labels"][:-1]
    with pytest.raises(ValueError, match="trajectory"):
        co.plot_feature_snapshots(run, [0.0, 2.0])


@pytest.mark.parametrize(
    "call",
    [
        lambda f, y, W: co.collapse_metrics(f, y, W),
        lambda f, y, W: co.nc3(f, y, W),
        lambda f, y, W: co.nc4(f, y, W),
    ],
)
def test_metrics_blame_a_misshapen_classifier(call):
    labels = np.repeat(np.arange(3), 4)
    features = np.eye(3, 4)[labels] * 3.0 + 0.1 * np.random.default_rng(2).normal(size=(12, 4))
    W = np.eye(3, 4)
    for bad in (W[..., None], np.zeros((0, 0)), np.eye(4)):  # 3-D, empty, one row too many
        with pytest.raises(ValueError, match="classifier"):
            call(features, labels, bad)
    with pytest.raises(ValueError, match="n_classes"):
        co.collapse_metrics(features, labels, W, n_classes=np.array([1.0, "x"], dtype=object))
    with pytest.raises(ValueError, match="labels"):  # the labels alone are wrong: they are blamed
        call(features, np.where(labels == 0, -1, labels), W)


def test_class_plane_names_the_reference():
    labels = np.arange(6) % 3
    features = np.eye(6, 3)[labels] + 0.01 * np.arange(18).reshape(6, 3)
    for bad in (True, "1.0", 1 + 2j, np.array([1.0, "x"], dtype=object)):
        with pytest.raises(ValueError, match="reference"):
            co.class_plane(features, labels, reference=bad)


def test_ufm_seed_and_tiny_scale():
    numpy_seed = co.train_ufm(3, 2, 3, seed=np.int64(3), t_max=1.0, n_times=3)
    np.testing.assert_array_equal(
        numpy_seed.params["H"], co.train_ufm(3, 2, 3, seed=3, t_max=1.0, n_times=3).params["H"]
    )
    tiny = co.train_ufm(3, 2, 3, init_scale=1e-300)  # the default t_max in log space: finite
    assert np.all(np.isfinite(tiny.loss)) and np.isfinite(tiny.times[-1])


def test_ufm_descent_divergence_names_the_step():
    with pytest.raises(DivergenceError, match=r"diverged at step [1-3]\b.*learning rate"):
        co.train_ufm(3, 2, 3, method="descent", lr=1e3, t_max=3e3, n_times=4)


# ---------------------------------------------------------------------------- closed forms at the edges
def test_saxe_modes_are_finite_and_scale_covariant_at_huge_scales():
    # theta(t; k s, k theta0) = k theta(k t; s, theta0): the huge case against the moderate one.
    sigma_xy = np.diag([2.0, 1.0, 0.5])
    t, theta0, k = np.array([0.0, 0.3, 1.0, 5.0]), np.array([1e-3, 0.2, 1.5]), 1e300
    moderate = co.saxe_modes(t, sigma_xy, theta0)
    huge = co.saxe_modes(t / k, sigma_xy * k, theta0 * k)
    # measured relative error 2e-16; tolerance 1e-12
    np.testing.assert_allclose(huge / k, moderate, rtol=1e-12)
    with pytest.raises(ValueError, match="t"):
        co.saxe_modes([True], sigma_xy, 0.1)


@pytest.mark.parametrize("k", [1e300, 1e-300, 2.0**-1070])
def test_effective_rank_and_collapse_metrics_do_not_depend_on_the_scale(k):
    # integer entries: scaled by k = 2^-1070 they stay exact (subnormal numbers keep few significant bits)
    rng = np.random.default_rng(1)
    matrix = rng.integers(-8, 9, (5, 4)).astype(float)
    # measured relative error below 1e-15; tolerance 1e-12
    np.testing.assert_allclose(co.effective_rank(matrix * k), co.effective_rank(matrix), rtol=1e-12)
    labels = np.arange(12) % 3
    features = rng.integers(-4, 5, (12, 4)) + 8.0 * np.eye(4)[labels]
    W = rng.integers(-4, 5, (3, 4)).astype(float)
    base = co.collapse_metrics(features, labels, W).as_dict()
    scaled = co.collapse_metrics(features * k, labels, W).as_dict()
    assert co.nc3(features, labels, W * k) == pytest.approx(base["self_duality"], rel=1e-12)
    for name in ("nc1", "equinorm", "angle_std", "etf_distance", "self_duality"):
        # measured relative error 7.5e-16 at most; tolerance 1e-10
        np.testing.assert_allclose(scaled[name], base[name], rtol=1e-10, atol=1e-12, err_msg=name)


def test_nc4_overflow_is_a_clear_error():
    labels = np.arange(6) % 2
    features = np.eye(6, 3)[[0, 1, 0, 1, 0, 1]] * 1e300
    with pytest.raises(ValueError, match="classifier: the logits"):
        co.nc4(features, labels, np.full((2, 3), 1e300))


def test_simplex_etf_at_extreme_scales():
    for scale in (1.7e308, 1e-300):
        etf = co.simplex_etf(4, 5, scale=scale)
        assert np.all(np.isfinite(etf))
        # measured relative error 2e-16; tolerance 1e-12
        np.testing.assert_allclose(np.linalg.norm(etf / scale, axis=1), 1.0, rtol=1e-12)
    with pytest.raises(ValueError, match="scale"):
        co.simplex_etf(3, 3, scale=np.inf)


def test_ufm_limit_for_many_classes_against_50_digit_arithmetic():
    from decimal import Decimal, getcontext

    getcontext().prec = 50
    for C in (4, 1000, 1001, 10**9, 2**53):
        one = Decimal(1)
        exact = float((2 * one - 2 * (one - one / C).sqrt()).sqrt())
        # NC3 without bias, sqrt(2 - 2 sqrt(1 - 1/C)): measured relative error 4e-14 at C = 1000 (the direct
        # formula's cancellation) and 1e-16 above; tolerance 1e-11
        assert co.ufm_limit(C, 4)["self_duality"] == pytest.approx(exact, rel=1e-11)
    assert "n_per_class" in str(_fast(co.ufm_limit, 3, 10**20))


def test_sizes_are_refused_before_allocating():
    assert "n_levels" in str(_fast(co.hierarchical_correlation, 10**6))
    assert "n_levels" in str(_fast(co.hierarchical_correlation, 45))
    assert "n_levels" in str(_fast(co.hierarchical_singular_values, 45))
    assert "input_dim" in str(_fast(co.random_correlation, 10**7, 10**7, [1.0]))
    assert "n_classes" in str(_fast(co.simplex_etf, 10**7, 10**7))
    assert "n_classes" in str(_fast(co.one_hot, [0, 1, 2], 10**12))
    huge = co.random_correlation(3, 3, [1.7e308, 1.7e308, 1e308])  # |entries| <= the largest singular value
    assert np.all(np.isfinite(huge))


def test_labels_edges():
    with pytest.raises(ValueError, match="at least 2 classes"):
        co.nc1(np.ones((3, 2)), [0, 0, 0])
    with pytest.raises(ValueError, match="labels must be integers"):
        co.nc1(np.ones((3, 2)), [0.0, 1.0, 1e300])


# ---------------------------------------------------------------------------- MNIST helpers
def test_mnist_helpers_refuse_bad_arguments():
    with pytest.raises(ValueError, match="scale"):
        mnist.one_hot([0, 1], 2, scale=1e6, dtype=np.float16)
    with pytest.raises(ValueError, match="scale"):
        mnist.one_hot([0, 1], 2, scale=1e-10, dtype=np.float16)
    for name in ("flatten", "verbose", "download"):
        with pytest.raises(ValueError, match=name):
            mnist.load_mnist(10, 10, **{name: 1})
    with pytest.raises(ValueError, match="root"):
        mnist.load_mnist(10, 10, root=3)
    with pytest.raises(ValueError, match="rng"):
        mnist.balanced_sample(np.arange(4), 2, 0)
    with pytest.raises(ValueError, match="labels"):
        mnist.balanced_sample(np.ones(4), 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="labels"):
        mnist.balanced_sample(np.array([-1, 0, 1, 1]), 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="n"):
        mnist.balanced_sample(np.arange(4), 0, np.random.default_rng(0))
    assert torch is not None
