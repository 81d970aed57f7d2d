"""Chapter 6, limits and research directions: what changes when the book's models are pushed past their
assumptions. So far one section, depth (depth): the balanced mode of a depth-L diagonal network, its
closed-form timing, the overlap of its stages, and the network itself for gradient flow (the paper's Sec. 8).
"""

from __future__ import annotations

from . import depth
from .depth import (
    DeepDiagonalNetwork,
    deep_half_rise_time,
    deep_mode,
    deep_mode_rate,
    deep_saturation_time,
    stage_overlap,
)

__all__ = [
    "depth",
    "DeepDiagonalNetwork",
    "deep_half_rise_time",
    "deep_mode",
    "deep_mode_rate",
    "deep_saturation_time",
    "stage_overlap",
]
