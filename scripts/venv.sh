#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment in .venv from the pinned requirements.
# A second run reuses the environment; it reinstalls only when requirements/lock.txt or pyproject.toml change.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"

"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python >= 3.10 is required")'
stamp_value=$(cat requirements/lock.txt pyproject.toml | "$PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')
stamp_file="$VENV/.lock-stamp"

if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp_value" ]; then
  exit 0
fi
echo "Setting up $VENV from requirements/lock.txt (first run takes a few minutes) ..."
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
# torch first, pinned, so that nothing resolves an unpinned (CUDA) build.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$(grep '^torch==' requirements/lock.txt)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements/lock.txt
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --editable .
"$VENV/bin/python" -m ipykernel install --sys-prefix --name python3 >/dev/null
echo "$stamp_value" > "$stamp_file"
