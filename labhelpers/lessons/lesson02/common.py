"""What several exercises of Lesson 2 share: the grader's hidden check on fresh cases at the tolerances of the
lesson (``_hidden``), which takes the exercise's name (``EXERCISE.name`` of its module).

Book: lessons/lesson02_emergence.md (Exercises 1-5 and 7).
"""

from __future__ import annotations

from ...checks import check_function


def _hidden(name, student, reference, cases, rtol=1e-6, atol=1e-9):
    return check_function(name, student, reference, cases, rtol=rtol, atol=atol, show=False)
