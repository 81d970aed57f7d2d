"""Generate book/paper_index.md, the paper-to-code index, from markers in the sources.

Every numbered equation (1-98) and figure (1-11) of Nam et al. (2025) maps to the book section that derives or
reproduces it, the ``labhelpers`` code that implements it and the tests that check it. Nobody keeps that table
by hand: each place carries a marker naming the paper's items, and this script collects the markers.

- **Book** (book/*.md): a MyST comment line right under a label, ``% paper: Eq. 9, Fig. 3``. The label is a
  section target ``(em-sigmoid)=`` (the marker goes under the heading that follows it), the ``:label:`` of a
  directive such as ``{prf:theorem}`` (the marker is the first line of the directive's body), or the label of
  a displayed equation, ``$$ (fb-teacher)`` (the marker is the next line). A marker belongs
  to the nearest label above it, which must be at most ``MAX_GAP`` lines up: a marker anywhere else is an error.
  The comment is invisible in the rendered page.
- **Code** (labhelpers/**/*.py): a line ``Paper: Eq. 9, Fig. 3.`` in the docstring of a function, class or
  method, as a paragraph of its own (the API pages render it as one sentence; Napoleon knows no section of
  that name, so it leaves it alone).
- **Tests** (tests/**/*.py): the marker ``@pytest.mark.paper("Eq. 9", "Fig. 3")`` on a test function or class
  (registered in pyproject.toml).
- **Reasons** (book/paper_index_reasons.yml), the one hand-kept part: why an item has no entry at all (a
  string), or why one column of an item with entries stays empty (a mapping with keys ``book``, ``code`` or
  ``test``). A reason for an item or column that does have entries is stale, and an error.

Items are written ``Eq. 9``, ``Eqs. 26-31`` (a range, ``-`` or ``–``), ``Fig. 6``, ``Fig. 6(a)`` (a panel),
separated by commas. Anything else in a marker is an error, so a typo cannot drop an entry silently.

``python scripts/paper_index.py`` writes the page (``--check`` only compares it with the file on disk and
lists the problems); tests/book/test_paper_index.py fails when the page is out of date, when an item of the
paper has neither an entry nor a reason, when a marker is malformed or misplaced, when a reason is stale, or
when a marked function cannot be imported. A Sphinx extension could build the page at build time instead, but
a generated file can be checked by a fast unit test, without a book build, and shows in a review diff.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PAGE = Path("book/paper_index.md")
REASONS = Path("book/paper_index_reasons.yml")
N_EQUATIONS, N_FIGURES = 98, 11
MAX_GAP = 3  # lines between a book marker and the label it belongs to
COLUMNS = ("book", "code", "test")
KINDS = {"Eq": "Eq.", "Fig": "Fig."}

ITEM = re.compile(r"(?P<kind>Eq|Fig)s?\.\s*(?P<first>\d+)(?:\s*[-–]\s*(?P<last>\d+))?(?P<panel>\([a-z]\))?")
BOOK_MARKER = re.compile(r"^%\s*paper:\s*(?P<items>.*?)\s*$", re.IGNORECASE)
SECTION_LABEL = re.compile(r"^\((?P<label>[\w-]+)\)=\s*$")
OPTION_LABEL = re.compile(r"^:label:\s*(?P<label>\S+)\s*$")
EQUATION_LABEL = re.compile(r"^\$\$\s*\((?P<label>[\w-]+)\)\s*$")
DIRECTIVE = re.compile(r"^(`{3,}|:{3,})\{(?P<name>[\w:-]+)\}")
CODE_MARKER = re.compile(r"^\s*Paper:\s*(?P<items>.*?)\.?\s*$")


@dataclass(frozen=True)
class Entry:
    """One place that serves a paper item: a book label, a code object or a test."""

    column: str  # "book", "code" or "test"
    target: str  # the label, the dotted name, or the test's node id
    role: str = ""  # book: "ref", "prf:ref" or "eq"; code: "func", "class" or "" (no API target: a literal)
    where: str = ""  # file:line of the marker, for error messages


@dataclass
class Index:
    entries: dict[tuple[str, int], list[tuple[Entry, str]]] = field(default_factory=dict)  # item -> (entry, panel)
    reasons: dict[tuple[str, int], object] = field(default_factory=dict)  # item -> str or {column: str}
    problems: list[str] = field(default_factory=list)

    def add(self, item, panel, entry):
        pairs = self.entries.setdefault(item, [])
        if (entry, panel) not in pairs:
            pairs.append((entry, panel))


def all_items() -> list[tuple[str, int]]:
    return [("Eq", n) for n in range(1, N_EQUATIONS + 1)] + [("Fig", n) for n in range(1, N_FIGURES + 1)]


def parse_items(text: str) -> list[tuple[tuple[str, int], str]]:
    """``"Eqs. 26-28, Fig. 6(a)"`` -> ``[(("Eq", 26), ""), (("Eq", 27), ""), (("Eq", 28), ""), (("Fig", 6), "(a)")]``.

    Raises ValueError for anything that is not a list of items, for an empty list, and for an item the paper
    does not have.
    """
    parts = [part.strip() for part in text.strip().rstrip(".").split(",")]
    if not text.strip() or not all(parts):
        raise ValueError(f"no paper items in {text!r}")
    items = []
    for part in parts:
        match = ITEM.fullmatch(part)
        if match is None:
            raise ValueError(f"{part!r} is not a paper item (write 'Eq. 9', 'Eqs. 26-31', 'Fig. 6(a)')")
        kind, first = match["kind"], int(match["first"])
        last = int(match["last"] or first)
        largest = N_EQUATIONS if kind == "Eq" else N_FIGURES
        if not 1 <= first <= last <= largest:
            raise ValueError(f"{part!r}: the paper numbers its {KINDS[kind]} 1-{largest}, in increasing ranges")
        items += [((kind, n), match["panel"] or "") for n in range(first, last + 1)]
    return items


def _book_label_roles(lines: list[str]) -> dict[int, tuple[str, str]]:
    """Line index -> (label, role) for every section target and directive label of a MyST page."""
    labels, directive = {}, ""
    for k, line in enumerate(lines):
        opened = DIRECTIVE.match(line)
        if opened:
            directive = opened["name"]
        if match := SECTION_LABEL.match(line):
            labels[k] = (match["label"], "ref")
        elif match := OPTION_LABEL.match(line):
            labels[k] = (match["label"], "prf:ref" if directive.startswith("prf:") else "ref")
        elif match := EQUATION_LABEL.match(line):
            labels[k] = (match["label"], "eq")
    return labels


def scan_book(root: Path, index: Index) -> None:
    for path in sorted((root / "book").glob("*.md")):
        if path.name == PAGE.name:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        labels = _book_label_roles(lines)
        for k, line in enumerate(lines):
            match = BOOK_MARKER.match(line)
            if not match:
                continue
            where = f"{path.relative_to(root)}:{k + 1}"
            above = [j for j in labels if k - MAX_GAP <= j < k]
            if not above:
                index.problems.append(f"{where}: book marker is not right under a label (at most {MAX_GAP} lines)")
                continue
            label, role = labels[max(above)]
            try:
                items = parse_items(match["items"])
            except ValueError as error:
                index.problems.append(f"{where}: {error}")
                continue
            for item, panel in items:
                index.add(item, panel, Entry("book", label, role, where))


def _documented_name(module: str, qualname: str) -> tuple[str, str]:
    """The name the API pages document an object under, and its role; ``("", "")`` when they do not link it.

    The API pages (book/api/*.md) document each chapter's subpackage by its ``__all__``, so a function or class
    listed there is ``labhelpers.core.sigmoidal_mode``; methods and unlisted helpers get no link.
    """
    parts = module.split(".")
    if "." in qualname or len(parts) < 2:
        return "", ""
    package = importlib.import_module(".".join(parts[:2]))
    obj = getattr(importlib.import_module(module), qualname)
    if qualname in getattr(package, "__all__", ()) and getattr(package, qualname, None) is obj:
        return f"{'.'.join(parts[:2])}.{qualname}", "class" if isinstance(obj, type) else "func"
    return "", ""


def _docstring_objects(tree: ast.Module):
    """(qualname, node) of every module-level function and class, and of the methods of those classes."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name, node
        if isinstance(node, ast.ClassDef):
            for inner in node.body:
                if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield f"{node.name}.{inner.name}", inner


def scan_code(root: Path, index: Index, package: str = "labhelpers", link: bool = True) -> None:
    for path in sorted((root / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = ".".join(path.relative_to(root).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        for qualname, node in _docstring_objects(tree):
            docstring = ast.get_docstring(node, clean=True) or ""
            for offset, line in enumerate(docstring.splitlines()):
                match = CODE_MARKER.match(line)
                if not match:
                    continue
                where = f"{path.relative_to(root)}:{node.body[0].lineno + offset}"
                try:
                    items = parse_items(match["items"])
                except ValueError as error:
                    index.problems.append(f"{where}: {error}")
                    continue
                target, role = f"{module}.{qualname}", ""
                if link:
                    documented, role = _documented_name(module, qualname)
                    target = documented or target
                for item, panel in items:
                    index.add(item, panel, Entry("code", target, role, where))


def _paper_marker_args(decorator: ast.expr) -> list[str] | None:
    """The arguments of ``@pytest.mark.paper(...)``, or None for any other decorator."""
    if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
        return None
    func = decorator.func
    if func.attr != "paper" or not (isinstance(func.value, ast.Attribute) and func.value.attr == "mark"):
        return None
    return [
        arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None for arg in decorator.args
    ]


def scan_tests(root: Path, index: Index) -> None:
    for path in sorted((root / "tests").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        nodes = [(node.name, node) for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
        for node in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
            nodes += [(f"{node.name}::{f.name}", f) for f in node.body if isinstance(f, ast.FunctionDef)]
        for name, node in nodes:
            for decorator in node.decorator_list:
                args = _paper_marker_args(decorator)
                if args is None:
                    continue
                where = f"{path.relative_to(root)}:{decorator.lineno}"
                last = name.split("::")[-1]
                if not (path.name.startswith("test_") and last.startswith(("test_", "Test"))):
                    index.problems.append(f"{where}: {name} is not a test pytest collects")
                    continue
                if not args or None in args:
                    index.problems.append(f"{where}: pytest.mark.paper takes strings such as 'Eq. 9'")
                    continue
                try:
                    items = parse_items(", ".join(args))
                except ValueError as error:
                    index.problems.append(f"{where}: {error}")
                    continue
                node_id = f"{path.relative_to(root).as_posix()}::{name}"
                for item, panel in items:
                    index.add(item, panel, Entry("test", node_id, "", where))


def _is_reason(reason) -> bool:
    """A sentence, or a non-empty mapping from some of ``COLUMNS`` to sentences."""
    if isinstance(reason, str):
        return bool(reason.strip())
    return (
        isinstance(reason, dict)
        and bool(reason)
        and set(reason) <= set(COLUMNS)
        and all(isinstance(text, str) and text.strip() for text in reason.values())
    )


def read_reasons(root: Path, index: Index) -> None:
    path = root / REASONS
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    for key, reason in (data or {}).items():
        try:
            items = parse_items(str(key))
        except ValueError as error:
            index.problems.append(f"{REASONS}: {error}")
            continue
        if not _is_reason(reason):
            index.problems.append(f"{REASONS}: {key}: a reason is a sentence, or a mapping from {COLUMNS} to one")
            continue
        for item, _ in items:
            if item in index.reasons:
                index.problems.append(f"{REASONS}: {key}: {name(item)} has two reasons")
            index.reasons[item] = reason


def name(item: tuple[str, int]) -> str:
    return f"{KINDS[item[0]]} {item[1]}"


def check(index: Index) -> list[str]:
    """Every item covered, no stale reason: the problems found, besides those of the scan."""
    problems = []
    for item in all_items():
        entries = index.entries.get(item, [])
        reason = index.reasons.get(item)
        columns = {entry.column for entry, _ in entries}
        if not entries and not isinstance(reason, str):
            problems.append(f"{name(item)} has no entry (book, code or test marker) and no reason in {REASONS}")
        elif entries and isinstance(reason, str):
            problems.append(f"{name(item)} has entries ({sorted(columns)}), so its reason in {REASONS} is stale")
        elif isinstance(reason, dict):
            for column in sorted(set(reason) & columns):
                problems.append(f"{name(item)} has {column} entries, so its {column} reason in {REASONS} is stale")
    return problems


def build(root: Path = ROOT, link: bool = True) -> Index:
    """Scan the book, the package and the tests under ``root``, and read the reasons."""
    index = Index()
    scan_book(root, index)
    scan_code(root, index, link=link)
    scan_tests(root, index)
    read_reasons(root, index)
    index.problems += check(index)
    return index


def import_problems(index: Index) -> list[str]:
    """Each code entry that does not import: its module, then each attribute of its dotted name."""
    problems = []
    targets = {
        entry.target: entry.where for pairs in index.entries.values() for entry, _ in pairs if entry.column == "code"
    }
    for target, where in sorted(targets.items()):
        parts = target.split(".")
        for split in range(len(parts) - 1, 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:split]))
            except ImportError:
                continue
            try:
                for attr in parts[split:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                problems.append(f"{where}: {target} does not exist")
            break
        else:
            problems.append(f"{where}: {target} cannot be imported")
    return problems


def _cell(index: Index, item, column: str) -> str:
    shown = []
    for entry, panel in index.entries.get(item, []):
        if entry.column != column:
            continue
        if column == "book" and entry.role == "eq":  # the equation's number, and the page it is numbered on
            page = Path(entry.where.split(":")[0]).stem
            text = f"{{eq}}`{entry.target}` in {{doc}}`{page}`"
        elif column == "book":
            text = f"{{{entry.role}}}`{entry.target}`"
        elif column == "code" and entry.role:
            text = f"{{py:{entry.role}}}`~{entry.target}`"
        elif column == "code":
            text = f"`{entry.target.removeprefix('labhelpers.')}`"
        else:
            text = f"`{entry.target.removeprefix('tests/')}`"
        text += f" {panel}" if panel else ""
        if text not in shown:
            shown.append(text)
    reason = index.reasons.get(item)
    if not shown and isinstance(reason, dict) and column in reason:
        return f"*{reason[column].strip()}*"
    return ", ".join(shown) or "—"


def _rows(index: Index) -> list[tuple[str, list[str]]]:
    """One row per item, consecutive items of one kind with identical cells merged into a range."""
    rows: list[tuple[tuple[str, int], tuple[str, int], list[str]]] = []
    for item in all_items():
        reason = index.reasons.get(item)
        if not index.entries.get(item) and isinstance(reason, str):
            cells = [f"*{reason.strip()}*", "—", "—"]
        else:
            cells = [_cell(index, item, column) for column in COLUMNS]
        if rows and rows[-1][1][0] == item[0] and rows[-1][1][1] == item[1] - 1 and rows[-1][2] == cells:
            rows[-1] = (rows[-1][0], item, cells)
        else:
            rows.append((item, item, cells))
    out = []
    for first, last, cells in rows:
        label = name(first) if first == last else f"{KINDS[first[0]][:-1]}s. {first[1]}–{last[1]}"
        out.append((label, cells))
    return out


HEADER = """\
(paper-index)=
# Paper-to-code index

% Generated by scripts/paper_index.py from the markers in book/*.md, labhelpers and tests: do not edit.
% Run `python scripts/paper_index.py` after adding or moving a marker.

Every numbered equation and figure of {cite:t}`nam2025position`, with the place in this book that derives or
reproduces it, the `labhelpers` code that implements it, and the tests that check it. Where a column is empty,
the row says why. Consecutive items that share every entry are merged into one row (a derivation in several
steps). The paper's equations are numbered through its appendices: Eqs. 1-20 are in the main text, 21-25 in
App. C (definitions), 26-59 in App. D (derivations), 60 in App. E (emergence), 61-68 in App. F (neural
collapse), 69-70 in App. G (the $\\lambda$-balanced network) and 71-98 in App. I (the exact solution of the
wide scalar network).

The table is generated from markers next to each place (a comment under a book label, a `Paper:` line in a
docstring, a `pytest.mark.paper` marker on a test), and a test fails when a marker points nowhere or an item of
the paper has neither an entry nor a stated reason. {doc}`code_layout` says how the package is organised.

````{container} paper-index
| Paper | Book | Code | Tests |
|---|---|---|---|
"""


def render(index: Index) -> str:
    lines = [f"| {label} | {' | '.join(cells)} |" for label, cells in _rows(index)]
    counts = summary(index)
    footer = (
        f"\n{counts['with_entries']} of the paper's {counts['items']} numbered items have an entry here and "
        f"{counts['with_reasons']} a stated reason instead; {counts['column_reasons']} empty cells say why.\n"
    )
    return HEADER + "\n".join(lines) + "\n````\n" + footer


def summary(index: Index) -> dict[str, int]:
    items = all_items()
    with_entries = sum(1 for item in items if index.entries.get(item))
    column_reasons = sum(len(r) for item, r in index.reasons.items() if isinstance(r, dict) and item in items)
    return {
        "items": len(items),
        "with_entries": with_entries,
        "with_reasons": len(items) - with_entries,
        "column_reasons": column_reasons,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the page on disk, write nothing")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    index = build(ROOT)
    problems = index.problems + import_problems(index)
    for problem in problems:
        print(problem, file=sys.stderr)
    page = render(index)
    if args.check:
        current = (ROOT / PAGE).read_text(encoding="utf-8") if (ROOT / PAGE).exists() else ""
        if current != page:
            print(f"{PAGE} is out of date: run python scripts/paper_index.py", file=sys.stderr)
            return 1
    else:
        (ROOT / PAGE).write_text(page, encoding="utf-8")
        print(f"wrote {PAGE}: {summary(index)}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
