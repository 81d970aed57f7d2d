"""What the grader runs inside a submission's kernel, after the student's cells: the lesson's grading.

The grader appends one cell that calls :func:`report`. It reloads the course's check modules and the
lesson's registry first, so that a notebook that patched them (``ref.self_check = ...``) is graded by the
originals, then grades every exercise on the notebook's names and prints one line: a token that only the
grader knows, followed by the verdicts as JSON.

Book: book/instructors (Grading).
"""

from __future__ import annotations

import importlib
import json
import sys

import numpy as np

__all__ = ["report"]

_CHECK_MODULES = (
    "labhelpers.checks.verdict",
    "labhelpers.checks.values",
    "labhelpers.checks.functions",
    "labhelpers.checks.words",
    "labhelpers.checks.exercises",
    "labhelpers.checks",
)


def report(lesson: str, seed: int, token: str) -> None:
    """Grade the exercises of ``labhelpers.lessons.<lesson>`` on the kernel's user namespace and print
    ``token`` + ``{"number": [status, message], ...}``."""
    from IPython import get_ipython

    shell = get_ipython()
    namespace = dict(shell.user_ns) if shell is not None else dict(vars(sys.modules["__main__"]))
    for name in _CHECK_MODULES:
        importlib.reload(importlib.import_module(name))
    package = f"labhelpers.lessons.{lesson}"
    importlib.import_module(package)
    for name in sorted(n for n in list(sys.modules) if n.startswith(package + ".")):  # its exercise modules first
        importlib.reload(sys.modules[name])
    module = importlib.reload(sys.modules[package])
    verdicts = module.EXERCISES.grade(namespace, np.random.default_rng(seed))
    result = {str(number): [v.status, v.message] for number, v in verdicts.items()}
    sys.stdout.write(token + json.dumps(result) + "\n")
    sys.stdout.flush()
