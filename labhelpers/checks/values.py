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
"""

from __future__ import annotations

import copy
import html
import inspect
import itertools
import math
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .core import validation as _validation

_ComplexWarning = getattr(np, "exceptions", np).ComplexWarning

__all__ = [
    "CORRECT",
    "INCORRECT",
    "MAX_WORDS",
    "METADATA_KEY",
    "NOT_ATTEMPTED",
    "STATUSES",
    "Verdict",
    "check",
    "check_function",
    "differs_at",
    "ready",
    "word_answers",
]

NOT_ATTEMPTED = "not attempted"
INCORRECT = "incorrect"
CORRECT = "correct"
#: The three statuses of a verdict, from least to most done.
STATUSES = (NOT_ATTEMPTED, INCORRECT, CORRECT)

#: How each status opens its line, and its colour (Okabe-Ito, as in :mod:`labhelpers.plotting`).
_LOOK = {
    NOT_ATTEMPTED: ("✎", "not attempted yet.", "#0072B2"),
    INCORRECT: ("✘", "not quite.", "#D55E00"),
    CORRECT: ("✔", "correct!", "#009E73"),
}
#: Key of the metadata attached to a displayed verdict, so that tests can read statuses from a notebook.
METADATA_KEY = "labhelpers.checks"
_MAX_TEXT = 160


@dataclass(eq=False)
class Verdict:
    """The outcome of one self-check.

    A verdict is true when the answer is correct, so ``if verdict:`` reads naturally. ``str(verdict)``
    is the one-line message; in Jupyter it displays as a coloured box with the same text.

    Attributes
    ----------
    name : str
        The exercise, as the lesson names it (e.g. ``"Exercise 1: diagonal_flow"``).
    status : str
        ``"not attempted"``, ``"incorrect"`` or ``"correct"``.
    message : str
        What to do next: an encouragement, a hint, or what was checked.
    """

    name: str
    status: str
    message: str
    _shown_in: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}; got {self.status!r}")

    @property
    def correct(self) -> bool:
        """Whether the answer passed the check."""
        return self.status == CORRECT

    def __bool__(self) -> bool:
        return self.correct

    @property
    def headline(self) -> str:
        """The status in words, as the message opens (``"correct!"``, ``"not quite."``, ``"not attempted yet."``)."""
        return _LOOK[self.status][1]

    def __str__(self) -> str:
        symbol, headline, _ = _LOOK[self.status]
        text = f"{symbol} {self.name}: {headline}"
        return f"{text} {self.message}" if self.message else text

    def _repr_html_(self) -> str:
        symbol, headline, colour = _LOOK[self.status]
        message = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(self.message))
        return (
            f'<div class="labhelpers-check labhelpers-check-{self.status.replace(" ", "-")}" '
            f'style="border-left: 4px solid {colour}; padding: 0.35em 0.8em; margin: 0.3em 0; '
            f'background: {colour}14; border-radius: 3px;">'
            f'<strong style="color: {colour};">{symbol} {html.escape(self.name)}: {headline}</strong> {message}</div>'
        )

    def _bundle(self) -> tuple[dict[str, str], dict[str, Any]]:
        data = {"text/plain": str(self), "text/html": self._repr_html_()}
        return data, {METADATA_KEY: {"name": self.name, "status": self.status}}

    def _ipython_display_(self) -> None:
        # ``check`` has already displayed this verdict in the current cell: do not show it twice when
        # it is also the cell's last expression. In a later cell, ``verdict`` displays again.
        if self._shown_in is not None and self._shown_in == _execution_count():
            return
        _publish(self)


def _execution_count() -> int | None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of ipywidgets
        return None
    shell = get_ipython()
    return None if shell is None else shell.execution_count


def _publish(verdict: Verdict) -> None:
    """Display a verdict: rich output under IPython, one printed line elsewhere."""
    if _execution_count() is None:
        print(verdict)
        return
    from IPython.display import display

    data, metadata = verdict._bundle()
    display(data, raw=True, metadata=metadata)


def _deliver(name: str, status: str, message: str, show: bool) -> Verdict:
    verdict = Verdict(name, status, message)
    if show:
        _publish(verdict)
        verdict._shown_in = _execution_count()
    return verdict


# ---------------------------------------------------------------- argument checks (instructor errors)
def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name must be a non-empty string naming the exercise; got {name!r}")
    return name.strip()


def _check_tolerance(argument: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{argument} must be a non-negative number; got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{argument} must be a finite non-negative number; got {value!r}")
    return float(value)


def _check_show(show: Any) -> bool:
    """``show`` as a Python bool: ``True``/``False`` or a numpy bool (``np.False_``), nothing else."""
    return _validation.flag("show", show)


def _reference_array(argument: str, value: Any) -> np.ndarray:
    """An instructor's value: it must be finite numbers."""
    if value is None or _contains_ellipsis(value) or callable(value):
        raise ValueError(f"{argument} must be a number or an array of numbers; got {_short(value)}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", _ComplexWarning)
            array = np.asarray(value, dtype=float)
    except (TypeError, ValueError, _ComplexWarning) as error:
        raise ValueError(f"{argument} must be a number or an array of real numbers; got {_short(value)}") from error
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{argument} must contain only finite numbers; got {_short(value)}")
    return array


def _check_hint_pairs(hints: Any) -> list[tuple[Callable[..., Any], str]]:
    pairs = []
    for k, pair in enumerate(hints):
        if not (isinstance(pair, tuple) and len(pair) == 2 and callable(pair[0]) and isinstance(pair[1], str)):
            raise ValueError(
                f"hints[{k}] must be a (predicate, message) pair with a callable and a string; got {pair!r}"
            )
        if not pair[1].strip():
            raise ValueError(f"hints[{k}] has an empty message")
        pairs.append(pair)
    return pairs


def _hint_kind(hints: Any) -> str:
    if hints is None:
        return "none"
    if isinstance(hints, Mapping):
        for message in hints:
            if not isinstance(message, str) or not message.strip():
                raise ValueError(f"the keys of hints must be non-empty messages (strings); got {message!r}")
        return "mapping"
    if isinstance(hints, (list, tuple)):
        return "pairs"
    raise ValueError(
        "hints must be None, a mapping {message: common mistake} or a list of (predicate, message) pairs; "
        f"got {type(hints).__name__}"
    )


# ---------------------------------------------------------------- reading a student's answer
def _contains_ellipsis(value: Any, depth: int = 0) -> bool:
    if value is Ellipsis:
        return True
    if depth > 4:
        return False
    if isinstance(value, (list, tuple)):
        return any(_contains_ellipsis(v, depth + 1) for v in value)
    if isinstance(value, Mapping):
        return any(_contains_ellipsis(v, depth + 1) for v in value.values())
    if isinstance(value, np.ndarray) and value.dtype == object:
        return any(v is Ellipsis for v in value.ravel()[:10_000])
    return False


def _short(value: Any, limit: int = 60) -> str:
    """A short description of a value, for messages; never raises, whatever the value's methods do."""
    try:
        text = _describe(value)
        if not isinstance(text, str):
            raise TypeError("a description must be text")
    except BaseException:  # a student's object whose __repr__, __name__ or __array__ raises (even SystemExit)
        text = f"a {type(value).__name__}"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray) or np.isscalar(value):
        return np.array2string(
            np.asarray(value), threshold=6, edgeitems=2, separator=", ", formatter={"float_kind": "{:.3g}".format}
        )
    if callable(value):
        return f"the function {getattr(value, '__name__', type(value).__name__)}"
    return repr(value)


def _error_text(error: BaseException) -> str:
    """``"Type: message"`` of an exception, shortened; never raises, even when its ``__str__`` does."""
    try:
        message = str(error)
    except BaseException:
        message = ""
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 3] + "..."


def _student_array(value: Any, what: str) -> tuple[np.ndarray | None, str | None]:
    """Convert a student's answer to a float array, or explain why it cannot be read."""
    if callable(value) and not isinstance(value, np.ndarray):
        return None, f"{what} is a function ({_short(value)}), not numbers: did you mean to call it?"
    if isinstance(value, (str, bytes)):
        return None, f"{what} is text ({_short(value)}); a number or an array of numbers is needed."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = np.asarray(value)
            if raw.dtype.kind == "c":
                return None, (
                    f"{what} is complex ({_short(raw)}): a square root or logarithm of a negative number somewhere?"
                )
            return np.asarray(raw, dtype=float), None
    except BaseException:  # ragged lists, tensors that need .detach(), objects whose __array__ raises
        hint = " (a torch tensor? use `.detach().cpu().numpy()`)" if "Tensor" in type(value).__name__ else ""
        return None, f"{what} could not be read as numbers{hint}; got {_short(value)}."


def _shape_text(shape: tuple[int, ...]) -> str:
    return "a single number" if shape == () else f"an array of shape {shape}"


def _compare(answer: np.ndarray, expected: np.ndarray, rtol: float, atol: float, what: str) -> str | None:
    """``None`` if ``answer`` matches ``expected``, else the reason (shape, NaN, inf) or ``""`` for a value."""
    if answer.shape != expected.shape:
        if answer.size == expected.size == 1:
            answer = answer.reshape(expected.shape)
        else:
            return f"{what} should be {_shape_text(expected.shape)}, but it is {_shape_text(answer.shape)}."
    for bad, label, causes in (
        (np.isnan(answer), "NaN", "a 0/0, the log or square root of a negative number, or an overflow earlier on?"),
        (np.isinf(answer), "inf", "a division by zero, or an overflow (a step size too large)?"),
    ):
        if bad.any():
            where = f"is {label}" if bad.size == 1 else f"has {label} in {int(bad.sum())} of its {bad.size} entries"
            return f"{what} {where}: {causes}"
    return None if np.allclose(answer, expected, rtol=rtol, atol=atol) else ""


def _generic_hint(answer: np.ndarray, expected: np.ndarray, rtol: float, atol: float, what: str) -> str:
    answer = answer.reshape(expected.shape)
    if np.allclose(answer, -expected, rtol=rtol, atol=atol):
        return f"{what} has the right size but the wrong sign."
    nonzero = np.abs(expected) > atol
    if nonzero.all():
        ratio = answer / expected
        if np.ptp(ratio) <= 1e-6 * abs(ratio.mean()) + 1e-12:
            if expected.size == 1:
                direction = "too large" if abs(ratio.mean()) > 1 else "too small"
                return f"{what} is {direction}: it is {ratio.mean():.3g} times the expected value."
            return (
                f"{what} is off by the same factor {ratio.mean():.3g} everywhere: look for a missing or extra "
                "constant factor."
            )
    if expected.size == 1:
        return f"{what} ({_short(answer)}) is not the expected value; look at each step again."
    wrong = int((~np.isclose(answer, expected, rtol=rtol, atol=atol)).sum())
    verb = "differs" if wrong == 1 else "differ"
    return f"{wrong} of the {expected.size} entries of {what} {verb} from the expected values."


def _count(n: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun if n == 1 else plural}"


# ---------------------------------------------------------------- check a value
def check(
    name: str,
    answer: Any,
    expected: Any,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    hints: Mapping[str, Any] | list[tuple[Callable[..., Any], str]] | None = None,
    show: bool = True,
) -> Verdict:
    """Compare a student's numbers with the expected ones.

    Parameters
    ----------
    name : str
        The exercise, shown at the start of the message.
    answer : object
        The student's answer: a number, an array or nested lists of numbers. ``...`` or ``None``
        means "not attempted yet".
    expected : array_like
        The right answer (finite numbers). It fixes the expected shape.
    rtol, atol : float
        Tolerances of ``numpy.allclose``. Use ``rtol=0, atol=0`` for integers (an order, a count).
    hints : mapping or list, optional
        Common mistakes, tried in order when the answer is wrong. Either ``{message: wrong_answer}``,
        where ``wrong_answer`` is what the mistake produces (same shape as ``expected``), or a list of
        ``(predicate, message)`` pairs where ``predicate(answer, expected)`` gets two float arrays of
        the expected shape and returns true when the message applies. A predicate that raises is
        skipped.
    show : bool
        Display the verdict now (default). The returned verdict does not display a second time
        when it is the cell's last expression.

    Returns
    -------
    Verdict
        Its ``status`` is ``"not attempted"``, ``"incorrect"`` or ``"correct"``.

    Raises
    ------
    ValueError
        Only for the instructor's arguments (``name``, ``expected``, ``rtol``, ``atol``, ``hints``,
        ``show``); never because of the answer.

    Examples
    --------
    >>> v = check("Exercise 3", 0.5, 0.5, show=False)
    >>> v.status
    'correct'
    >>> check("Exercise 3", 1.0, 0.5, hints={"Check the factor 2 in the rate.": 1.0}, show=False).message
    'Check the factor 2 in the rate.'
    """
    name = _check_name(name)
    expected = _reference_array("expected", expected)
    rtol, atol = _check_tolerance("rtol", rtol), _check_tolerance("atol", atol)
    show = _check_show(show)
    kind = _hint_kind(hints)
    mistakes: list[tuple[Callable[[np.ndarray, np.ndarray], Any], str]] = []
    if kind == "mapping":
        for message, wrong in hints.items():
            wrong = _reference_array(f"hints[{message!r}]", wrong)
            if wrong.shape != expected.shape:
                raise ValueError(
                    f"hints[{message!r}] must have the shape of expected {expected.shape}; got {wrong.shape}"
                )
            if np.allclose(wrong, expected, rtol=rtol, atol=atol):
                raise ValueError(f"hints[{message!r}] equals the expected answer, so it can never be shown")
            mistakes.append((lambda a, _e, w=wrong: np.allclose(a, w, rtol=rtol, atol=atol), message))
    elif kind == "pairs":
        mistakes = _check_hint_pairs(hints)

    status, message = _guarded("answer", _judge_answer, answer, expected, rtol, atol, mistakes)
    return _deliver(name, status, message, show)


def _judge_answer(answer: Any, expected: np.ndarray, rtol: float, atol: float, mistakes: list) -> tuple[str, str]:
    """The status and message of :func:`check` for a student's answer (instructor arguments already checked)."""
    if answer is None:
        return NOT_ATTEMPTED, "The answer is `None`: did you forget to assign it?"
    if _contains_ellipsis(answer):
        return NOT_ATTEMPTED, "Replace the `...` with your answer, then run this cell again."
    array, problem = _student_array(answer, "your answer")
    if problem is None:
        problem = _compare(array, expected, rtol, atol, "your answer")
    if problem is None:
        return CORRECT, "Your answer matches the expected one."
    if problem:
        return INCORRECT, problem[0].upper() + problem[1:]
    array = array.reshape(expected.shape)
    for predicate, message in mistakes:
        if _safely_true(predicate, array, expected):
            return INCORRECT, message
    hint = _generic_hint(array, expected, rtol, atol, "your answer")
    return INCORRECT, hint[0].upper() + hint[1:]


def _guarded(what: str, judge: Callable[..., tuple[str, str]], *args: Any) -> tuple[str, str]:
    """Run ``judge`` on a student's work; whatever escapes it (even a ``BaseException``) becomes a hint.

    The judges already explain the usual mistakes; this is the last line of rule 1 of the module
    docstring, for objects that misbehave where no one looks (``__eq__``, ``__len__``, ``__class__``).
    """
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return judge(*args)
    except BaseException as error:
        return INCORRECT, (
            f"Your {what} could not be checked: reading it raised {_error_text(error)}. "
            "Give plain numbers: a float, a list of floats or a numpy array."
        )


def _safely_true(predicate: Callable[..., Any], *args: Any) -> bool:
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return bool(predicate(*args))
    except BaseException:  # a hint that cannot be evaluated is not shown
        return False


# ---------------------------------------------------------------- check a function
def _call(function: Callable[..., Any], case: Any) -> Any:
    """Call ``function`` on one test case, on copies so that in-place edits cannot leak."""
    case = copy.deepcopy(case)
    if isinstance(case, tuple):
        return function(*case)
    if isinstance(case, Mapping):
        return function(**case)
    return function(case)


def _outputs(value: Any, argument: str) -> tuple[np.ndarray, ...] | np.ndarray:
    """An instructor function's result: a tuple of arrays (several outputs) or one array."""
    if isinstance(value, tuple):
        return tuple(_reference_array(f"{argument}, output {k + 1}", v) for k, v in enumerate(value))
    return _reference_array(argument, value)


def _describe_case(function: Callable[..., Any], case: Any) -> str:
    if isinstance(case, Mapping):
        items = list(case.items())
    else:
        args = case if isinstance(case, tuple) else (case,)
        try:
            names = list(inspect.signature(function).parameters)
        except (TypeError, ValueError):
            names = []
        items = [(names[k] if k < len(names) else f"arg{k + 1}", v) for k, v in enumerate(args)]
    text = ", ".join(f"{key}={_short(value, 40)}" for key, value in items)
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 3] + "..."


def _ordinal(k: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(k, f"{k}th")


def _run_student(student_fn: Callable[..., Any], case: Any, name: str) -> tuple[str, Any]:
    """``("ok", output)``, or ``(status, message)`` when the call did not give numbers to compare."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            output = _call(student_fn, case)
    except NotImplementedError as error:
        stub = str(error).strip()
        if stub and stub not in name:  # a stub of another exercise, called from this one
            return NOT_ATTEMPTED, (
                f'Your function calls a stub that still raises NotImplementedError ("{stub}"): finish that '
                "exercise first, or delete its `raise` line if you have filled it in."
            )
        return NOT_ATTEMPTED, (
            "The function still raises NotImplementedError. Fill in the `...` and delete the "
            "`raise NotImplementedError` line."
        )
    except TypeError as error:
        if "ellipsis" in str(error):
            return NOT_ATTEMPTED, f"Some `...` are still left in the function ({_error_text(error)}). Fill them in."
        return INCORRECT, f"your function raised {_error_text(error)}."
    except SystemExit as error:
        return INCORRECT, f"your function called `sys.exit` ({_error_text(error)}); end it with `return` instead."
    except KeyboardInterrupt:
        return INCORRECT, "your function was interrupted (KeyboardInterrupt): does it loop forever?"
    except BaseException as error:  # the student's bug, reported without a traceback
        return INCORRECT, f"your function raised {_error_text(error)}."
    if output is None:
        return NOT_ATTEMPTED, "The function returned `None`: fill in the `...` and end it with a `return` line."
    if _contains_ellipsis(output):
        return NOT_ATTEMPTED, "The function still returns `...`: fill in the missing lines."
    return "ok", output


def _split_output(output: Any, expected: tuple[np.ndarray, ...] | np.ndarray) -> tuple[list[Any] | None, str | None]:
    """Match the student's output to the reference's structure (several outputs or one)."""
    if isinstance(expected, tuple):
        n = len(expected)
        if not isinstance(output, (tuple, list)):
            return None, f"it should return {n} values (as in `return x, y`), but it returned {_short(output)}"
        if len(output) != n:
            return None, f"it should return {n} values, but it returned {len(output)}"
        return list(output), None
    return [output], None


def check_function(
    name: str,
    student_fn: Any,
    reference_fn: Callable[..., Any],
    cases: list[Any] | tuple[Any, ...],
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    hints: Mapping[str, Callable[..., Any]] | list[tuple[Callable[..., Any], str]] | None = None,
    show: bool = True,
) -> Verdict:
    """Call a student's function on test inputs and compare it with a reference implementation.

    Parameters
    ----------
    name : str
        The exercise, shown at the start of the message.
    student_fn : callable
        The student's function. A stub that raises ``NotImplementedError``, still computes with a
        ``...``, or returns ``None`` or ``...`` counts as "not attempted yet".
    reference_fn : callable
        The right implementation. It returns a number, an array, or a tuple of them (several
        outputs, which the student's function must return in the same order).
    cases : list
        Test inputs. Each is a tuple of positional arguments, a dict of keyword arguments, or a
        single argument. Each call gets fresh copies, so in-place changes do not leak.
    rtol, atol : float
        Tolerances of ``numpy.allclose``, applied to every output.
    hints : mapping or list, optional
        Common mistakes, tried in order when an output is wrong. Either ``{message: wrong_fn}``,
        where ``wrong_fn`` implements the mistake (same signature as ``reference_fn``; it matches
        when the student's outputs agree with it on every case), or a list of
        ``(predicate, message)`` pairs with ``predicate(output, expected_output)`` called on the
        first failing case (tuples of arrays for several outputs).
    show : bool
        Display the verdict now (default).

    Returns
    -------
    Verdict
        Its ``status`` is ``"not attempted"``, ``"incorrect"`` or ``"correct"``.

    Raises
    ------
    ValueError
        Only for the instructor's arguments: ``reference_fn`` (or a hint function) not callable or
        failing on a case, ``cases`` empty, bad tolerances or hints; never because of ``student_fn``.
    """
    name = _check_name(name)
    if not callable(reference_fn):
        raise ValueError(f"reference_fn must be callable; got {_short(reference_fn)}")
    if not isinstance(cases, (list, tuple)) or len(cases) == 0:
        raise ValueError(f"cases must be a non-empty list of test inputs; got {_short(cases)}")
    rtol, atol = _check_tolerance("rtol", rtol), _check_tolerance("atol", atol)
    show = _check_show(show)
    expected = [_instructor_outputs(reference_fn, case, k, "reference_fn") for k, case in enumerate(cases)]
    kind = _hint_kind(hints)
    mistakes: list[tuple[str, list[Any]]] = []
    pairs: list[tuple[Callable[..., Any], str]] = []
    if kind == "mapping":
        for message, wrong_fn in hints.items():
            if not callable(wrong_fn):
                raise ValueError(
                    f"hints[{message!r}] must be a function implementing the mistake; got {_short(wrong_fn)}"
                )
            wrong = [_instructor_outputs(wrong_fn, case, k, f"hints[{message!r}]") for k, case in enumerate(cases)]
            if all(_same_outputs(w, e, rtol, atol) for w, e in zip(wrong, expected)):
                raise ValueError(f"hints[{message!r}] agrees with reference_fn on every case, so it can never be shown")
            mistakes.append((message, wrong))
    elif kind == "pairs":
        pairs = _check_hint_pairs(hints)

    status, message = _guarded(
        "function", _judge_function, name, student_fn, reference_fn, cases, expected, rtol, atol, mistakes, pairs
    )
    return _deliver(name, status, message, show)


def _judge_function(
    name: str,
    student_fn: Any,
    reference_fn: Callable[..., Any],
    cases: list[Any] | tuple[Any, ...],
    expected: list[Any],
    rtol: float,
    atol: float,
    mistakes: list[tuple[str, list[Any]]],
    pairs: list[tuple[Callable[..., Any], str]],
) -> tuple[str, str]:
    """The status and message of :func:`check_function` (instructor arguments already checked)."""
    if student_fn is None or student_fn is Ellipsis:
        return NOT_ATTEMPTED, "Define the function by filling in the `...`, then run this cell again."
    if not callable(student_fn):
        return INCORRECT, f"A function is needed here, but this is {_short(student_fn)}."

    outputs, failure = [], None
    for k, (case, reference) in enumerate(zip(cases, expected)):
        where = f"Test input {k + 1} of {len(cases)} ({_describe_case(reference_fn, case)})"
        status, output = _run_student(student_fn, case, name)
        if status != "ok":
            return status, output if status == NOT_ATTEMPTED else f"{where}: {output}"
        parts, problem = _split_output(output, reference)
        if problem is not None:
            return INCORRECT, f"{where}: {problem}."
        references = reference if isinstance(reference, tuple) else (reference,)
        arrays = []
        for j, (part, ref) in enumerate(zip(parts, references)):
            what = "the output" if len(references) == 1 else f"the {_ordinal(j + 1)} returned value"
            array, problem = _student_array(part, what)
            if problem is None:
                problem = _compare(array, ref, rtol, atol, what)
            if problem:  # unreadable, wrong shape, NaN or inf
                return INCORRECT, f"{where}: {problem}"
            arrays.append(array.reshape(ref.shape))
            if problem == "" and failure is None:
                failure = (k, j, where)
        outputs.append(tuple(arrays) if isinstance(reference, tuple) else arrays[0])

    if failure is None:
        return CORRECT, f"Your function matches the reference on {_count(len(cases), 'test input')}."
    for message, wrong in mistakes:
        if all(_same_outputs(o, w, rtol, atol) for o, w in zip(outputs, wrong)):
            return INCORRECT, message
    k, j, where = failure
    for predicate, message in pairs:
        if _safely_true(predicate, outputs[k], expected[k]):
            return INCORRECT, message
    several = isinstance(expected[k], tuple)
    got, ref = (outputs[k][j], expected[k][j]) if several else (outputs[k], expected[k])
    what = f"the {_ordinal(j + 1)} returned value" if several else "the output"
    return INCORRECT, f"{where}: {_generic_hint(got, ref, rtol, atol, what)}"


def _instructor_outputs(function: Callable[..., Any], case: Any, k: int, argument: str):
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            value = _call(function, case)
    except Exception as error:
        raise ValueError(f"{argument} raised {_error_text(error)} on cases[{k}]") from error
    return _outputs(value, f"{argument} on cases[{k}]")


def _same_outputs(a: Any, b: Any, rtol: float, atol: float) -> bool:
    a_parts = a if isinstance(a, tuple) else (a,)
    b_parts = b if isinstance(b, tuple) else (b,)
    return len(a_parts) == len(b_parts) and all(
        x.shape == y.shape and np.allclose(x, y, rtol=rtol, atol=atol) for x, y in zip(a_parts, b_parts)
    )


# ---------------------------------------------------------------- answers given as words
def word_answers(words: Any, choices: Mapping[str, float]) -> Any:
    """Turn a student's answer in words (one word, or a list of them) into numbers that :func:`check` compares.

    Each word is looked up in ``choices`` after stripping spaces and lower-casing; a word that is not
    there becomes ``-1`` (so a hint can say which words are allowed). An answer that is still ``...``
    (or ``None``, or a list with a ``...`` in it) stays ``...``, so the check reports "not attempted".

    Examples
    --------
    >>> word_answers(["Rich", "lazy ", "fast"], {"rich": 1.0, "lazy": 0.0}).tolist()
    [1.0, 0.0, -1.0]

    Raises
    ------
    ValueError
        If ``choices`` is not a non-empty mapping from words to numbers other than ``-1`` (an instructor
        error). Nothing the student writes raises: an answer that cannot be read as words (an object
        whose ``str`` raises, an endless generator) scores ``-1``, and only the first
        ``MAX_WORDS`` words are read.
    """
    if not isinstance(choices, Mapping) or not choices:
        raise ValueError(f"choices must be a non-empty mapping from words to numbers; got {_short(choices)}")
    codes = {}
    for word, code in choices.items():
        if not isinstance(word, str) or not isinstance(code, (int, float)) or isinstance(code, bool) or code == -1:
            raise ValueError(f"choices must map words to numbers other than -1; got {word!r}: {code!r}")
        codes[word.strip().lower()] = float(code)
    try:
        return _score_words(words, codes)
    except BaseException:  # not a word and not a list of words, or words whose str() raises
        return np.array([-1.0])


#: How many words :func:`word_answers` reads at most, so that an endless generator cannot hang a lesson.
MAX_WORDS = 1000


def _score_words(words: Any, codes: dict[str, float]) -> Any:
    if words is None or words is Ellipsis or (isinstance(words, (list, tuple)) and any(w is Ellipsis for w in words)):
        return ...
    if isinstance(words, str):
        words = [words]
    scores = [codes.get(str(word).strip().lower(), -1.0) for word in itertools.islice(words, MAX_WORDS)]
    return np.array(scores if scores else [-1.0])


def differs_at(*indices: int) -> Callable[[Any, Any], bool]:
    """A hint predicate for :func:`check`: true when the answer differs from the expected one at any of ``indices``.

    ``check(name, answer, expected, hints=[(differs_at(2, 3), "Look again at C and D.")])`` shows the
    message when entry 2 or 3 of the answer is wrong. The predicate never raises: an answer it cannot
    index or compare counts as not matching (``False``, so the hint is not shown).
    """
    if not indices or not all(isinstance(k, int) and not isinstance(k, bool) for k in indices):
        raise ValueError(f"indices must be one or more integers; got {indices!r}")
    return lambda answer, expected: _safely_true(
        lambda a, e: any(bool(a[k] != e[k]) for k in indices), answer, expected
    )


# ---------------------------------------------------------------- wait for earlier exercises
def ready(*verdicts: Verdict) -> bool:
    """Whether every given exercise passed its check; if not, say which ones a cell is waiting for.

    Use it to guard a cell that runs the student's code, so that the student copy still runs from
    top to bottom before the exercises are done::

        if ready(ex1, ex2):
            plot_drift(euler_path)

    An argument that is not a :class:`Verdict` (the student overwrote ``ex1``, say) counts as not
    passed, with a note to run its self-check again: the cell is skipped, nothing raises.

    Raises
    ------
    ValueError
        If no verdict is given (an instructor error).
    """
    if not verdicts:
        raise ValueError("ready needs at least one Verdict")
    lost = [k + 1 for k, v in enumerate(verdicts) if not isinstance(v, Verdict)]
    if lost:
        where = " and ".join(_ordinal(k) for k in lost)
        print(
            f"⏸ Skipped: the {where} name given to `ready` no longer holds a self-check verdict. "
            "Run the exercise's self-check cell again."
        )
        return False
    waiting = [v.name for v in verdicts if not v.correct]
    if waiting:
        print(
            f"⏸ Skipped: this cell uses your code from {' and '.join(waiting)}. It runs once that passes its self-check."
        )
    return not waiting
