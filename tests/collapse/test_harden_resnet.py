"""Bad and edge inputs of labhelpers.collapse.resnet (issue 11, items 2, 3 and 7): every one gets a clear error that
names the argument, before anything large is allocated or trained.

All cases are refused up front, so the file runs in a second or two on the CPU.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from labhelpers.collapse import resnet as rn
from labhelpers.collapse.resnet import model as rn_model
from labhelpers.runs import schema

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _refused_fast(function, *args, match: str, **kwargs) -> None:
    """``function(*args, **kwargs)`` raises a ValueError matching ``match`` within a second (nothing allocated)."""
    started = time.perf_counter()
    with pytest.raises(ValueError, match=match):
        function(*args, **kwargs)
    assert time.perf_counter() - started < 1.0


# ---------------------------------------------------------------------------- sizes that cannot fit
@pytest.mark.parametrize("size", [10**12, 10**30, 2**57 - 1], ids=["1e12", "1e30", "2^57"])
@pytest.mark.parametrize(
    "function, baseline, name",
    [
        (rn.BasicBlock, dict(in_channels=2, out_channels=4, stride=2), "in_channels"),
        (rn.BasicBlock, dict(in_channels=2, out_channels=4, stride=2), "out_channels"),
        (rn.ResNet18, dict(num_classes=4, in_channels=1, width=2), "num_classes"),
        (rn.ResNet18, dict(num_classes=4, in_channels=1, width=2), "in_channels"),
        (rn.ResNet18, dict(num_classes=4, in_channels=1, width=2), "width"),
        (rn.random_images, dict(n_train=8, n_test=4, n_classes=4, channels=1, size=8), "n_train"),
        (rn.random_images, dict(n_train=8, n_test=4, n_classes=4, channels=1, size=8), "n_test"),
        (rn.random_images, dict(n_train=8, n_test=4, n_classes=4, channels=1, size=8), "channels"),
        (rn.random_images, dict(n_train=8, n_test=4, n_classes=4, channels=1, size=8), "size"),
    ],
)
def test_a_size_too_large_for_memory_is_refused_naming_that_size(function, baseline, name, size):
    """The message names the size that was asked for (``in_channels = 10**12``), not a derived one."""
    _refused_fast(function, **{**baseline, name: size}, match=rf"^{name} = {size} asks for about .* GiB")


def test_the_size_check_leaves_legal_networks_alone():
    assert sum(p.numel() for p in rn.ResNet18().parameters()) == 11_173_962
    block = rn.BasicBlock(64, 128, stride=2)
    weights = sum(p.numel() for p in block.parameters())
    assert weights <= rn_model._block_weight_count(64, 128)  # the estimate bounds the block from above
    # the ResNet18 estimate, classifier included, is its parameter count up to the batch norms (< 0.1 %)
    model = rn.ResNet18(num_classes=7, in_channels=2, width=8)
    estimate = rn_model._weight_count(2, 8, (2, 2, 2, 2), 7)
    batch_norms = sum(p.numel() for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d) for p in m.parameters())
    assert estimate == sum(p.numel() for p in model.parameters()) - batch_norms


def test_random_images_needs_a_training_image_per_class():
    _refused_fast(rn.random_images, 8, 4, n_classes=10, match=r"n_classes \(10\) must be at most n_train \(8\)")
    _refused_fast(rn.random_images, 8, 4, n_classes=10**30, match="n_classes")
    data = rn.random_images(10, 4, n_classes=10, seed=3)
    assert sorted(data.y_train.tolist()) == list(range(10))


# ---------------------------------------------------------------------------- TrainConfig
@pytest.mark.parametrize(
    "name", ["width", "batch_size", "eval_batch_size", "n_train", "n_test", "n_metric", "max_batches", "epochs"]
)
@pytest.mark.parametrize("size", [10**30, 2**63, rn.MAX_SIZE + 1])
def test_train_config_refuses_absurd_sizes_naming_the_field(name, size):
    _refused_fast(rn.TrainConfig, **{name: size}, match=rf"^{name} must be an integer <= ")


def test_train_config_accepts_the_largest_sizes_and_numpy_integers():
    config = rn.TrainConfig(n_train=rn.MAX_SIZE, n_metric=np.int64(10), eval_batch_size=np.uint32(rn.MAX_SIZE))
    assert config.n_train == rn.MAX_SIZE and type(config.n_metric) is int and config.eval_batch_size == rn.MAX_SIZE


@pytest.mark.parametrize(
    "device, stored",
    [
        ("cpu", "cpu"),
        ("CPU", "cpu"),
        (" Cuda:1 ", "cuda:1"),
        (torch.device("cpu"), "cpu"),
        (torch.device("cuda", 3), "cuda:3"),
        ("cuda:99", "cuda:99"),  # spelling only: whether the machine has it is asked when training starts
        ("auto", "auto"),
        ("mps", "mps"),
    ],
)
def test_train_config_takes_every_device_spelling_the_resolver_takes(device, stored):
    config = rn.TrainConfig(device=device)
    assert config.device == stored
    assert rn.TrainConfig.from_dict(config.as_dict()).device == stored  # a stored GPU run loads anywhere


@pytest.mark.parametrize("device", ["gpu", "tpu", "", "cuda:", "cuda:x", "cpu:0", 0, None, True])
def test_train_config_refuses_what_the_resolver_refuses(device):
    _refused_fast(rn.TrainConfig, device=device, match="^device must be")


def test_a_cuda_config_runs_only_where_cuda_is():
    data = rn.random_images(8, 4, n_classes=4, channels=1, size=8)
    config = rn.TrainConfig(dataset="random", epochs=1, batch_size=8, width=2, device="cuda:99")
    if torch.cuda.device_count() < 100:
        with pytest.raises(ValueError, match="config.device"):
            rn.train_collapse(data, config, progress=False)


# ---------------------------------------------------------------------------- edited records
def _images():
    return rn.random_images(16, 8, n_classes=4, channels=1, size=8, seed=0)


def _edited(record, **fields):
    """What a user's in-place edit leaves behind: the fields replaced without the constructor's checks."""
    for name, value in fields.items():
        object.__setattr__(record, name, value)
    return record


@pytest.mark.parametrize(
    "fields, problem",
    [
        (dict(x_train=np.full((16, 1, 8, 8), np.nan)), r"data\.x_train must be uint8 images"),
        (dict(x_train=np.zeros(1, np.uint8)), r"data\.x_train must be uint8 images .* got uint8 \(1,\)"),
        (dict(y_train=np.full(16, 7)), r"data\.y_train must be non-empty with labels in 0\.\.3"),
        (dict(y_test=np.zeros(3, int)), r"data\.y_test must be integer labels, one per image \(8\)"),
        (dict(x_test=np.zeros((8, 1, 9, 9), np.uint8)), r"data\.x_train and data\.x_test must have the same"),
        (dict(n_classes=1), r"data\.n_classes must be an integer >= 2"),
        (dict(name=3), r"data\.name must be a string"),
    ],
)
def test_train_collapse_rechecks_an_edited_data_set(fields, problem):
    config = rn.TrainConfig(dataset="random", epochs=1, batch_size=8, width=2, amp=False)
    _refused_fast(rn.train_collapse, _edited(_images(), **fields), config, progress=False, match=problem)


def test_image_data_keeps_its_unprefixed_messages():
    data = _images()
    with pytest.raises(ValueError, match=r"^x_test must be uint8"):
        rn.ImageData(data.x_train, data.y_train, data.x_test.astype(float), data.y_test, 4)


def _history(n=3):
    metrics = {name: np.full(n, 0.5) for name in rn.HISTORY_KEYS[1:]}
    metrics["train_accuracy"] = np.linspace(0.5, 1.0, n)
    config = rn.TrainConfig(dataset="random", epochs=n, batch_size=8, width=2).as_dict()
    return rn.CollapseHistory(np.arange(1, n + 1), metrics, config)


@pytest.mark.parametrize(
    "edit, problem",
    [
        (lambda h: _edited(h, epochs=np.array([1.0, np.nan, 3.0])), r"history\.epochs must contain only finite"),
        (
            lambda h: _edited(h, epochs=np.array([1])),
            r"history\.metrics\['lr'\] has 3 values but history\.epochs has 1",
        ),
        (lambda h: _edited(h, epochs=np.array([1, 3, 2])), r"history\.epochs must be increasing whole numbers"),
        (lambda h: _edited(h, epochs=np.array([1.0, 1.5, 2.0])), r"history\.epochs must be increasing whole numbers"),
        (lambda h: _edited(h, epochs=np.ones((3, 1))), r"history\.epochs must be 1-D"),
        (lambda h: _edited(h, metrics=[1.0]), r"history\.metrics must be a dict"),
        (lambda h: h.metrics["nc1"].__setitem__(1, np.inf), r"history\.metrics\['nc1'\] must contain only finite"),
        (lambda h: h.metrics.__setitem__("nc1", np.ones(4)), r"history\.metrics\['nc1'\] has 4 values"),
    ],
)
@pytest.mark.parametrize("reader", [rn.terminal_phase, rn.plot_history], ids=["terminal_phase", "plot_history"])
def test_an_edited_history_is_refused_naming_what_is_wrong(edit, problem, reader):
    history = _history()
    edit(history)
    _refused_fast(reader, history, match=problem)


def test_a_valid_history_still_reads():
    summary = rn.terminal_phase(_history())
    assert summary.zero_error_epoch == 3 and summary.nc1_fall == 1.0


# ---------------------------------------------------------------------------- result files
def test_load_results_names_path_for_a_missing_file_or_a_folder(tmp_path):
    missing = tmp_path / "missing.json"
    with pytest.raises(ValueError, match=r"^path '.*missing\.json' does not exist") as error:
        rn.load_results(missing)
    assert isinstance(error.value, FileNotFoundError) and isinstance(error.value, schema.ResultsFileError)
    with pytest.raises(ValueError, match=r"^path '.*' is a folder; give the collapse-run file inside it"):
        rn.load_results(tmp_path)


def test_load_results_names_path_for_an_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "run.json"
    path.write_text("{}")

    def refuse(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(type(path), "read_bytes", refuse)
    with pytest.raises(schema.ResultsFileError, match=r"^path '.*run\.json' cannot be read .*: Permission denied"):
        rn.load_results(path)
