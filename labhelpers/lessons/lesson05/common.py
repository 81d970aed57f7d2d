"""Lesson 5's shared pieces: the Setup's constants and its base start ``BASE``, the exercises' titles, the
batch hint of Exercises 1 and 3, and the random draws (Gaussian weights, an output normalisation Z) that
several exercises' cases use.

Book: lessons/lesson05_grokking.md (Setup; Exercises 1-6).
"""

from __future__ import annotations

import re

import numpy as np

from ... import grokking as gk
from ...checks import INCORRECT, Verdict, make_verdict

# The lesson's Setup constants (same values as there).
P_WIDTH = 50  # hidden units p
SIGMA_UNIT = 0.2  # weight scale Sigma_0 of BASE (with Z = 1)
RICH_ABOVE = 0.9  # rich: aligned components end with > 90% of Sigma


def _base_start() -> dict[str, np.ndarray]:
    """The lesson's BASE: symmetrised Gaussian units (a, b) and (a, -b), so beta_0 = 0, at
    Sigma_0 = SIGMA_UNIT."""
    pairs = np.random.default_rng(5).standard_normal((2, P_WIDTH // 2))
    base = {"a": np.concatenate([pairs[0], pairs[0]]), "b": np.concatenate([pairs[1], -pairs[1]])}
    factor = np.sqrt(SIGMA_UNIT / gk.weight_scale(base))
    return {name: factor * w for name, w in base.items()}


#: The lesson's base start (built as in its Setup cell).
BASE = _base_start()


def _start(p, std, seed, batch=()):
    return gk.gaussian_init(p, std, batch_shape=batch, seed=seed)


def _pair(params):
    return params["a"], params["b"]


def _title(number: int, title: str) -> str:
    return f"Exercise {number}: {title}"


_BATCH_HINT = (
    "It works on one set of weights but not on this batch of shape {shape}: reduce the last axis only (the "
    "units), since later cells pass whole trajectories, one row per recorded time."
)


def _with_batch_hint(verdict: Verdict, cases: list, show: bool) -> Verdict:
    """Show ``verdict``, adding the batch hint when the first failure is a batched case that fails or has the
    wrong shape (a 1-D-only answer: ``np.dot``, ``a @ b``, a sum over all axes), not a wrong value."""
    match = re.match(r"Test input (\d+) of \d+ ", verdict.message)
    message = verdict.message
    if verdict.status == INCORRECT and match:
        first = cases[int(match.group(1)) - 1][0]
        wrong_shape = "raised" in message or re.search(
            r": the output should be (an array|a single number)", message
        )
        if np.ndim(first) > 1 and wrong_shape:
            message = f"{message} {_BATCH_HINT.format(shape=np.shape(first))}"
    return make_verdict(verdict.name, verdict.status, message, show=show)


def _gaussian_pair(rng, batch, p, std):
    return std * rng.standard_normal((*batch, p)), std * rng.standard_normal((*batch, p))


def _normalisation(rng, p):
    """A Z of each kind a student meets: a float, an integer, or the NTK's sqrt(p)."""
    kind = int(rng.integers(3))
    return float(rng.uniform(0.3, 4.0)) if kind == 0 else int(rng.integers(2, 6)) if kind == 1 else np.sqrt(p)
