"""The execution status page (book/status.md) and the site-wide build fixes of book/_ext/course_site.py.

The page is run here as a notebook and its tables are checked against the machine and the stored runs. The
build fixes are checked on fake Sphinx objects, and on the built site when there is one (``BOOK_HTML``,
default ``_build/html``, as the browser suite): one ``THEBE_JS_URL`` per page, no embedded widget state,
and an execution table that lists every built notebook as run.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import jupytext
import pytest
import yaml

from labhelpers.runs import results_file

ROOT = Path(__file__).resolve().parents[2]
STATUS = ROOT / "book" / "status.md"
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import course_site  # noqa: E402


# --------------------------------------------------------------------------------------------- the page
def test_the_page_is_in_the_reference_part_and_can_be_linked():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    reference = next(part for part in toc["parts"] if part["caption"] == "Reference")
    assert {"file": "book/status"} in reference["chapters"]
    text = STATUS.read_text()
    assert "\n(status)=\n# Execution status\n" in text, "chapters link here with {ref}`status`"
    assert "```{nb-exec-table}\n```" in text


def test_the_page_runs_on_every_build():
    notebook = jupytext.read(STATUS)
    # cached pages would describe the build that last changed this page, not this build
    assert notebook.metadata["mystnb"]["execution_mode"] == "force"
    shown = [c for c in notebook.cells if c.cell_type == "code" and "remove-cell" not in c.metadata.get("tags", [])]
    assert shown and all("remove-input" in c.metadata["tags"] for c in shown), "only the tables show"


@pytest.fixture(scope="module")
def page_output() -> str:
    """The text/markdown the page displays, from a run of the page as a notebook (a fresh kernel, ~10 s)."""
    from nbclient import NotebookClient

    notebook = jupytext.read(STATUS)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    return "\n".join(o["data"]["text/markdown"] for o in outputs if "text/markdown" in o.get("data", {}))


def test_the_page_describes_this_machine(page_output):
    import numpy as np

    from labhelpers.runs import machine

    assert f"| processor | {machine()['cpu']}, {os.cpu_count()} logical cores |" in page_output
    assert f"numpy {np.__version__}" in page_output
    assert re.search(r"\| date \| \d{4}-\d\d-\d\d \d\d:\d\d UTC \|", page_output)


@pytest.mark.parametrize(
    ("name", "wall_time"),
    [  # 32.0 s; 3931.4 s = 65.5 min; 6933.9 s = 115.6 min
        ("grokking_mnist_benchmark_cpu.json", "32 s"),
        ("grokking_mnist_cpu.json", "1 h 6 min"),
        ("resnet18_mnist_cpu.json", "1 h 56 min"),
    ],
)
def test_the_page_lists_each_stored_run_with_its_provenance(page_output, name, wall_time):
    made = json.loads(results_file(name).read_text())["provenance"]
    row = f"| `{name}` | {made['device']} | {made['date'][:10]} {made['date'][11:16]} UTC | {wall_time} |"
    assert row in page_output
    assert f"```bash\n{made['command']}\n```" in page_output
    assert f"torch {made['versions']['torch']}" in page_output


# ------------------------------------------------------------------------- the build fixes, on fakes
def test_inline_scripts_reach_the_builder_with_one_name():
    added = []
    builder = SimpleNamespace(add_js_file=lambda filename, **attributes: added.append((filename, attributes)))
    course_site._builder_adds_inline_scripts_once(SimpleNamespace(builder=builder))
    builder.add_js_file(None, body="const THEBE_JS_URL = 1")
    builder.add_js_file("togglebutton.js")
    assert added == [("", {"body": "const THEBE_JS_URL = 1"}), ("togglebutton.js", {})]


def test_a_builder_without_scripts_is_left_alone():
    app = SimpleNamespace(builder=SimpleNamespace())
    course_site._builder_adds_inline_scripts_once(app)
    assert vars(app.builder) == {}


def test_widget_state_is_dropped_and_other_scripts_kept():
    env = SimpleNamespace(
        nb_metadata={
            "book/feedback": {"js_files": {"ipywidgets_state": (None, {}), "ipywidgets_0": ("x.js", {}), "k": 1}},
            "book/intro": {},
        }
    )
    course_site._drop_widget_state(None, env)
    assert env.nb_metadata["book/feedback"]["js_files"] == {"k": 1}


def test_pages_with_an_execution_table_are_read_again():
    env = SimpleNamespace(
        nb_metadata={"book/status": {"has_exec_table": True}, "book/intro": {}, "gone": {"has_exec_table": True}},
        all_docs={"book/status": 0, "book/intro": 0},
    )
    assert course_site._read_execution_tables_again(None, env, set(), set(), set()) == ["book/status"]


# ------------------------------------------------------------------------------------ the built site
def _built_pages() -> list[Path]:
    pages = sorted([*HTML.glob("book/*.html"), *HTML.glob("lessons/*.html")])
    if not pages:
        pytest.skip(f"no built book in {HTML}: run `make book` (or set BOOK_HTML) to check the built pages")
    return pages


def test_built_pages_declare_thebe_once_and_embed_no_widget_state():
    for page in _built_pages():
        text = page.read_text(encoding="utf-8")
        assert text.count("const THEBE_JS_URL") <= 1, f"{page.name} declares THEBE_JS_URL twice"
        assert "application/vnd.jupyter.widget-state+json" not in text, f"{page.name} embeds widget state"


def test_built_status_page_lists_every_built_notebook_as_run():
    _built_pages()
    status = HTML / "book" / "status.html"
    if not status.exists():
        pytest.skip(f"{status} not built yet")
    text = status.read_text(encoding="utf-8")
    rows = re.findall(r'<span class="doc">([^<]+)</span>.*?</tr>', text, re.DOTALL)
    listed = set(rows)
    notebooks = {
        str(p.relative_to(ROOT).with_suffix(""))
        for p in [*ROOT.glob("book/*.md"), *ROOT.glob("lessons/*.md")]
        if "jupytext:" in p.read_text()[:400] and (HTML / p.relative_to(ROOT).with_suffix(".html")).exists()
    }
    assert "book/status" in listed
    if len(listed) > 1:  # an executed build (with execution off, only this page runs)
        assert notebooks <= listed, f"built but not in the execution table: {sorted(notebooks - listed)}"
    cells = re.findall(r'<span class="doc">([^<]+)</span>.*?<p>(ran|failed|✅|❌)</p></td>\s*</tr>', text, re.DOTALL)
    assert [page for page, _ in cells] == rows, "every row ends in its status"
    failed = [page for page, status in cells if status != "ran"]
    assert not failed, f"pages that failed to execute (or a status not in words): {failed}"


def test_lesson_pages_launch_their_student_copy():
    def buttons(page):
        urls = [
            f"https://colab.research.google.com/github/o/r/blob/main/{page}.ipynb",
            f"https://mybinder.org/v2/gh/o/r/main?urlpath=tree/{page}.ipynb",
        ]
        return {"header_buttons": [{"label": "launch-buttons", "buttons": [{"url": u} for u in urls]}]}

    context = buttons("lessons/lesson02_emergence")
    course_site._launch_lessons_as_student_copies(None, "lessons/lesson02_emergence", "page.html", context, None)
    urls = [b["url"] for b in context["header_buttons"][0]["buttons"]]
    assert all(url.endswith("lessons/student/lesson02_emergence.ipynb") for url in urls), urls
    assert all((ROOT / "lessons" / "student" / "lesson02_emergence.ipynb").exists() for _ in urls)
    chapter = buttons("book/emergence")
    course_site._launch_lessons_as_student_copies(None, "book/emergence", "page.html", chapter, None)
    assert chapter == buttons("book/emergence"), "a chapter keeps its own notebook"
