#!/usr/bin/env bash
# The test command: lint, unit tests of labhelpers, every notebook (chapters, lessons, student copies)
# executed by nbmake, then the browser suite on the built book in _build/html (tests/browser: needs
# `make book` and Debian's chromium + chromium-driver; it skips with one line without them).
# Sets up .venv first (see scripts/venv.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh
VENV="${VENV:-.venv}"
# One thread per process: pytest runs two workers on two cores, and oversubscribed torch threads
# slowed the heaviest notebook 2.5x.
export MPLBACKEND=Agg PYTHONHASHSEED=0 OMP_NUM_THREADS=1
"$VENV/bin/ruff" check labhelpers tests scripts
"$VENV/bin/python" scripts/make_student_copies.py --check
"$VENV/bin/python" -m pytest -n 2 --durations=15 tests --ignore=tests/browser --nbmake book lessons "$@"
# The unit tests once more with two torch threads per process: a number that depends on the thread
# count (a reduction split differently) cannot pass both runs. Tests that execute whole notebooks run
# once: .ci/run compares every notebook's outputs at one and two threads (scripts/check_determinism.py).
OMP_NUM_THREADS=2 "$VENV/bin/python" -m pytest -n 2 -q tests --ignore=tests/browser -m "not executes_notebooks" "$@"
# Every page of the built book in headless Chromium, once, in one process (one browser for the session).
"$VENV/bin/python" -m pytest -p no:xdist -q -rs tests/browser
