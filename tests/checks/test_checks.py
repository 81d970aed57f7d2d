"""The lessons' self-checks: the right status for right, wrong and missing answers, a useful message,
never an exception for a student's mistake, and a ValueError for an instructor's."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from labhelpers import checks
from labhelpers.checks import CORRECT, INCORRECT, NOT_ATTEMPTED, Verdict, check, check_function, ready


def quiet_check(*args, **kwargs) -> Verdict:
    return check(*args, show=False, **kwargs)


def quiet_check_function(*args, **kwargs) -> Verdict:
    return check_function(*args, show=False, **kwargs)


def flow(a, b):
    """A two-output reference, shaped like the lessons' ``diagonal_flow``."""
    residual = 2.0 - a * b
    return b * residual, a * residual


FLOW_CASES = [(np.array([0.1, 0.5, -0.3]), np.array([0.2, 0.4, 0.9])), (1.5, -0.5)]


# ---------------------------------------------------------------- Verdict
class TestVerdict:
    def test_status_must_be_known(self):
        with pytest.raises(ValueError, match="status"):
            Verdict("Exercise 1", "almost", "")

    @pytest.mark.parametrize(
        "status, opening, truth",
        [(CORRECT, "correct!", True), (INCORRECT, "not quite.", False), (NOT_ATTEMPTED, "not attempted yet.", False)],
    )
    def test_one_line_text_and_truth(self, status, opening, truth):
        verdict = Verdict("Exercise 1", status, "Some advice.")
        text = str(verdict)
        assert "\n" not in text
        assert text.endswith(f"Exercise 1: {opening} Some advice.")
        assert bool(verdict) is truth and verdict.correct is truth
        assert verdict.headline == opening

    def test_html_escapes_and_formats_code(self):
        verdict = Verdict("<Ex 1>", INCORRECT, "Use `a * b`, not <b>.")
        html = verdict._repr_html_()
        assert "&lt;Ex 1&gt;" in html and "&lt;b&gt;" in html
        assert "<code>a * b</code>" in html
        assert "not quite." in html

    def test_repr_names_the_fields(self):
        assert repr(Verdict("E", CORRECT, "ok")) == "Verdict(name='E', status='correct', message='ok')"


# ---------------------------------------------------------------- check: statuses
class TestCheckStatuses:
    @pytest.mark.parametrize("answer", [..., [..., ...], (1.0, ...), {"x": ...}, np.array([1, ...], dtype=object)])
    def test_ellipsis_means_not_attempted(self, answer):
        verdict = quiet_check("Ex", answer, [1.0, 2.0])
        assert verdict.status == NOT_ATTEMPTED
        assert "`...`" in verdict.message

    def test_none_means_not_attempted(self):
        verdict = quiet_check("Ex", None, 1.0)
        assert verdict.status == NOT_ATTEMPTED and "None" in verdict.message

    @pytest.mark.parametrize(
        "answer, expected",
        [(0.5, 0.5), ([1, 2, 3], np.array([1.0, 2.0, 3.0])), (np.float32(0.25), 0.25), ([0.5], 0.5), (True, 1)],
    )
    def test_right_answers_are_correct(self, answer, expected):
        assert quiet_check("Ex", answer, expected).status == CORRECT

    @pytest.mark.parametrize("answer", [0.6, [1.0, 2.0, 3.5], -0.5])
    def test_wrong_answers_are_incorrect(self, answer):
        expected = 0.5 if np.ndim(answer) == 0 else [1.0, 2.0, 3.0]
        assert quiet_check("Ex", answer, expected).status == INCORRECT

    def test_tolerances_are_used(self):
        assert quiet_check("Ex", 1.0 + 1e-4, 1.0, rtol=1e-3).status == CORRECT
        assert quiet_check("Ex", 1.0 + 1e-4, 1.0, rtol=1e-6).status == INCORRECT
        assert quiet_check("Ex", 1e-3, 0.0, atol=1e-2).status == CORRECT
        assert quiet_check("Ex", [0, 2, 1], [0, 1, 2], rtol=0, atol=0).status == INCORRECT


# ---------------------------------------------------------------- check: messages
class TestCheckMessages:
    def test_wrong_shape_names_the_expected_shape(self):
        verdict = quiet_check("Ex", [1.0, 2.0], np.zeros((3,)))
        assert verdict.status == INCORRECT
        assert "(3,)" in verdict.message and "(2,)" in verdict.message

    def test_array_for_a_number(self):
        verdict = quiet_check("Ex", [1.0, 2.0], 1.0)
        assert "a single number" in verdict.message

    @pytest.mark.parametrize("bad, word", [(np.nan, "NaN"), (np.inf, "inf")])
    def test_nan_and_inf_are_named(self, bad, word):
        assert f"is {word}" in quiet_check("Ex", bad, 1.0).message
        verdict = quiet_check("Ex", [1.0, bad, bad], [1.0, 1.0, 1.0])
        assert verdict.status == INCORRECT and f"{word} in 2 of its 3 entries" in verdict.message

    @pytest.mark.parametrize(
        "answer, words",
        [
            ("0.5", "text"),
            (lambda: 0.5, "did you mean to call it"),
            (np.sqrt(-1 + 0j), "complex"),
            ([[1.0, 2.0], [3.0]], "could not be read"),
            ({"a": 1.0}, "could not be read"),
        ],
    )
    def test_unreadable_answers_are_explained(self, answer, words):
        verdict = quiet_check("Ex", answer, 0.5)
        assert verdict.status == INCORRECT and words in verdict.message

    def test_mapping_hint_for_a_common_mistake(self):
        hints = {"Check the factor 2 in the rate.": 2 * 0.7, "Check the sign.": -0.7}
        assert quiet_check("Ex", 1.4, 0.7, hints=hints).message == "Check the factor 2 in the rate."
        assert quiet_check("Ex", -0.7, 0.7, hints=hints).message == "Check the sign."

    def test_predicate_hints_are_tried_in_order(self):
        hints = [
            (lambda answer, expected: answer[0] > expected[0], "The first entry is too large."),
            (lambda answer, expected: True, "Something else."),
        ]
        assert quiet_check("Ex", [5.0, 2.0], [1.0, 2.0], hints=hints).message == "The first entry is too large."
        assert quiet_check("Ex", [1.0, 9.0], [1.0, 2.0], hints=hints).message == "Something else."

    def test_a_predicate_that_raises_is_skipped(self):
        hints = [(lambda answer, expected: 1 / 0, "never shown")]
        verdict = quiet_check("Ex", 2.0, 1.0, hints=hints)
        assert verdict.status == INCORRECT and "never shown" not in verdict.message

    def test_hints_are_not_shown_for_right_answers(self):
        verdict = quiet_check("Ex", 1.0, 1.0, hints=[(lambda a, e: True, "always")])
        assert verdict.status == CORRECT

    @pytest.mark.parametrize(
        "answer, expected, words",
        [
            ([-1.0, -2.0], [1.0, 2.0], "wrong sign"),
            ([2.0, 4.0, 6.0], [1.0, 2.0, 3.0], "same factor 2 everywhere"),
            (3.0, 1.5, "too large: it is 2 times"),
            (0.5, 1.5, "too small"),
            ([1.0, 2.0, 4.0], [1.0, 2.0, 3.0], "1 of the 3 entries"),
            ([0.0, 1.0], [0.0, 2.0], "1 of the 2 entries"),
        ],
    )
    def test_generic_hints(self, answer, expected, words):
        assert words in quiet_check("Ex", answer, expected).message

    def test_not_attempted_and_incorrect_never_say_correct(self):
        for verdict in (quiet_check("Ex", ..., 1.0), quiet_check("Ex", 2.0, 1.0), quiet_check("Ex", "x", 1.0)):
            assert "correct!" not in str(verdict)


# ---------------------------------------------------------------- check: nothing a student does raises
class BrokenRepr:
    def __repr__(self):
        raise RuntimeError("no repr")

    def __float__(self):
        raise RuntimeError("no float")


STUDENT_ZOO = [
    object(),
    BrokenRepr(),
    (x for x in range(3)),
    {1, 2},
    [[1, [2]], 3],
    b"bytes",
    1e308 * 10,
    np.array(["a", "b"]),
    np.empty((0,)),
    type,
    print,
]


@pytest.mark.parametrize("answer", STUDENT_ZOO, ids=lambda a: type(a).__name__)
def test_check_never_raises_for_a_students_answer(answer):
    verdict = quiet_check("Ex", answer, [1.0, 2.0])
    assert isinstance(verdict, Verdict) and verdict.status in (INCORRECT, NOT_ATTEMPTED)


def test_check_handles_torch_tensors():
    torch = pytest.importorskip("torch")
    assert quiet_check("Ex", torch.tensor([1.0, 2.0]), [1.0, 2.0]).status == CORRECT
    verdict = quiet_check("Ex", torch.tensor([1.0, 2.0], requires_grad=True), [1.0, 2.0])
    assert verdict.status == INCORRECT and "detach" in verdict.message


# ---------------------------------------------------------------- check: instructor errors
class TestCheckArguments:
    @pytest.mark.parametrize("name", ["", "   ", None, 3])
    def test_name(self, name):
        with pytest.raises(ValueError, match="name"):
            check(name, 1.0, 1.0)

    @pytest.mark.parametrize("expected", [None, ..., "one", np.nan, [1.0, np.inf], 1j, len, [[1.0], [2.0, 3.0]]])
    def test_expected(self, expected):
        with pytest.raises(ValueError, match="expected"):
            check("Ex", 1.0, expected)

    @pytest.mark.parametrize("argument", ["rtol", "atol"])
    @pytest.mark.parametrize("value", [-1e-3, np.nan, np.inf, True, "0.1", None])
    def test_tolerances(self, argument, value):
        with pytest.raises(ValueError, match=argument):
            check("Ex", 1.0, 1.0, **{argument: value})

    @pytest.mark.parametrize(
        "hints, words",
        [
            ("hint", "hints must be"),
            ({3: 1.0}, "keys of hints"),
            ({"": 1.0}, "keys of hints"),
            ({"twice": [2.0, 4.0]}, "shape of expected"),
            ({"same": 1.0}, "equals the expected answer"),
            ({"nan": np.nan}, "finite"),
            ([("not callable", "msg")], r"hints\[0\]"),
            ([(lambda a, e: True,)], r"hints\[0\]"),
            ([(lambda a, e: True, "")], "empty message"),
        ],
    )
    def test_hints(self, hints, words):
        with pytest.raises(ValueError, match=words):
            check("Ex", 1.0, 1.0, hints=hints)

    def test_show(self):
        with pytest.raises(ValueError, match="show"):
            check("Ex", 1.0, 1.0, show="yes")
        with pytest.raises(ValueError, match="show"):
            check("Ex", 1.0, 1.0, show=1)

    def test_show_accepts_numpy_bools(self):
        # A flag computed with numpy (np.False_) is a real boolean; both checkers take it.
        assert check("Ex", 1.0, 1.0, show=np.False_).correct
        assert check_function("Ex", np.square, np.square, [(2.0,)], show=np.False_).correct

    def test_validation_happens_even_when_the_answer_is_missing(self):
        with pytest.raises(ValueError, match="rtol"):
            check("Ex", ..., 1.0, rtol=-1)


# ---------------------------------------------------------------- check_function
class TestCheckFunctionStatuses:
    def test_right_function(self):
        verdict = quiet_check_function("Ex", flow, flow, FLOW_CASES)
        assert verdict.status == CORRECT and "2 test inputs" in verdict.message

    def test_a_list_is_accepted_for_several_outputs(self):
        assert quiet_check_function("Ex", lambda a, b: list(flow(a, b)), flow, FLOW_CASES).status == CORRECT

    def test_keyword_and_single_argument_cases(self):
        assert quiet_check_function("Ex", lambda a, b: flow(a, b), flow, [{"a": 1.0, "b": 2.0}]).status == CORRECT
        assert quiet_check_function("Ex", lambda x: x**2, np.square, [np.arange(3.0), 2.0]).status == CORRECT

    @pytest.mark.parametrize("student", [None, ...])
    def test_missing_function(self, student):
        assert quiet_check_function("Ex", student, flow, FLOW_CASES).status == NOT_ATTEMPTED

    def test_stub_raising_not_implemented(self):
        def stub(a, b):
            raise NotImplementedError("Ex 1")

        verdict = quiet_check_function("Ex 1", stub, flow, FLOW_CASES)
        assert verdict.status == NOT_ATTEMPTED and "raise NotImplementedError" in verdict.message

    def test_stub_of_another_exercise_is_named(self):
        def earlier(a, b):
            raise NotImplementedError("Exercise 1: flow")

        verdict = quiet_check_function("Exercise 2: euler", lambda a, b: earlier(a, b), flow, FLOW_CASES)
        assert verdict.status == NOT_ATTEMPTED and '"Exercise 1: flow"' in verdict.message

    def test_leftover_ellipsis_inside_the_function(self):
        def half_done(a, b):
            residual = ...
            return b * residual, a * residual

        verdict = quiet_check_function("Ex", half_done, flow, FLOW_CASES)
        assert verdict.status == NOT_ATTEMPTED and "`...`" in verdict.message

    @pytest.mark.parametrize("returned", [None, ..., (..., ...), (1.0, ...)])
    def test_returning_nothing_or_ellipsis(self, returned):
        verdict = quiet_check_function("Ex", lambda a, b: returned, flow, FLOW_CASES)
        assert verdict.status == NOT_ATTEMPTED

    def test_wrong_function(self):
        verdict = quiet_check_function("Ex", lambda a, b: (a, b), flow, FLOW_CASES)
        assert verdict.status == INCORRECT
        assert verdict.message.startswith("Test input 1 of 2 (a=[0.1, 0.5, -0.3], b=[0.2, 0.4, 0.9])")

    def test_a_failure_on_a_later_case_is_found(self):
        def right_for_arrays_only(a, b):
            return flow(a, b) if np.ndim(a) else (0.0, 0.0)

        verdict = quiet_check_function("Ex", right_for_arrays_only, flow, FLOW_CASES)
        assert verdict.status == INCORRECT and verdict.message.startswith("Test input 2 of 2")


class TestCheckFunctionMessages:
    def test_exception_is_reported_without_a_traceback(self):
        def buggy(a, b):
            return {}["missing"]

        verdict = quiet_check_function("Ex", buggy, flow, FLOW_CASES)
        assert verdict.status == INCORRECT
        assert "KeyError: 'missing'" in verdict.message
        assert "Traceback" not in verdict.message and "\n" not in str(verdict)

    def test_type_error_unrelated_to_ellipsis_is_a_bug(self):
        verdict = quiet_check_function("Ex", lambda a, b: a + "text", flow, FLOW_CASES)
        assert verdict.status == INCORRECT and "TypeError" in verdict.message

    def test_wrong_number_of_outputs(self):
        verdict = quiet_check_function("Ex", lambda a, b: (a, b, a), flow, FLOW_CASES)
        assert "should return 2 values" in verdict.message and "returned 3" in verdict.message
        verdict = quiet_check_function("Ex", lambda a, b: a, flow, FLOW_CASES)
        assert "should return 2 values" in verdict.message

    def test_several_outputs_for_one(self):
        verdict = quiet_check_function("Ex", lambda x: (x, x), np.square, [np.arange(3.0)])
        assert verdict.status == INCORRECT and "shape (3,)" in verdict.message

    def test_wrong_shape_of_an_output(self):
        verdict = quiet_check_function("Ex", lambda a, b: (flow(a, b)[0][:2], flow(a, b)[1]), flow, FLOW_CASES[:1])
        assert "the 1st returned value should be an array of shape (3,)" in verdict.message

    def test_nan_output_with_numpy_warnings_silenced(self):
        # pytest turns RuntimeWarning into errors here; the student's 0/0 must still give a verdict.
        verdict = quiet_check_function("Ex", lambda x: np.zeros(2) / np.zeros(2), np.square, [np.ones(2)])
        assert verdict.status == INCORRECT and "NaN" in verdict.message

    def test_warnings_raised_by_the_student_do_not_escape(self):
        def warns(x):
            warnings.warn("a warning from the student's code", RuntimeWarning, stacklevel=1)
            return x**2

        assert quiet_check_function("Ex", warns, np.square, [2.0]).status == CORRECT

    def test_mistake_functions_name_the_mistake(self):
        def own_layer(a, b):
            residual = 2.0 - a * b
            return a * residual, b * residual

        hints = {"Each layer's speed is set by the other layer.": own_layer}
        verdict = quiet_check_function("Ex", own_layer, flow, FLOW_CASES, hints=hints)
        assert verdict.message == "Each layer's speed is set by the other layer."

    def test_a_mistake_must_match_every_case(self):
        def own_layer(a, b):
            residual = 2.0 - a * b
            return a * residual, b * residual

        def partly(a, b):  # right on the first case, the mistake on the second
            return flow(a, b) if np.ndim(a) else own_layer(a, b)

        verdict = quiet_check_function("Ex", partly, flow, FLOW_CASES, hints={"the mistake": own_layer})
        assert verdict.status == INCORRECT and verdict.message != "the mistake"

    def test_predicate_hints_get_the_first_failing_case(self):
        seen = []

        def spy(output, expected):
            seen.append((output, expected))
            return True

        verdict = quiet_check_function("Ex", lambda x: 2 * x**2, np.square, [np.ones(2), 3.0], hints=[(spy, "doubled")])
        assert verdict.message == "doubled"
        np.testing.assert_allclose(seen[0][0], [2.0, 2.0])
        np.testing.assert_allclose(seen[0][1], [1.0, 1.0])

    def test_generic_hint_names_the_output(self):
        verdict = quiet_check_function("Ex", lambda a, b: (flow(a, b)[0], -flow(a, b)[1]), flow, FLOW_CASES)
        assert "the 2nd returned value has the right size but the wrong sign" in verdict.message

    def test_student_cannot_change_the_cases(self):
        cases = [(np.array([1.0, 2.0]),), (np.array([3.0]),)]

        def mutating(x):
            x *= 10
            return x

        verdict = quiet_check_function("Ex", mutating, lambda x: 10 * x, cases)
        assert verdict.status == CORRECT
        np.testing.assert_array_equal(cases[0][0], [1.0, 2.0])

    @pytest.mark.parametrize("student", [3.0, "flow", [flow]])
    def test_not_a_function(self, student):
        verdict = quiet_check_function("Ex", student, flow, FLOW_CASES)
        assert verdict.status == INCORRECT and "function is needed" in verdict.message


@pytest.mark.parametrize(
    "student",
    [
        lambda a, b: object(),
        lambda a, b: (object(), object()),
        lambda a, b: (x for x in range(2)),
        lambda a, b: ("a", "b"),
        lambda a, b: (np.full(3, 1e308) * 10, 0.0),
        lambda a, b: exec("raise SystemError('deep')"),
        lambda a, b: [][1],
        lambda a, b: (BrokenRepr(), BrokenRepr()),
    ],
)
def test_check_function_never_raises_for_a_students_function(student):
    verdict = quiet_check_function("Ex", student, flow, FLOW_CASES)
    assert isinstance(verdict, Verdict) and verdict.status in (INCORRECT, NOT_ATTEMPTED)


class TestCheckFunctionArguments:
    def test_reference_must_be_callable(self):
        with pytest.raises(ValueError, match="reference_fn"):
            check_function("Ex", flow, 3.0, FLOW_CASES)

    @pytest.mark.parametrize("cases", [[], (), "ab", None, 3])
    def test_cases_must_be_a_non_empty_list(self, cases):
        with pytest.raises(ValueError, match="cases"):
            check_function("Ex", flow, flow, cases)

    def test_reference_failing_on_a_case(self):
        with pytest.raises(ValueError, match=r"reference_fn raised ZeroDivisionError.*cases\[1\]"):
            check_function("Ex", flow, lambda x: 1 / x, [1.0, 0])

    def test_reference_returning_nan(self):
        with pytest.raises(ValueError, match="finite"):
            check_function("Ex", flow, lambda x: np.nan, [1.0])

    @pytest.mark.parametrize(
        "hints, words",
        [
            ({"not a function": 2.0}, "function implementing the mistake"),
            ({"same as the reference": flow}, "agrees with reference_fn on every case"),
            ({"raises": lambda a, b: 1 / 0}, r"hints\['raises'\] raised ZeroDivisionError"),
            ([("no", "pair", "three")], r"hints\[0\]"),
            (42, "hints must be"),
        ],
    )
    def test_hints(self, hints, words):
        with pytest.raises(ValueError, match=words):
            check_function("Ex", flow, flow, FLOW_CASES, hints=hints)

    def test_tolerance_and_show(self):
        with pytest.raises(ValueError, match="atol"):
            check_function("Ex", flow, flow, FLOW_CASES, atol=-1.0)
        with pytest.raises(ValueError, match="show"):
            check_function("Ex", flow, flow, FLOW_CASES, show=1)


# ---------------------------------------------------------------- scalar_case: the hint for scalar-only functions
def rise_time(S, theta0):
    return np.log(S / theta0 - 1) / (2 * S)


RISE_CASES = [(np.array([2.0, 1.0, 0.5]), 1e-3), (3.0, 0.1)]
SCALAR_HINT = "works on single numbers but raises on arrays"


class TestScalarCase:
    def test_a_math_log_answer_is_told_to_use_numpy(self):
        math_log = lambda S, theta0: math.log(S / theta0 - 1) / (2 * S)  # noqa: E731
        verdict = quiet_check_function("Ex", math_log, rise_time, RISE_CASES, scalar_case=(2.0, 0.01))
        assert verdict.status == INCORRECT and SCALAR_HINT in verdict.message and "np.log" in verdict.message
        assert "Test input 1 of 2" in verdict.message and "TypeError" in verdict.message  # the error's text
        assert SCALAR_HINT not in quiet_check_function("Ex", math_log, rise_time, RISE_CASES).message

    def test_an_if_on_the_values_gets_it_too(self):
        def branching(S, theta0):
            return rise_time(S, theta0) if S > 0 else 0.0

        verdict = quiet_check_function("Ex", branching, rise_time, RISE_CASES, scalar_case={"S": 2.0, "theta0": 0.01})
        assert verdict.status == INCORRECT and SCALAR_HINT in verdict.message and "ValueError" in verdict.message

    @pytest.mark.parametrize(
        "student",
        [
            lambda S, theta0: np.log(S / theta0 - 1) / (3 * S),  # numpy, wrong: no error
            lambda S, theta0: math.log(S / theta0 - 1) / (3 * S),  # raises on arrays, wrong on numbers too
            lambda S, theta0: math.log(S / theta0 - 1) / (2 * S) + S.shape[0],  # raises on numbers too
        ],
        ids=["numpy-wrong", "math-wrong", "fails-on-numbers"],
    )
    def test_no_hint_unless_right_on_numbers(self, student):
        verdict = quiet_check_function("Ex", student, rise_time, RISE_CASES, scalar_case=(2.0, 0.01))
        assert verdict.status == INCORRECT and "single numbers" not in verdict.message, verdict.message

    def test_a_right_answer_is_right(self):
        assert quiet_check_function("Ex", rise_time, rise_time, RISE_CASES, scalar_case=(2.0, 0.01)).status == CORRECT

    @pytest.mark.parametrize(
        "scalar_case, words",
        [
            ([2.0, 0.01], "scalar_case must be"),
            (2.0, "scalar_case must be"),
            ((), "scalar_case must be"),
            (("2", 0.01), r"reference_fn raised TypeError.* on scalar_case"),
            ((0.5, 1.0), r"reference_fn on scalar_case.*finite"),  # log of a negative number: NaN
            ((2.0,), r"reference_fn raised TypeError.* on scalar_case"),
        ],
    )
    def test_a_bad_scalar_case_is_the_instructors_error(self, scalar_case, words):
        with pytest.raises(ValueError, match=words):
            check_function("Ex", rise_time, rise_time, RISE_CASES, scalar_case=scalar_case)


# ---------------------------------------------------------------- ready
class TestReady:
    def test_all_correct(self, capsys):
        assert ready(Verdict("A", CORRECT, ""), Verdict("B", CORRECT, "")) is True
        assert capsys.readouterr().out == ""

    def test_names_what_it_waits_for(self, capsys):
        waiting = ready(
            Verdict("A", CORRECT, ""), Verdict("Exercise 2", NOT_ATTEMPTED, ""), Verdict("C", INCORRECT, "")
        )
        out = capsys.readouterr().out
        assert waiting is False
        assert "Exercise 2 and C" in out and "correct" not in out

    def test_needs_a_verdict(self):
        with pytest.raises(ValueError, match="at least one Verdict"):
            ready()

    @pytest.mark.parametrize("arguments", [(True,), (Verdict("A", CORRECT, ""), "B")])
    def test_a_lost_verdict_skips_the_cell(self, arguments, capsys):
        assert ready(*arguments) is False
        assert "Skipped" in capsys.readouterr().out


# ---------------------------------------------------------------- display
class TestDisplay:
    def test_plain_python_prints_one_line(self, capsys):
        verdict = check("Exercise 9", 2.0, 1.0)
        assert capsys.readouterr().out == str(verdict) + "\n"

    def test_show_false_prints_nothing(self, capsys):
        quiet_check("Exercise 9", 2.0, 1.0)
        quiet_check_function("Ex", flow, flow, FLOW_CASES)
        assert capsys.readouterr().out == ""

    def test_jupyter_gets_html_text_and_status_metadata_once(self, monkeypatch):
        display = pytest.importorskip("IPython.display")
        shown = []
        monkeypatch.setattr(display, "display", lambda *args, **kwargs: shown.append((args, kwargs)))
        count = {"now": 7}
        monkeypatch.setattr(checks.verdict, "_execution_count", lambda: count["now"])

        verdict = check("Exercise 9", 1.0, 1.0)
        assert len(shown) == 1
        (bundle,), kwargs = shown[0]
        assert kwargs["raw"] is True
        assert bundle["text/plain"] == str(verdict) and "<div" in bundle["text/html"]
        assert kwargs["metadata"][checks.METADATA_KEY] == {"name": "Exercise 9", "status": CORRECT}

        verdict._ipython_display_()  # the same cell echoing its last expression: not shown twice
        assert len(shown) == 1
        count["now"] = 8  # a later cell that shows the verdict again
        verdict._ipython_display_()
        assert len(shown) == 2


def test_in_a_real_kernel_each_verdict_shows_once():
    """End to end in IPython: shown when made, not echoed again by the same cell, shown again later."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    cells = [
        "from labhelpers.checks import check\ncheck('A', 1.0, 1.0)",
        "v = check('B', ..., 1.0)",
        "v",
        "print(v.status)",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(notebook, timeout=60, kernel_name="python3").execute()
    outputs = [cell.outputs for cell in notebook.cells]
    assert [len(o) for o in outputs] == [1, 1, 1, 1]
    first = outputs[0][0]
    assert first.output_type == "display_data"
    assert first.metadata[checks.METADATA_KEY] == {"name": "A", "status": CORRECT}
    assert first.data["text/plain"].startswith("✔ A: correct!") and "<div" in first.data["text/html"]
    assert outputs[2][0].metadata[checks.METADATA_KEY]["status"] == NOT_ATTEMPTED
    assert outputs[3][0].text.strip() == NOT_ATTEMPTED


# ---------------------------------------------------------------- word answers and index hints
def test_word_answers_scores_words_case_and_space_insensitively():
    choices = {"rich": 1.0, "lazy": 0.0}
    np.testing.assert_array_equal(checks.word_answers(["Rich", " lazy ", "fast", 3], choices), [1.0, 0.0, -1.0, -1.0])
    np.testing.assert_array_equal(checks.word_answers("LAZY", choices), [0.0])
    assert checks.word_answers(7, choices).tolist() == [-1.0]  # not a word, not a list


@pytest.mark.parametrize("unanswered", [..., None, ["rich", ...]])
def test_word_answers_keeps_an_unanswered_exercise_unanswered(unanswered):
    assert checks.word_answers(unanswered, {"rich": 1.0}) is Ellipsis
    verdict = checks.check("words", checks.word_answers(unanswered, {"rich": 1.0}), [1.0], show=False)
    assert verdict.status == checks.NOT_ATTEMPTED


def test_a_wrong_word_gets_the_hint_for_unknown_words():
    hints = [(lambda a, e: np.any(a < 0), "Write rich or lazy."), (checks.differs_at(1), "Look at B.")]
    answer = checks.word_answers(["rich", "slow"], {"rich": 1.0, "lazy": 0.0})
    verdict = checks.check("words", answer, [1.0, 0.0], hints=hints, show=False)
    assert verdict.status == checks.INCORRECT and "Write rich or lazy." in verdict.message
    answer = checks.word_answers(["rich", "rich"], {"rich": 1.0, "lazy": 0.0})
    verdict = checks.check("words", answer, [1.0, 0.0], hints=hints, show=False)
    assert "Look at B." in verdict.message


@pytest.mark.parametrize("choices", [{}, ["rich"], {"rich": -1}, {"rich": "1"}, {3: 1.0}, {"rich": True}])
def test_word_answers_rejects_bad_choices(choices):
    with pytest.raises(ValueError, match="choices"):
        checks.word_answers("rich", choices)


def test_differs_at_compares_only_the_named_entries_and_rejects_bad_indices():
    predicate = checks.differs_at(0, 2)
    assert predicate([1, 9, 3], [1, 2, 3]) is False and predicate([1, 2, 4], [1, 2, 3]) is True
    for bad in [(), ("a",), (1.5,), (True,)]:
        with pytest.raises(ValueError, match="indices"):
            checks.differs_at(*bad)


# ---------------------------------------------------------------- nothing a student does raises (issue 11, item 8)
class _Misbehaving:
    """An object whose every dunder a check might touch raises ``error``."""

    def __init__(self, error):
        self.error = error

    def _raise(self, *args, **kwargs):
        raise self.error

    __repr__ = __str__ = __eq__ = __ne__ = __bool__ = __len__ = __iter__ = __float__ = __array__ = _raise
    __getitem__ = __hash__ = __index__ = __int__ = _raise


def _recursive_list():
    loop = []
    loop.append(loop)
    return loop


def _deep_list(depth=10_000):
    nested = [1.0]
    for _ in range(depth):
        nested = [nested]
    return nested


def _endless():
    while True:
        yield 1.0


class _BrokenStrError(Exception):
    def __str__(self):
        raise RuntimeError("no str")


class _CustomBase(BaseException):
    pass


def _torch_answers():
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is in the lock
        return []
    return [
        torch.tensor([1.0, 2.0], requires_grad=True),
        torch.tensor(float("nan")),
        torch.zeros(2, dtype=torch.bfloat16),
    ]


NASTY_ERRORS = [
    SystemExit(3),
    KeyboardInterrupt(),
    GeneratorExit(),
    _CustomBase("odd"),
    _BrokenStrError(),
    MemoryError(),
]
NASTY_ANSWERS = [
    *[_Misbehaving(error) for error in NASTY_ERRORS],
    _recursive_list(),
    _deep_list(),
    range(10**15),
    _endless(),
    (x for x in range(3)),
    float("nan"),
    [float("nan"), 1.0],
    float("inf"),
    10**400,
    np.array([5.0, 6.0]).view(np.recarray),
    np.ma.masked_array([5.0, 6.0], mask=[True, False]),
    {"a": 1.0},
    "1.0",
    1 + 2j,
    SystemExit,
    *_torch_answers(),
]


def _nasty_id(value):
    if isinstance(value, _Misbehaving):
        return f"raises-{type(value.error).__name__}"
    try:
        return type(value).__name__
    except BaseException:  # pragma: no cover
        return "object"


def _raiser(error):
    def student(a, b):
        raise error

    return student


def _returner(value):
    return lambda a, b: value


STUDENT_FUNCTIONS = [
    *[_raiser(error) for error in NASTY_ERRORS],
    *[_returner(value) for value in NASTY_ANSWERS],
    *[_returner((value, value)) for value in NASTY_ANSWERS],
    _Misbehaving(SystemExit(1)),
    lambda a, b: __import__("sys").exit(0),
]


@pytest.mark.parametrize("answer", NASTY_ANSWERS, ids=_nasty_id)
def test_check_gives_a_verdict_for_any_answer(answer):
    verdict = quiet_check("Ex", answer, [1.0, 2.0], hints=[(checks.differs_at(1), "Look at entry 1.")])
    assert isinstance(verdict, Verdict) and verdict.status in (INCORRECT, NOT_ATTEMPTED)
    assert str(verdict) and verdict.message


@pytest.mark.parametrize("student", STUDENT_FUNCTIONS, ids=lambda f: getattr(f, "__qualname__", "object"))
def test_check_function_gives_a_verdict_for_any_function(student):
    verdict = quiet_check_function("Ex", student, flow, FLOW_CASES)
    assert isinstance(verdict, Verdict) and verdict.status in (INCORRECT, NOT_ATTEMPTED)
    assert str(verdict) and verdict.message


@pytest.mark.parametrize(
    "error, words",
    [(SystemExit(0), "sys.exit"), (KeyboardInterrupt(), "interrupted"), (_BrokenStrError(), "_BrokenStrError")],
)
def test_check_function_names_what_the_function_did(error, words):
    verdict = quiet_check_function("Ex", _raiser(error), flow, FLOW_CASES)
    assert verdict.status == INCORRECT and words in verdict.message


@pytest.mark.parametrize("words", NASTY_ANSWERS, ids=_nasty_id)
def test_word_answers_never_raises(words):
    scores = checks.word_answers(words, {"rich": 1.0, "lazy": 0.0})
    assert scores is Ellipsis or (isinstance(scores, np.ndarray) and 1 <= scores.size <= checks.MAX_WORDS)


@pytest.mark.parametrize("answer", NASTY_ANSWERS, ids=_nasty_id)
def test_differs_at_never_raises(answer):
    assert checks.differs_at(0, 1)(answer, np.array([1.0, 2.0])) in (True, False)


@pytest.mark.parametrize("value", NASTY_ANSWERS, ids=_nasty_id)
def test_ready_skips_a_name_that_no_longer_holds_a_verdict(value, capsys):
    assert ready(Verdict("A", CORRECT, ""), value) is False
    assert "2nd name" in capsys.readouterr().out


def test_a_verdict_is_plain_text_whatever_the_answer():
    for answer in NASTY_ANSWERS[: len(NASTY_ERRORS)]:
        verdict = quiet_check("Ex", answer, 1.0)
        assert isinstance(verdict.message, str) and isinstance(verdict._repr_html_(), str)


def test_text_inside_a_list_is_refused_not_read_as_numbers():
    """Strings that look like numbers used to pass, then crash the next cell that did arithmetic with them."""
    for answer in (["1", "2"], np.array(["1", "2"]), [1.0, "2"]):
        verdict = check("q", answer, [1.0, 2.0], show=False)
        assert verdict.status == "incorrect" and "text" in verdict.message, verdict


@pytest.mark.parametrize(
    ("answer", "factor"), [(1.0001, "1.0001"), (0.99999, "0.99999"), (2.5, "2.5"), (1 / 3, "0.333"), (-1.002, "-1.002")]
)
def test_a_constant_factor_is_printed_with_the_digits_that_tell_it_from_one(answer, factor):
    verdict = check("q", [answer, 2 * answer], [1.0, 2.0], show=False)
    assert f"factor {factor} everywhere" in verdict.message, verdict.message
