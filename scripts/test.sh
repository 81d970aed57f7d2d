#!/usr/bin/env bash
# The test command: lint, unit tests of labhelpers, and every notebook (chapters, lessons, student copies)
# executed by nbmake. Sets up .venv first (see scripts/venv.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh
VENV="${VENV:-.venv}"
# One thread per process: pytest runs two workers on two cores, and oversubscribed torch threads
# slowed the heaviest notebook 2.5x.
export MPLBACKEND=Agg PYTHONHASHSEED=0 OMP_NUM_THREADS=1
"$VENV/bin/ruff" check labhelpers tests scripts
"$VENV/bin/python" scripts/make_student_copies.py --check
"$VENV/bin/python" -m pytest -n 2 --durations=15 tests --nbmake book lessons "$@"
# The unit tests once more with two torch threads per process: a number that depends on the thread
# count (a reduction split differently) cannot pass both runs.
OMP_NUM_THREADS=2 "$VENV/bin/python" -m pytest -n 2 -q tests "$@"
