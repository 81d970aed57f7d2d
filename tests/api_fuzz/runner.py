"""Run one fuzz call in a worker process under a timeout, and sort what happened into an outcome class.

The worker is one long-lived Python process that has imported ``labhelpers`` once; it receives
``(entry, argument, value)`` over a pipe, builds the entry's baseline call, swaps in the value, calls, and
answers with what the call raised or whether what it returned is finite. A call that does not answer
within the timeout is a hang: the worker is killed and a fresh one started. Library output to stdout or
stderr goes to /dev/null, so that a progress bar cannot corrupt the pipe.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from .kinds import ACCEPT, REFUSE, SCRATCH_ENV, Variant, scratch_root
from .manifest import Entry

CLEAR, UNCLEAR, SILENT, HANG, OK, REFUSED_VALID, HARNESS = (
    "clear error",
    "unclear error",
    "silent",
    "hang",
    "accepted-ok",
    "refused-valid",
    "harness error",
)
OUTCOMES = (CLEAR, UNCLEAR, SILENT, HANG, OK, REFUSED_VALID, HARNESS)
FAILURES = (UNCLEAR, SILENT, HANG, REFUSED_VALID, HARNESS)
"""Outcomes that fail the test. A harness error (a baseline that cannot be built, a result the harness
cannot inspect) is the harness's bug, reported apart so that it is never blamed on the library."""

TIMEOUT_S = float(os.environ.get("LABHELPERS_FUZZ_TIMEOUT", "4"))
"""Seconds a single call may take; a baseline call takes well under one."""

_TESTS_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Outcome:
    """What one fuzz call did: its class, and the evidence for a report line."""

    entry: str
    argument: str
    label: str
    outcome: str
    message: str
    seconds: float = 0.0

    def line(self) -> str:
        return f"{self.entry} | {self.argument} = {self.label} | {self.outcome} | {self.message}"


class Worker:
    """A worker process for fuzz calls, restarted after a hang or a crash."""

    def __init__(self, timeout: float = TIMEOUT_S) -> None:
        self.timeout = timeout
        self.process: subprocess.Popen | None = None

    def _start(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
        env[SCRATCH_ENV] = scratch_root()  # the worker's files live in this process's folder, removed with it
        env["PYTHONPATH"] = os.pathsep.join([str(_TESTS_DIR), env.get("PYTHONPATH", "")])
        code = f"from api_fuzz.worker import serve; serve({to_child_r}, {from_child_w})"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code],
            pass_fds=(to_child_r, from_child_w),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self.send, self.receive = Connection(to_child_w, readable=False), Connection(from_child_r, writable=False)
        if not self.receive.poll(120) or self.receive.recv() != "ready":
            raise RuntimeError("the fuzz worker did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.send.close()
            self.receive.close()
            self.process = None

    def call(self, entry: str, argument: str | None, value: Any = None) -> dict:
        """Run ``entry``'s baseline with ``argument`` set to ``value`` (the plain baseline if None)."""
        if self.process is None:
            self._start()
        try:
            self.send.send((entry, argument, value))
            if self.receive.poll(self.timeout):
                return self.receive.recv()
            answer = {"status": "hang"}
        except (EOFError, OSError, BrokenPipeError) as error:
            answer = {"status": "crash", "message": f"the worker died: {error!r}"}
        self.stop()
        return answer

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


_VERBS = "must|has|have|is|are|was|should|needs?|gives?|holds?|of|and|or|with|got|cannot|does|do|values?|entr(?:y|ies)"
"""Words that may follow a one-letter argument name (``a must be``, ``A and B``, ``x values``). Followed
by any other word, the letter is prose, not the argument: the article in ``a real number``."""


def _spellings(argument: str, value: Any) -> list[str]:
    """Regular expressions that each count as naming ``argument`` given ``value`` in an error message.

    - the name as a word, also inside a qualified name (``params0['W1']``, ``moments.sigma_xx``), or
      spelt with spaces (``n train``); a one-letter name only where it reads as a name (``a must``,
      ``a=``, ``'a'``), never inside a contraction (``can't``);
    - for a dict, one of its keys shown as a key (``['W1']``, ``'W1'``); for a record (a dataclass), one
      of its fields shown as a field (``.sigma_xx``): the message points into the argument given;
    - for a path (a string with a folder separator), the file's name.
    """
    names = {argument, argument.replace("_", " ")}
    before, after = r"(?<![A-Za-z0-9_])(?<![A-Za-z]')", r"(?![A-Za-z0-9_])"
    if len(argument) == 1:
        after += rf"(?!\s+(?!(?:{_VERBS})\b)[A-Za-z])"
    patterns = [before + re.escape(name) + after for name in names]
    if isinstance(value, dict):
        patterns += [rf"\[\s*{re.escape(repr(key))}\s*\]|['\"]{re.escape(str(key))}['\"]" for key in value]
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        patterns += [rf"\.{re.escape(f.name)}{after}" for f in dataclasses.fields(value)]
    elif isinstance(value, str) and os.sep in value:
        patterns.append(re.escape(os.path.basename(value.rstrip(os.sep))))
    return patterns


def names_argument(message: str, argument: str, value: Any) -> bool:
    """Whether an error message names the argument it was given (see :func:`_spellings`)."""
    return any(re.search(pattern, message) for pattern in _spellings(argument, value))


def classify(entry: str, argument: str, variant: Variant, answer: dict) -> Outcome:
    """Sort one answer from the worker into an outcome class (see :mod:`tests.api_fuzz`)."""
    status, message = answer["status"], answer.get("message", "")
    seconds = answer.get("seconds", 0.0)
    if status == "hang":
        outcome, message = HANG, f"no answer within {TIMEOUT_S:g} s"
    elif status == "harness":
        outcome = HARNESS
    elif status == "crash":
        outcome = UNCLEAR
    elif status == "raised":
        message = f"{answer['type']}: {message}"
        if variant.expect == ACCEPT:
            outcome = REFUSED_VALID
        elif answer["clear_type"] and names_argument(answer["message"], argument, variant.value):
            outcome = CLEAR
        else:
            outcome = UNCLEAR
    elif not answer["finite"]:
        outcome, message = SILENT, f"returned a non-finite value ({answer['where']})"
    elif variant.expect == REFUSE:
        outcome, message = SILENT, "returned normally; the value should have been refused"
    else:
        outcome = OK
        if answer.get("sentinels"):
            message = f"documented sentinel at {', '.join(answer['sentinels'])}"
    return Outcome(entry, argument, variant.label, outcome, " ".join(message.split())[:300], seconds)


def fuzzed_arguments(entry: Entry) -> list[str]:
    """The arguments of an entry that the fuzz varies, in a fixed order."""
    return sorted(name for name, kind in entry.kinds.items() if kind.fuzzed)


def catalogue_cases(entry: Entry) -> list[tuple[str, Variant]]:
    """Every catalogue variant of every fuzzed argument: the exhaustive part of the report."""
    return [(name, variant) for name in fuzzed_arguments(entry) for variant in entry.kinds[name].catalogue(
        entry.baseline(name))]  # fmt: skip


def case_strategy(entry: Entry) -> st.SearchStrategy[tuple[str, Variant]]:
    """Draw one argument of the entry, then one catalogue or generated variant of its kind."""
    strategies = [
        entry.kinds[name].strategy(entry.baseline(name)).map(lambda variant, name=name: (name, variant))
        for name in fuzzed_arguments(entry)
    ]
    return st.one_of(strategies)


def fuzz_settings(max_examples: int) -> settings:
    """Deterministic, bounded hypothesis runs: no example database, no shrinking (each call may time out)."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


def run_case(worker: Worker, entry: Entry, argument: str, variant: Variant) -> Outcome:
    """Call the entry with one argument replaced, and classify what happened."""
    variant = entry.judged(argument, variant)
    return classify(entry.target, argument, variant, worker.call(entry.target, argument, variant.value))
