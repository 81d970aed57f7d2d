"""A student copy contains none of the answers its source holds: no line of a solution or of the lesson's
reference answers (``labhelpers/lessons/lessonNN``), and no number of a sample answer.

What counts as an answer line: a code line of a ``solution`` cell, or of the reference module, with at least
``MIN_CHARS`` characters that is not a comment and that the lesson does not show students anyway (a line a stub
or an ordinary cell also has, such as ``ranks = np.arange(1, n_tasks + 1)``, gives nothing away). What counts as
an answer number: a number with at least three significant digits in a sample answer (a ``solution`` markdown
cell) that no cell a student sees already prints.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import make_student_copies as generator  # noqa: E402

SOURCES = generator.lesson_sources()
MIN_CHARS = 20
NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d{2,}(?:e[-+]?\d+)?|(?<![\w.])\d{3,}(?![\w.])")


def _answer_lines(text: str) -> set[str]:
    lines = {line.strip() for line in text.splitlines()}
    return {line for line in lines if len(line) >= MIN_CHARS and not line.startswith(("#", '"""', "'''"))}


def _reference_sources(source: Path) -> str:
    """The code of the lesson's reference answers: ``labhelpers/lessons/lessonNN.py`` or every module of the
    package ``labhelpers/lessons/lessonNN/``."""
    number = re.match(r"lesson(\d+)_", source.name).group(1)
    base = ROOT / "labhelpers" / "lessons" / f"lesson{number}"
    files = [base.with_suffix(".py")] if base.with_suffix(".py").exists() else sorted(base.glob("*.py"))
    assert files, f"{source.name}: no reference answers in labhelpers/lessons/lesson{number}(.py)"
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def answers_and_shown(source: Path) -> tuple[set[str], set[str], set[str]]:
    """(answer code lines, answer numbers, everything students are meant to see) of one lesson source."""
    cells = jupytext.read(source).cells
    code, numbers, shown = set(), set(), []
    for cell in cells:
        tags = cell.metadata.get("tags", [])
        if generator.SOLUTION_TAG in tags:
            if cell.cell_type == "code":
                code |= _answer_lines(cell.source)
            else:
                numbers |= set(NUMBER.findall(cell.source))
        else:
            shown.append(cell.source)
    code |= _answer_lines(_reference_sources(source))
    seen = "\n".join(shown)
    visible_lines = {line.strip() for line in seen.splitlines()}
    return code - visible_lines, {n for n in numbers if n not in seen}, visible_lines


def leaks(source: Path, text: str) -> tuple[list[str], list[str]]:
    """The answer lines and sample-answer numbers of ``source`` that ``text`` (a student copy) contains."""
    code, numbers, _ = answers_and_shown(source)
    lines = {line.strip() for line in text.splitlines()}
    leaked_numbers = sorted(n for n in numbers if re.search(rf"(?<![\w.]){re.escape(n)}(?![\w])", text))
    return sorted(code & lines), leaked_numbers


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_the_student_copy_contains_no_answer(source):
    student = nbformat.read(generator.student_path(source), as_version=4)
    leaked_code, leaked_numbers = leaks(source, "\n".join(cell.source for cell in student.cells))
    assert not leaked_code, f"{len(leaked_code)} answer lines in the student copy, e.g. {leaked_code[:5]}"
    assert not leaked_numbers, f"sample-answer numbers in the student copy: {leaked_numbers[:10]}"


def test_the_scan_finds_a_pasted_answer():
    source = SOURCES[-1]
    code, numbers, _ = answers_and_shown(source)
    assert code, f"{source.name} has no answer lines to look for"
    line = sorted(code)[0]
    assert leaks(source, f"x = 1\n    {line}\n")[0] == [line]
    assert leaks(source, "x = 1\n")[0] == []
    if numbers:
        number = sorted(numbers)[0]
        assert leaks(source, f"the answer is {number}.")[1] == [number]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_the_student_copy_carries_no_alt_text_or_caption(source):
    """Alt texts describe the finished figure (lesson 3's stated two exercises' answers); no front end shows them."""
    student = nbformat.read(generator.student_path(source), as_version=4)
    assert not [k for k, cell in enumerate(student.cells) if "mystnb" in cell.metadata]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_every_think_question_has_an_answer_cell(source):
    """Each "Think!" question is followed, before the next one, by a markdown cell tagged think-answer, which the
    student copy keeps (for the student to write in) and the book hides (tag remove-cell)."""
    cells = nbformat.read(generator.student_path(source), as_version=4).cells
    questions = [k for k, c in enumerate(cells) if c.cell_type == "markdown" and "### Think!" in c.source]
    assert questions, f"{source.name} asks no Think! question"
    for k, start in enumerate(questions):
        end = questions[k + 1] if k + 1 < len(questions) else len(cells)
        answers = [c for c in cells[start + 1 : end] if "think-answer" in c.metadata.get("tags", [])]
        assert len(answers) == 1, f"{source.name}: Think! question in cell {start} has {len(answers)} answer cells"
        assert answers[0].cell_type == "markdown" and "remove-cell" in answers[0].metadata["tags"]
