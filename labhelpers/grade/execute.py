"""Run one submitted notebook in a fresh kernel under a time limit, then grade it in that kernel.

Built on ``nbclient``: cells run one at a time, each with the time left of the notebook's budget. A cell
that raises is recorded and the next cell runs (a student's broken Exercise 2 must not cost Exercise 5).
A cell still running when the budget is spent is interrupted, and the exercises are graded on what the
notebook defined by then. A kernel that dies is reported as such.

Book: book/instructors (Grading).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Run", "run_submission", "REPORT_TIMEOUT_S"]

#: Seconds the grading cell may take (on top of the notebook's own budget): every hidden check of a lesson.
REPORT_TIMEOUT_S = 60


@dataclass
class Run:
    """What happened when a notebook ran: the verdicts (``None`` if grading could not run) and why not."""

    verdicts: dict[int, tuple[str, str]] | None
    errors: list[str] = field(default_factory=list)
    timed_out_at: int | None = None
    kernel_died_at: int | None = None
    problem: str | None = None
    seconds: float = 0.0


def _error_name(cell) -> str | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output.get("ename") or "an error"
    return None


def run_submission(notebook, lesson: str, *, timeout: float, seed: int, workdir: Path | None = None) -> Run:
    """Execute ``notebook`` (an nbformat notebook, changed in place) and grade lesson ``lesson`` in its kernel.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        The submission.
    lesson : str
        The lesson's module in ``labhelpers.lessons`` (``"lesson02"``).
    timeout : float
        Seconds for the student's cells in all (the grading cell has ``REPORT_TIMEOUT_S`` more).
    seed : int
        Seeds the hidden cases.
    workdir : path, optional
        The kernel's working folder (default: a fresh temporary folder, removed afterwards).
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    if not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    start = time.monotonic()
    run = Run(verdicts=None)
    token = f"LABHELPERS-GRADE-{secrets.token_hex(8)}:"
    current: int | None = None
    with tempfile.TemporaryDirectory(prefix="grade-") as scratch:
        folder = Path(workdir) if workdir is not None else Path(scratch)
        client = NotebookClient(
            notebook,
            kernel_name="python3",
            allow_errors=True,
            interrupt_on_timeout=True,
            error_on_timeout={"ename": "TimeoutError", "evalue": "the notebook's time limit", "traceback": []},
            resources={"metadata": {"path": str(folder)}},
        )
        environment = {**os.environ, "MPLBACKEND": "Agg"}
        try:
            # The kernel's own start-up chatter (a warning about TCP transport) would drown the grader's progress.
            with client.setup_kernel(env=environment, stderr=subprocess.DEVNULL):
                for index, cell in enumerate(notebook.cells):
                    if cell.get("cell_type") != "code":
                        continue
                    current = index + 1
                    left = timeout - (time.monotonic() - start)
                    if left <= 0:
                        run.timed_out_at = index + 1
                        break
                    client.timeout = max(1, int(left + 0.999))
                    client.execute_cell(cell, index)
                    if time.monotonic() - start >= timeout:  # interrupted at the limit (or finished just then)
                        run.timed_out_at = index + 1
                        break
                    name = _error_name(cell)
                    if name:
                        run.errors.append(f"cell {index + 1}: {name}")
                grading = _grading_cell(lesson, seed, token)
                notebook.cells.append(grading)
                client.timeout = REPORT_TIMEOUT_S
                client.execute_cell(grading, len(notebook.cells) - 1)
                run.verdicts, run.problem = _read_report(grading, token)
        except DeadKernelError:
            run.kernel_died_at = current
            run.problem = "the kernel died" + (f" in cell {run.kernel_died_at}" if run.kernel_died_at else "")
        except BaseException as error:  # noqa: BLE001 - the next student must still be graded
            run.problem = f"could not run: {type(error).__name__}: {error}"[:300]
    run.seconds = time.monotonic() - start
    return run


def _grading_cell(lesson: str, seed: int, token: str):
    import nbformat

    source = f"from labhelpers.grade.kernel import report\nreport({lesson!r}, {int(seed)}, {token!r})"
    return nbformat.v4.new_code_cell(source)


def _read_report(cell, token: str) -> tuple[dict[int, tuple[str, str]] | None, str | None]:
    text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
    for line in text.splitlines():
        if line.startswith(token):
            result = json.loads(line[len(token) :])
            return {int(k): (v[0], v[1]) for k, v in result.items()}, None
    error = _error_name(cell)
    if error == "TimeoutError":
        return None, "not graded: the kernel did not answer after the time limit"
    return None, f"not graded: the grading cell failed ({error or 'no report'})"
