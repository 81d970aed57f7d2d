"""Property-based fuzz of the whole public API (issue 11, item 10): every input gets a clear answer.

The manifest (:mod:`api_fuzz.manifest`) gives each public callable of ``labhelpers`` a small valid call
and the kind of each argument. For every entry, hypothesis replaces one argument at a time by a bad or
edge value of its kind (bools, numeric strings, complex, None, object arrays, NaN, +-inf, zero or negative
where a positive number is needed, 1e308, subnormals, sizes of 10**30, numpy integers, wrong shapes,
``"gpu"``) and calls it in a worker process with a timeout. Each call must end in a clear error (a
``ValueError``/``TypeError`` naming the argument) or, where the value is legal, a finite result: no
unclear error, no silent acceptance or NaN, no hang, no legal value refused.

``scripts/fuzz_report.py`` runs the same harness exhaustively over the catalogue and prints the counts.
"""

from __future__ import annotations

import inspect

import pytest
from api_fuzz import kinds, manifest, runner
from hypothesis import given

EXAMPLES_PER_ENTRY = 25
"""Drawn cases per public callable: about 3,400 calls in all, 40 s in one process (measured), so the
module stays well under two minutes within the suite on two cores."""

BASELINE_SECONDS = 1.0
"""A baseline call must stay well under the timeout so that a slow legal call is not taken for a hang."""

ENTRIES = sorted(manifest.ENTRIES)


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    """One worker process for this module (per pytest-xdist process), its files in a pytest temporary
    folder: pytest prunes those itself, so nothing is left in /tmp even if a run is killed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(kinds.SCRATCH_ENV, str(tmp_path_factory.mktemp("api-fuzz")))
        patch.setattr(kinds, "_SCRATCH", {})
        with runner.Worker() as started:
            yield started


def test_every_public_callable_has_an_entry_or_a_reasoned_exemption():
    public = manifest.public_callables()
    missing = sorted(set(public) - set(manifest.ENTRIES) - set(manifest.exemptions()))
    assert not missing, f"public callables without a fuzz manifest entry (tests/api_fuzz/manifest.py): {missing}"
    stale = sorted((set(manifest.ENTRIES) | set(manifest.EXEMPT)) - set(public))
    assert not stale, f"manifest names that are no longer public: {stale}"
    assert not set(manifest.ENTRIES) & set(manifest.EXEMPT)
    assert all(len(reason) > 20 for reason in manifest.EXEMPT.values())


@pytest.mark.parametrize("name", ENTRIES)
def test_entry_declares_the_kind_of_every_parameter(name):
    entry = manifest.ENTRIES[name]
    parameters = inspect.signature(entry.function).parameters
    named = {p.name for p in parameters.values() if p.kind is not p.VAR_KEYWORD}
    assert not named - set(entry.kinds), f"{name}: no kind declared for {sorted(named - set(entry.kinds))}"
    if not any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        assert not set(entry.kinds) - named, f"{name}: kinds for unknown parameters {set(entry.kinds) - named}"


@pytest.mark.parametrize("name", ENTRIES)
def test_baseline_call_is_fast_and_finite(worker, name):
    answer = worker.call(name, None)
    assert answer["status"] == "returned", f"{name}: the baseline call failed: {answer}"
    assert answer["finite"], f"{name}: the baseline returned a non-finite value at {answer['where']}"
    if answer["seconds"] >= BASELINE_SECONDS:
        # The first call in a fresh environment may pay for imports and bytecode compilation (1.8 s seen for
        # jsonschema in a new venv, CI's case): judge the baseline by a warm call.
        answer = worker.call(name, None)
    assert answer["seconds"] < BASELINE_SECONDS, f"{name}: the baseline took {answer['seconds']:.2f} s (warm)"


@pytest.mark.parametrize("name", [name for name in ENTRIES if runner.fuzzed_arguments(manifest.ENTRIES[name])])
def test_bad_input_gets_a_clear_answer(worker, name):
    entry = manifest.ENTRIES[name]

    @runner.fuzz_settings(EXAMPLES_PER_ENTRY)
    @given(case=runner.case_strategy(entry))
    def each_case(case):
        argument, variant = case
        outcome = runner.run_case(worker, entry, argument, variant)
        assert outcome.outcome not in runner.FAILURES, outcome.line()

    each_case()


# The harness's own judgments, checked without a worker.
def test_inspection_checks_only_numbers_inside_records():
    import dataclasses

    import numpy as np
    import torch
    from api_fuzz.worker import non_finite

    @dataclasses.dataclass
    class Record:
        size: int
        name: str
        settings: dict
        net: torch.nn.Module
        values: list

    record = Record(10**30, "run", {"lr": 0.1, "curve": np.ones(3)}, torch.nn.Linear(2, 2), [1, 2.0, "x"])
    assert non_finite(record) == {}
    record.settings["curve"][1] = np.nan
    record.values.append(float("inf"))
    with torch.no_grad():
        record.net.weight[0, 0] = -float("inf")
    assert non_finite(record) == {
        "result.settings['curve']": {"nan"},
        "result.net.weight": {"-inf"},
        "result.values[3]": {"+inf"},
    }


def test_declared_sentinels_cover_only_their_output_and_kind():
    from api_fuzz.worker import judge

    nan_ok, inf_ok = {"result": "documented"}, {"result.delay": "documented"}
    assert judge({"result": {"nan"}, "result.delay": {"+inf"}}, nan_ok, inf_ok) == (None, ["result", "result.delay"])
    assert judge({"result.delay": {"-inf"}}, nan_ok, inf_ok)[0] == "result.delay: -inf"
    assert judge({"result.delay": {"nan"}}, nan_ok, inf_ok)[0] == "result.delay: nan"
    assert judge({"result.other": {"nan"}}, nan_ok, inf_ok)[0] == "result.other: nan"


@pytest.mark.parametrize(
    ("message", "argument", "value", "named"),
    [
        ("lr must be positive; got -1", "lr", -1, True),
        ("n train must be an integer", "n_train", 1.5, True),
        ("params0['W1'] must be finite", "params0", {"W1": 0}, True),
        ("params['W1'] must be finite", "params0", {"W1": 0}, True),  # a key of the dict given
        ("params['H'] must be finite", "params0", {"W1": 0}, False),  # not a key of the dict given
        ("a must be a real number", "a", True, True),
        ("W1 must be a real number", "a", True, False),  # the article is not the argument
        ("times can't be empty", "t", [], False),
        ("lr_decay must be in (0, 1]", "lr", 2.0, False),
        ("at least 2 distinct x values", "x", [1, 1], True),
    ],
)
def test_an_error_names_the_argument(message, argument, value, named):
    assert runner.names_argument(message, argument, value) is named


def test_none_is_legal_for_a_parameter_that_defaults_to_none():
    entry = manifest.ENTRIES["labhelpers.collapse.collapse_metrics"]
    refuse = kinds.Variant("None", None, kinds.REFUSE)
    assert entry.judged("bias", refuse).expect == kinds.ACCEPT  # left out by the baseline: None is the baseline
    assert entry.judged("classifier", refuse).expect == kinds.EITHER  # set by the baseline
    assert entry.judged("features", refuse).expect == kinds.REFUSE  # required
