"""Notebook hygiene: paired .ipynb files match their MyST sources, carry no outputs, start with the
Colab cell, and every chapter and lesson is in the table of contents."""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from colab_cell import colab_cell_source  # noqa: E402

SOURCES = sorted(
    p for folder in ("book", "lessons") for p in (ROOT / folder).glob("*.md") if "jupytext:" in p.read_text()[:400]
)


def _cells(nb):
    return [(c.cell_type, c.source.strip(), tuple(c.metadata.get("tags", []))) for c in nb.cells]


def test_there_are_notebooks():
    names = {p.name for p in SOURCES}
    assert {"feedback.md", "lesson01_feedback.md"} <= names, names


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_paired_notebook_in_sync(source):
    paired = source.with_suffix(".ipynb")
    assert paired.exists(), f"{paired.name} is missing: run `make sync`"
    expected = _cells(jupytext.read(source))
    actual = _cells(nbformat.read(paired, as_version=4))
    assert actual == expected, f"{paired.relative_to(ROOT)} is out of sync with its source: run `make sync`"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_paired_notebook_has_no_outputs(source):
    nb = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, (
        f"cells {dirty} of {source.with_suffix('.ipynb').name} carry outputs: commit notebooks without them"
    )


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_first_code_cell_installs_labhelpers_in_colab(source):
    nb = jupytext.read(source)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert first.source.strip() == colab_cell_source(), "first code cell must be scripts/colab_cell.py's output"
    assert "remove-cell" in first.metadata.get("tags", []), "the Colab cell must be hidden (tag remove-cell)"


def test_every_source_is_in_the_toc():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = {toc["root"]}
    for part in toc.get("parts", []):
        files |= {chapter["file"] for chapter in part["chapters"]}
    missing = [
        str(p.relative_to(ROOT).with_suffix(""))
        for p in SOURCES
        if str(p.relative_to(ROOT).with_suffix("")) not in files
    ]
    assert not missing, f"not in _toc.yml: {missing}"


MAX_SHOWN_LINE = 88  # characters: what a code box shows at 1280 px without scrolling (_assets/course.css)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_code_a_reader_sees_fits_the_column(source):
    long_lines = []
    for number, cell in enumerate(jupytext.read(source).cells):
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or {"remove-cell", "remove-input"} & set(tags):
            continue
        long_lines += [(number, line) for line in cell.source.splitlines() if len(line) > MAX_SHOWN_LINE]
    assert not long_lines, f"code lines over {MAX_SHOWN_LINE} characters (cell, line): {long_lines}"
