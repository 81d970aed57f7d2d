"""Plumbing shared by every trainer: the training scaffold (:func:`train_loop`), provenance, result files (one schema place, :mod:`.schema`), thread
pinning, and the stored runs that ship with the package (:func:`results_file`, :func:`stored_runs`).

Book: chapters 3 and 5 plot the stored runs; every chapter that trains a network uses the scaffold; the
execution status page lists the build machine (:func:`machine`) and every stored run's provenance.
"""

from __future__ import annotations

from . import loop, provenance, resources, schema, threads
from .loop import Records, Throughput, epoch_batches, optimizer_step, show_progress, train_loop
from .provenance import machine, record, stored_runs, write_json
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
    "machine",
    "read_results",
    "record",
    "results_file",
    "stored_runs",
    "write_json",
]
