"""Size report for ``labhelpers``: lines per module and the longest functions.

Usage: ``python scripts/code_metrics.py [--top N]``. The issue that reorganised the package (one subpackage
per chapter) set a size guide of about 400 lines per module and 60 lines per function (docstrings not counted); this prints how far
the package is from it, so the numbers can be compared before and after a change.
"""

from __future__ import annotations

import argparse
import ast
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "labhelpers"


def functions(tree: ast.AST):
    """Yield ``(qualified name, lines)`` for every function and method in a module, its docstring not counted."""
    stack = [("", tree)]
    while stack:
        prefix, node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                doc = child.body[0] if ast.get_docstring(child) else None
                doc_lines = doc.end_lineno - doc.lineno + 1 if doc else 0
                yield name, child.end_lineno - child.lineno + 1 - doc_lines
                stack.append((name + ".", child))
            elif isinstance(child, ast.ClassDef):
                stack.append((f"{prefix}{child.name}.", child))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=12, help="how many of the longest functions to list")
    args = parser.parse_args()
    modules = sorted(p for p in ROOT.rglob("*.py"))
    sizes = {p.relative_to(ROOT.parent).as_posix(): len(p.read_text().splitlines()) for p in modules}
    funcs = []
    for path in modules:
        rel = path.relative_to(ROOT.parent).as_posix()
        funcs += [(lines, f"{rel}:{name}") for name, lines in functions(ast.parse(path.read_text()))]
    funcs.sort(reverse=True)
    print(f"modules: {len(sizes)}, lines: {sum(sizes.values())}, median: {statistics.median(sizes.values()):.0f}")
    print(f"modules over 400 lines: {sum(n > 400 for n in sizes.values())}")
    print(f"functions: {len(funcs)}, over 60 lines: {sum(n > 60 for n, _ in funcs)}")
    print("\nlargest modules:")
    for name, n in sorted(sizes.items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"  {n:5d}  {name}")
    print("\nlongest functions:")
    for n, name in funcs[: args.top]:
        print(f"  {n:5d}  {name}")


if __name__ == "__main__":
    main()
