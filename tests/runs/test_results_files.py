"""Stored result files: schema validation, clear refusals that name the file, and atomic writes.

Every bad file is a copy of a shipped file (``labhelpers/results``) with one thing broken, written to
``tmp_path``; each refusal must name that file and the problem. The shipped files themselves are only read.
"""

from __future__ import annotations

import copy
import json
import os
import re
import sys

import numpy as np
import pytest

from labhelpers.collapse import resnet as rn
from labhelpers.grokking import mnist as gm
from labhelpers.grokking import mnist_results as gr
from labhelpers.grokking import modular as gk_modular
from labhelpers.grokking import modular_results as mr
from labhelpers.runs import provenance, schema
from labhelpers.runs.resources import results_file

SHIPPED = {
    "resnet": ("resnet18_mnist_cpu.json", rn.load_results),
    "grokking": ("grokking_mnist_cpu.json", gr.load_results),
    "benchmark": ("grokking_mnist_benchmark_cpu.json", gr.load_benchmark),
    "modular": ("grokking_modular_cpu.json", mr.load_modular),
}


def _shipped(kind: str) -> dict:
    return json.loads(results_file(SHIPPED[kind][0]).read_text())


def _refused(tmp_path, kind: str, document, problem: str):
    """Write ``document`` (a dict, text or bytes) to tmp_path and check the loader names file and problem."""
    path = tmp_path / f"bad_{kind}.json"
    if isinstance(document, bytes):
        path.write_bytes(document)
    else:
        path.write_text(document if isinstance(document, str) else json.dumps(document))
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + problem) as caught:
        SHIPPED[kind][1](path)
    return str(caught.value)


def _broken(kind: str, change) -> dict:
    document = copy.deepcopy(_shipped(kind))
    change(document)
    return document


# ---------------------------------------------------------------------------- the shipped files
@pytest.mark.parametrize("kind", sorted(SHIPPED))
def test_the_shipped_files_load(kind):
    name, load = SHIPPED[kind]
    before = results_file(name).read_bytes()
    load(results_file(name))
    assert results_file(name).read_bytes() == before  # reading never touches a stored file


def test_loaders_return_what_the_file_holds():
    raw = _shipped("resnet")
    history = rn.load_results(results_file("resnet18_mnist_cpu.json"))
    assert history.epochs.dtype.kind == "i" and list(history.epochs) == raw["history"]["epoch"]
    for key in rn.HISTORY_KEYS[1:]:
        np.testing.assert_array_equal(history.metrics[key], raw["history"][key])
    assert history.provenance == raw["provenance"] and history.config == raw["config"]
    raw = _shipped("grokking")
    run = gr.load_results(results_file("grokking_mnist_cpu.json"))
    np.testing.assert_array_equal(run.train_loss, raw["history"]["train_loss"])
    assert run.settings == raw["settings"] and run.method == raw["method"] and run.data == raw["data"]
    assert gr.load_benchmark(results_file("grokking_mnist_benchmark_cpu.json")) == _shipped("benchmark")


def test_schemas_match_the_modules():
    formats = {
        kind: s["properties"]["format"]["const"] for kind, s in schema.SCHEMAS.items() if kind != "provenance record"
    }
    assert formats == {
        "collapse-run": rn.RESULTS_FORMAT,
        "grokking run": gm.RESULTS_FORMAT,
        "grokking benchmark": gr.BENCHMARK_FORMAT,
        "grokking modular run": mr.RESULTS_FORMAT,
    }
    assert tuple(schema.RESNET_RUN_SCHEMA["properties"]["history"]["required"]) == rn.HISTORY_KEYS
    assert set(schema.GROKKING_RUN_SCHEMA["properties"]["history"]["required"]) == set(gm.HISTORY_KEYS)
    config_keys = set(schema.RESNET_RUN_SCHEMA["properties"]["config"]["properties"])
    assert config_keys == set(rn.TrainConfig().as_dict())
    assert set(gm.DEFAULT_SETTINGS) <= set(schema.GROKKING_RUN_SCHEMA["properties"]["settings"]["properties"])
    modular = schema.MODULAR_RUN_SCHEMA["properties"]
    assert modular["configs"]["items"]["required"] == ["name", *gk_modular.SCALES]
    assert set(gk_modular.DEFAULT_SETTINGS) <= set(modular["settings"]["required"])
    assert modular["settings"]["properties"]["p"]["maximum"] == gk_modular.MAX_MODULUS
    assert tuple(modular["history"]["required"]) == gk_modular.HISTORY_KEYS


# ---------------------------------------------------------------------------- unreadable files, every kind
@pytest.mark.parametrize("kind", sorted(SHIPPED))
@pytest.mark.parametrize(
    "content, problem",
    [
        ("", "empty"),
        (" \n\t", "empty"),
        (b"PK\x03\x04\x00\x00binary", "binary"),
        (b"\xff\xfe{\x00", "binary"),
        (b'{"format": "\xe9t\xe9"}', "binary, not UTF-8"),
        ("{]", "not valid JSON"),
        ("[1, 2]", "the file must be an object"),
        ("null", "the file must be an object"),
    ],
)
def test_unreadable_files_are_refused(tmp_path, kind, content, problem):
    _refused(tmp_path, kind, content, problem)


@pytest.mark.parametrize("kind", sorted(SHIPPED))
def test_truncated_files_are_refused(tmp_path, kind):
    text = results_file(SHIPPED[kind][0]).read_text()
    for cut in (1, len(text) // 2, len(text) - 2):
        _refused(tmp_path, kind, text[:cut], "truncated")


@pytest.mark.parametrize("kind", sorted(SHIPPED))
def test_nan_and_infinity_are_refused_with_their_place(tmp_path, kind):
    text = json.dumps(_shipped(kind))
    value = str(_shipped(kind)["provenance"]["wall_time_s"])
    for bad, word in (("NaN", "nan"), ("-Infinity", "-inf"), ("1e999", "inf")):
        _refused(tmp_path, kind, text.replace(value, bad), rf"provenance\['wall_time_s'\] is {word}")


@pytest.mark.parametrize("kind", sorted(SHIPPED))
def test_provenance_is_checked(tmp_path, kind):
    _refused(
        tmp_path, kind, _broken(kind, lambda d: d["provenance"].pop("device")), r"provenance is missing \['device'\]"
    )
    negative = _broken(kind, lambda d: d["provenance"].update(wall_time_s=-1.0))
    _refused(tmp_path, kind, negative, r"wall_time_s'\] must be >= 0 \(a time in seconds, never negative\); got -1.0")
    _refused(tmp_path, kind, _broken(kind, lambda d: d["provenance"].update(date="yesterday")), "ISO 8601")
    _refused(tmp_path, kind, _broken(kind, lambda d: d["provenance"]["versions"].pop("torch")), "versions")
    _refused(tmp_path, kind, _broken(kind, lambda d: d.update(format="other/1")), "format is 'other/1'")
    _refused(tmp_path, kind, _broken(kind, lambda d: d.pop("provenance")), r"the file is missing \['provenance'\]")


def test_bad_paths_and_oversized_files(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="path must be a file path"):
        rn.load_results(3)
    missing = tmp_path / "nowhere.json"
    for load in (gr.load_results, rn.load_results):  # a clear ValueError naming path, the file and the folder
        with pytest.raises(ValueError, match=r"path '.*nowhere\.json'"):
            load(missing)
        with pytest.raises(ValueError, match=r"path '.*' is a folder"):
            load(tmp_path)
    with pytest.raises(FileNotFoundError, match="nowhere.json"):  # still what code looking for a file catches
        schema.read_results(missing, "collapse-run")
    monkeypatch.setattr(schema, "MAX_BYTES", 100)
    _refused(tmp_path, "benchmark", _shipped("benchmark"), "more than the 100 a result file may have")


# ---------------------------------------------------------------------------- the ResNet collapse run
def _resnet(change) -> dict:
    return _broken("resnet", change)


@pytest.mark.parametrize(
    "change, problem",
    [
        (
            lambda d: d["history"]["train_loss"].__setitem__(3, -0.25),
            r"history\['train_loss'\]\[3\] must be >= 0 \(a loss",
        ),
        (lambda d: d["history"]["epoch_seconds"].__setitem__(0, -1.0), r"epoch_seconds'\]\[0\] must be >= 0"),
        (lambda d: d["history"]["train_accuracy"].__setitem__(5, 1.5), r"must lie in \[0, 1\]"),
        (lambda d: d["history"]["nc1"].pop(), "history lists differ in length"),
        (lambda d: d["history"]["nc1"].__setitem__(0, True), r"nc1'\]\[0\] must be a number; got True"),
        (lambda d: d["history"]["epoch"].reverse(), r"history\['epoch'\] must increase"),
        (lambda d: d["config"].update(epochs=100), r"past config\['epochs'\] = 100|config:"),
        (lambda d: d["config"].update(n_train=5000), r"config\['n_train'\] is 5000, but the data message records 500"),
        (lambda d: d["config"].update(n_test=199), r"config\['n_test'\] is 199, but the data message records 200"),
        (
            lambda d: d["config"].update(n_metric=900),
            r"n_metric.*900.* (is more than the|must be at most n_train \()500",
        ),
        (lambda d: d["config"].update(lr=0.1), r"history\['lr'\] is 0.0679 at epoch 1"),
        (lambda d: d["config"].update(lr_decay_epochs=[100, 300]), r"history\['lr'\] .* at epoch 101"),
        (lambda d: d["provenance"].update(data="cifar10"), r"provenance\['data'\] is 'cifar10'"),
        (lambda d: d["provenance"].update(wall_time_s=60.0), "more than the run's wall time 60.0 s"),
        (lambda d: d["config"].update(colour="blue"), "unknown settings"),
        (lambda d: d["config"].update(dataset="imagenet"), r"config\['dataset'\] must be one of"),
        (lambda d: d["history"].update(lr=[]), r"history\['lr'\] must not be empty"),
    ],
)
def test_resnet_run_refusals(tmp_path, change, problem):
    _refused(tmp_path, "resnet", _resnet(change), problem)


# ---------------------------------------------------------------------------- the grokking run
@pytest.mark.parametrize(
    "change, problem",
    [
        (lambda d: d["configs"][1].update(name="default"), r"duplicate names: \['default'\]"),
        (lambda d: d["history"]["train_loss"].pop(), r"history\['train_loss'\] has 4 rows for 5 configs"),
        (
            lambda d: d["history"]["test_accuracy"][2].append(0.5),
            r"test_accuracy'\]\[2\] has 482 values for 481 epochs",
        ),
        (lambda d: d["initial_ratio"].pop(), "initial_ratio has 4 values for 5 configs"),
        (
            lambda d: d["history"]["train_loss"][0].__setitem__(7, -1e-3),
            r"train_loss'\]\[0\]\[7\] must be >= 0 \(a loss",
        ),
        (lambda d: d.update(train_seconds=-3.0), r"train_seconds must be >= 0 \(a time"),
        (
            lambda d: d["settings"].update(n_train=2000),
            r"settings\['n_train'\] is 2000, but the data message records 1000",
        ),
        (lambda d: d["settings"].update(epochs=1000), r"epochs end at 2000, but settings\['epochs'\] is 1000"),
        (lambda d: d.update(epochs=d["epochs"][::-1]), "epochs must increase from 0"),
        (lambda d: d.update(train_seconds=5000.0), "train_seconds = 5000.0 is more than the run's wall time"),
        (lambda d: d["configs"][0].update(colour="red"), r"configs\[0\] has unknown entries \['colour'\]"),
        (lambda d: d["configs"][3].update(input_scale=0), r"configs\[3\]\['input_scale'\] must be > 0; got 0"),
        (lambda d: d.update(configs=[]), "configs must not be empty"),
        (lambda d: d.update(method="fast"), "method must be one of"),
        (lambda d: d["settings"].update(depth=1), r"settings\['depth'\] must be >= 2"),
    ],
)
def test_grokking_run_refusals(tmp_path, change, problem):
    _refused(tmp_path, "grokking", _broken("grokking", change), problem)


# ---------------------------------------------------------------------------- the grokking benchmark
@pytest.mark.parametrize(
    "change, problem",
    [
        (lambda d: d.update(loop_s=-12.0), r"loop_s must be > 0 \(a time in seconds, positive\); got -12.0"),
        (lambda d: d.update(batched_s=0), "batched_s must be > 0"),
        (lambda d: d.update(ratio=2.0), r"ratio is 2.0, but batched_s / loop_s = 1.05"),
        (lambda d: d.update(max_loss_difference=-1e-7), "max_loss_difference must be >= 0"),
        (lambda d: d["provenance"].update(wall_time_s=20.0), "batched_s \\+ loop_s = .* wall time 20.0 s"),
        (lambda d: d["settings"].update(epochs="20"), r"settings\['epochs'\] must be an integer; got '20'"),
    ],
)
def test_benchmark_refusals(tmp_path, change, problem):
    _refused(tmp_path, "benchmark", _broken("benchmark", change), problem)


# ---------------------------------------------------------------------------- atomic writes
def _left(folder) -> list[str]:
    return sorted(os.listdir(folder))


def test_a_write_leaves_only_the_file_with_the_usual_mode(tmp_path):
    path = provenance.write_json({"a": [1, 2.5]}, tmp_path / "sub" / "out.json")
    assert _left(path.parent) == ["out.json"] and json.loads(path.read_text()) == {"a": [1, 2.5]}
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~mask


@pytest.mark.parametrize(
    "value, problem",
    [
        (list(range(20_000)) + [object()], "not JSON-serialisable .*object"),  # fails after ~100 kB are written
        ([0.5] * 20_000 + [float("nan")], "not JSON-serialisable .*nan"),
    ],
)
def test_a_failed_serialisation_leaves_the_old_file_and_no_temporary(tmp_path, value, problem):
    path = tmp_path / "run.json"
    provenance.write_json({"old": True}, path)
    with pytest.raises(ValueError, match=f"cannot write {re.escape(str(path))}: the results are {problem}"):
        provenance.write_json({"history": value}, path)
    assert _left(tmp_path) == ["run.json"] and json.loads(path.read_text()) == {"old": True}


@pytest.mark.parametrize("step", ["mkstemp", "fsync", "replace"])
def test_a_failed_disk_operation_leaves_no_temporary(tmp_path, monkeypatch, step):
    path = tmp_path / "run.json"
    provenance.write_json({"old": True}, path)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    target = provenance.tempfile if step == "mkstemp" else provenance.os
    monkeypatch.setattr(target, step, refuse)
    with pytest.raises(PermissionError, match=f"cannot write {re.escape(str(path))}: Permission denied"):
        provenance.write_json({"new": True}, path)
    monkeypatch.undo()
    assert _left(tmp_path) == ["run.json"] and json.loads(path.read_text()) == {"old": True}


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root (or Windows) ignores a read-only folder")
def test_a_read_only_folder_is_refused_naming_the_file(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match=re.escape(str(folder / "run.json"))):
            provenance.write_json({"a": 1}, folder / "run.json")
        assert _left(folder) == []
    finally:
        folder.chmod(0o755)


def test_run_files_round_trip_through_the_atomic_writer(tmp_path):
    for kind in ("resnet", "grokking", "benchmark"):
        path = provenance.write_json(_shipped(kind), tmp_path / f"{kind}.json")
        SHIPPED[kind][1](path)
    assert _left(tmp_path) == ["benchmark.json", "grokking.json", "resnet.json"]


def test_a_folder_is_refused_before_a_run_starts(tmp_path):
    with pytest.raises(ValueError, match=f"{re.escape(str(tmp_path))} is a folder"):
        provenance.write_json({"a": 1}, tmp_path)
    with pytest.raises(ValueError, match="is a folder"):
        gr.run_and_save(tmp_path, progress=False)  # refused before MNIST is even loaded
    with pytest.raises(ValueError, match="path must be a file path"):
        rn.run_and_save(rn.TrainConfig(dataset="random", epochs=1), None)


_THROUGHPUT = {"train_seconds": 2.0, "samples": 1000, "samples_per_second": 500.0, "gflops_per_second": None}


@pytest.mark.parametrize("kind", ["resnet", "grokking"])
def test_a_recorded_throughput_loads_and_a_bad_one_is_refused(tmp_path, kind):
    """Runs trained on the scaffold (labhelpers.runs.loop) record their throughput; older files lack it."""
    good = _shipped(kind) | {"throughput": dict(_THROUGHPUT)}
    path = tmp_path / f"good_{kind}.json"
    path.write_text(json.dumps(good))
    SHIPPED[kind][1](path)
    _refused(tmp_path, kind, good | {"throughput": _THROUGHPUT | {"samples": -1}}, "throughput")
    _refused(tmp_path, kind, good | {"throughput": _THROUGHPUT | {"extra": 1}}, "throughput")
