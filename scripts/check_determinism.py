"""Check that notebooks give byte-identical outputs from run to run and with 1 or 2 torch threads.

Each notebook is executed twice, top to bottom, in a fresh kernel (nbclient): once with one thread
and once with two. The thread count reaches every library through the environment of the kernel
(``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, read by torch's intra-op pool
when it is first imported, also inside ``labhelpers``, and by the BLAS), and a hidden first cell
also calls ``torch.set_num_threads`` when the notebook's own code uses torch. The outputs of the two runs are then compared cell by cell, byte for byte, as JSON.
Two runs that differ in the thread count also differ in everything that varies from run to run
(ids, timestamps, memory addresses), so one pair of runs catches both.

What is not compared, because it legitimately varies and is no part of what a reader sees:

- cell metadata written by the executor (``metadata.execution``: start and end timestamps);
- notebook metadata (kernel info and the stored widget state, keyed by widget model ids);
- how a cell's printed text is split into stream messages: the kernel flushes ``stdout`` on a
  timer, so a slow loop's prints arrive in one message or several depending on the machine's load.
  Consecutive stream outputs are merged (nbclient's ``coalesce_streams``), as the book does
  (``nb_merge_streams``); the text itself is compared;
- the model id inside ``application/vnd.jupyter.widget-view+json`` outputs: a comm id that
  ipywidgets draws at random (uuid4) when a live widget is created. Ids are renamed in order of
  first appearance, so two runs still have to show the same widgets in the same places.

Execution counts are compared: a fresh kernel numbers the cells the same way every time.

Usage::

    python scripts/check_determinism.py lessons/lesson01_feedback.md lessons/student/*.ipynb
    python scripts/check_determinism.py --threads 1 2 --timeout 300 book/some_chapter.md

Sources in MyST markdown are read with jupytext. Exit status: 0 when every notebook matches,
1 when one differs (the first differing cell of each is printed), 2 for a bad argument.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import json
import os
import re
import sys
import time
from pathlib import Path

import nbformat

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
_MENTIONS_TORCH = re.compile(r"\btorch\b")
_SETUP_SOURCE = "import torch\ntorch.set_num_threads({n})\ntorch.set_num_interop_threads({n})"
_DIFF_LINES = 40


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """A notebook from an ``.ipynb`` file or a jupytext source (``.md``, ``.py``)."""
    if path.suffix == ".ipynb":
        return nbformat.read(path, as_version=4)
    import jupytext

    return jupytext.read(path)


def execute(notebook: nbformat.NotebookNode, folder: Path, threads: int, timeout: int) -> nbformat.NotebookNode:
    """Run a copy of ``notebook`` in a fresh kernel with ``threads`` threads; return the executed copy."""
    from nbclient import NotebookClient

    notebook = copy.deepcopy(notebook)
    uses_torch = any(_MENTIONS_TORCH.search(c.source) for c in notebook.cells if c.cell_type == "code")
    if uses_torch:  # removed again below, so cell positions and execution counts stay comparable
        notebook.cells.insert(0, nbformat.v4.new_code_cell(_SETUP_SOURCE.format(n=threads)))
    env = dict(os.environ, **{name: str(threads) for name in THREAD_VARIABLES})
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        coalesce_streams=True,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute(env=env)
    if uses_torch:
        del notebook.cells[0]
        for cell in notebook.cells:
            if cell.cell_type == "code" and cell.get("execution_count"):
                cell.execution_count -= 1
                for output in cell.outputs:
                    if output.get("execution_count"):
                        output.execution_count -= 1
    return notebook


def comparable(notebook: nbformat.NotebookNode) -> list[str]:
    """One JSON text per cell: what a reader sees, without what legitimately varies (module docstring)."""
    model_ids: dict[str, str] = {}
    texts = []
    for cell in notebook.cells:
        kept = {"cell_type": cell.cell_type, "source": cell.source}
        if cell.cell_type == "code":
            outputs = copy.deepcopy(cell.get("outputs", []))
            for output in outputs:
                view = output.get("data", {}).get(WIDGET_VIEW)
                if isinstance(view, dict) and "model_id" in view:
                    view["model_id"] = model_ids.setdefault(view["model_id"], f"widget-{len(model_ids) + 1}")
            kept.update(execution_count=cell.get("execution_count"), outputs=outputs)
        texts.append(json.dumps(kept, sort_keys=True, indent=1, ensure_ascii=False))
    return texts


def first_difference(a: list[str], b: list[str], labels: tuple[str, str]) -> str | None:
    """A report of the first cell whose outputs differ between two runs, or ``None``."""
    if len(a) != len(b):
        return f"the runs have {len(a)} and {len(b)} cells"
    for k, (x, y) in enumerate(zip(a, b)):
        if x != y:
            diff = list(difflib.unified_diff(x.splitlines(), y.splitlines(), *labels, lineterm="", n=2))
            if len(diff) > _DIFF_LINES:
                diff = diff[:_DIFF_LINES] + [f"... ({len(diff) - _DIFF_LINES} more diff lines)"]
            source = json.loads(x)["source"].splitlines()[:3]
            return f"cell {k} differs; it starts with:\n    " + "\n    ".join(source) + "\n" + "\n".join(diff)
    return None


def check_notebook(path: Path, threads: tuple[int, ...], timeout: int) -> tuple[bool, list[float]]:
    """Execute ``path`` once per thread count; print the first difference; return (same, seconds per run)."""
    notebook = read_notebook(path)
    runs, seconds = [], []
    for n in threads:
        start = time.perf_counter()
        runs.append(comparable(execute(notebook, path.parent, n, timeout)))
        seconds.append(time.perf_counter() - start)
    timing = ", ".join(f"{s:.1f} s with {n} thread{'s' if n > 1 else ''}" for n, s in zip(threads, seconds))
    for k in range(1, len(runs)):
        labels = (f"{threads[0]} thread(s)", f"{threads[k]} thread(s)")
        report = first_difference(runs[0], runs[k], labels)
        if report is not None:
            print(f"DIFFERS  {path} ({timing})\n{report}", flush=True)
            return False, seconds
    print(f"same     {path} ({timing})", flush=True)
    return True, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path, help=".ipynb files or jupytext sources (.md)")
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2], help="thread counts (default: 1 2)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell (default: 600)")
    args = parser.parse_args(argv)
    if len(args.threads) < 2 or min(args.threads) < 1:
        parser.error(f"--threads needs at least two positive counts; got {args.threads}")
    if args.timeout < 1:
        parser.error(f"--timeout must be a positive number of seconds; got {args.timeout}")
    missing = [str(p) for p in args.notebooks if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    results = [check_notebook(path.resolve(), tuple(args.threads), args.timeout)[0] for path in args.notebooks]
    if not all(results):
        print(f"{results.count(False)} of {len(results)} notebooks differ between runs.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
