"""Chapter 6, limits and research directions: what changes when the book's models are pushed past their
assumptions. Two sections so far. Depth (depth): the balanced mode of a depth-L diagonal network, its
closed-form timing, the overlap of its stages, and the network itself for gradient flow (the paper's Sec. 8).
Biases and skip connections (bias): the last-layer bias that relaxes exponentially, and the linear skip that
races the product for the target (the paper's App. J.3).
"""

from __future__ import annotations

from . import bias, depth
from .bias import (
    BiasedDiagonalNetwork,
    SkipDiagonalNetwork,
    bias_relaxation,
    offset_moments,
    skip_crossover_rate,
    skip_mode,
    skip_product_share,
)
from .depth import (
    DeepDiagonalNetwork,
    deep_half_rise_time,
    deep_mode,
    deep_mode_rate,
    deep_saturation_time,
    stage_overlap,
)

__all__ = [
    "bias",
    "depth",
    "BiasedDiagonalNetwork",
    "DeepDiagonalNetwork",
    "SkipDiagonalNetwork",
    "bias_relaxation",
    "deep_half_rise_time",
    "deep_mode",
    "deep_mode_rate",
    "deep_saturation_time",
    "offset_moments",
    "skip_crossover_rate",
    "skip_mode",
    "skip_product_share",
    "stage_overlap",
]
