"""scripts/check_determinism.py: a notebook runs twice (1 and 2 threads) to byte-identical outputs.

The full check of every lesson and student copy takes about two minutes (see the script); here it
runs on the fastest lesson only, and its comparison is tested on hand-made notebooks.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import check_determinism as determinism  # noqa: E402

FASTEST_LESSON = ROOT / "lessons" / "lesson01_feedback.md"


def executed(outputs, *, count=1, timestamp="2026-01-01T00:00:00Z"):
    """A one-cell notebook as nbclient leaves it, with the given outputs."""
    cell = nbformat.v4.new_code_cell("x", execution_count=count, outputs=outputs)
    cell.metadata["execution"] = {"iopub.execute_input": timestamp}
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T"), cell])
    notebook.metadata["widgets"] = {"state": {timestamp: {}}}
    return notebook


def stream(text):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def widget(model_id):
    data = {determinism.WIDGET_VIEW: {"model_id": model_id, "version_major": 2}, "text/plain": "w"}
    return nbformat.v4.new_output("display_data", data=data)


def test_timestamps_notebook_metadata_and_widget_model_ids_are_not_compared():
    first = executed([stream("loss 0.1\n"), widget("a1"), widget("a1")], timestamp="then")
    second = executed([stream("loss 0.1\n"), widget("b7"), widget("b7")], timestamp="now")
    labels = ("run 1", "run 2")
    assert determinism.first_difference(determinism.comparable(first), determinism.comparable(second), labels) is None


@pytest.mark.parametrize(
    "outputs",
    [
        [stream("loss 0.2\n"), widget("b7"), widget("b7")],  # a printed number
        [stream("loss 0.1\n"), widget("b7"), widget("c3")],  # two widgets where there was one
        [stream("loss 0.1\n"), widget("b7")],  # an output missing
    ],
)
def test_a_difference_names_the_first_cell_that_differs(outputs):
    first = determinism.comparable(executed([stream("loss 0.1\n"), widget("a1"), widget("a1")]))
    report = determinism.first_difference(first, determinism.comparable(executed(outputs)), ("1 thread", "2"))
    assert report is not None and report.startswith("cell 1 differs") and "--- 1 thread" in report


def test_execution_counts_are_compared():
    first, second = executed([], count=1), executed([], count=2)
    assert determinism.first_difference(determinism.comparable(first), determinism.comparable(second), ("a", "b"))


def test_bad_arguments_exit_with_status_2(capsys):
    for argv in (["--threads", "1", str(FASTEST_LESSON)], ["--timeout", "0", str(FASTEST_LESSON)], ["nowhere.md"]):
        with pytest.raises(SystemExit) as exit_info:
            determinism.main(argv)
        assert exit_info.value.code == 2


def test_the_fastest_lesson_is_the_same_with_one_and_two_threads(capsys):
    start = time.perf_counter()
    assert determinism.main([str(FASTEST_LESSON), "--timeout", "120"]) == 0
    assert capsys.readouterr().out.startswith("same ")
    assert time.perf_counter() - start < 60  # about 8 s on a 2-core machine
