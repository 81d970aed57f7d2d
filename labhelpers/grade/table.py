"""The grader's command line and its table: one row per student, one column per exercise.

Columns: ``student``, ``status``, ``correct`` (exercises passed), ``exercises`` (how many the lesson has),
``Exercise 1`` ... (``correct``, ``incorrect``, ``not attempted`` or ``not graded``), ``Think! 1`` ...
(the student's answers, verbatim), ``feedback`` (the hint of each exercise not passed), ``notes``
(errors, a time-out, edited self-checks) and ``seconds``. ``status`` is one of :data:`STATUSES`.

Book: book/instructors (Grading).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .execute import run_submission
from .submissions import edited_checks, find_submissions, read_notebook, think_answers

__all__ = ["COLUMNS_BEFORE", "STATUSES", "grade_submissions", "main"]

COLUMNS_BEFORE = ("student", "status", "correct", "exercises")

#: A row's status: graded in full, graded on what ran before a time-out, or not graded and why.
STATUSES = ("graded", "timed out", "kernel died", "not graded", "missing", "unreadable")

DEFAULT_TIMEOUT_S = 120
DEFAULT_SEED = 20260101


def lesson_module(lesson: str | int) -> str:
    """``"02"``, ``"2"``, ``2`` or ``"lesson02"`` -> ``"lesson02"`` (the module in :mod:`labhelpers.lessons`).

    Raises
    ------
    ValueError
        If no lesson of that number has an exercise registry.
    """
    text = str(lesson).strip().lower().removeprefix("lesson")
    if not text.isdigit():
        raise ValueError(f"lesson must be a lesson number such as 02, got {lesson!r}")
    name = f"lesson{int(text):02d}"
    try:
        module = importlib.import_module(f"labhelpers.lessons.{name}")
    except ModuleNotFoundError:
        module = None
    if module is None or not hasattr(module, "EXERCISES"):
        raise ValueError(f"lesson {lesson!r}: labhelpers.lessons has no {name} with an EXERCISES registry")
    return name


def _check_calls(registry) -> dict[int, str]:
    return {n: f"ex{n} = ref.self_check({n}, {', '.join(e.answers)})" for n, e in registry.items()}


def grade_submissions(
    folder: Path | str,
    lesson: str | int,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    seed: int = DEFAULT_SEED,
    roster: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[str], list[dict[str, object]]]:
    """Grade every submission in ``folder``; return the table's columns and rows (see the module docstring).

    Raises
    ------
    ValueError
        For a bad ``folder``, ``lesson`` or ``timeout`` (never because of a submission).
    """
    name = lesson_module(lesson)
    if not (isinstance(timeout, (int, float)) and 0 < timeout <= 3600):
        raise ValueError(f"timeout must be between 0 and 3600 seconds, got {timeout!r}")
    registry = importlib.import_module(f"labhelpers.lessons.{name}").EXERCISES
    submissions = find_submissions(folder, name, roster)
    rows = [_grade_one(s, name, registry, timeout=timeout, seed=seed, progress=progress) for s in submissions]
    thinks = sorted({key for row in rows for key in row if key.startswith("Think! ")}, key=lambda k: int(k.split()[-1]))
    columns = [*COLUMNS_BEFORE, *(f"Exercise {n}" for n in registry), *thinks, "feedback", "notes", "seconds"]
    for row in rows:
        for column in columns:
            row.setdefault(column, "")
    return columns, rows


def _grade_one(submission, lesson: str, registry, *, timeout: float, seed: int, progress) -> dict[str, object]:
    row: dict[str, object] = {"student": submission.student, "correct": 0, "exercises": len(registry)}
    for number in registry:
        row[f"Exercise {number}"] = "not graded"
    if submission.path is None:
        row["status"], row["notes"] = submission.problem.split(":")[0], submission.problem
        if row["status"] not in STATUSES:
            row["status"] = "not graded"
        return row
    notebook, problem = read_notebook(submission.path)
    if notebook is None:
        row["status"], row["notes"] = "unreadable", problem
        return row
    for number, text in think_answers(notebook).items():
        row[f"Think! {number}"] = text
    notes = []
    edited = edited_checks(notebook, _check_calls(registry))
    if edited:
        notes.append(f"self-check cell edited or removed: exercise {', '.join(map(str, edited))}")
    if progress:
        progress(f"grading {submission.student} ...")
    run = run_submission(notebook, lesson, timeout=timeout, seed=seed)
    row["seconds"] = round(run.seconds, 1)
    if run.errors:
        shown = "; ".join(run.errors[:5]) + (f"; and {len(run.errors) - 5} more" if len(run.errors) > 5 else "")
        notes.append(f"errors in {shown}")
    if run.timed_out_at:
        notes.append(f"stopped at cell {run.timed_out_at}: the notebook's {timeout:g}-s limit (graded on what ran)")
    if run.verdicts is None:
        row["status"] = "kernel died" if run.kernel_died_at else "not graded"
        notes.append(run.problem or "not graded")
    else:
        row["status"] = "timed out" if run.timed_out_at else "graded"
        feedback = []
        for number, (status, message) in sorted(run.verdicts.items()):
            row[f"Exercise {number}"] = status
            if status != "correct":
                feedback.append(f"Ex {number}: {message}")
        row["correct"] = sum(status == "correct" for status, _ in run.verdicts.values())
        row["feedback"] = " | ".join(feedback)
    row["notes"] = "; ".join(notes)
    return row


def write_csv(path: Path | str, columns: list[str], rows: list[dict[str, object]]) -> None:
    """Write the table (UTF-8, one row per student)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def summary(columns: list[str], rows: list[dict[str, object]]) -> str:
    """A few lines for the terminal: how many graded, the mean score, and each exercise's pass count."""
    if not rows:
        return "no submissions found"
    counts = {status: sum(r["status"] == status for r in rows) for status in STATUSES}
    n_exercises = rows[0]["exercises"]
    graded = [r for r in rows if r["status"] in ("graded", "timed out")]
    mean = sum(int(r["correct"]) for r in graded) / len(graded) if graded else 0.0
    lines = [
        f"{len(rows)} students: " + ", ".join(f"{n} {status}" for status, n in counts.items() if n),
        f"mean score of those graded: {mean:.1f} of {n_exercises} exercises",
    ]
    for column in (c for c in columns if c.startswith("Exercise ")):
        passed = sum(r[column] == "correct" for r in rows)
        lines.append(f"  {column}: {passed} of {len(rows)} correct")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """The command line: ``python -m labhelpers.grade SUBMISSIONS_DIR --lesson NN --out scores.csv``.

    Returns 0 after writing the table, 2 (with the reason on stderr) for a bad folder, lesson, roster or
    time limit. Options: ``--timeout`` (seconds per notebook), ``--seed`` (the hidden cases), ``--roster``.
    """
    parser = argparse.ArgumentParser(
        prog="python -m labhelpers.grade",
        description="Grade submitted lesson notebooks: run each in a fresh kernel, check every exercise with "
        "hidden cases, collect the Think! answers, write one CSV row per student.",
    )
    parser.add_argument("submissions", type=Path, help="folder of STUDENT.ipynb files or of STUDENT/ folders")
    parser.add_argument("--lesson", required=True, help="the lesson's number, e.g. 02")
    parser.add_argument("--out", type=Path, default=Path("scores.csv"), help="the CSV to write (default scores.csv)")
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT_S, help=f"seconds per notebook (default {DEFAULT_TIMEOUT_S})"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help="seeds the hidden test cases; choose your own and keep it private",
    )
    parser.add_argument("--roster", type=Path, help="a file with one student name per line: absent ones are 'missing'")
    args = parser.parse_args(argv)
    try:
        roster = None
        if args.roster is not None:
            if not args.roster.is_file():
                raise ValueError(f"--roster: no file {str(args.roster)!r}")
            roster = [line.strip() for line in args.roster.read_text(encoding="utf-8").splitlines() if line.strip()]
        start = time.monotonic()
        columns, rows = grade_submissions(
            args.submissions,
            args.lesson,
            timeout=args.timeout,
            seed=args.seed,
            roster=roster,
            progress=lambda text: print(text, file=sys.stderr, flush=True),
        )
        write_csv(args.out, columns, rows)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(summary(columns, rows))
    print(f"wrote {args.out} ({len(rows)} rows) in {time.monotonic() - start:.0f} s")
    return 0
