"""Grade a class's submitted lesson notebooks: one command, one table.

    python -m labhelpers.grade SUBMISSIONS_DIR --lesson 02 --out scores.csv

Each submission runs in a fresh Jupyter kernel, cell by cell, under one time limit for the whole notebook
(``execute.py``). Then, in the same kernel, every exercise of the lesson is graded by its registry
(:class:`labhelpers.checks.Exercises`): the self-check the student saw, and a hidden check on cases drawn
at grading time that the notebook does not contain (``kernel.py``). The submission's Think! answers and
any sign of edited self-checks are read from the notebook file (``submissions.py``), and everything goes
into one CSV row per student with a short summary (``table.py``). A notebook that is missing, unreadable,
crashes, hangs or has its checks edited away gets a clear entry in the table; the grader itself goes on.

Built on ``nbclient`` (the execution engine under nbconvert, nbmake, nbgrader and otter-grader), not on
nbgrader or otter-grader: both need their own assignment format (nbgrader: a course database and cell
metadata; otter: OK-format test files, usually in Docker), while this course's exercises already carry
their checks, hints and hidden cases in one registry. The instructor guide (``book/instructors.md``) says
more.
"""

from .execute import Run, run_submission
from .submissions import Submission, find_submissions, think_answers
from .table import COLUMNS_BEFORE, grade_submissions, main

__all__ = [
    "COLUMNS_BEFORE",
    "Run",
    "Submission",
    "find_submissions",
    "grade_submissions",
    "main",
    "run_submission",
    "think_answers",
]
