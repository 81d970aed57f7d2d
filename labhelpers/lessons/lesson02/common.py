"""What several exercises of Lesson 2 share: the hint for a function that works on single numbers only, the
self-check that adds it (``_check_on_arrays``, Exercises 3, 4 and 7), and the grader's hidden check on fresh
cases at the tolerances of the lesson (``_hidden``).

Each takes the exercise's name (``EXERCISE.name`` of its module), which its verdict carries.

Book: lessons/lesson02_emergence.md (Exercises 1-5 and 7).
"""

from __future__ import annotations

from ...checks import CORRECT, INCORRECT, Verdict, check_function, make_verdict

_ARRAYS_HINT = (
    "It works on single numbers but not on arrays, and the cells below give it arrays: a function that "
    "takes one number at a time (from the `math` module, or `int` and `float`) cannot take an array. Use "
    "numpy's functions, which work on every entry at once."
)


def _shown(verdict: Verdict, show: bool) -> Verdict:
    return make_verdict(verdict.name, verdict.status, verdict.message, show=show)


def _check_on_arrays(name, student, reference, cases, hints, scalar_case, show):
    """``check_function`` on ``cases``; a function that fails on arrays but not on ``scalar_case`` is told
    so."""
    verdict = check_function(name, student, reference, cases, hints=hints, show=False)
    if verdict.status == INCORRECT and "raised TypeError" in verdict.message:
        on_numbers = check_function(name, student, reference, [scalar_case], show=False)
        if on_numbers.status == CORRECT:
            verdict = Verdict(name, INCORRECT, f"{verdict.message} {_ARRAYS_HINT}")
    return _shown(verdict, show)


def _hidden(name, student, reference, cases, rtol=1e-6, atol=1e-9):
    return check_function(name, student, reference, cases, rtol=rtol, atol=atol, show=False)
