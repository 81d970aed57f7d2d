"""A lesson's exercises as one registry: the self-check its notebook calls, the grader's hidden check, and
the answers that tests feed to both.

Each lesson's package (``labhelpers/lessons/lessonNN/``) has one module per exercise, each ending with its
entry, and gathers them into a registry in its ``__init__.py``::

    # labhelpers/lessons/lesson02/exercise1.py
    EXERCISE = Exercise(1, "power_law_frequencies", answers=("power_law_frequencies",),
                        check=_check_frequencies, hidden=_hidden_frequencies, minutes=10,
                        reference=(reference_frequencies,), valid=[...], wrong=[...])

    # labhelpers/lessons/lesson02/__init__.py
    EXERCISES = Exercises([exercise1.EXERCISE, exercise2.EXERCISE, ...])
    self_check = EXERCISES.self_check

and the lesson's check cell reads ``ex1 = ref.self_check(1, power_law_frequencies)``. The same registry
serves the grader (:mod:`labhelpers.grade`), which calls :meth:`Exercises.grade` on the names a submitted
notebook defined, and one shared test (``tests/lessons/test_exercises.py``), which feeds every exercise its
reference answer, its other valid forms, its plausible mistakes and non-numeric junk.

Book: every lesson (``lessons/*.md``); the instructor guide (``book/instructors.md``) shows how to add one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .verdict import CORRECT, INCORRECT, NOT_ATTEMPTED, Verdict

__all__ = ["Exercise", "Exercises"]


@dataclass(frozen=True)
class Exercise:
    """One exercise of a lesson, as its self-check, the grader and the tests see it.

    Attributes
    ----------
    number : int
        The exercise's number in its lesson (1, 2, ...).
    title : str
        What the exercise asks for, in a few words (the name of the function or value to write).
    answers : tuple of str
        The names the student defines in the notebook, in the order ``check`` takes them.
    check : callable
        ``check(*answers, show=True) -> Verdict``: the self-check of the notebook, on the cases the
        lesson shows. It never raises because of the answers (see :mod:`labhelpers.checks`).
    hidden : callable
        ``hidden(*answers, rng) -> Verdict``: the grader's check on cases that the notebook does not
        hold, drawn from ``rng`` (a ``numpy.random.Generator``) at grading time. It displays nothing.
    minutes : int
        The time a student should plan for the exercise (the instructor guide adds these up).
    reference : tuple
        The sample solution's answers (one per name in ``answers``); they pass both checks.
    valid : tuple of tuples
        Other correct answers: other valid forms (lists for arrays, float32, integer parameters,
        equivalent expressions). Each is a tuple of answers that passes both checks.
    wrong : tuple of (answers, hint) pairs
        Plausible wrong answers with the hint each must get: a phrase of the specific hint, or ``None``
        for a generic one (which then must name none of the specific causes listed here).
    """

    number: int
    title: str
    answers: tuple[str, ...]
    check: Callable[..., Verdict]
    hidden: Callable[..., Verdict]
    minutes: int
    reference: tuple[Any, ...] = ()
    valid: tuple[tuple[Any, ...], ...] = field(default=())
    wrong: tuple[tuple[tuple[Any, ...], str | None], ...] = field(default=())

    def __post_init__(self) -> None:
        if not isinstance(self.number, int) or self.number < 1:
            raise ValueError(f"Exercise: number must be a positive int, got {self.number!r}")
        if isinstance(self.answers, str) or not self.answers or not all(isinstance(a, str) for a in self.answers):
            raise ValueError(
                f"Exercise {self.number}: answers must be a non-empty tuple of names, got {self.answers!r}"
            )
        for argument in ("check", "hidden"):
            if not callable(getattr(self, argument)):
                raise ValueError(
                    f"Exercise {self.number}: {argument} must be callable, got {getattr(self, argument)!r}"
                )
        if not isinstance(self.minutes, int) or not 1 <= self.minutes <= 120:
            raise ValueError(f"Exercise {self.number}: minutes must be an int in [1, 120], got {self.minutes!r}")
        if self.reference and len(self.reference) != len(self.answers):
            raise ValueError(
                f"Exercise {self.number}: reference must hold one answer per name in answers "
                f"({len(self.answers)}), got {len(self.reference)}"
            )
        for k, answers in enumerate(self.valid):
            if not isinstance(answers, tuple) or len(answers) != len(self.answers):
                raise ValueError(f"Exercise {self.number}: valid[{k}] must be a tuple of {len(self.answers)} answers")
        for k, pair in enumerate(self.wrong):
            if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], tuple)):
                raise ValueError(f"Exercise {self.number}: wrong[{k}] must be an (answers, hint) pair")
            if len(pair[0]) != len(self.answers) or not (pair[1] is None or isinstance(pair[1], str)):
                raise ValueError(
                    f"Exercise {self.number}: wrong[{k}] needs {len(self.answers)} answers and a hint (str or None)"
                )

    @property
    def name(self) -> str:
        """The exercise as verdicts and the grader's table name it, e.g. ``"Exercise 1: power_law_frequencies"``."""
        return f"Exercise {self.number}: {self.title}"


def _safe_message(error: BaseException) -> str:
    try:
        return f"{type(error).__name__}: {error}"[:200]
    except BaseException:  # an exception whose str() raises
        return type(error).__name__


class Exercises(Mapping[int, Exercise]):
    """The exercises of one lesson, by number: ``EXERCISES[3]``, ``len(EXERCISES)``, ``list(EXERCISES)``.

    Raises
    ------
    ValueError
        If the exercises are not numbered 1, 2, ..., n in order.
    """

    def __init__(self, exercises: Iterable[Exercise]) -> None:
        items = list(exercises)
        if not items or not all(isinstance(e, Exercise) for e in items):
            raise ValueError("Exercises needs a non-empty list of Exercise")
        numbers = [e.number for e in items]
        if numbers != list(range(1, len(items) + 1)):
            raise ValueError(f"Exercises must be numbered 1..{len(items)} in order, got {numbers}")
        self._by_number = {e.number: e for e in items}

    def __getitem__(self, number: int) -> Exercise:
        try:
            return self._by_number[number]
        except (KeyError, TypeError):
            raise KeyError(f"no exercise {number!r}: this lesson has exercises 1..{len(self)}") from None

    def __iter__(self) -> Iterator[int]:
        return iter(self._by_number)

    def __len__(self) -> int:
        return len(self._by_number)

    @property
    def minutes(self) -> int:
        """The time the exercises take in all (minutes)."""
        return sum(e.minutes for e in self.values())

    def self_check(self, number: int, *answers: Any, show: bool = True) -> Verdict:
        """The self-check of exercise ``number`` on the student's answers: what a lesson's check cell calls.

        Raises
        ------
        ValueError
            If ``number`` is not an exercise of the lesson, or the number of answers is wrong (both are
            the lesson author's mistakes, not the student's).
        """
        if number not in self._by_number:
            raise ValueError(f"self_check: number must be one of 1..{len(self)}, got {number!r}")
        exercise = self._by_number[number]
        if len(answers) != len(exercise.answers):
            raise ValueError(
                f"self_check({number}, ...) needs {len(exercise.answers)} answers ({', '.join(exercise.answers)}), "
                f"got {len(answers)}"
            )
        return exercise.check(*answers, show=show)

    def grade(self, namespace: Mapping[str, Any], rng: np.random.Generator) -> dict[int, Verdict]:
        """Each exercise's verdict on the answers that ``namespace`` (a notebook's globals) defines.

        An exercise is correct when both its self-check and its hidden check pass. A name the notebook
        never defined counts as not attempted; a check that fails for any reason gives "incorrect" with
        the reason, so that one broken answer never stops the grading of the others.
        """
        verdicts = {}
        for number, exercise in self.items():
            missing = [name for name in exercise.answers if name not in namespace]
            if missing:
                verdicts[number] = Verdict(exercise.name, NOT_ATTEMPTED, f"{', '.join(missing)} is not defined.")
                continue
            answers = [namespace[name] for name in exercise.answers]
            try:
                verdict = exercise.check(*answers, show=False)
                if verdict.status == CORRECT:
                    verdict = exercise.hidden(*answers, rng=rng)
                    if verdict.status != CORRECT:
                        verdict = Verdict(
                            exercise.name,
                            INCORRECT,
                            f"passes the self-check but not the hidden cases: {verdict.message}",
                        )
            except BaseException as error:  # noqa: BLE001 - the grader must go on to the next exercise
                verdict = Verdict(exercise.name, INCORRECT, f"the check stopped on {_safe_message(error)}")
            if not isinstance(verdict, Verdict):
                raise ValueError(f"{exercise.name}: check and hidden must return a Verdict, got {verdict!r}")
            verdicts[number] = verdict
        return verdicts
