"""Site-wide fixes and additions of the course's book, loaded through ``sphinx.local_extensions`` in _config.yml.

- **Author-year bibliography.** The text cites author-year (``bibtex_reference_style: author_year``); the
  pybtex style ``course_author_year`` (``bibtex_default_style``) gives the list the same labels, "Nam et al.,
  2025", sorted by author and year, with the entry's DOI, arXiv or URL link (pybtex's plain style).
- **One THEBE_JS_URL per page.** Sphinx 7.4 adds an inline script (``add_js_file(None, body=...)``) twice
  when an extension adds it after the HTML builder started, as sphinx-thebe and sphinx-togglebutton do:
  once as filename ``None``, once more as ``""`` when the builder collects the registry's scripts again
  before writing, and the two do not compare equal. Every page then declared ``const THEBE_JS_URL`` twice,
  a SyntaxError in the console. The builder here gets ``""`` both times, as Sphinx 8.2 does (sphinx-doc/sphinx
  pull request 13402).
- **No ipywidgets state in the HTML.** The book shows each explorer's static fallback (the widget views are
  dropped by ``nb_mime_priority_overrides``), so the 24-48 kB of widget state myst-nb embeds from the
  executed notebook's metadata is never used: it is dropped before the pages are written.
- **Figures numbered per page.** Without a numbered table of contents Sphinx counts figures across the
  whole book (the first figure of lesson 1 was Fig. 9). Each page here numbers its own figures 1, 2, ...,
  as a lesson's student copy does (scripts/make_student_copies.py), so a figure has one number in both.
- **Lessons launch as the student copy.** A lesson page's Colab and Binder buttons open
  ``lessons/student/<lesson>.ipynb`` (made by scripts/make_student_copies.py), not the source notebook next
  to it, which holds the solutions. Instructors find the sources in the repository.
- **Execution tables describe this build.** A page with ``{nb-exec-table}`` (book/status.md) is read again on
  every build, so its table and the machine description it computes belong to the build that made the site.
  Its status column says "ran" or "failed" in words, where myst-nb writes the emoji ✅ and ❌ (a box in a
  browser without an emoji font, "white heavy check mark" in a screen reader).
"""

from __future__ import annotations

from collections import Counter
from string import ascii_lowercase

from docutils import nodes
from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.transforms.post_transforms import SphinxPostTransform

LABEL_AUTHORS = 2  # "A and B, 2020" up to two authors, "A et al., 2020" from three: as the in-text citations


def _last_names(person) -> str:
    """A person's last names as plain text (``Domin{\\'e}`` becomes "Dominé"), with any "von" part."""
    parts = person.rich_prelast_names + person.rich_last_names
    return " ".join(part.render_as("text") for part in parts)


def author_year_label(entry) -> str:
    """ "Nam et al., 2025": the entry's authors (or editors) as the in-text citation names them, and its year."""
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_last_names(person) for person in persons]
    if not names:
        who = entry.fields.get("title", entry.key)
    elif len(names) <= LABEL_AUTHORS:
        who = " and ".join(names)
    else:
        who = f"{names[0]} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabelStyle(BaseLabelStyle):
    """Author-year labels; two entries that would share one get "2019a", "2019b" (in list order)."""

    def format_labels(self, sorted_entries):
        labels = [author_year_label(entry) for entry in sorted_entries]
        shared, used = Counter(labels), Counter()
        for label in labels:
            if shared[label] > 1:
                yield f"{label}{ascii_lowercase[used[label]]}"
                used[label] += 1
            else:
                yield label


class AuthorYearStyle(PlainStyle):
    """pybtex's plain style (sorted by author, year, title; DOI, arXiv and URL links) with author-year labels."""

    default_label_style = AuthorYearLabelStyle
    default_sorting_style = "author_year_title"


def _builder_adds_inline_scripts_once(app) -> None:
    """Give the HTML builder ``""`` for an inline script's filename, never ``None`` (see the module docstring)."""
    add_js_file = getattr(app.builder, "add_js_file", None)
    if add_js_file is None:  # not an HTML builder
        return

    def add_inline_once(filename, **attributes):
        add_js_file(filename or "", **attributes)

    app.builder.add_js_file = add_inline_once


def _drop_widget_state(app, env) -> None:
    """Remove the embedded ipywidgets state (myst-nb's ``ipywidgets_*`` scripts) from every page."""
    for data in getattr(env, "nb_metadata", {}).values():
        scripts = data.get("js_files", {})
        for key in [key for key in scripts if key.startswith("ipywidgets_")]:
            del scripts[key]


def _read_execution_tables_again(app, env, added, changed, removed) -> list[str]:
    """The pages that hold an execution table (myst-nb marks them ``has_exec_table``), to be read again."""
    metadata = getattr(env, "nb_metadata", {})
    return sorted(name for name, data in metadata.items() if data.get("has_exec_table") and name in env.all_docs)


class ExecutionStatusInWords(SphinxPostTransform):
    """Write an execution table's ✅ and ❌ as "ran" and "failed" (myst-nb builds the table at priority 8)."""

    default_priority = 9
    WORDS = {"✅": "ran", "❌": "failed"}

    def run(self, **kwargs) -> None:
        if not getattr(self.env, "nb_metadata", {}).get(self.env.docname, {}).get("has_exec_table"):
            return
        for table in self.document.findall(nodes.table):
            for text in list(table.findall(nodes.Text)):
                if str(text) in self.WORDS:
                    text.parent.replace(text, nodes.Text(self.WORDS[str(text)]))


def _number_figures_per_page(app, env):
    """Renumber each page's figures 1, 2, ... in the order Sphinx counted them (after its own count)."""
    for numbers in env.toc_fignumbers.values():
        figures = numbers.get("figure", {})
        for k, figure_id in enumerate(sorted(figures, key=figures.get), start=1):
            figures[figure_id] = (k,)
    return []


def _student_notebook(pagename: str) -> str | None:
    """``lessons/student/lesson01_feedback.ipynb`` for the page ``lessons/lesson01_feedback``, else None."""
    folder, _, name = pagename.rpartition("/")
    return f"lessons/student/{name}.ipynb" if folder == "lessons" and name.startswith("lesson") else None


def _launch_lessons_as_student_copies(app, pagename, templatename, context, doctree):
    """Point a lesson page's launch buttons (sphinx-book-theme, priority 501) at its student copy."""
    student = _student_notebook(pagename)
    if student is None:
        return
    source = f"{pagename}.ipynb"
    for group in context.get("header_buttons", []):
        if group.get("label") == "launch-buttons":
            for button in group.get("buttons", []):
                if "url" in button:
                    button["url"] = button["url"].replace(source, student)


def setup(app):
    register_plugin("pybtex.style.formatting", "course_author_year", AuthorYearStyle)
    app.connect("builder-inited", _builder_adds_inline_scripts_once, priority=100)  # before the extensions' own
    app.connect("env-updated", _drop_widget_state)
    app.connect("env-get-outdated", _read_execution_tables_again)
    app.connect("env-get-updated", _number_figures_per_page, priority=900)
    app.connect("html-page-context", _launch_lessons_as_student_copies, priority=600)  # after the theme's 501  # after Sphinx's own numbering (500)
    app.add_post_transform(ExecutionStatusInWords)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
