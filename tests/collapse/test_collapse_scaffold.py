"""The chapter's modules after the split by topic, and its two torch trainers on the training scaffold.

Both trainers (the MNIST MLP and ResNet18) record the same ``COLLAPSE_KEYS`` through one measurement, run
their epochs through ``labhelpers.runs.train_loop`` piece by piece (init, step, measure), and expose the
throughput; a ResNet run stores it, and a file stored before it still loads.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from labhelpers import collapse as co
from labhelpers.collapse import metrics, mnist_mlp
from labhelpers.collapse import resnet as rn
from labhelpers.collapse.resnet import train as rn_train
from labhelpers.runs import Throughput

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _clusters(n=24, n_classes=3, dim=6, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), n // n_classes)
    X = (2.0 * np.eye(n_classes, dim)[y] + rng.standard_normal((n, dim))).astype(np.float32)
    return X, y


def _tiny_config(**changes):
    settings = dict(dataset="random", epochs=2, batch_size=8, max_batches=1, width=4, n_train=20)
    settings.update(changes)
    return rn.TrainConfig(**settings)


# ---------------------------------------------------------------------------- the modules
def test_one_collapse_keys_for_both_trainers_in_the_order_of_collapse_metrics():
    assert mnist_mlp.COLLAPSE_KEYS is metrics.COLLAPSE_KEYS is rn.COLLAPSE_KEYS is rn_train.COLLAPSE_KEYS
    assert metrics.COLLAPSE_KEYS == tuple(item.name for item in dataclasses.fields(co.CollapseMetrics))


def test_every_public_resnet_name_is_reachable_from_the_package():
    for name in rn.__all__:
        assert getattr(rn, name) is not None, name
    for name in ("TrainConfig", "CollapseHistory", "train_collapse", "load_results", "main", "ResNet18"):
        assert getattr(co, name) is getattr(rn, name)


def test_the_command_line_still_answers_help():
    done = subprocess.run(
        [sys.executable, "-m", "labhelpers.collapse.resnet", "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "--out" in done.stdout and "--lr-decay-epochs" in done.stdout


# ---------------------------------------------------------------------------- shared pieces
def test_collapse_values_are_the_metrics_of_the_float64_tensors():
    X, y = _clusters()
    W = np.random.default_rng(1).standard_normal((3, 6))
    b = np.array([0.1, -0.2, 0.3])
    values = metrics.collapse_values(torch.tensor(X), y, torch.tensor(W, dtype=torch.float32), torch.tensor(b), 3)
    expected = co.collapse_metrics(X.astype(np.float64), y, W.astype(np.float32).astype(np.float64), b, n_classes=3)
    assert list(values) == list(metrics.COLLAPSE_KEYS)
    assert all(type(value) is float for value in values.values())
    assert values == expected.as_dict()


@pytest.mark.parametrize("name", ["mse", "cross_entropy"])
def test_classification_loss_is_the_loss_of_eq_2_or_cross_entropy(name):
    logits = torch.tensor([[2.0, -1.0, 0.5], [0.0, 1.0, 3.0]])
    y = torch.tensor([0, 2])
    loss = mnist_mlp.classification_loss(torch, name, 3)(logits, y)
    if name == "mse":
        expected = 0.5 * ((logits - torch.eye(3)[y]) ** 2).sum(1).mean()
    else:
        expected = torch.nn.functional.cross_entropy(logits, y)
    assert loss.dtype == torch.float32 and float(loss) == float(expected)
    # a bfloat16 output of autocast is taken in float32
    half = mnist_mlp.classification_loss(torch, name, 3)(logits.bfloat16(), y)
    assert half.dtype == torch.float32


# ---------------------------------------------------------------------------- the MLP trainer, piece by piece
def test_the_mlp_steps_and_measures_piece_by_piece():
    X, y = _clusters()
    config = dict(hidden=[5], n_classes=3, seed=0, lr=0.05, momentum=0.9, init_scale=1.0, weight_decay=0.0)
    config.update(batch_size=10, loss="mse", epochs=1)
    run = mnist_mlp._MLPTraining(torch, (X, y, X[:6], y[:6]), config, torch.device("cpu"))
    before = run.measure(0)
    assert list(before) == list(mnist_mlp.METRIC_KEYS)
    assert run.train_epoch(1) == 24 and run.steps == 3  # batches of 10, 10 and 4
    after = run.measure(1)
    assert after["train_loss"] < before["train_loss"]


def test_the_mlp_run_exposes_its_throughput():
    X, y = _clusters()
    run = co.train_collapse_mlp(X, y, X, y, hidden=(5,), epochs=3, batch_size=8, progress=False)
    assert isinstance(run.throughput, Throughput)
    assert run.throughput.samples == 3 * 24 and 0 < run.throughput.train_seconds <= run.seconds
    weights = (6 + 1) * 5 + (5 + 1) * 3
    assert run.throughput.flops_per_sample == 6.0 * weights and run.throughput.gflops_per_second > 0


# ---------------------------------------------------------------------------- the ResNet trainer, piece by piece
def test_the_resnet_steps_and_measures_piece_by_piece():
    config = _tiny_config(max_batches=None, batch_size=7)
    run = rn_train._ResNetTraining(rn.load_data(config), config, torch.device("cpu"))
    # 20 samples in batches of 7, 7 and 6
    assert run.train_epoch(1) == 20 and run.steps == 3 and np.isfinite(run.train_loss)
    values = run.measure(1)
    assert list(values) == list(rn.HISTORY_KEYS) and values["epoch"] == 1 and values["lr"] == config.lr
    assert run.optimizer.param_groups[0]["lr"] == pytest.approx(config.lr * config.lr_decay)  # decayed after epoch 1


def test_the_resnet_step_stops_at_max_batches():
    config = _tiny_config(max_batches=2, batch_size=8)
    run = rn_train._ResNetTraining(rn.load_data(config), config, torch.device("cpu"))
    assert run.train_epoch(1) == 16 and run.steps == 2


def test_a_resnet_run_stores_its_throughput_and_reads_it_back(tmp_path):
    config = _tiny_config()
    path = tmp_path / "run.json"
    history = rn.run_and_save(config, path, command="test", progress=False)
    assert isinstance(history.throughput, Throughput) and history.throughput.samples == 2 * 8
    document = json.loads(path.read_text())
    assert document["throughput"] == history.throughput.as_dict()
    loaded = rn.load_results(path)
    assert loaded.throughput == history.throughput
    assert loaded.to_dict()["throughput"] == document["throughput"]


def test_the_stored_run_without_throughput_still_loads():
    from labhelpers.runs.resources import results_file

    stored = rn.load_results(results_file("resnet18_mnist_cpu.json"))
    assert stored.throughput is None and "throughput" not in stored.to_dict()


def test_a_stored_throughput_longer_than_the_run_is_refused(tmp_path):
    path = tmp_path / "run.json"
    rn.run_and_save(_tiny_config(), path, command="test", progress=False)
    document = json.loads(path.read_text())
    document["throughput"]["train_seconds"] = 10 * document["provenance"]["wall_time_s"] + 1.0
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="the training took"):
        rn.load_results(path)


# ---------------------------------------------------------------------------- weight-decay clocks
def _book_clocks(config, n_train):
    """The chapter's former helper, kept here as the reference the method must reproduce bit for bit."""
    steps_per_epoch = int(np.ceil(n_train / config.batch_size))
    bounds = [0, *config.milestones, config.epochs]
    clock = (1 - config.momentum) / (config.lr * config.weight_decay)
    lengths = np.diff(bounds) * steps_per_epoch
    return lengths / (clock / config.lr_decay ** np.arange(lengths.size))


def test_clocks_per_phase_by_hand():
    # 25 samples in batches of 10: 3 steps an epoch, 6 steps a phase. The clock (1 - 0.5) / (0.1 x 0.01) is
    # 500 steps, then 1000 and 2000 after each halving of the learning rate.
    config = rn.TrainConfig(
        epochs=6, batch_size=10, lr=0.1, momentum=0.5, weight_decay=0.01, lr_decay_epochs=(2, 4), lr_decay=0.5
    )
    np.testing.assert_allclose(config.clocks_per_phase(25), [6 / 500, 6 / 1000, 6 / 2000], rtol=1e-12)
    capped = dataclasses.replace(config, max_batches=2)  # at most 2 steps an epoch
    np.testing.assert_allclose(capped.clocks_per_phase(25), [4 / 500, 4 / 1000, 4 / 2000], rtol=1e-12)


def test_clocks_per_phase_are_the_chapters_numbers():
    from labhelpers.runs.resources import results_file

    ours = rn.TrainConfig.from_dict(json.loads(results_file("resnet18_mnist_cpu.json").read_text())["config"])
    for config, n_train in ((ours, ours.n_train), (rn.TrainConfig(), 50_000)):
        assert np.array_equal(config.clocks_per_phase(n_train), _book_clocks(config, n_train))


def test_clocks_per_phase_refuses_bad_input():
    with pytest.raises(ValueError, match="n_train"):
        rn.TrainConfig().clocks_per_phase(0)
    with pytest.raises(ValueError, match="weight_decay"):
        rn.TrainConfig(weight_decay=0.0).clocks_per_phase(100)
