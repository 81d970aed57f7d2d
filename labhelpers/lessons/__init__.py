"""The lessons' reference answers: for the self-checks (and the grader), not for reading before trying.

One package per lesson, ``lesson01`` ... ``lesson05``, named after ``lessons/lessonNN_*.md``, with one module per
exercise (``lesson02/exercise6.py``) and a ``common.py`` for what several exercises share. An exercise's module
holds the reference implementation the self-check compares a student's answer with, the test cases it runs, the
common mistakes whose hints the check gives, the hidden check the grader adds, and its
:class:`labhelpers.checks.Exercise` entry; the package's ``EXERCISES`` registry gathers them. A lesson imports its
own package as ``from labhelpers.lessons import lesson02 as ref`` and checks exercise N with
``exN = ref.self_check(N, answer)``; the grader (``python -m labhelpers.grade``) calls ``EXERCISES.grade``.
They live here, not in the notebook, so that no cell of a student's
copy shows an answer in any front end (JupyterLab, VS Code and Colab ignore the tags that hide cells in the
book).

The modules are not part of the documented API (book/api), and their names are not re-exported.

Book: the lessons (lessons/lessonNN_*.md), through their self-checks.
"""

__all__: list[str] = []
