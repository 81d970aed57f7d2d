"""Self-checks for the lessons: a friendly verdict on a student's answer, never a traceback.

A lesson leaves ``...`` for the student to fill in and puts a self-check right below. The check
compares the answer with a reference and returns a :class:`Verdict` whose status is one of

- ``"not attempted"``: the answer is still ``...`` (or ``None``), or the function still raises
  ``NotImplementedError`` or computes with a leftover ``...``;
- ``"incorrect"``: a wrong shape, a NaN, an exception inside the student's function, or a wrong
  value, explained with the most relevant hint;
- ``"correct"``.

Two rules keep lessons running from top to bottom, in the source with solutions and in the student
copy with every exercise still blank:

1. Nothing the *student* does makes a check raise. Whatever the answer, the result is a verdict:
   an answer or function that calls ``sys.exit``, is interrupted, raises any ``BaseException``, or
   returns an object whose ``repr``, ``str``, ``==`` or ``__array__`` raises, gets a hint instead.
2. Mistakes of the *instructor* (a bad tolerance, hints of the wrong shape, a reference function
   that fails) raise ``ValueError`` naming the argument, so they are found when the lesson is written.

The verdict is displayed as soon as it is made (rich HTML in Jupyter, one line of plain text
elsewhere) and is returned, so that later cells can wait for it with :func:`ready`::

    ex1 = check_function("Exercise 1: diagonal_flow", diagonal_flow, reference_flow, cases)
    ...
    if ready(ex1):
        plot_with(diagonal_flow)

Hints name common mistakes. ``check`` takes a mapping ``{message: wrong_answer}`` (the value a
mistake produces) or a list of ``(predicate, message)`` pairs with ``predicate(answer, expected)``;
``check_function`` takes ``{message: wrong_function}`` or ``(predicate, message)`` pairs with
``predicate(output, expected_output)``. The first hint that matches is shown; when none does, a
generic one is (a flipped sign, a constant factor, how many entries are off).


The package: :mod:`.verdict` (the verdict and :func:`ready`), :mod:`.values` (:func:`check`),
:mod:`.functions` (:func:`check_function`), :mod:`.words` (:func:`word_answers`, :func:`differs_at`), :mod:`.exercises` (a lesson's registry of
:class:`Exercise`, used by its check cells, the grader and the tests).
"""

from . import exercises, functions, values, verdict, words
from .exercises import Exercise, Exercises
from .functions import check_function
from .values import check
from .verdict import CORRECT, INCORRECT, METADATA_KEY, NOT_ATTEMPTED, STATUSES, Verdict, make_verdict, ready
from .words import MAX_WORDS, differs_at, word_answers

__all__ = [
    "exercises",
    "functions",
    "values",
    "verdict",
    "words",
    "CORRECT",
    "INCORRECT",
    "MAX_WORDS",
    "METADATA_KEY",
    "NOT_ATTEMPTED",
    "STATUSES",
    "Exercise",
    "Exercises",
    "Verdict",
    "check",
    "check_function",
    "differs_at",
    "make_verdict",
    "ready",
    "word_answers",
]
