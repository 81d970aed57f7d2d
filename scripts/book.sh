#!/usr/bin/env bash
# Build the HTML book into _build/html with warnings as errors and nitpicky mode.
# Sets up .venv first (see scripts/venv.sh). BOOK_EXECUTE=force re-executes every notebook
# (CI does this; locally the jupyter-cache in _build/.jupyter_cache is reused).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh
VENV="${VENV:-.venv}"
export PYTHONHASHSEED=0  # no MPLBACKEND here: notebook kernels inherit it and Agg would drop inline figures
if [ "${BOOK_EXECUTE:-cache}" = "force" ]; then
  rm -rf _build/.jupyter_cache
fi
"$VENV/bin/python" scripts/fetch_mathjax.py   # MathJax served by the site: maths typeset offline
"$VENV/bin/jupyter-book" build . -W -n --keep-going "$@"
echo "Book built: open _build/html/index.html"
