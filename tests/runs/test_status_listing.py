"""What the execution status page lists: the build machine and every stored run's provenance.

``machine()`` is compared with what the standard library and numpy report themselves; ``stored_runs()``
must read every shipped file through its schema and refuse a broken or unknown file by name.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import datetime, timezone

import numpy as np
import pytest

from labhelpers import runs
from labhelpers.runs import provenance
from labhelpers.runs.resources import results_file

SHIPPED = (
    "grokking_mnist_benchmark_cpu.json",
    "grokking_mnist_cpu.json",
    "grokking_modular_cpu.json",
    "resnet18_mnist_cpu.json",
)


def test_machine_describes_this_process():
    found = runs.machine()
    assert set(found) == {"cpu", "cores", "memory_gib", "gpu", "os", "versions", "date"}
    assert found["cores"] == os.cpu_count()
    assert isinstance(found["cpu"], str) and found["cpu"]
    assert found["versions"]["numpy"] == np.__version__
    if found["memory_gib"] is not None:
        assert 0.1 < found["memory_gib"] < 2**20  # between 100 MiB and a pebibyte: a real machine
    built = datetime.fromisoformat(found["date"])
    assert abs((datetime.now(timezone.utc) - built).total_seconds()) < 60  # "now", in UTC, to the second


def test_stored_runs_lists_every_shipped_file_with_its_checked_provenance():
    listed = runs.stored_runs()
    assert [r["file"] for r in listed] == sorted(SHIPPED)
    kinds = {r["file"]: r["kind"] for r in listed}
    assert kinds == {
        "grokking_mnist_benchmark_cpu.json": "grokking benchmark",
        "grokking_mnist_cpu.json": "grokking run",
        "grokking_modular_cpu.json": "grokking modular run",
        "resnet18_mnist_cpu.json": "collapse-run",
    }
    for entry in listed:
        provenance.check_record(entry["provenance"], entry["file"])
        stored = json.loads(results_file(entry["file"]).read_text())
        assert entry["provenance"] == stored["provenance"] and entry["format"] == stored["format"]
    data = {r["file"]: r["data"] for r in listed}
    assert data["grokking_modular_cpu.json"] is None  # nor does the modular run
    assert data["grokking_mnist_benchmark_cpu.json"] is None  # a timing benchmark records no data message
    assert data["grokking_mnist_cpu.json"].startswith("Using 1000 train / 4000 test digits")  # from "data"
    assert data["resnet18_mnist_cpu.json"].startswith("Using 500 train / 200 test digits")  # from provenance


def _copy_shipped(tmp_path):
    for name in SHIPPED:
        shutil.copy(results_file(name), tmp_path / name)
    return tmp_path


def test_stored_runs_reads_another_folder(tmp_path):
    _copy_shipped(tmp_path)
    (tmp_path / SHIPPED[0]).unlink()
    assert [r["file"] for r in runs.stored_runs(tmp_path)] == sorted(SHIPPED[1:])


def test_a_file_of_unknown_format_is_refused_by_name(tmp_path):
    _copy_shipped(tmp_path)
    stray = tmp_path / "notes.json"
    stray.write_text(json.dumps({"format": "something/else/1", "provenance": {}}))
    with pytest.raises(ValueError, match=re.escape(str(stray)) + ".*format 'something/else/1' is none of"):
        runs.stored_runs(tmp_path)


def test_a_run_with_broken_provenance_is_refused_by_name(tmp_path):
    _copy_shipped(tmp_path)
    broken = tmp_path / "resnet18_mnist_cpu.json"
    document = json.loads(broken.read_text())
    del document["provenance"]["device"]
    broken.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=re.escape(str(broken)) + r".*provenance.*missing \['device'\]"):
        runs.stored_runs(tmp_path)


@pytest.mark.parametrize("folder", [3, "no/such/folder"])
def test_stored_runs_wants_a_folder(folder):
    with pytest.raises(ValueError, match="folder must be a folder of result files"):
        runs.stored_runs(folder)
