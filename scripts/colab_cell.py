"""The first, hidden cell of every notebook: install labhelpers in Colab, and nothing elsewhere.

The repository URL is read from ``_config.yml`` (its one home). ``python scripts/colab_cell.py`` prints
the cell; ``tests/book/test_notebooks.py`` checks that every notebook starts with exactly this cell.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def repository_url() -> str:
    config = (ROOT / "_config.yml").read_text()
    match = re.search(r"^repository:\s*\n\s+url:\s*(\S+)", config, flags=re.MULTILINE)
    if match is None:
        raise ValueError("_config.yml has no repository: url: entry")
    return match.group(1)


def colab_cell_source() -> str:
    return (
        "# Colab only: install the course's helper package from its repository.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install --quiet "labhelpers @ git+{repository_url()}"'
    )


if __name__ == "__main__":
    print(colab_cell_source())
