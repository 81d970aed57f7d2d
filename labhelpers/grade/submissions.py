"""Find a class's submissions and read what the grader takes from the notebook file itself.

A submissions folder holds either one notebook per student (``alice.ipynb``: the student is the file's
stem) or one folder per student (``alice/lesson02_emergence.ipynb``: the student is the folder's name),
as JupyterHub's nbgrader exchange, an LMS download or a shared drive produce them. A roster file (one
name per line) adds a "missing" row for every student who handed nothing in.

Book: book/instructors (Grading).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

__all__ = ["Submission", "find_submissions", "read_notebook", "think_answers", "edited_checks"]

THINK_TAG = "think-answer"
_THINK_PROMPT = re.compile(r"^\s*\*\*Your answer to Think! (\d+)\*\*[^\n]*(?:\n|$)")


@dataclass(frozen=True)
class Submission:
    """One student's hand-in: the notebook's path, or ``None`` with the reason (``problem``)."""

    student: str
    path: Path | None
    problem: str | None = None


def _visible(path: Path) -> bool:
    return not path.name.startswith((".", "_")) and path.name != "__MACOSX"


def _pick(notebooks: list[Path], prefix: str) -> tuple[Path | None, str | None]:
    matching = [p for p in notebooks if p.name.startswith(prefix)]
    if len(matching) == 1:
        return matching[0], None
    if len(notebooks) == 1:
        return notebooks[0], None
    if not notebooks:
        return None, "missing: the folder holds no notebook"
    names = ", ".join(p.name for p in (matching or notebooks))
    return None, f"ambiguous: several notebooks ({names}); keep one per student"


def find_submissions(folder: Path | str, prefix: str, roster: list[str] | None = None) -> list[Submission]:
    """Every student's submission in ``folder``, sorted by name, plus a "missing" entry for each roster name
    without one.

    Parameters
    ----------
    folder : path
        The submissions folder (see the module's docstring for its two layouts).
    prefix : str
        The lesson's notebook name starts with this (``"lesson02"``); it picks the notebook in a student's
        folder that holds other files too.
    roster : list of str, optional
        The students expected to hand in.

    Raises
    ------
    ValueError
        If ``folder`` is not an existing folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"submissions folder {str(folder)!r} does not exist or is not a folder")
    found: dict[str, Submission] = {}
    for entry in sorted(p for p in folder.iterdir() if _visible(p)):
        if entry.is_file() and entry.suffix == ".ipynb":
            student, (path, problem) = entry.stem, (entry, None)
        elif entry.is_dir():
            notebooks = sorted(p for p in entry.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
            student, (path, problem) = entry.name, _pick(notebooks, prefix)
        else:
            continue
        if student in found:
            path, problem = None, f"ambiguous: both {student}.ipynb and a folder {student}/; keep one"
        found[student] = Submission(student, path, problem)
    for name in roster or []:
        if name not in found:
            found[name] = Submission(name, None, "missing: nothing handed in")
    return [found[name] for name in sorted(found)]


def read_notebook(path: Path) -> tuple[nbformat.NotebookNode | None, str | None]:
    """The notebook at ``path``, or ``None`` and why it cannot be read (never raises)."""
    try:
        notebook = nbformat.read(path, as_version=4)
        if not isinstance(notebook.get("cells"), list):
            return None, "unreadable: the file has no notebook cells"
        return notebook, None
    except BaseException as error:  # noqa: BLE001 - any damaged file gets a table entry, not a crash
        return None, f"unreadable: not a Jupyter notebook ({type(error).__name__})"


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def think_answers(notebook) -> dict[int, str]:
    """The student's answers to the Think! questions: ``{question number: text}``.

    The answer cells are the markdown cells tagged ``think-answer``; the prompt line that the student copy
    puts in each ("**Your answer to Think! 2** (double-click ...)") is dropped. A cell left as handed out
    gives ``""``.
    """
    answers: dict[int, str] = {}
    for k, cell in enumerate(c for c in notebook.cells if THINK_TAG in c.get("metadata", {}).get("tags", [])):
        text = _source(cell)
        prompt = _THINK_PROMPT.match(text)
        number = int(prompt.group(1)) if prompt else k + 1
        answers[number] = (text[prompt.end() :] if prompt else text).strip()
    return answers


def edited_checks(notebook, calls: dict[int, str]) -> list[int]:
    """The exercises whose self-check cell (``calls[number]``, the exact source) is not in the notebook."""
    sources = {_source(c).strip() for c in notebook.cells if c.get("cell_type") == "code"}
    return [number for number, call in calls.items() if call.strip() not in sources]
