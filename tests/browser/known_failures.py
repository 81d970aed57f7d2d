"""Checks of the browser suite that a page does not pass yet, each with the reason.

``KNOWN_FAILURES[(check, page)] = reason`` marks that test ``xfail(strict=True)``: the suite passes while
the page is still broken, and fails as soon as the page is fixed (XPASS), so that the entry is deleted
here and the check guards the page from then on. Checks: see ``CHECKS`` in test_pages.py; pages: the
page's path in the build without ``.html`` (``book/feedback``).

Empty since issue 13 landed (3 December): every page passes every check. Add an entry only with a reason
and an issue that will remove it.
"""

KNOWN_FAILURES: dict[tuple[str, str], str] = {}
