"""Self-checks of a value: compare a student's answer with the reference and name the likely mistake.

Book: every lesson's exercises that ask for a number or an array (lessons 1-5).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any, Callable

import numpy as np

from ..core import validation as _validation
from .verdict import _MAX_TEXT, CORRECT, INCORRECT, NOT_ATTEMPTED, Verdict, _ComplexWarning, _deliver


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
            if raw.dtype.kind in "USO" and any(isinstance(x, (str, bytes)) for x in raw.ravel().tolist()):
                return None, f"{what} holds text ({_short(value)}); numbers are needed, not strings."
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
        if not answer.any():
            return f"{what} is zero, but nonzero values are expected."
        if np.ptp(ratio) <= 1e-6 * abs(ratio.mean()) + 1e-12:
            if expected.size == 1:
                direction = "too large" if abs(ratio.mean()) > 1 else "too small"
                return f"{what} is {direction}: it is {_factor(ratio.mean())} times the expected value."
            return (
                f"{what} is off by the same factor {_factor(ratio.mean())} everywhere: look for a missing or extra "
                "constant factor."
            )
    if expected.size == 1:
        return f"{what} ({_short(answer)}) is not the expected value; look at each step again."
    wrong = int((~np.isclose(answer, expected, rtol=rtol, atol=atol)).sum())
    verb = "differs" if wrong == 1 else "differ"
    return f"{wrong} of the {expected.size} entries of {what} {verb} from the expected values."


def _factor(ratio: float) -> str:
    """A ratio with enough digits to tell it from 1 (and from -1): 2.5, 0.333, 1.0001, never a bare "1"."""
    for digits in range(3, 17):
        text = f"{ratio:.{digits}g}"
        if abs(float(text)) != 1.0 or abs(ratio) == 1.0:
            return text
    return repr(float(ratio))


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
