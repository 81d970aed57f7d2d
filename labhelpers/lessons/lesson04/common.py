"""What several of Lesson 4's exercises share: the target strengths and the task samples of the lesson's Setup
cell, how a check shows a verdict it has edited, the float32 form of an answer and the table of mistakes turned
into wrong answers (every exercise).

Book: lessons/lesson04_regimes.md (Setup, and Exercises 1 to 7).
"""

import numpy as np

from ...checks import make_verdict
from ...core import whiten

S_TARGET = np.array([3.0, 1.0, 0.3])  # the target strengths of the lesson's task


def _task_samples(seed=4):
    """The lesson's ``X_train`` and ``Y_train``: its Setup cell's draws, in the same order."""
    rng = np.random.default_rng(seed)
    u_task, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    v_task, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    beta = u_task @ np.diag(S_TARGET) @ v_task.T
    x_train, _ = whiten(rng.standard_normal((12, 3)))
    return x_train, x_train @ beta


X_TRAIN, Y_TRAIN = _task_samples()  # the same samples as the lesson's X_train, Y_train


# ---------------------------------------------------------------- shared by the checks
def _show(verdict, show):
    """Display a verdict made with ``show=False`` (the check of Exercise 4 may replace its message first)."""
    return make_verdict(verdict.name, verdict.status, verdict.message, show=show)


# ---------------------------------------------------------------- shared by the answer forms
def _as_float32(function):
    """The same answer, returned in float32 (as from a torch tensor or a float32 array)."""

    def float32(*args):
        result = function(*args)
        if isinstance(result, tuple):
            return tuple(np.asarray(r, dtype=np.float32) for r in result)
        return np.asarray(result, dtype=np.float32)

    return float32


def _hints(table):
    """The (answers, hint) pairs of a table of mistakes {hint: wrong function}."""
    return tuple(((wrong,), hint) for hint, wrong in table.items())
