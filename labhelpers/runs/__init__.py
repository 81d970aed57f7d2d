"""Plumbing shared by every trainer: the training scaffold (:func:`train_loop`), provenance, result files (one schema place, :mod:`.schema`), thread
pinning, and the stored runs that ship with the package (:func:`results_file`).

Book: chapters 3 and 5 plot the stored runs; every chapter that trains a network uses the scaffold.
"""

from __future__ import annotations

from . import loop, provenance, resources, schema, threads
from .loop import Records, Throughput, epoch_batches, optimizer_step, show_progress, train_loop
from .provenance import record, write_json
from .resources import results_file
from .schema import MissingResultsFile, ResultsFileError, read_results
from .threads import cpu_threads_pinned

__all__ = [
    "loop",
    "provenance",
    "resources",
    "schema",
    "threads",
    "MissingResultsFile",
    "Records",
    "Throughput",
    "epoch_batches",
    "optimizer_step",
    "show_progress",
    "train_loop",
    "ResultsFileError",
    "cpu_threads_pinned",
    "read_results",
    "record",
    "results_file",
    "write_json",
]
