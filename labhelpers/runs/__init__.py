"""Plumbing shared by every trainer: provenance, result files (one schema place, :mod:`.schema`), thread
pinning, and the stored runs that ship with the package (:func:`results_file`).
"""

from __future__ import annotations

from . import provenance, resources, schema, threads
from .provenance import record, write_json
from .resources import results_file
from .schema import MissingResultsFile, ResultsFileError, read_results
from .threads import cpu_threads_pinned

__all__ = [
    "provenance",
    "resources",
    "schema",
    "threads",
    "MissingResultsFile",
    "ResultsFileError",
    "cpu_threads_pinned",
    "read_results",
    "record",
    "results_file",
    "write_json",
]
