"""Generate the student copy of every lesson from its MyST source, which holds the solutions.

One source per lesson, ``lessons/<name>.md``, gives both versions. Its cells are tagged:

- ``student``: an exercise stub with ``...`` to fill in (a function that raises ``NotImplementedError``,
  or ``answer = ...``). It runs first in the source and is kept in the student copy, without the tag.
- ``solution``: removed from the student copy. A solution *code* cell follows its ``student`` stub
  and redefines the same names (tag it ``hide-input`` too, so that the book folds it). The book shows
  the student's view, so the stub's self-check cell (untagged, ``ex1 = ref.self_check(1, ...)``) sits
  between stub and solution and reports "not attempted yet"; a ``solution`` re-check with the same
  source (tagged ``remove-cell`` too) follows the solution, so that later cells see a passed check;
  a solution *markdown* cell holds the sample answer of a "Think!" question (a dropdown admonition).
- anything else is copied unchanged.

The student copy goes to ``lessons/student/<name>.ipynb``, without outputs, with a short note for
students after the title. Its markdown is plain Jupyter markdown, since Jupyter and Colab do not read
MyST: label targets are dropped, citations become "Author (year)", labelled equations and their
``{eq}`` references are numbered within the lesson, ``{doc}`` links become the chapter's title, and
admonitions become block quotes. Cell ids are derived from the cells' content, so the output is
byte-identical from one run to the next.

Usage::

    python scripts/make_student_copies.py            # (re)write every student copy
    python scripts/make_student_copies.py --check    # exit 1 if a committed copy is out of date
    python scripts/make_student_copies.py lessons/lesson01_feedback.md   # only these sources
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import unicodedata
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"
STUDENT_DIR = LESSONS / "student"
STUDENT_TAG = "student"
SOLUTION_TAG = "solution"

STUDENT_NOTE = (
    "> **Your copy of this lesson.** Fill in each `...`, delete the `raise NotImplementedError` line of "
    "the exercise, and run the self-check cell below it. Sample solutions are in the course book.\n"
    ">\n"
    "> *Generated from `{source}` by `scripts/make_student_copies.py`: to change the lesson, edit the "
    "source, not this file.*"
)


# ---------------------------------------------------------------- MyST -> plain Jupyter markdown
TARGET = re.compile(r"^\([\w.-]+\)=[ \t]*\n", flags=re.MULTILINE)
LABELLED_EQUATION = re.compile(r"^\$\$[ \t]*\(([\w.-]+)\)[ \t]*$", flags=re.MULTILINE)
ROLE = re.compile(r"\{([a-z]+(?::[a-z]+)?)\}`([^`]*)`")
DIRECTIVE = re.compile(
    r"^```\{(\w[\w-]*)\}[ \t]*([^\n]*)\n((?::[\w-]+:[^\n]*\n)*)(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL
)
ACCENTS = {"'": "\u0301", '"': "\u0308", "`": "\u0300", "^": "\u0302", "~": "\u0303"}


def _delatex(text: str) -> str:
    text = re.sub(r"\{?\\([\'\"`^~])\{?(\w)\}?\}?", lambda m: m.group(2) + ACCENTS[m.group(1)], text)
    return unicodedata.normalize("NFC", text.replace("{", "").replace("}", ""))


def read_bibliography(path: Path = ROOT / "references.bib") -> dict[str, tuple[str, str]]:
    """``{key: (authors as cited, year)}`` from a BibTeX file: "Nam et al.", "Baldi and Hornik"."""
    entries = {}
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    for match in re.finditer(r"@\w+\{([^,\s]+),(.*?)\n\}", text, flags=re.DOTALL):
        key, body = match.groups()
        author = re.search(r"\bauthor\s*=\s*\{(.*)\},?\s*$", body, flags=re.MULTILINE)
        year = re.search(r"\byear\s*=\s*\{?(\d{4})", body)
        if author is None or year is None:
            continue
        names = [
            _delatex(n.split(",")[0] if "," in n else n.split()[-1]).strip() for n in author.group(1).split(" and ")
        ]
        cited = names[0] if len(names) == 1 else " and ".join(names) if len(names) == 2 else f"{names[0]} et al."
        entries[key] = (cited, year.group(1))
    return entries


def _title_of(document: Path) -> str:
    """The first level-1 heading of a MyST notebook's markdown (code cells may hold "# " comments)."""
    if document.exists():
        for cell in jupytext.read(document).cells:
            for line in cell.source.splitlines() if cell.cell_type == "markdown" else []:
                if line.startswith("# "):
                    return line[2:].strip()
    return document.stem.replace("_", " ")


def equation_numbers(cells) -> dict[str, int]:
    """Labelled equations numbered 1, 2, ... in order of appearance in the lesson.

    The book may number the same equations differently (its numbering can run on across pages), so a
    lesson that wants the same references in both versions names equations in words instead.
    """
    labels = [m.group(1) for c in cells if c.cell_type == "markdown" for m in LABELLED_EQUATION.finditer(c.source)]
    return {label: k + 1 for k, label in enumerate(labels)}


def figure_numbers(cells) -> dict[str, int]:
    """Named figures (a code cell's ``mystnb.figure.name``) numbered 1, 2, ... in order of the lesson.

    The book numbers a page's figures the same way (Fig. 1, 2, ... per page), so ``{numref}`` reads the
    same in both versions. Figures drawn by solution cells count too: the numbers follow the book's page.
    """
    names = []
    for cell in cells:
        figure = cell.metadata.get("mystnb", {}).get("figure", {}) if cell.cell_type == "code" else {}
        if figure.get("name"):
            names.append(figure["name"])
    return {name: k + 1 for k, name in enumerate(names)}


def plain_markdown(
    text: str, *, equations: dict[str, int], bibliography: dict, source: Path, figures: dict[str, int] | None = None
) -> str:
    """Rewrite the MyST of one markdown cell as markdown that Jupyter and Colab render."""
    text = TARGET.sub("", text)
    text = LABELLED_EQUATION.sub(lambda m: f"\\tag{{{equations[m.group(1)]}}}\n$$", text)

    def admonition(match: re.Match) -> str:
        name, title, _options, body = match.groups()
        heading = title.strip() or name.capitalize()
        lines = [f"> **{heading}.**", ">"] + [f"> {line}".rstrip() for line in body.rstrip("\n").splitlines()]
        return "\n".join(lines)

    text = DIRECTIVE.sub(admonition, text)

    def role(match: re.Match) -> str:
        kind, content = match.groups()
        if kind in ("cite:t", "cite:p"):
            keys = [k.strip() for k in content.split(",")]
            missing = [k for k in keys if k not in bibliography]
            if missing:
                raise ValueError(f"{source.name}: citation keys {missing} are not in references.bib")
            if kind == "cite:t":
                return "; ".join(f"{bibliography[k][0]} ({bibliography[k][1]})" for k in keys)
            return "(" + "; ".join(f"{bibliography[k][0]}, {bibliography[k][1]}" for k in keys) + ")"
        if kind == "eq":
            if content not in equations:
                raise ValueError(f"{source.name}: {{eq}}`{content}` refers to no labelled equation of the lesson")
            return f"({equations[content]})"
        if kind == "numref":
            explicit = re.fullmatch(r"(.*?)\s*<(.+)>", content)
            label = explicit.group(2) if explicit else content
            if label not in (figures or {}):
                raise ValueError(f"{source.name}: {{numref}}`{content}` refers to no named figure of the lesson")
            number = (figures or {})[label]
            return explicit.group(1).replace("%s", str(number)) if explicit else f"Fig. {number}"
        if kind == "doc":
            explicit = re.fullmatch(r"(.*?)\s*<(.+)>", content)
            if explicit:
                return f"*{explicit.group(1)}*"
            return f"*{_title_of((source.parent / content).with_suffix('.md'))}*"
        raise ValueError(
            f"{source.name}: the MyST role {{{kind}}} has no plain-markdown form in scripts/make_student_copies.py"
        )

    return ROLE.sub(role, text)


def lesson_sources(folder: Path = LESSONS) -> list[Path]:
    """The lesson sources: MyST notebooks (with a jupytext header) directly in ``folder``."""
    return sorted(p for p in folder.glob("*.md") if "jupytext:" in p.read_text(encoding="utf-8")[:400])


def student_path(source: Path) -> Path:
    """Where the student copy of ``source`` lives."""
    return STUDENT_DIR / f"{source.stem}.ipynb"


def _tags(cell) -> list[str]:
    return list(cell.metadata.get("tags", []))


def _is_check(cell) -> bool:
    """An untagged code cell that calls a lesson's self-check (``ref.self_check(...)``)."""
    return cell.cell_type == "code" and not _tags(cell) and "self_check(" in cell.source


def _check_tagging(cells, source: Path) -> None:
    """The cells of an exercise come in the order the book shows them: the student's view, then the solution.

    A ``student`` stub comes first, then (optionally) its untagged self-check cell, then its ``solution``
    code cell. When a check sits between stub and solution, a *re-check* follows the solution: a
    ``solution`` cell with the check's exact source (tag it ``remove-cell`` too), so that the book shows
    "not attempted yet" under the stub while later cells, which wait for the check, still run.
    """
    for k, cell in enumerate(cells):
        tags = _tags(cell)
        where = f"{source.name}, cell {k + 1}"
        previous = cells[k - 1] if k > 0 else None
        before_previous = cells[k - 2] if k > 1 else None
        if STUDENT_TAG in tags and SOLUTION_TAG in tags:
            raise ValueError(f"{where} is tagged both {STUDENT_TAG!r} and {SOLUTION_TAG!r}")
        if STUDENT_TAG in tags:
            following = cells[k + 1 : k + 3]
            if following and _is_check(following[0]):
                following = following[1:]
            if cell.cell_type != "code" or not following or SOLUTION_TAG not in _tags(following[0]):
                raise ValueError(
                    f"{where}: a {STUDENT_TAG!r} code cell must be followed by its {SOLUTION_TAG!r} cell "
                    "(directly, or after its self-check cell)"
                )
        if SOLUTION_TAG in tags and cell.cell_type == "code":
            after_stub = previous is not None and STUDENT_TAG in _tags(previous)
            after_check = (
                previous is not None
                and _is_check(previous)
                and before_previous is not None
                and STUDENT_TAG in _tags(before_previous)
            )
            recheck = (
                previous is not None
                and SOLUTION_TAG in _tags(previous)
                and before_previous is not None
                and _is_check(before_previous)
                and cell.source == before_previous.source
            )
            if not (after_stub or after_check or recheck):
                raise ValueError(
                    f"{where}: a {SOLUTION_TAG!r} code cell must follow the {STUDENT_TAG!r} stub it solves (directly "
                    "or after the stub's self-check), or repeat that self-check right after the solution "
                    "(otherwise the student copy would lose code without a replacement)"
                )
            if after_check:
                following = cells[k + 1] if k + 1 < len(cells) else None
                if following is None or SOLUTION_TAG not in _tags(following) or following.source != previous.source:
                    raise ValueError(
                        f"{where}: a solution shown after its self-check must be followed by a re-check: a "
                        f"{SOLUTION_TAG!r} cell with the same source as the check, so that later cells see the verdict"
                    )


def _clean(cell):
    """A copy of ``cell`` for students: no ``student`` tag, no book metadata, no outputs, no execution count."""
    cell = nbformat.from_dict(dict(cell))
    cell.metadata = nbformat.from_dict(dict(cell.metadata))
    tags = [t for t in _tags(cell) if t != STUDENT_TAG]
    if tags:
        cell.metadata["tags"] = tags
    else:
        cell.metadata.pop("tags", None)
    cell.pop("id", None)
    # The book's figure captions and alt texts (mystnb metadata): no notebook front end shows them, and an alt
    # text describes the finished figure, which can state an exercise's answer.
    cell.metadata.pop("mystnb", None)
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    return cell


def _title_index(cells) -> int:
    """Index of the markdown cell holding the lesson's title, or -1."""
    for k, cell in enumerate(cells):
        if cell.cell_type == "markdown" and any(line.startswith("# ") for line in cell.source.splitlines()):
            return k
    return -1  # no title: the note goes first


def _assign_ids(cells) -> None:
    """Ids from the content (stable when other cells change), numbered apart when two cells are equal."""
    seen: dict[str, int] = {}
    for cell in cells:
        digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:12]
        seen[digest] = seen.get(digest, 0) + 1
        cell.id = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"


def student_notebook(source: Path) -> nbformat.NotebookNode:
    """The student copy of one lesson source, as a notebook."""
    lesson = jupytext.read(source)
    _check_tagging(lesson.cells, source)
    cells = [_clean(c) for c in lesson.cells if SOLUTION_TAG not in _tags(c)]
    equations, bibliography = equation_numbers(lesson.cells), read_bibliography()
    figures = figure_numbers(lesson.cells)
    for cell in cells:
        if cell.cell_type == "markdown":
            cell.source = plain_markdown(
                cell.source, equations=equations, bibliography=bibliography, source=source, figures=figures
            )
    relative = _display(source.resolve())
    note = nbformat.v4.new_markdown_cell(STUDENT_NOTE.format(source=relative))
    cells.insert(_title_index(cells) + 1, note)
    _assign_ids(cells)
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = nbformat.from_dict(
        {
            "kernelspec": dict(lesson.metadata.get("kernelspec", {"name": "python3", "display_name": "Python 3"})),
            "language_info": {"name": "python"},
            "labhelpers": {"student_copy_of": relative},
        }
    )
    nbformat.validate(notebook)
    return notebook


def render(source: Path) -> str:
    """The exact text of the student copy of ``source``."""
    return nbformat.writes(student_notebook(source)) + "\n"


def _display(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", nargs="*", type=Path, help="lesson sources (default: every lessons/*.md)")
    parser.add_argument("--check", action="store_true", help="only report copies that are missing or out of date")
    args = parser.parse_args(argv)
    sources = [p.resolve() for p in args.sources] or lesson_sources()
    if not sources:
        print("no lesson sources found", file=sys.stderr)
        return 1

    stale = []
    for source in sources:
        target, text = student_path(source), render(source)
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {_display(target)}")
    if not args.sources:  # a copy whose source is gone is out of date too
        for orphan in sorted(set(STUDENT_DIR.glob("*.ipynb")) - {student_path(s) for s in sources}):
            if args.check:
                stale.append(orphan)
            else:
                orphan.unlink()
                print(f"removed {_display(orphan)} (its source is gone)")
    if stale:
        names = ", ".join(_display(p) for p in stale)
        print(f"student copies out of date: {names}; run `python scripts/make_student_copies.py`", file=sys.stderr)
        return 1
    if args.check:
        print(f"{len(sources)} student cop{'y is' if len(sources) == 1 else 'ies are'} up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
