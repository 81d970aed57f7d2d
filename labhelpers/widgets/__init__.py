"""Interactive explorers: :class:`SliderFigure` and one explorer per chapter.

The explorers only set up and draw; the curves they show are computed by the chapters' ``explore`` modules
(:func:`~labhelpers.core.feedback_curves`, :func:`~labhelpers.emergence.emergence_curves`,
:func:`~labhelpers.collapse.collapse_curves`, :func:`~labhelpers.regimes.regimes_curves`,
:func:`~labhelpers.grokking.grokking_curves`).
"""

from __future__ import annotations

from . import slider
from .collapse import collapse_explorer
from .emergence import emergence_explorer
from .feedback import feedback_explorer
from .grokking import grokking_explorer
from .regimes import regimes_explorer
from .slider import WIDGET_VIEW_MIMETYPE, SliderFigure

__all__ = [
    "slider",
    "SliderFigure",
    "WIDGET_VIEW_MIMETYPE",
    "collapse_explorer",
    "emergence_explorer",
    "feedback_explorer",
    "grokking_explorer",
    "regimes_explorer",
]
