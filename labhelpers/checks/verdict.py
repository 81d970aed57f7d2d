"""The verdict of a self-check (not attempted, incorrect, correct), how it is shown, and ready().

Book: every lesson (``lessons/*.md``) shows a verdict under each exercise.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_ComplexWarning = getattr(np, "exceptions", np).ComplexWarning


NOT_ATTEMPTED = "not attempted"


INCORRECT = "incorrect"


CORRECT = "correct"


#: The three statuses of a verdict, from least to most done.
STATUSES = (NOT_ATTEMPTED, INCORRECT, CORRECT)


#: How each status opens its line, and its colour (Okabe-Ito, as in :mod:`labhelpers.plotting`).
_LOOK = {
    NOT_ATTEMPTED: ("✎", "not attempted yet.", "#0072B2"),
    INCORRECT: ("✘", "not quite.", "#D55E00"),
    CORRECT: ("✔", "correct!", "#009E73"),
}


#: Key of the metadata attached to a displayed verdict, so that tests can read statuses from a notebook.
METADATA_KEY = "labhelpers.checks"


_MAX_TEXT = 160


@dataclass(eq=False)
class Verdict:
    """The outcome of one self-check.

    A verdict is true when the answer is correct, so ``if verdict:`` reads naturally. ``str(verdict)``
    is the one-line message; in Jupyter it displays as a coloured box with the same text.

    Attributes
    ----------
    name : str
        The exercise, as the lesson names it (e.g. ``"Exercise 1: diagonal_flow"``).
    status : str
        ``"not attempted"``, ``"incorrect"`` or ``"correct"``.
    message : str
        What to do next: an encouragement, a hint, or what was checked.
    """

    name: str
    status: str
    message: str
    _shown_in: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}; got {self.status!r}")

    @property
    def correct(self) -> bool:
        """Whether the answer passed the check."""
        return self.status == CORRECT

    def __bool__(self) -> bool:
        return self.correct

    @property
    def headline(self) -> str:
        """The status in words, as the message opens (``"correct!"``, ``"not quite."``, ``"not attempted yet."``)."""
        return _LOOK[self.status][1]

    def __str__(self) -> str:
        symbol, headline, _ = _LOOK[self.status]
        text = f"{symbol} {self.name}: {headline}"
        return f"{text} {self.message}" if self.message else text

    def _repr_html_(self) -> str:
        symbol, headline, colour = _LOOK[self.status]
        message = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(self.message))
        return (
            f'<div class="labhelpers-check labhelpers-check-{self.status.replace(" ", "-")}" '
            f'style="border-left: 4px solid {colour}; padding: 0.35em 0.8em; margin: 0.3em 0; '
            f'background: {colour}14; border-radius: 3px;">'
            f'<strong style="color: {colour};">{symbol} {html.escape(self.name)}: {headline}</strong> {message}</div>'
        )

    def _bundle(self) -> tuple[dict[str, str], dict[str, Any]]:
        data = {"text/plain": str(self), "text/html": self._repr_html_()}
        return data, {METADATA_KEY: {"name": self.name, "status": self.status}}

    def _ipython_display_(self) -> None:
        # ``check`` has already displayed this verdict in the current cell: do not show it twice when
        # it is also the cell's last expression. In a later cell, ``verdict`` displays again.
        if self._shown_in is not None and self._shown_in == _execution_count():
            return
        _publish(self)


def _execution_count() -> int | None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of ipywidgets
        return None
    shell = get_ipython()
    return None if shell is None else shell.execution_count


def _publish(verdict: Verdict) -> None:
    """Display a verdict: rich output under IPython, one printed line elsewhere."""
    if _execution_count() is None:
        print(verdict)
        return
    from IPython.display import display

    data, metadata = verdict._bundle()
    display(data, raw=True, metadata=metadata)


def _deliver(name: str, status: str, message: str, show: bool) -> Verdict:
    verdict = Verdict(name, status, message)
    if show:
        _publish(verdict)
        verdict._shown_in = _execution_count()
    return verdict


def make_verdict(name: str, status: str, message: str, *, show: bool = True) -> Verdict:
    """A verdict built by a lesson's own check (one that combines or rewords other checks), shown like any other.

    Raises
    ------
    ValueError
        If ``status`` is not one of :data:`STATUSES`, ``name`` or ``message`` is not a string, or ``show``
        is not a bool.
    """
    if status not in STATUSES:
        raise ValueError(f"make_verdict: status must be one of {STATUSES}, got {status!r}")
    for argument, value in (("name", name), ("message", message)):
        if not isinstance(value, str):
            raise ValueError(f"make_verdict: {argument} must be a str, got {type(value).__name__}")
    if not isinstance(show, (bool, np.bool_)):
        raise ValueError(f"make_verdict: show must be True or False, got {show!r}")
    return _deliver(name, status, message, bool(show))


def _ordinal(k: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(k, f"{k}th")


# ---------------------------------------------------------------- wait for earlier exercises
def ready(*verdicts: Verdict) -> bool:
    """Whether every given exercise passed its check; if not, say which ones a cell is waiting for.

    Use it to guard a cell that runs the student's code, so that the student copy still runs from
    top to bottom before the exercises are done::

        if ready(ex1, ex2):
            plot_drift(euler_path)

    An argument that is not a :class:`Verdict` (the student overwrote ``ex1``, say) counts as not
    passed, with a note to run its self-check again: the cell is skipped, nothing raises.

    Raises
    ------
    ValueError
        If no verdict is given (an instructor error).
    """
    if not verdicts:
        raise ValueError("ready needs at least one Verdict")
    lost = [k + 1 for k, v in enumerate(verdicts) if not isinstance(v, Verdict)]
    if lost:
        where = " and ".join(_ordinal(k) for k in lost)
        print(
            f"⏸ Skipped: the {where} name given to `ready` no longer holds a self-check verdict. "
            "Run the exercise's self-check cell again."
        )
        return False
    waiting = [v.name for v in verdicts if not v.correct]
    if waiting:
        print(
            f"⏸ Skipped: this cell uses your code from {' and '.join(waiting)}. It runs once that passes its self-check."
        )
    return not waiting
