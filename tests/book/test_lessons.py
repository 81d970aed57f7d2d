"""Lessons: one tagged source gives the book page (with solutions) and the student copy (without).

Checks that the committed student copies are what the generator produces, that they hold every
exercise stub and none of the solutions, and that both versions run from top to bottom: the source
with every self-check "correct", the student copy with every self-check "not attempted".
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import make_student_copies as generator  # noqa: E402
from colab_cell import colab_cell_source  # noqa: E402

from labhelpers.checks import CORRECT, METADATA_KEY, NOT_ATTEMPTED  # noqa: E402

SOURCES = generator.lesson_sources()
IDS = [p.name for p in SOURCES]
EXECUTION_BUDGET_S = 60  # per notebook; the lessons take a few seconds
CHECK_CALL = re.compile(r"\b(?:self_)?check(?:_function)?\(")


def tagged(cells, tag):
    return [c for c in cells if tag in c.metadata.get("tags", [])]


def code_lines(cells) -> set[str]:
    """Stripped lines of code, without blanks and comments."""
    return {
        line.strip()
        for c in cells
        if c.cell_type == "code"
        for line in c.source.splitlines()
        if line.strip() and not line.strip().startswith("#")
    }


@pytest.fixture(scope="module", params=SOURCES, ids=IDS)
def lesson(request):
    source = request.param
    return source, jupytext.read(source), nbformat.read(generator.student_path(source), as_version=4)


def test_there_is_a_lesson():
    assert "lesson01_feedback.md" in IDS


# ---------------------------------------------------------------- the generator
@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_committed_student_copy_is_up_to_date(source):
    committed = generator.student_path(source)
    assert committed.exists(), f"{committed.name} is missing: run `python scripts/make_student_copies.py`"
    assert committed.read_text(encoding="utf-8") == generator.render(source), (
        f"{committed.relative_to(ROOT)} is out of date: run `python scripts/make_student_copies.py`"
    )


def test_check_mode_reports_a_stale_copy(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(generator, "STUDENT_DIR", tmp_path)
    source = SOURCES[0]
    assert generator.main(["--check", str(source)]) == 1  # missing
    assert generator.main([str(source)]) == 0
    assert generator.main(["--check", str(source)]) == 0
    first = (tmp_path / f"{source.stem}.ipynb").read_bytes()
    assert generator.main([str(source)]) == 0
    assert (tmp_path / f"{source.stem}.ipynb").read_bytes() == first, "output must be byte-identical"
    (tmp_path / f"{source.stem}.ipynb").write_text(first.decode().replace("Exercise 1", "Exercise one"))
    assert generator.main(["--check", str(source)]) == 1
    assert "out of date" in capsys.readouterr().err


def test_tagging_mistakes_are_refused(tmp_path):
    lone_solution = tmp_path / "broken.md"
    lone_solution.write_text(
        SOURCES[0].read_text(encoding="utf-8").replace(":tags: [student]", ":tags: [hide-input]", 1),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="must follow the 'student' stub"):
        generator.student_notebook(lone_solution)


def test_cell_ids_are_unique_and_stable(lesson):
    source, _, student = lesson
    ids = [c.id for c in student.cells]
    assert len(set(ids)) == len(ids)
    assert ids == [c.id for c in generator.student_notebook(source).cells]


# ---------------------------------------------------------------- what the student copy holds
def test_student_copy_has_no_solution_cells_and_no_student_tags(lesson):
    _, _, student = lesson
    assert not tagged(student.cells, "solution")
    assert not tagged(student.cells, "student")


def test_student_copy_has_no_solution_code(lesson):
    _, source, student = lesson
    solutions = tagged(source.cells, "solution")
    others = [c for c in source.cells if c not in solutions]
    shared = code_lines(others)
    checks = {c.source for c in others}
    for cell in [c for c in solutions if c.cell_type == "code"]:
        if cell.source in checks:  # a re-check repeats the stub's self-check on purpose
            continue
        own = code_lines([cell]) - shared
        assert own, f"this solution adds nothing to its stub:\n{cell.source}"
        leaked = own & code_lines(student.cells)
        assert not leaked, f"solution lines in the student copy: {sorted(leaked)}"


def test_student_copy_has_no_sample_answers(lesson):
    _, source, student = lesson
    text = "\n".join(c.source for c in student.cells)
    answers = [c for c in tagged(source.cells, "solution") if c.cell_type == "markdown"]
    assert answers, "each lesson has Think! questions with sample answers"
    for cell in answers:
        assert "{admonition} Sample answer" in cell.source and ":class: dropdown" in cell.source
        for line in cell.source.splitlines()[3:]:
            if len(line) > 30:
                assert line not in text, f"sample answer leaked: {line}"


def test_every_stub_is_in_the_student_copy_and_checked(lesson):
    _, source, student = lesson
    stubs = tagged(source.cells, "student")
    assert len(stubs) >= 4, "a lesson has at least four exercises"
    student_sources = [c.source for c in student.cells if c.cell_type == "code"]
    for stub in stubs:
        assert stub.source in student_sources, f"stub missing from the student copy:\n{stub.source}"
        assert "..." in stub.source, f"a stub leaves `...` to fill in:\n{stub.source}"
    checks = sum(len(CHECK_CALL.findall(c.source)) for c in source.cells if c.cell_type == "code")
    assert checks >= len(stubs), "every exercise needs a self-check"


def test_every_stub_is_followed_by_its_self_check_then_its_solution(lesson):
    """The book page is the student's view: stub, self-check ("not attempted yet"), folded solution, re-check."""
    _, source, _ = lesson
    cells = source.cells
    numbers = []
    for k, cell in enumerate(cells):
        if "student" not in cell.metadata.get("tags", []):
            continue
        check, solution, recheck = cells[k + 1 : k + 4]
        call = re.search(r"ex\d+ = ref\.self_check\((\d+), ", check.source)
        assert call and not check.metadata.get("tags"), f"cell {k + 2} should be the stub's self-check:\n{check.source}"
        assert "solution" in solution.metadata.get("tags", []), f"cell {k + 3} should be the solution"
        assert recheck.source == check.source and {"solution", "remove-cell"} <= set(recheck.metadata["tags"])
        numbers.append(int(call.group(1)))
    assert numbers == list(range(1, len(numbers) + 1)), f"exercises checked in the order {numbers}"


def test_solution_code_is_folded_in_the_book(lesson):
    _, source, _ = lesson
    for cell in tagged(source.cells, "solution"):
        if cell.cell_type == "code":
            assert "hide-input" in cell.metadata["tags"] or "remove-cell" in cell.metadata["tags"]


def test_student_copy_starts_with_the_colab_cell(lesson):
    _, _, student = lesson
    first = next(c for c in student.cells if c.cell_type == "code")
    assert first.source == colab_cell_source()


def test_student_copy_markdown_is_plain(lesson):
    """Jupyter and Colab do not read MyST: no roles, label targets or directives may remain."""
    _, _, student = lesson
    for cell in student.cells:
        if cell.cell_type == "markdown":
            assert not re.search(r"\{[a-z:]+\}`", cell.source), cell.source
            assert not re.search(r"^\([\w.-]+\)=", cell.source, flags=re.MULTILINE), cell.source
            assert "```{" not in cell.source, cell.source


def test_plain_markdown_conversions():
    bibliography = generator.read_bibliography()
    text = generator.plain_markdown(
        "(l9-x)=\n# T\n{cite:t}`saxe2014exact` and {cite:p}`nam2025position,baldi1989neural`; see {eq}`l9-e`.\n"
        "$$\na = b\n$$ (l9-e)\n```{note}\nBody line.\n```",
        equations={"l9-e": 1},
        bibliography=bibliography,
        source=SOURCES[0],
    )
    assert text.startswith("# T\nSaxe et al. (2014) and (Nam et al., 2025; Baldi and Hornik, 1989); see (1).")
    assert "a = b\n\\tag{1}\n$$" in text
    assert "> **Note.**\n>\n> Body line." in text
    with pytest.raises(ValueError, match="not in references.bib"):
        generator.plain_markdown("{cite:p}`nobody2099`", equations={}, bibliography=bibliography, source=SOURCES[0])
    with pytest.raises(ValueError, match="no plain-markdown form"):
        generator.plain_markdown("{ref}`l1-x`", equations={}, bibliography=bibliography, source=SOURCES[0])


def test_figure_references_become_the_pages_figure_numbers():
    cells = [
        nbformat.v4.new_code_cell("plot()", metadata={"mystnb": {"figure": {"name": "l9-fig-a"}}}),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("plot()", metadata={"mystnb": {"figure": {"name": "l9-fig-b", "caption": "B"}}}),
    ]
    figures = generator.figure_numbers(cells)
    assert figures == {"l9-fig-a": 1, "l9-fig-b": 2}
    text = generator.plain_markdown(
        "{numref}`l9-fig-b` and {numref}`Figure %s <l9-fig-a>`.",
        equations={},
        bibliography={},
        source=SOURCES[0],
        figures=figures,
    )
    assert text == "Fig. 2 and Figure 1."
    with pytest.raises(ValueError, match="no named figure"):
        generator.plain_markdown(
            "{numref}`l9-fig-c`", equations={}, bibliography={}, source=SOURCES[0], figures=figures
        )


# ---------------------------------------------------------------- both versions run
def execute(notebook, folder: Path) -> tuple[nbformat.NotebookNode, float]:
    from nbclient import NotebookClient

    start = time.perf_counter()
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute()
    return notebook, time.perf_counter() - start


def verdicts(notebook) -> list[dict]:
    return [
        output.metadata[METADATA_KEY]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if METADATA_KEY in output.get("metadata", {})
    ]


def output_text(notebook) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", "") + output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


@pytest.mark.executes_notebooks
@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_source_runs_with_every_check_correct(source):
    """The book shows the student's view: "not attempted" under each stub, "correct" after its solution."""
    notebook, seconds = execute(jupytext.read(source), source.parent)
    found = verdicts(notebook)
    calls = sum(len(CHECK_CALL.findall(c.source)) for c in notebook.cells if c.cell_type == "code")
    assert len(found) == calls, f"{calls} self-checks in the source, {len(found)} verdicts displayed"
    rechecks = {c.source for c in tagged(notebook.cells, "solution") if c.cell_type == "code"}
    for k, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        shown = verdicts(nbformat.v4.new_notebook(cells=[cell]))
        before_solution = not cell.metadata.get("tags") and cell.source in rechecks
        want = NOT_ATTEMPTED if before_solution else CORRECT
        assert all(v["status"] == want for v in shown), f"cell {k + 1}: {shown}, expected {want}"
    assert "Skipped" not in output_text(notebook)
    assert seconds < EXECUTION_BUDGET_S, f"{source.name} took {seconds:.0f} s"


@pytest.mark.executes_notebooks
@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_student_copy_runs_with_every_check_not_attempted(source):
    path = generator.student_path(source)
    notebook, seconds = execute(nbformat.read(path, as_version=4), path.parent)
    found = verdicts(notebook)
    calls = sum(len(CHECK_CALL.findall(c.source)) for c in notebook.cells if c.cell_type == "code")
    assert len(found) == calls >= len(tagged(jupytext.read(source).cells, "student"))
    assert all(v["status"] == NOT_ATTEMPTED for v in found), found
    text = output_text(notebook)
    assert not re.search(r"\bcorrect\b", text), "a blank student copy must not be told it is correct"
    assert "Traceback" not in text
    assert seconds < EXECUTION_BUDGET_S, f"{path.name} took {seconds:.0f} s"
