"""references.bib and the bibliography page: every citation resolves, every entry links to the work, and the
list's labels are the in-text author-year citations (the pybtex style in book/_ext/course_site.py).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml
from pybtex.database import parse_file

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import course_site  # noqa: E402

ENTRIES = parse_file(str(ROOT / "references.bib")).entries
LINK_FIELDS = ("doi", "eprint", "url")
# Entries without a DOI, arXiv id or URL, each with the reason. An entry listed here that gains a link, or
# leaves the file, fails the test, so the list stays true.
NO_LINK = {
    "roy2007effective": "EUSIPCO 2007 conference paper: no arXiv version, and no DOI we could confirm",
}
# {cite}`key`, {cite:p}`a,b`, {cite:t}`key` ... in MyST; :cite:p:`key` in reStructuredText and docstrings.
CITATION = re.compile(r"(?:\{cite(?::\w+)?\}|:cite(?::\w+)?:)`([^`]+)`")


def cited_keys() -> dict[str, list[str]]:
    """Every cited key, with the files that cite it (the book's pages, lessons and the library's docstrings)."""
    files = [*ROOT.glob("book/**/*.md"), *ROOT.glob("lessons/*.md"), *ROOT.glob("labhelpers/**/*.py")]
    cited: dict[str, list[str]] = {}
    for path in files:
        for group in CITATION.findall(path.read_text(encoding="utf-8")):
            for key in (k.strip() for k in group.split(",")):
                cited.setdefault(key, []).append(str(path.relative_to(ROOT)))
    return cited


def test_the_citation_pattern_finds_every_form():
    text = "{cite}`a` {cite:p}`b, c` {cite:t}`d` :cite:p:`e` {cite:ps}`f`"
    assert [k.strip() for g in CITATION.findall(text) for k in g.split(",")] == ["a", "b", "c", "d", "e", "f"]


def test_every_cited_key_is_in_references_bib():
    cited = cited_keys()
    assert len(cited) >= 20, f"found only {len(cited)} cited keys: is the citation pattern still right?"
    missing = {key: files for key, files in cited.items() if key not in ENTRIES}
    assert not missing, f"cited but not in references.bib: {missing}"


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_every_entry_links_to_the_work_or_says_why_not(key):
    fields = ENTRIES[key].fields
    links = [name for name in LINK_FIELDS if name in fields]
    if key in NO_LINK:
        assert not links, f"{key} now has {links}: remove it from NO_LINK"
        return
    assert links, f"{key} has none of {LINK_FIELDS}: add one, or list it in NO_LINK with the reason"
    if "doi" in fields:
        assert re.fullmatch(r"10\.\d{4,9}/\S+", fields["doi"]), f"{key}: doi {fields['doi']!r} is not a bare DOI"
    if "eprint" in fields:
        assert fields.get("archiveprefix", "").lower() == "arxiv", f"{key}: an eprint needs archiveprefix = arXiv"
        assert re.fullmatch(r"\d{4}\.\d{4,5}", fields["eprint"]), f"{key}: {fields['eprint']!r} is no arXiv id"
    if "url" in fields:
        assert fields["url"].startswith("https://"), f"{key}: url {fields['url']!r} is not https"


def test_no_link_lists_only_entries_of_the_file():
    assert set(NO_LINK) <= set(ENTRIES), sorted(set(NO_LINK) - set(ENTRIES))


def test_an_arxiv_id_is_a_field_not_a_note():
    noted = [key for key, entry in ENTRIES.items() if "arxiv" in entry.fields.get("note", "").lower()]
    assert not noted, f"move the arXiv id into eprint/archiveprefix (a link): {noted}"


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("nam2025position", "Nam et al., 2025"),  # three or more authors
        ("baldi1989neural", "Baldi and Hornik, 1989"),  # two
        ("domine2025lazy", "Dominé et al., 2025"),  # a LaTeX accent, as the reader sees it
    ],
)
def test_labels_are_the_in_text_author_year_citations(key, label):
    assert course_site.author_year_label(ENTRIES[key]) == label


def test_labels_are_unique_and_the_list_is_sorted_by_author_then_year():
    style = course_site.AuthorYearStyle()
    ordered = style.sort(ENTRIES.values())
    labels = list(style.format_labels(ordered))
    assert len(set(labels)) == len(labels) == len(ENTRIES)
    names_years = [(re.split(r"[ ,]", label)[0], label[-4:]) for label in labels]
    assert names_years == sorted(names_years), "the list is not in author, year order"


def test_two_works_with_one_label_are_told_apart():
    from pybtex.database import Entry, Person

    def work(title):
        return Entry("article", fields={"title": title, "year": "2020"}, persons={"author": [Person("Doe, Jane")]})

    labels = list(course_site.AuthorYearLabelStyle().format_labels([work("A"), work("B"), work("C")]))
    assert labels == ["Doe, 2020a", "Doe, 2020b", "Doe, 2020c"]


def test_the_book_uses_the_author_year_style():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]
    assert config["local_extensions"]["course_site"] == "book/_ext"
    assert config["config"]["bibtex_default_style"] == "course_author_year"
    assert config["config"]["bibtex_reference_style"] == "author_year"
