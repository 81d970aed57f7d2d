"""The grader (``python -m labhelpers.grade``) on a class of six submissions of Lesson 1 and a roster.

The submissions are built from the lesson's own files: the student copy as handed out, with stubs
replaced by the source's solutions where a student solved them. One grading run serves every test
(module fixture); it takes about a minute, most of it the hanging notebook's time limit.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from labhelpers.grade import find_submissions, think_answers
from labhelpers.grade.table import STATUSES, lesson_module, main
from labhelpers.lessons import lesson01

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "lessons" / "lesson01_feedback.md"
STUDENT = ROOT / "lessons" / "student" / "lesson01_feedback.ipynb"
N_EXERCISES = len(lesson01.EXERCISES)
TIMEOUT_S = 25  # per notebook: Lesson 1 runs in about 6 s; the hanging one is stopped here
BUDGET_S = 30  # the budget per submission (kernel start, the notebook, the hidden checks)

pytestmark = pytest.mark.executes_notebooks


def solutions() -> dict[int, tuple[str, str]]:
    """Exercise number -> (the stub's source, the source's solution: the cell after the stub's self-check)."""
    cells = jupytext.read(SOURCE).cells
    found = {}
    for k, cell in enumerate(cells):
        if "student" in cell.metadata.get("tags", []):
            number = int(cells[k + 1].source.split("self_check(")[1].split(",")[0])
            found[number] = (cell.source, cells[k + 2].source)
    return found


def student_copy(solved=(), think=None):
    """The handed-out copy with the stubs of ``solved`` exercises replaced by the sample solutions."""
    notebook = nbformat.read(STUDENT, as_version=4)
    for number, (stub, solution) in solutions().items():
        if number in solved:
            cell = next(c for c in notebook.cells if c.cell_type == "code" and c.source == stub)
            cell.source = solution
    if think:
        cell = next(c for c in notebook.cells if "think-answer" in c.metadata.get("tags", []))
        cell.source += "\n" + think
    return notebook


def insert_after_check(notebook, number: int, source: str):
    """Add a code cell right after exercise ``number``'s self-check."""
    k = next(i for i, c in enumerate(notebook.cells) if f"self_check({number}," in c.source)
    notebook.cells.insert(k + 1, nbformat.v4.new_code_cell(source))
    return notebook


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    everything = range(1, N_EXERCISES + 1)
    nbformat.write(student_copy(everything, think="The larger layer speeds up the smaller one."), folder / "ana.ipynb")
    (folder / "ben").mkdir()  # a student's folder: the notebook inside is graded
    nbformat.write(student_copy({1, 2}), folder / "ben" / "lesson01_feedback.ipynb")
    (folder / "ben" / "notes.txt").write_text("not a notebook")
    nbformat.write(student_copy(), folder / "cleo.ipynb")  # handed in untouched
    (folder / "dan.ipynb").write_text("{ this is not a notebook", encoding="utf-8")
    crashing = insert_after_check(student_copy({1}), 1, "raise RuntimeError('my own bug')")
    nbformat.write(crashing, folder / "eve.ipynb")
    hanging = insert_after_check(student_copy({1}), 1, "import time\ntime.sleep(10_000)")
    nbformat.write(hanging, folder / "finn.ipynb")
    # Tampered: the last exercise left blank, its self-check replaced, and the course's checks patched to say
    # "correct" (the last one, since later exercises may call earlier answers).
    last = N_EXERCISES
    tampered = student_copy(range(1, last))
    for cell in tampered.cells:
        if cell.source.startswith(f"ex{last} = ref.self_check({last},"):
            cell.source = f"ex{last} = True"
    insert_after_check(
        tampered,
        1,
        "import labhelpers.checks.exercises as _e\n_e.Exercises.grade = lambda self, ns, rng: {}\n"
        "ref.EXERCISES._by_number.clear()",
    )
    nbformat.write(tampered, folder / "gus.ipynb")
    roster = folder.parent / "roster.txt"
    roster.write_text("ana\nben\ncleo\ndan\neve\nfinn\ngus\nhal\n", encoding="utf-8")
    out = folder.parent / "scores.csv"
    code = main(
        [str(folder), "--lesson", "01", "--out", str(out), "--timeout", str(TIMEOUT_S), "--roster", str(roster)]
    )
    assert code == 0
    with open(out, encoding="utf-8", newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    return rows


def exercises(row) -> list[str]:
    return [row[f"Exercise {n}"] for n in range(1, N_EXERCISES + 1)]


def test_a_correct_submission_scores_full_marks_within_budget(graded):
    row = graded["ana"]
    assert row["status"] == "graded" and exercises(row) == ["correct"] * N_EXERCISES, row
    assert int(row["correct"]) == int(row["exercises"]) == N_EXERCISES
    assert row["Think! 1"] == "The larger layer speeds up the smaller one."
    assert row["notes"] == "" and row["feedback"] == ""
    assert float(row["seconds"]) < BUDGET_S


def test_a_partial_submission_in_a_folder_scores_what_it_solved(graded):
    row = graded["ben"]
    assert row["status"] == "graded" and int(row["correct"]) == 2, row
    assert exercises(row)[:2] == ["correct", "correct"]
    assert set(exercises(row)[2:]) == {"not attempted"}
    assert "Ex 3:" in row["feedback"]


def test_the_untouched_student_copy_scores_zero(graded):
    row = graded["cleo"]
    assert row["status"] == "graded" and int(row["correct"]) == 0
    assert set(exercises(row)) == {"not attempted"}
    assert all(row[f"Think! {n}"] == "" for n in (1, 2, 3) if f"Think! {n}" in row)
    assert row["notes"] == "", "the handed-out copy runs without errors"


def test_a_file_that_is_not_a_notebook_is_reported_not_graded(graded):
    row = graded["dan"]
    assert row["status"] == "unreadable" and "not a Jupyter notebook" in row["notes"]
    assert set(exercises(row)) == {"not graded"}


def test_a_crashing_cell_is_noted_and_the_rest_still_graded(graded):
    row = graded["eve"]
    assert row["status"] == "graded" and row["Exercise 1"] == "correct"
    assert "RuntimeError" in row["notes"]


def test_a_hanging_notebook_is_stopped_and_graded_on_what_ran(graded):
    row = graded["finn"]
    assert row["status"] == "timed out", row
    assert f"{TIMEOUT_S}-s limit" in row["notes"]
    assert row["Exercise 1"] == "correct"
    assert float(row["seconds"]) < TIMEOUT_S + 20


def test_a_tampered_notebook_is_flagged_and_graded_by_the_real_checks(graded):
    row = graded["gus"]
    assert row["status"] == "graded", row
    assert exercises(row) == ["correct"] * (N_EXERCISES - 1) + ["not attempted"], "its stub was never filled in"
    assert f"self-check cell edited or removed: exercise {N_EXERCISES}" in row["notes"]


def test_a_student_on_the_roster_without_a_submission_is_missing(graded):
    row = graded["hal"]
    assert row["status"] == "missing" and set(exercises(row)) == {"not graded"}
    assert {row["status"] for row in graded.values()} <= set(STATUSES)


# ---------------------------------------------------------------- the parts, without a kernel
def test_bad_arguments_are_refused_with_their_name(tmp_path, capsys):
    assert main([str(tmp_path / "nowhere"), "--lesson", "01", "--out", str(tmp_path / "s.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main([str(tmp_path), "--lesson", "99", "--out", str(tmp_path / "s.csv")]) == 2
    assert "no lesson99" in capsys.readouterr().err
    assert main([str(tmp_path), "--lesson", "01", "--roster", str(tmp_path / "none.txt")]) == 2
    assert "--roster" in capsys.readouterr().err
    with pytest.raises(ValueError, match="lesson must be"):
        lesson_module("two")


def test_think_answers_drop_the_prompt_and_keep_the_text():
    notebook = student_copy(think="My answer.")
    answers = think_answers(notebook)
    assert answers[1] == "My answer." and len(answers) >= 1
    assert all(text == "" for number, text in answers.items() if number != 1)


def test_submissions_folder_layouts(tmp_path):
    (tmp_path / "a.ipynb").write_text("{}")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "lesson01_feedback.ipynb").write_text("{}")
    (tmp_path / "b" / "lesson01_copy.ipynb").write_text("{}")
    (tmp_path / "c").mkdir()
    (tmp_path / ".ipynb_checkpoints").mkdir()
    found = {s.student: s for s in find_submissions(tmp_path, "lesson01", roster=["a", "d"])}
    assert sorted(found) == ["a", "b", "c", "d"]
    assert found["a"].path.name == "a.ipynb"
    assert found["b"].problem.startswith("ambiguous")
    assert found["c"].problem.startswith("missing") and found["d"].problem.startswith("missing")


def test_the_command_line_runs_as_a_module(tmp_path):
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "labhelpers.grade", "--help"], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0 and "--lesson" in done.stdout and "--timeout" in done.stdout
    json.dumps(done.stdout)  # plain text
