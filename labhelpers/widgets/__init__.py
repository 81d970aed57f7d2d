"""Interactive explorers: :class:`SliderFigure` and one explorer per chapter."""

from __future__ import annotations

from . import slider
from .slider import (
    WIDGET_VIEW_MIMETYPE,
    SliderFigure,
    collapse_curves,
    collapse_explorer,
    emergence_curves,
    emergence_explorer,
    feedback_curves,
    feedback_explorer,
    grokking_curves,
    grokking_explorer,
    regimes_curves,
    regimes_explorer,
)

__all__ = [
    "slider",
    "SliderFigure",
    "WIDGET_VIEW_MIMETYPE",
    "collapse_curves",
    "collapse_explorer",
    "emergence_curves",
    "emergence_explorer",
    "feedback_curves",
    "feedback_explorer",
    "grokking_curves",
    "grokking_explorer",
    "regimes_curves",
    "regimes_explorer",
]
