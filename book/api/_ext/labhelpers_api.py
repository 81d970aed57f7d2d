"""Sphinx helpers for the API pages (book/api/*.md), loaded through ``sphinx.local_extensions`` in _config.yml.

Each API page documents one subpackage by the names in its ``__all__`` (``automodule`` with ``:members:``), so
every public object gets the name the chapters use, ``labhelpers.collapse.train_ufm``. Three things autodoc does
not do by itself:

- ``.. labhelpers-modules:: labhelpers.collapse`` lists the modules in the package's ``__all__`` (so a new module
  appears without editing the page), each with its docstring (which names the book section it serves). This also
  gives ``:mod:`.saxe``` in a docstring a target.
- A reference written inside a module, ``:func:`train_ufm``` in ``labhelpers.collapse.saxe``, is looked up in
  that module and then in the packages above it, where the public names are documented.
- A constant in ``__all__`` (``labhelpers.grokking.PAPER_CONFIGS``) is documented like the functions: autodoc
  reads a constant's ``#:`` comment only from the module being documented (the package), so it would skip every
  re-exported constant; here the comment is read from the module that defines it, and a long value is not shown.
"""

from __future__ import annotations

import importlib
import inspect
import sys

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.ext import autodoc
from sphinx.pycode import ModuleAnalyzer
from sphinx.util.docutils import SphinxDirective
from sphinx.util.inspect import object_description
from sphinx.util.nodes import nested_parse_with_titles

LONGEST_VALUE = 80  # characters: a constant whose value is longer is shown by its comment only


def public_modules(package_name: str) -> list[str]:
    """The modules a package lists in its ``__all__``, depth first (subpackages' modules after them)."""
    package = importlib.import_module(package_name)
    names = []
    for name in getattr(package, "__all__", ()):
        if inspect.ismodule(getattr(package, name, None)):
            names.append(f"{package_name}.{name}")
            if hasattr(getattr(package, name), "__path__"):
                names.extend(public_modules(f"{package_name}.{name}"))
    return names


def defining_comment(package_name: str, name: str) -> list[str]:
    """The ``#:`` comment of the constant ``package.name``, from whichever loaded submodule defines it."""
    value = getattr(sys.modules.get(package_name), name, None)
    for module_name, module in sorted(sys.modules.items()):
        if not module_name.startswith(package_name + ".") or getattr(module, name, object()) is not value:
            continue
        analyzer = ModuleAnalyzer.for_module(module_name)
        analyzer.analyze()
        if ("", name) in analyzer.attr_docs:
            return list(analyzer.attr_docs[("", name)])
    return []


def is_constant(value) -> bool:
    return not (inspect.ismodule(value) or inspect.isclass(value) or callable(value))


class ModuleDocumenter(autodoc.ModuleDocumenter):
    """``automodule`` that documents every constant of ``__all__``, re-exported or not, commented or not."""

    def filter_members(self, members, want_all):
        kept = super().filter_members(members, want_all)
        if not (want_all and self.__all__ and self.modname.startswith("labhelpers")):
            return kept
        names = {name for name, _, _ in kept}
        constants = {
            member.__name__
            for member in members
            if member.__name__ in self.__all__ and not member.skipped and is_constant(member.object)
        }
        # isattr=True lets DataDocumenter take a re-exported constant (autodoc only looks for the package's own).
        kept = [(name, value, isattr or name in constants) for name, value, isattr in kept]
        return kept + [(m.__name__, m.object, True) for m in members if m.__name__ in constants - names]


class DataDocumenter(autodoc.DataDocumenter):
    """A constant's comment from the module that defines it; its value only when short."""

    def get_module_comment(self, attrname):
        comment = super().get_module_comment(attrname)
        if comment or not self.modname.startswith("labhelpers"):
            return comment
        return defining_comment(self.modname, attrname) or None

    def get_doc(self):
        if not self.modname.startswith("labhelpers"):
            return super().get_doc()
        comment = self.get_module_comment(self.objpath[-1])
        return [comment] if comment else []  # never the docstring of the value's type (str, tuple)

    def should_suppress_value_header(self) -> bool:
        if self.modname.startswith("labhelpers") and len(object_description(self.object)) > LONGEST_VALUE:
            return True
        return super().should_suppress_value_header()


class ModulesDirective(SphinxDirective):
    """``.. labhelpers-modules:: labhelpers.collapse``: each module's name and docstring, no members."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        source = self.get_source_info()[0]
        lines = StringList()
        for name in public_modules(self.arguments[0]):
            for line in (f".. rubric:: ``{name}``", "", f".. automodule:: {name}", ""):
                lines.append(line, source)
        container = nodes.container(classes=["labhelpers-modules"])
        nested_parse_with_titles(self.state, lines, container)
        return [container]


def resolve_in_enclosing_package(app, env, node, contnode):
    """Retry an unresolved Python reference from the packages that enclose the module it was written in."""
    if node.get("refdomain") != "py":
        return None
    module = node.get("py:module") or ""
    if not module.startswith("labhelpers."):
        return None
    domain = env.get_domain("py")
    parts = module.split(".")
    for depth in range(len(parts) - 1, 1, -1):
        retry = node.deepcopy()
        retry["py:module"] = ".".join(parts[:depth])
        found = domain.resolve_xref(
            env, node["refdoc"], app.builder, node["reftype"], node["reftarget"], retry, contnode
        )
        if found is not None:
            return found
    return None


def setup(app):
    app.setup_extension("sphinx.ext.autodoc")
    app.add_autodocumenter(ModuleDocumenter, override=True)
    app.add_autodocumenter(DataDocumenter, override=True)
    app.add_directive("labhelpers-modules", ModulesDirective)
    app.connect("missing-reference", resolve_in_enclosing_package)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
