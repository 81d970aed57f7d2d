"""The first, hidden cell of every notebook: install labhelpers in Colab, and nothing elsewhere.

The repository URL is read from ``_config.yml`` (its one home). In Colab the cell runs
``%pip install "labhelpers @ git+<repository url>"``; the environment variable ``LABHELPERS_SOURCE``, a pip URL
such as ``file:///path/to/a/checkout``, replaces the ``git+`` URL, so that ``tests/book/test_colab.py`` runs
the very same cell against the local checkout, offline.

``python scripts/colab_cell.py`` prints the cell; ``python scripts/colab_cell.py --write`` puts it, as it is
now, into the first code cell of every MyST notebook in book/ and lessons/ (then run ``make sync`` for the
paired notebooks and the student copies). ``tests/book/test_notebooks.py`` checks that every notebook starts
with exactly this cell.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE_VARIABLE = "LABHELPERS_SOURCE"
# The first code cell of a MyST notebook, hidden: its fence, its tags line, a blank line, the code, the fence.
_FIRST_CELL = re.compile(r"(```\{code-cell\}[^\n]*\n:tags: \[remove-cell\]\n\n)(.*?)(\n```)", flags=re.DOTALL)


def repository_url() -> str:
    config = (ROOT / "_config.yml").read_text()
    match = re.search(r"^repository:\s*\n\s+url:\s*(\S+)", config, flags=re.MULTILINE)
    if match is None:
        raise ValueError("_config.yml has no repository: url: entry")
    return match.group(1)


def colab_cell_source() -> str:
    return (
        "# Colab only: install the course's helper package from its repository.\n"
        "import os\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f"    # {SOURCE_VARIABLE}, a pip URL, replaces the repository (the tests install a local copy).\n"
        f'    source = os.environ.get("{SOURCE_VARIABLE}", "git+{repository_url()}")\n'
        '    %pip install --quiet "labhelpers @ {source}"'
    )


def notebook_sources() -> list[Path]:
    """The MyST notebooks of book/ and lessons/ (the files jupytext pairs with an .ipynb)."""
    return sorted(
        p for folder in ("book", "lessons") for p in (ROOT / folder).glob("*.md") if "jupytext:" in p.read_text()[:400]
    )


def write_cell(path: Path) -> bool:
    """Put the current cell into ``path``'s first code cell; True when the file changed."""
    text = path.read_text()
    body = text.split("\n---\n", 1)[1] if text.startswith("---\n") else text
    match = _FIRST_CELL.search(body)
    if match is None or "google.colab" not in match.group(2):
        raise ValueError(f"{path}: its first code cell is not the hidden Colab cell")
    start = len(text) - len(body) + match.start(2)
    updated = text[:start] + colab_cell_source() + text[start + len(match.group(2)) :]
    if updated != text:
        path.write_text(updated)
    return updated != text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="put the cell into every MyST notebook's first cell")
    args = parser.parse_args(argv)
    if not args.write:
        print(colab_cell_source())
        return 0
    changed = [path for path in notebook_sources() if write_cell(path)]
    for path in changed:
        print(f"updated {path.relative_to(ROOT)}")
    print(f"{len(changed)} of {len(notebook_sources())} notebooks updated; now run `make sync`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
