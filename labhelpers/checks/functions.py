"""Self-checks of a student's function: run it on cases, compare with the reference, name the mistake.

Book: the lessons' exercises that ask for a function (lessons 1-5).
"""

from __future__ import annotations

import copy
import inspect
import warnings
from collections.abc import Mapping
from typing import Any, Callable

import numpy as np

from .values import (
    _check_hint_pairs,
    _check_name,
    _check_show,
    _check_tolerance,
    _compare,
    _contains_ellipsis,
    _count,
    _error_text,
    _generic_hint,
    _guarded,
    _hint_kind,
    _reference_array,
    _safely_true,
    _short,
    _student_array,
)
from .verdict import _MAX_TEXT, CORRECT, INCORRECT, NOT_ATTEMPTED, Verdict, _deliver, _ordinal


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


_RAISED = "raised"  # _run_student's status for a student's function that raised an Exception (its text follows)
_SCALAR_HINT = (
    "It works on single numbers but raises on arrays, which later cells pass: use numpy's functions, "
    "e.g. np.log rather than math.log, np.where rather than an `if` on the values."
)


def _run_student(student_fn: Callable[..., Any], case: Any, name: str) -> tuple[str, Any]:
    """``("ok", output)``, ``(_RAISED, error text)``, or ``(status, message)`` when the call did not give
    numbers to compare."""
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
        return _RAISED, _error_text(error)
    except SystemExit as error:
        return INCORRECT, f"your function called `sys.exit` ({_error_text(error)}); end it with `return` instead."
    except KeyboardInterrupt:
        return INCORRECT, "your function was interrupted (KeyboardInterrupt): does it loop forever?"
    except Exception as error:  # the student's bug, reported without a traceback
        return _RAISED, _error_text(error)
    except BaseException as error:  # GeneratorExit and the like: never taken for a scalar-only function
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
    scalar_case: Any = None,
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
    scalar_case : tuple or dict, optional
        One test input made of single numbers where ``cases`` pass arrays (a tuple of positional
        arguments or a dict of keyword arguments, as in ``cases``; an argument the function always gets
        as an array, such as a grid of times, stays one). When the student's function raises on a case
        but gives the reference's answer (within ``rtol``, ``atol``) on ``scalar_case``, the message adds
        that it works on single numbers but raises on arrays, which later cells pass, and to use numpy's
        functions (a ``math`` function or an ``if`` on the values is the usual cause). Never shown
        for a function that fails on ``scalar_case`` too, or that returns wrong values.

    Returns
    -------
    Verdict
        Its ``status`` is ``"not attempted"``, ``"incorrect"`` or ``"correct"``.

    Raises
    ------
    ValueError
        Only for the instructor's arguments: ``reference_fn`` (or a hint function) not callable or
        failing on a case, ``cases`` empty, ``scalar_case`` not a tuple or dict of arguments or failing,
        bad tolerances or hints; never because of ``student_fn``.
    """
    name = _check_name(name)
    if not callable(reference_fn):
        raise ValueError(f"reference_fn must be callable; got {_short(reference_fn)}")
    if not isinstance(cases, (list, tuple)) or len(cases) == 0:
        raise ValueError(f"cases must be a non-empty list of test inputs; got {_short(cases)}")
    rtol, atol = _check_tolerance("rtol", rtol), _check_tolerance("atol", atol)
    show = _check_show(show)
    expected = [_instructor_outputs(reference_fn, case, f"cases[{k}]", "reference_fn") for k, case in enumerate(cases)]
    scalar = None if scalar_case is None else (scalar_case, _scalar_expected(reference_fn, scalar_case))
    kind = _hint_kind(hints)
    mistakes: list[tuple[str, list[Any]]] = []
    pairs: list[tuple[Callable[..., Any], str]] = []
    if kind == "mapping":
        for message, wrong_fn in hints.items():
            if not callable(wrong_fn):
                raise ValueError(
                    f"hints[{message!r}] must be a function implementing the mistake; got {_short(wrong_fn)}"
                )
            wrong = [
                _instructor_outputs(wrong_fn, case, f"cases[{k}]", f"hints[{message!r}]")
                for k, case in enumerate(cases)
            ]
            if all(_same_outputs(w, e, rtol, atol) for w, e in zip(wrong, expected)):
                raise ValueError(f"hints[{message!r}] agrees with reference_fn on every case, so it can never be shown")
            mistakes.append((message, wrong))
    elif kind == "pairs":
        pairs = _check_hint_pairs(hints)

    status, message = _guarded(
        "function",
        _judge_function,
        name,
        student_fn,
        reference_fn,
        cases,
        expected,
        rtol,
        atol,
        mistakes,
        pairs,
        scalar,
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
    scalar: tuple[Any, Any] | None = None,
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
        if status == _RAISED:
            works = scalar is not None and _works_on(student_fn, *scalar, name, rtol, atol)
            return INCORRECT, f"{where}: your function raised {output}." + (f" {_SCALAR_HINT}" if works else "")
        if status != "ok":
            return status, output if status == NOT_ATTEMPTED else f"{where}: {output}"
        arrays, results = _read_outputs(output, reference, rtol, atol)
        if isinstance(results, str):  # not the reference's structure, unreadable, wrong shape, NaN or inf
            return INCORRECT, f"{where}: {results}"
        if failure is None:
            failure = next(((k, j, where) for j, r in enumerate(results) if r == ""), None)
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


def _read_outputs(output: Any, reference: Any, rtol: float, atol: float) -> tuple[list[np.ndarray], Any]:
    """The student's outputs as arrays of the reference's shapes, and either a message (a problem that stops
    the check) or the list of :func:`_compare`'s answers, one an output (``None``: equal, ``""``: different)."""
    parts, problem = _split_output(output, reference)
    if problem is not None:
        return [], f"{problem}."
    references = reference if isinstance(reference, tuple) else (reference,)
    arrays, results = [], []
    for j, (part, ref) in enumerate(zip(parts, references)):
        what = "the output" if len(references) == 1 else f"the {_ordinal(j + 1)} returned value"
        array, problem = _student_array(part, what)
        if problem is None:
            problem = _compare(array, ref, rtol, atol, what)
        if problem:
            return [], problem
        arrays.append(array.reshape(ref.shape))
        results.append(problem)
    return arrays, results


def _works_on(student_fn: Any, case: Any, reference: Any, name: str, rtol: float, atol: float) -> bool:
    """Whether the student's function gives the reference's outputs on ``case`` (the scalar case)."""
    status, output = _run_student(student_fn, case, name)
    if status != "ok":
        return False
    _, results = _read_outputs(output, reference, rtol, atol)
    return isinstance(results, list) and all(r is None for r in results)


def _scalar_expected(reference_fn: Callable[..., Any], scalar_case: Any) -> Any:
    """The reference's outputs on ``scalar_case``, a tuple of arguments or a dict of keyword arguments."""
    if not isinstance(scalar_case, (tuple, Mapping)) or len(scalar_case) == 0:
        raise ValueError(
            f"scalar_case must be a non-empty tuple (or dict) of arguments, single numbers where cases pass "
            f"arrays; got {_short(scalar_case)}"
        )
    return _instructor_outputs(reference_fn, scalar_case, "scalar_case", "reference_fn")


def _instructor_outputs(function: Callable[..., Any], case: Any, where: str, argument: str):
    """``function``'s outputs on ``case`` (``where`` names it in messages); ValueError if it raises."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            value = _call(function, case)
    except Exception as error:
        raise ValueError(f"{argument} raised {_error_text(error)} on {where}") from error
    return _outputs(value, f"{argument} on {where}")


def _same_outputs(a: Any, b: Any, rtol: float, atol: float) -> bool:
    a_parts = a if isinstance(a, tuple) else (a,)
    b_parts = b if isinstance(b, tuple) else (b,)
    return len(a_parts) == len(b_parts) and all(
        x.shape == y.shape and np.allclose(x, y, rtol=rtol, atol=atol) for x, y in zip(a_parts, b_parts)
    )
