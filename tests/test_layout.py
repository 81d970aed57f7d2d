"""The package layout of book/code_layout.md, checked on the source.

(a) What may import what, read with ``ast`` from every module of ``labhelpers`` (imports at module level and
    inside functions, relative and absolute): ``core`` imports no chapter package, ``runs`` or ``widgets``; a
    chapter package never imports ``widgets`` nor another chapter's trainers; ``widgets`` import no trainer.
(b) Every name in a package's ``__all__`` exists, once; the API pages (book/api/*.md) document each public
    function and class once, with a docstring.
(c) Chapters and lessons import ``labhelpers`` in the one style (``import labhelpers as lh``, ``from labhelpers
    import collapse as co``, ``from labhelpers.plotting import glue``, in lessons ``from labhelpers.checks
    import ...``) and use public package names only: no ``lh._x``, no module path ``lh.collapse.saxe.x``.

Each checker is a function of source text, and is shown to fail on a small bad example.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = ROOT / "labhelpers"

CHAPTERS = ("emergence", "collapse", "regimes", "grokking", "limits")
# The alias of each chapter package in its chapter and lesson: `from labhelpers import collapse as co`.
ALIASES = {"emergence": "em", "collapse": "co", "regimes": "rg", "grokking": "gk", "limits": "lm"}
# The packages that core may not import.
ABOVE_CORE = (*CHAPTERS, "runs", "widgets")
# The packages with an API page (book/api/<name>.md).
DOCUMENTED = ("core", *CHAPTERS, "runs", "widgets", "plotting", "checks", "grade")

# The modules that train torch networks, when the layout was made (issue 12). A package stands for all of its
# modules. trainer_modules() adds every chapter module that looks like a trainer (see looks_like_trainer), so a
# trainer split off into a new module is found without editing this list.
KNOWN_TRAINERS = (
    "labhelpers.emergence.mlp",
    "labhelpers.collapse.mnist_mlp",
    "labhelpers.collapse.resnet",
    "labhelpers.regimes.grid",
    "labhelpers.regimes.relu",
    "labhelpers.grokking.mnist",
)
# What a trainer takes from the training scaffold (labhelpers/runs/loop.py).
SCAFFOLD_NAMES = {"train_loop", "optimizer_step", "epoch_batches"}


# --------------------------------------------------------------------------------------------------------------
# (a) imports between the packages


def read_package(directory: Path = PACKAGE_DIR, name: str = "labhelpers") -> dict[str, tuple[str, bool]]:
    """``{module name: (source, is_package)}`` for every ``.py`` file under ``directory``."""
    modules = {}
    for path in sorted(directory.rglob("*.py")):
        parts = path.relative_to(directory).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        dotted = ".".join((name, *(parts[:-1] if is_package else parts)))
        modules[dotted] = (path.read_text(encoding="utf-8"), is_package)
    return modules


def _base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module an ``from ... import`` statement imports from."""
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    package = package[: len(package) - (node.level - 1)]
    return ".".join(package + ([node.module] if node.module else []))


def imports(module: str, source: str, is_package: bool) -> list[tuple[str, int]]:
    """``(absolute dotted target, line)`` for every import anywhere in the module: ``a.b`` for ``import a.b``,
    ``a.b.x`` for ``from a.b import x`` (a module or a name), ``a.b`` for ``from a.b import *``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _base(module, is_package, node)
            found += [(base if a.name == "*" else f"{base}.{a.name}", node.lineno) for a in node.names]
    return found


def reexports(modules: dict[str, tuple[str, bool]]) -> dict[str, str]:
    """``{"labhelpers.collapse.train_ufm": "labhelpers.collapse.ufm.train_ufm", ...}``: the names each module
    imports at its top level, by their full name there and the full name they come from."""
    names = {}
    for module, (source, is_package) in modules.items():
        for node in ast.parse(source).body:
            if isinstance(node, ast.ImportFrom):
                base = _base(module, is_package, node)
                for alias in node.names:
                    if alias.name != "*":
                        names[f"{module}.{alias.asname or alias.name}"] = f"{base}.{alias.name}"
    return names


def defining_module(target: str, modules: dict[str, tuple[str, bool]], names: dict[str, str]) -> str | None:
    """The module that defines an imported ``target``: the module itself, or, for a name, the module it is
    written in, followed through the packages that re-export it. None outside ``labhelpers``."""
    for _ in range(20):  # re-export chains are short; a cycle would be a bug in the package
        if target in modules:
            return target
        if target in names:
            target = names[target]
            continue
        parent = target.rpartition(".")[0]
        return parent if parent in modules else None
    raise AssertionError(f"re-export cycle at {target}")


def looks_like_trainer(source: str) -> bool:
    """A module that trains a torch network: it uses ``torch.optim``, takes a step or the loop from the training
    scaffold, or imports torch and defines a ``train_*`` function."""
    tree = ast.parse(source)
    uses_torch = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                uses_torch |= alias.name.split(".")[0] == "torch"
                if alias.name.startswith("torch.optim"):
                    return True
        elif isinstance(node, ast.ImportFrom) and node.module:
            uses_torch |= node.module.split(".")[0] == "torch"
            imported = {alias.name for alias in node.names}
            if node.module.startswith("torch.optim") or (node.module == "torch" and "optim" in imported):
                return True
            if (node.module.endswith("runs.loop") or node.module.endswith("runs")) and imported & SCAFFOLD_NAMES:
                return True
        elif isinstance(node, ast.Attribute):
            if node.attr == "optim" and isinstance(node.value, ast.Name) and node.value.id == "torch":
                return True
            if node.attr in SCAFFOLD_NAMES and isinstance(node.value, ast.Name) and node.value.id in {"loop", "runs"}:
                return True
    defines_train = any(isinstance(node, ast.FunctionDef) and node.name.startswith("train_") for node in tree.body)
    return uses_torch and defines_train


def _chapter_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in CHAPTERS else None


def trainer_modules(modules: dict[str, tuple[str, bool]], known=KNOWN_TRAINERS) -> set[str]:
    """The chapter modules that train torch networks: those under a KNOWN_TRAINERS entry, and those that look
    like one."""
    return {
        module
        for module, (source, _) in modules.items()
        if _chapter_of(module)
        and (any(module == k or module.startswith(k + ".") for k in known) or looks_like_trainer(source))
    }


def layout_violations(modules: dict[str, tuple[str, bool]], known=KNOWN_TRAINERS) -> list[str]:
    """Every import that breaks a rule of book/code_layout.md, as ``"module:line: what"``."""
    names = reexports(modules)
    trainers = trainer_modules(modules, known)

    def holds_trainer(package: str) -> bool:  # importing a package object gives all of it, trainers included
        return modules[package][1] and any(t == package or t.startswith(package + ".") for t in trainers)

    problems = []
    for module, (source, is_package) in modules.items():
        layer = module.split(".")[1] if "." in module else None
        for target, line in imports(module, source, is_package):
            if not (target == "labhelpers" or target.startswith("labhelpers.")):
                continue
            top = target.split(".")[1] if "." in target else None
            defined_in = defining_module(target, modules, names)
            where = f"{module}:{line}: imports {target}"
            if layer == "core" and top in ABOVE_CORE:
                problems.append(f"{where}: core imports no chapter package, runs or widgets")
            if layer in CHAPTERS and top == "widgets":
                problems.append(f"{where}: a chapter package never imports widgets")
            if layer in CHAPTERS and top in CHAPTERS and top != layer and defined_in is not None:
                if defined_in in trainers or (target == defined_in and holds_trainer(defined_in)):
                    problems.append(f"{where}: a chapter package does not import another chapter's trainers")
            if layer == "widgets" and defined_in is not None:
                if defined_in in trainers:
                    problems.append(f"{where}: widgets import no trainer ({defined_in} trains a network)")
                elif target == defined_in and holds_trainer(defined_in):
                    problems.append(f"{where}: widgets import the package's explore module, not all of it")
    return problems


PACKAGE = read_package()


def test_the_package_is_read():
    assert {"labhelpers", "labhelpers.core", "labhelpers.widgets", *(f"labhelpers.{c}" for c in CHAPTERS)} <= set(
        PACKAGE
    )


def test_known_trainers_exist():
    """Renaming a trainer module must update KNOWN_TRAINERS (or the list silently stops protecting anything)."""
    missing = [name for name in KNOWN_TRAINERS if name not in PACKAGE]
    assert not missing, f"KNOWN_TRAINERS names modules that no longer exist: {missing}"


def test_import_directions():
    problems = layout_violations(PACKAGE)
    assert not problems, "imports against book/code_layout.md:\n" + "\n".join(problems)


def _fake(**files: str) -> dict[str, tuple[str, bool]]:
    """A small package from ``{"core/models.py": source, ...}`` (``__init__`` files mark packages)."""
    modules = {}
    for path, source in files.items():
        parts = path.removesuffix(".py").split("/")
        is_package = parts[-1] == "__init__"
        modules[".".join(["labhelpers", *(parts[:-1] if is_package else parts)])] = (source, is_package)
    return modules


GOOD = dict(
    **{"__init__.py": "from . import core, collapse, widgets\n"},
    **{"core/__init__.py": "from .models import Model\n", "core/models.py": "import numpy as np\nclass Model: ...\n"},
    **{
        "collapse/__init__.py": "from .ufm import train_ufm\nfrom .trainer import train_net\n"
        "from .explore import curves\n",
        "collapse/ufm.py": "from ..core import Model\n\ndef train_ufm(): ...\n",
        "collapse/trainer.py": "def train_net():\n    import torch\n    return torch.optim.SGD\n",
        "collapse/explore.py": "from . import train_ufm\n\ndef curves(): ...\n",
    },
    **{
        "widgets/__init__.py": "from .view import explorer\n",
        "widgets/view.py": "from ..collapse.explore import curves\nfrom ..collapse import train_ufm\n"
        "def explorer():\n    from ..core.models import Model\n",
    },
)


def test_import_checker_passes_a_good_layout():
    assert layout_violations(_fake(**GOOD), known=()) == []
    cross = {"grokking/__init__.py": "", "grokking/diag.py": "from ..collapse import train_ufm\n"}  # maths, fine
    assert layout_violations(_fake(**GOOD, **cross), known=()) == []
    assert trainer_modules(_fake(**GOOD), known=()) == {"labhelpers.collapse.trainer"}


@pytest.mark.parametrize(
    "path, source, expected",
    [
        ("core/models.py", "def f():\n    from ..collapse import train_ufm\n", "core imports no chapter package"),
        ("core/models.py", "import labhelpers.widgets.view\n", "core imports no chapter package"),
        ("core/models.py", "from labhelpers.runs import loop\n", "core imports no chapter package"),
        ("collapse/ufm.py", "from ..widgets import explorer\n", "never imports widgets"),
        ("widgets/view.py", "from ..collapse import train_net\n", "widgets import no trainer"),
        ("widgets/view.py", "def f():\n    from labhelpers.collapse.trainer import train_net\n", "no trainer"),
        ("widgets/view.py", "from .. import collapse\n", "not all of it"),
        ("grokking/diag.py", "from ..collapse.trainer import train_net\n", "another chapter's trainers"),
        ("grokking/diag.py", "def f():\n    import labhelpers.collapse as co\n", "another chapter's trainers"),
    ],
)
def test_import_checker_finds_a_bad_import(path, source, expected):
    problems = layout_violations(_fake(**{**GOOD, path: source}), known=())
    assert any(expected in p for p in problems), problems


def test_trainer_detection():
    assert looks_like_trainer("import torch\nopt = torch.optim.Adam\n")
    assert looks_like_trainer("from torch import optim\n")
    assert looks_like_trainer("def f():\n    from ..runs.loop import train_loop, epoch_batches\n")
    assert looks_like_trainer("import numpy\ndef train_x():\n    import torch\n")
    assert not looks_like_trainer("import numpy as np\ndef train_ufm(): ...\n")  # numpy training: no torch
    assert not looks_like_trainer("def ntk_autodiff():\n    import torch\n")  # torch, but trains nothing
    # A known trainer counts even if it does not look like one; a chapter explorer never does.
    fake = _fake(**GOOD)
    assert "labhelpers.collapse.ufm" in trainer_modules(fake, known=("labhelpers.collapse.ufm",))
    bad = _fake(**{**GOOD, "widgets/view.py": "from ..collapse import train_ufm\n"})
    assert layout_violations(bad, known=("labhelpers.collapse.ufm",))


# --------------------------------------------------------------------------------------------------------------
# (b) the names in __all__ and the API pages


def packages_with_all() -> list[str]:
    """Every module of labhelpers that lists its public names in ``__all__``."""
    return [name for name, (source, _) in PACKAGE.items() if re.search(r"^__all__\s*[:=]", source, re.M)]


def all_problems(module) -> list[str]:
    names = list(getattr(module, "__all__", ()))
    problems = [f"{module.__name__}.__all__ names {n!r}, which does not exist" for n in names if not hasattr(module, n)]
    problems += [
        f"{module.__name__}.__all__ lists {n!r} twice" for n in sorted({n for n in names if names.count(n) > 1})
    ]
    problems += [f"{module.__name__}.__all__ lists the private name {n!r}" for n in names if n.startswith("_")]
    return problems


def test_subpackages_list_their_names():
    assert {f"labhelpers.{name}" for name in ("core", *CHAPTERS, "runs", "widgets", "checks")} <= set(
        packages_with_all()
    )


@pytest.mark.parametrize("name", packages_with_all())
def test_every_name_in_all_exists(name):
    problems = all_problems(importlib.import_module(name))
    assert not problems, "\n".join(problems)


def test_all_checker_fails_on_a_bad_all():
    import types

    bad = types.ModuleType("labhelpers.fake")
    bad.present = 1
    bad.__all__ = ["present", "missing", "present", "_hidden"]
    bad._hidden = 2
    problems = "\n".join(all_problems(bad))
    assert "'missing', which does not exist" in problems and "twice" in problems and "private" in problems


def public_objects(package) -> dict[str, object]:
    """The functions and classes a package's API page documents: its ``__all__`` (or, without one, what it
    defines), leaving out modules and constants."""
    names = getattr(package, "__all__", None)
    if names is None:
        names = [n for n, o in vars(package).items() if getattr(o, "__module__", None) == package.__name__]
    objects = {f"{package.__name__}.{n}": getattr(package, n) for n in names if not n.startswith("_")}
    return {n: o for n, o in objects.items() if inspect.isclass(o) or inspect.isroutine(o)}


def documentation_problems(packages) -> list[str]:
    """An object documented on two API pages, or documented without a docstring."""
    seen: dict[int, str] = {}
    problems = []
    for package in packages:
        for name, obj in public_objects(package).items():
            if id(obj) in seen:
                problems.append(f"{name} is {seen[id(obj)]}: one object, documented twice")
            seen.setdefault(id(obj), name)
            doc = obj.__doc__ or ""  # a dataclass without a docstring gets "Name(field, ...)": not one
            if not doc.strip() or (inspect.isclass(obj) and doc.startswith(f"{obj.__name__}(")):
                problems.append(f"{name} has no docstring")
    return problems


def test_api_pages_document_each_object_once():
    pages = {p.stem for p in (ROOT / "book" / "api").glob("*.md")}
    assert pages == set(DOCUMENTED), f"book/api/ has pages {sorted(pages)}; expected {sorted(DOCUMENTED)}"
    for name in DOCUMENTED:  # each page documents its package's names, by itself (no list to keep up to date)
        text = (ROOT / "book" / "api" / f"{name}.md").read_text()
        assert re.search(rf"\.\. automodule:: labhelpers\.{name}\n\s+:members:\n", text), f"book/api/{name}.md"
    problems = documentation_problems([importlib.import_module(f"labhelpers.{name}") for name in DOCUMENTED])
    assert not problems, "\n".join(problems)


def test_documentation_checker_fails():
    import types

    def documented():
        """Documented."""

    def bare():
        pass

    one, two = types.ModuleType("labhelpers.one"), types.ModuleType("labhelpers.two")
    one.__all__, one.f, one.g = ["f", "g"], documented, bare
    two.__all__, two.h = ["h"], documented
    problems = "\n".join(documentation_problems([one, two]))
    assert "labhelpers.two.h is labhelpers.one.f" in problems and "labhelpers.one.g has no docstring" in problems


# --------------------------------------------------------------------------------------------------------------
# (c) how chapters and lessons use the package


def notebook_sources() -> list[Path]:
    """The chapters and lessons: MyST notebooks of book/ and lessons/ (the API pages are not notebooks)."""
    return sorted(
        p for folder in ("book", "lessons") for p in (ROOT / folder).glob("*.md") if "jupytext:" in p.read_text()[:400]
    )


def code_of(path: Path) -> str:
    """The code cells of a MyST notebook as plain Python, one after the other (IPython turns ``%pip ...`` and
    ``!ls`` into calls, as it does when it runs a cell)."""
    from IPython.core.inputtransformer2 import TransformerManager

    transform = TransformerManager().transform_cell
    return "\n".join(transform(c.source) for c in jupytext.read(path).cells if c.cell_type == "code")


def own_chapter(path: Path) -> str | None:
    """The chapter package a page belongs to: book/collapse.md and lessons/lesson03_collapse.md to collapse."""
    stem = re.sub(r"^lesson\d+_", "", path.stem)
    return stem if stem in CHAPTERS else None


def _public(module) -> set[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    return set(names)


def _chain(node: ast.Attribute) -> list[str] | None:
    """``["lh", "collapse", "train_ufm"]`` for ``lh.collapse.train_ufm``; None unless it starts from a name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return [node.id, *reversed(parts)] if isinstance(node, ast.Name) else None


def usage_violations(code: str, *, chapter: str | None, lesson: bool, lesson_number: int | None = None) -> list[str]:
    """Every use of labhelpers in ``code`` (a chapter's or lesson's code cells) against the one import style.

    Lesson ``lesson_number`` may also import its own reference answers, ``from labhelpers.lessons import
    lessonNN as ref``.
    """
    import labhelpers

    problems = []
    tree = ast.parse(code)
    lines = code.splitlines()

    def at(lineno: int) -> str:  # the code line itself: the cells have no line numbers of the page
        return f"`{lines[lineno - 1].strip()[:100]}`"

    # The attribute `lh.collapse` inside `lh.collapse.train_ufm` is checked as part of the longer chain.
    inner = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    aliases: dict[str, str] = {}  # alias -> chapter package, as imported here
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != "labhelpers":
                    continue
                if not (alias.name == "labhelpers" and alias.asname == "lh"):
                    problems.append(f"{at(node.lineno)}: write `import labhelpers as lh`")
        elif isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] == "labhelpers"):
            names = [a.name for a in node.names]
            where = at(node.lineno)
            if node.level:
                problems.append(f"{where}: no relative imports")
            elif node.module == "labhelpers":
                for a in node.names:
                    if a.name not in CHAPTERS or a.asname != ALIASES[a.name]:
                        problems.append(f"{where}: only `from labhelpers import <chapter> as <alias>` ({ALIASES})")
                    elif a.name != chapter:
                        problems.append(f"{where}: a page imports only its own chapter's package ({chapter})")
                    else:
                        aliases[a.asname] = a.name
            elif node.module == "labhelpers.lessons":
                own = f"lesson{lesson_number:02d}" if lesson and lesson_number else None
                for a in node.names:
                    if a.name != own or a.asname != "ref":
                        problems.append(
                            f"{where}: a lesson imports only its own answers, `from labhelpers.lessons "
                            f"import {own or 'lessonNN'} as ref`"
                        )
            elif node.module in ("labhelpers.plotting", "labhelpers.checks"):
                if node.module == "labhelpers.checks" and not lesson:
                    problems.append(f"{where}: only lessons import the self-checks")
                public = _public(importlib.import_module(node.module))
                problems += [f"{where}: {n} is not a public name of {node.module}" for n in names if n not in public]
            else:
                problems.append(f"{where}: import labhelpers as lh, a chapter package, plotting or checks only")
    for node in ast.walk(tree):
        chain = _chain(node) if isinstance(node, ast.Attribute) else None
        if not chain or (chain[0] != "lh" and chain[0] not in aliases):
            continue
        if id(node) in inner:
            continue
        dotted = ".".join(chain)
        private = [p for p in chain[1:] if p.startswith("_") and not (p.startswith("__") and p.endswith("__"))]
        if private:
            problems.append(f"{at(node.lineno)}: `{dotted}` uses the private name {private[0]}")
            continue
        package, rest = (
            (labhelpers, chain[1:])
            if chain[0] == "lh"
            else (importlib.import_module(f"labhelpers.{aliases[chain[0]]}"), chain[1:])
        )
        if chain[0] == "lh" and rest and rest[0] == "core":
            problems.append(f"{at(node.lineno)}: `{dotted}`: the core's names are `lh.<name>`, not `lh.core.<name>`")
            continue
        if chain[0] == "lh" and rest and inspect.ismodule(getattr(labhelpers, rest[0], None)):
            if rest[0] in aliases.values():
                alias = ALIASES[rest[0]]
                problems.append(f"{at(node.lineno)}: `{dotted}`: this page imports `{alias}`, so `{alias}.`")
            package, rest = getattr(labhelpers, rest[0]), rest[1:]
        if not rest or (rest[0].startswith("__") and rest[0].endswith("__")):
            continue
        if rest[0] not in _public(package):
            problems.append(f"{at(node.lineno)}: `{dotted}`: {rest[0]} is not a public name of {package.__name__}")
        elif inspect.ismodule(getattr(package, rest[0], None)):
            problems.append(f"{at(node.lineno)}: `{dotted}` is a module path: use the package's name")
    return problems


@pytest.mark.parametrize("path", notebook_sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_chapters_and_lessons_use_the_one_import_style(path):
    number = re.match(r"lesson(\d+)_", path.name)
    problems = usage_violations(
        code_of(path),
        chapter=own_chapter(path),
        lesson=path.parent.name == "lessons",
        lesson_number=int(number.group(1)) if number else None,
    )
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(problems)


def test_the_sources_are_found():
    names = {own_chapter(p) for p in notebook_sources()}
    assert set(CHAPTERS) <= names and len(notebook_sources()) >= 10


GOOD_CELLS = """
import numpy as np
import labhelpers as lh
from labhelpers import collapse as co
from labhelpers.plotting import glue
from labhelpers.checks import check, ready
run = lh.gradient_flow
lh.plotting.use_style()
x = co.train_ufm(3, 4, 5).features.shape
y = lh.widgets.collapse_explorer
"""


def test_usage_checker_passes_good_cells():
    assert usage_violations(GOOD_CELLS, chapter="collapse", lesson=True) == []


def _a_module_of(package: str) -> str:
    module = importlib.import_module(f"labhelpers.{package}")
    return next(n for n in module.__all__ if inspect.ismodule(getattr(module, n)))


@pytest.mark.parametrize(
    "line, expected",
    [
        ("import labhelpers", "write `import labhelpers as lh`"),
        ("import labhelpers.collapse as c", "write `import labhelpers as lh`"),
        ("from labhelpers import collapse", "only `from labhelpers import <chapter> as <alias>`"),
        ("from labhelpers import regimes as rg", "only its own chapter's package"),
        ("from labhelpers.collapse import train_ufm", "plotting or checks only"),
        ("from labhelpers.plotting import _check_axes", "not a public name"),
        ("lh._private_helper()", "private name _private_helper"),
        ("labhelpers_x = lh.collapse._x", "private name _x"),
        ("co._anything", "private name _anything"),
        ("lh.core.gradient_flow", "not `lh.core.<name>`"),
        ("lh.no_such_name", "not a public name of labhelpers"),
        ("co.no_such_name", "not a public name of labhelpers.collapse"),
        (f"lh.collapse.{_a_module_of('collapse')}.anything", "module path"),
        (f"co.{_a_module_of('collapse')}.anything", "module path"),
        ("lh.collapse.train_ufm", "this page imports `co`, so `co.`"),
    ],
)
def test_usage_checker_finds_a_bad_use(line, expected):
    problems = usage_violations(GOOD_CELLS + line + "\n", chapter="collapse", lesson=True)
    assert any(expected in p for p in problems), problems


def test_usage_checker_keeps_checks_to_lessons():
    problems = usage_violations(GOOD_CELLS, chapter="collapse", lesson=False)
    assert any("only lessons import the self-checks" in p for p in problems), problems


def test_code_of_reads_code_cells(tmp_path):
    page = tmp_path / "lesson09_collapse.md"
    page.write_text(
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
        "kernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n# Title\n\n"
        "Prose mentioning `lh._private` is fine.\n\n"
        "```{code-cell} ipython3\n%pip install labhelpers\nimport labhelpers as lh\nlh._private\n```\n"
    )
    problems = usage_violations(code_of(page), chapter=own_chapter(page), lesson=True)
    assert own_chapter(page) == "collapse"
    assert len(problems) == 1 and "private name _private" in problems[0], problems


def test_every_module_names_the_book_section_it_serves():
    """Issue 12: each module's docstring says which part of the book it serves, in a line starting 'Book:'."""
    missing = []
    for path in sorted((ROOT / "labhelpers").rglob("*.py")):
        if path.name == "__init__.py":
            continue
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        if not any(line.startswith("Book:") for line in doc.splitlines()):
            missing.append(str(path.relative_to(ROOT)))
    assert not missing, f"module docstrings without a 'Book:' line: {missing}"


def test_a_lesson_imports_only_its_own_answers():
    good = "from labhelpers.lessons import lesson02 as ref\n"
    assert usage_violations(good, chapter="emergence", lesson=True, lesson_number=2) == []
    for bad, number in [(good, 3), ("from labhelpers.lessons import lesson02\n", 2), (good, None)]:
        problems = usage_violations(bad, chapter="emergence", lesson=True, lesson_number=number)
        assert problems and "its own answers" in problems[0], problems
