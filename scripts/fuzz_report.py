"""Fuzz the whole public API of labhelpers and report the outcomes (issue 11, item 10).

For every manifest entry (tests/api_fuzz/manifest.py) and every argument it fuzzes, the report tries the
whole catalogue of bad and edge values of the argument's kind, plus ``--examples`` cases drawn by
hypothesis (deterministically). It prints the counts per outcome class, the counts per module, and one
line per failing call: function | argument = value | outcome | message.

    .venv/bin/python scripts/fuzz_report.py [--module modes] [--examples 20] [--output report.txt]
"""

from __future__ import annotations

import argparse
import collections
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from api_fuzz import manifest, runner  # noqa: E402
from hypothesis import given  # noqa: E402


def drawn_cases(entry: manifest.Entry, examples: int) -> list:
    """The cases hypothesis draws for the entry, collected rather than run (so the draw stays the test's)."""
    cases = []
    if not runner.fuzzed_arguments(entry):
        return cases

    @runner.fuzz_settings(examples)
    @given(case=runner.case_strategy(entry))
    def collect(case):
        cases.append(case)

    collect()
    return cases


def fuzz_entry(worker: runner.Worker, entry: manifest.Entry, examples: int) -> list[runner.Outcome]:
    """Outcomes of the entry's catalogue cases and drawn cases."""
    outcomes = []
    for argument, variant in runner.catalogue_cases(entry) + drawn_cases(entry, examples):
        outcomes.append(runner.run_case(worker, entry, argument, variant))
    return outcomes


def report(outcomes: list[runner.Outcome], exempt: dict[str, str], seconds: float) -> str:
    """The counts per outcome and per module, then the failures grouped by module."""
    lines = [f"{len(outcomes)} calls over {len({o.entry for o in outcomes})} public callables in {seconds:.0f} s", ""]
    totals = collections.Counter(o.outcome for o in outcomes)
    lines += ["Outcomes:"] + [f"  {name:14s} {totals[name]:6d}" for name in runner.OUTCOMES] + [""]
    modules = sorted({o.entry.rsplit(".", 1)[0] for o in outcomes})
    header = "  ".join(f"{name[:13]:>13s}" for name in runner.OUTCOMES)
    lines += ["Per module:", f"  {'module':32s}{header}"]
    for module in modules:
        counts = collections.Counter(o.outcome for o in outcomes if o.entry.rsplit(".", 1)[0] == module)
        lines.append(f"  {module:32s}" + "  ".join(f"{counts[name]:13d}" for name in runner.OUTCOMES))
    failures = [o for o in outcomes if o.outcome in runner.FAILURES]
    lines += ["", f"Failures ({len(failures)}), by module:"]
    for module in modules:
        mine = [o for o in failures if o.entry.rsplit(".", 1)[0] == module]
        if mine:
            lines += [f"== {module} ({len(mine)})"] + [f"  {o.line()}" for o in mine]
    lines += ["", f"Exempt ({len(exempt)}):"] + [f"  {name}: {reason}" for name, reason in sorted(exempt.items())]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", action="append", help="only entries of labhelpers.MODULE (repeatable)")
    parser.add_argument("--examples", type=int, default=20, help="hypothesis-drawn cases per entry (default 20)")
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    # A SIGTERM (a timeout, a CI cancel) exits through Python, so that the worker is stopped and the
    # run's temporary folder removed (api_fuzz.kinds.scratch_root).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    entries = [
        entry
        for name, entry in sorted(manifest.ENTRIES.items())
        if not args.module or entry.module in {f"labhelpers.{m}" for m in args.module}
    ]
    start = time.perf_counter()
    outcomes = []
    with runner.Worker() as worker:
        for entry in entries:
            outcomes += fuzz_entry(worker, entry, args.examples)
            print(f"{entry.target}: done", file=sys.stderr, flush=True)
    text = report(outcomes, manifest.exemptions(), time.perf_counter() - start)
    print(text)
    if args.output:
        args.output.write_text(text + "\n")
    return 1 if any(o.outcome in runner.FAILURES for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
