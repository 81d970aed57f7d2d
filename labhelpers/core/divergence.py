"""One divergence check for every trainer: non-finite values and runaway loss growth, caught at the step.

Every training loop of the package (gradient descent on moments or samples, the UFM, the grids, the
ReLU networks, the MLPs with SGD or Adam, the MNIST trainers, the ResNet) feeds its loss to a
:class:`DivergenceGuard` once a step. The check costs one comparison; on a GPU it reads one number back.

A diverging run stops with a :class:`DivergenceError` (a ``ValueError``) that names the step and the
likely cause, judged from what happened:

- the loss was not finite, or already huge, at the first check: the start is to blame (init scale, or the
  scale of targets or inputs), not the learning rate;
- the loss grew from a finite start: the step is too large for the curvature it met, so the learning rate
  (or, with the same learning rate, a larger init, target or input scale, all of which raise the curvature).

The caller passes its settings (``lr=..., init_scale=...``) so that the message can quote them.

Book: no section of its own; every trainer of chapters 1-5 stops through it (appendix "How the code is organised").
"""

from __future__ import annotations

import math
from typing import Any

GROWTH = 1e6
"""Loss growth (over its lowest value so far, plus the first loss) at which a run counts as diverging."""

HUGE = 1e30
"""A first loss above this is called a bad start rather than a learning-rate problem."""


class DivergenceError(ValueError):
    """A training run diverged; the message names the step and the likely cause."""


def _quote(settings: dict[str, Any]) -> str:
    parts = []
    for name, value in settings.items():
        if isinstance(value, float):
            parts.append(f"{name}={value:.3g}")
        else:
            parts.append(f"{name}={value!r}" if isinstance(value, str) else f"{name}={value}")
    return ", ".join(parts)


class DivergenceGuard:
    """Watch one run's loss (or a batch of runs' losses) step by step.

    Parameters
    ----------
    what : str
        What is being trained, for the message (e.g. ``"gradient descent on samples"``).
    growth : float
        Ratio of the loss to ``min(lowest loss so far, ...) + first loss`` that counts as runaway growth.
    **settings
        The run's settings to quote in the message, e.g. ``lr=0.1, init_scale=1.0``. The names ``lr``
        (or ``learning_rate``) and ``init_scale`` are used to word the likely cause.
    """

    def __init__(self, what: str, *, growth: float = GROWTH, **settings: Any) -> None:
        self.what = what
        self.growth = float(growth)
        self.settings = settings
        self.first: float | None = None
        self.lowest = math.inf

    def check(self, step: int, loss: Any) -> None:
        """Raise :class:`DivergenceError` if ``loss`` (a number, array or tensor) diverged at ``step``."""
        value, run = _largest(loss)
        where = f"step {step}" if run is None else f"step {step} (run {run} of the batch)"
        if self.first is None:
            if not math.isfinite(value) or value > HUGE:
                raise DivergenceError(
                    f"{self.what} diverged at {where}: the loss is {value:.3g} from the start. "
                    f"Likely cause: the start, not the learning rate: an init scale, target scale or input "
                    f"scale that is too large or not finite ({_quote(self.settings)})"
                )
            self.first = value
        if not math.isfinite(value) or value > self.growth * (self.lowest + self.first):
            lr = "lr" if "lr" in self.settings else "learning_rate" if "learning_rate" in self.settings else None
            cause = (
                f"the learning rate ({lr}) is too large for this problem; lower it, or lower the init, target "
                "or input scale, which all raise the curvature"
                if lr
                else "a step too large for the curvature (init, target or input scale too large)"
            )
            raise DivergenceError(
                f"{self.what} diverged at {where}: the loss went from {self.first:.3g} to {value:.3g}. "
                f"Likely cause: {cause} ({_quote(self.settings)})"
            )
        self.lowest = min(self.lowest, value)

    def check_values(self, step: int, name: str, values: Any) -> None:
        """Raise if an array or tensor of parameters or outputs holds a non-finite value at ``step``."""
        if not _all_finite(values):
            raise DivergenceError(
                f"{self.what} diverged at step {step}: {name} overflowed to a non-finite value. "
                f"Likely cause: a learning rate, init scale or target scale too large ({_quote(self.settings)})"
            )


def _largest(loss: Any) -> tuple[float, tuple[int, ...] | None]:
    """The largest entry of a number, array or tensor (NaN if any entry is NaN), and its index in a batch."""
    import numpy as np

    if hasattr(loss, "detach"):
        loss = loss.detach().double().cpu().numpy()
    array = np.asarray(loss, dtype=float)
    if array.size == 0:
        return 0.0, None
    nan = np.isnan(array)
    flat = int(np.argmax(nan)) if nan.any() else int(np.argmax(array))
    index = np.unravel_index(flat, array.shape) if array.size > 1 else None
    value = math.nan if nan.any() else float(array.ravel()[flat])
    return value, None if index is None else tuple(int(i) for i in index)


def _all_finite(values: Any) -> bool:
    if hasattr(values, "detach"):
        import torch

        return bool(torch.isfinite(values.detach()).all())
    import numpy as np

    return bool(np.all(np.isfinite(np.asarray(values, dtype=float))))
