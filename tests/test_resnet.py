"""ResNet18, the CIFAR-10 loader and the neural-collapse training run (labhelpers.resnet), on the CPU.

Everything here is small (a few images, narrow networks, one or two minibatches) so that the whole file
runs in seconds; the full-scale run (350 epochs on a GPU) is ``python -m labhelpers.resnet``. Torch runs
single-threaded here: on a shared 2-core machine that is faster and more repeatable than two threads.
"""

from __future__ import annotations

import json
import pickle
import sys

import numpy as np
import pytest
import torch

from labhelpers import resnet as rn


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ---------------------------------------------------------------------------- the network
@pytest.mark.parametrize("in_channels, size", [(3, 32), (1, 28)], ids=["cifar", "mnist"])
def test_forward_backward_shapes(in_channels, size):
    torch.manual_seed(0)
    model = rn.ResNet18(num_classes=10, in_channels=in_channels)
    x = torch.randn(4, in_channels, size, size)
    logits = model(x)
    assert logits.shape == (4, 10)
    features = model.features(x)
    assert features.shape == (4, 512) and model.feature_dim == 512
    torch.testing.assert_close(model.classifier(features), logits)
    logits.square().mean().backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert model.stem[0].weight.grad.abs().sum() > 0  # the gradient reaches the first layer


def test_resnet18_structure():
    model = rn.ResNet18()
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params == 11_173_962  # the CIFAR ResNet18 with 10 classes
    assert not any(isinstance(m, torch.nn.MaxPool2d) for m in model.modules())
    assert model.stem[0].kernel_size == (3, 3) and model.stem[0].stride == (1, 1)
    assert [len(stage) for stage in model.stages] == [2, 2, 2, 2]
    assert [stage[0].conv1.out_channels for stage in model.stages] == [64, 128, 256, 512]
    narrow = rn.ResNet18(num_classes=3, width=8)
    assert narrow.feature_dim == 64 and narrow(torch.randn(2, 3, 16, 16)).shape == (2, 3)


def test_resnet_bad_arguments():
    with pytest.raises(ValueError, match="num_classes"):
        rn.ResNet18(num_classes=1)
    with pytest.raises(ValueError, match="in_channels"):
        rn.ResNet18(in_channels=0)
    with pytest.raises(ValueError, match="blocks_per_stage"):
        rn.ResNet18(blocks_per_stage=(2, 2, 2))


# ---------------------------------------------------------------------------- data
def _fake_cifar_folder(folder, n_per_batch=4):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]:
        batch = {
            b"data": rng.integers(0, 256, (n_per_batch, 3072), dtype=np.uint8),
            b"labels": list(rng.integers(0, 10, n_per_batch)),
        }
        with open(folder / name, "wb") as handle:
            pickle.dump(batch, handle)


def test_load_cifar10_reads_the_python_batches(tmp_path):
    _fake_cifar_folder(tmp_path / "cifar-10-batches-py")
    data = rn.load_cifar10(tmp_path)
    assert data.x_train.shape == (20, 3, 32, 32) and data.x_test.shape == (4, 3, 32, 32)
    assert data.x_train.dtype == np.uint8 and data.n_classes == 10 and data.name == "cifar10"
    with open(tmp_path / "cifar-10-batches-py" / "data_batch_2", "rb") as handle:
        first = pickle.load(handle, encoding="bytes")[b"data"][0]
    np.testing.assert_array_equal(data.x_train[4].reshape(-1), first)  # channel-major rows, batch order kept


def test_load_cifar10_explains_how_to_get_the_data(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)  # as if torchvision were not installed
    with pytest.raises(FileNotFoundError) as error:
        rn.load_cifar10(tmp_path / "nothing-here", download=True)
    message = str(error.value)
    assert "cifar-10-python.tar.gz" in message and "https://www.cs.toronto.edu/~kriz/cifar.html" in message
    assert "torchvision is not usable" in message and "download=True" in message
    with pytest.raises(ValueError, match="root"):
        rn.load_cifar10(3)


def test_image_data_validation():
    data = rn.random_images(12, 6, n_classes=3, channels=1, size=8, seed=1)
    assert data.image_shape == (1, 8, 8)
    np.testing.assert_array_equal(np.bincount(data.y_train), [4, 4, 4])
    with pytest.raises(ValueError, match="x_train must be uint8"):
        rn.ImageData(data.x_train.astype(float), data.y_train, data.x_test, data.y_test, 3)
    with pytest.raises(ValueError, match="y_test must be non-empty with labels in 0..1"):
        rn.ImageData(data.x_train, data.y_train % 2, data.x_test, data.y_test, 2)


# ---------------------------------------------------------------------------- training and results
def _tiny_config(**changes):
    settings = dict(dataset="random", epochs=2, batch_size=8, max_batches=1, width=4, n_train=20)
    settings.update(changes)
    return rn.TrainConfig(**settings)


def test_train_collapse_smoke_run():
    history = rn.train_collapse(rn.load_data(_tiny_config()), _tiny_config(), progress=False)
    assert len(history) == 2
    np.testing.assert_array_equal(history.epochs, [1, 2])
    assert set(history.metrics) == set(rn.HISTORY_KEYS) - {"epoch"}
    for name, values in history.metrics.items():
        assert values.shape == (2,) and np.all(np.isfinite(values)), name
    assert np.all((0 <= history.metrics["test_accuracy"]) & (history.metrics["test_accuracy"] <= 1))
    assert history.metrics["nc1"][0] > 0
    # Default milestones for 2 epochs: the learning rate decays by 10 after the first.
    np.testing.assert_allclose(history.metrics["lr"], [0.0679, 0.00679])


def test_training_reaches_zero_error_and_nc1_falls():
    data = rn.random_images(16, 8, n_classes=4, seed=0)
    config = rn.TrainConfig(dataset="random", epochs=16, batch_size=8, width=4, lr=0.05)
    history = rn.train_collapse(data, config, progress=False)
    assert history.metrics["train_accuracy"][-1] == 1.0  # memorised: the terminal phase
    assert history.metrics["nc1"][-1] < history.metrics["nc1"][0] / 5
    assert history.metrics["ncc_mismatch"][-1] < history.metrics["ncc_mismatch"][0]


def test_run_and_save_round_trip(tmp_path):
    path = tmp_path / "runs" / "tiny.json"
    saved = rn.run_and_save(_tiny_config(epochs=1), path, command="pytest tiny run", progress=False)
    loaded = rn.load_results(path)
    np.testing.assert_array_equal(loaded.epochs, saved.epochs)
    for name in saved.metrics:
        np.testing.assert_allclose(loaded.metrics[name], saved.metrics[name], rtol=1e-15, err_msg=name)
    assert loaded.config == saved.config == _tiny_config(epochs=1).as_dict()
    provenance = loaded.provenance
    assert provenance["command"] == "pytest tiny run" and provenance["device"].startswith("cpu")
    assert provenance["wall_time_s"] > 0 and provenance["versions"]["torch"] == torch.__version__
    assert provenance["date"][:2] == "20"
    assert not (tmp_path / "runs" / "tiny.json.tmp").exists()


@pytest.mark.parametrize(
    "corrupt, problem",
    [
        (lambda d: d.pop("provenance"), "missing"),
        (lambda d: d.update(format="something/else"), "format"),
        (lambda d: d["history"].pop("nc1"), "history is missing"),
        (lambda d: d["history"]["nc1"].append(0.1), "differ in length"),
        (lambda d: d["history"].update(test_accuracy=[1.5]), r"must lie in \[0, 1\]"),
        (lambda d: d["history"].update(nc1=["a lot"]), "list of numbers"),
        (lambda d: d["history"].update(epoch=[0]), "increasing integers"),
        (lambda d: d["config"].update(epochs=-1), "config"),
        (lambda d: d["config"].update(colour="blue"), "unknown settings"),
        (lambda d: d["provenance"].pop("device"), "provenance is missing"),
    ],
)
def test_load_results_rejects_malformed_files(tmp_path, corrupt, problem):
    history = rn.CollapseHistory(
        epochs=np.array([1]),
        metrics={name: np.array([0.5]) for name in rn.HISTORY_KEYS[1:]},
        config=_tiny_config(epochs=1).as_dict(),
        provenance={"device": "cpu", "date": "2025-01-01", "command": "x", "wall_time_s": 1.0, "versions": {}},
    )
    good = tmp_path / "good.json"
    good.write_text(json.dumps(history.to_dict()))
    rn.load_results(good)  # the uncorrupted file loads
    document = history.to_dict()
    corrupt(document)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=problem):
        rn.load_results(bad)


def test_load_results_rejects_non_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": ')
    with pytest.raises(ValueError, match="not JSON"):
        rn.load_results(path)


def test_train_config_validation():
    with pytest.raises(ValueError, match="dataset"):
        rn.TrainConfig(dataset="imagenet")
    with pytest.raises(ValueError, match="momentum"):
        rn.TrainConfig(momentum=1.0)
    with pytest.raises(ValueError, match="epochs"):
        rn.TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="device"):
        rn.TrainConfig(device="tpu")
    assert rn.TrainConfig(epochs=350).milestones == (116, 233)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            rn.train_collapse(rn.random_images(8, 4), _tiny_config(device="cuda"))


def test_load_cifar10_extracts_the_archive(tmp_path):
    import tarfile

    _fake_cifar_folder(tmp_path / "staging" / "cifar-10-batches-py", n_per_batch=2)
    with tarfile.open(tmp_path / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "staging" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    data = rn.load_cifar10(tmp_path)
    assert data.x_train.shape == (10, 3, 32, 32) and (tmp_path / "cifar-10-batches-py" / "test_batch").is_file()


def test_train_collapse_needs_every_class_in_the_metric_samples():
    with pytest.raises(ValueError, match="class 8 has no training sample"):
        rn.train_collapse(rn.random_images(8, 4), _tiny_config(n_train=None))
