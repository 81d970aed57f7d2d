"""Chapter 6, limits and research directions: what changes when the book's models are pushed past their
assumptions. Two sections so far. Depth (depth): the balanced mode of a depth-L diagonal network, its
closed-form timing, the overlap of its stages, and the network itself for gradient flow (the paper's Sec. 8).
Biases and skip connections (bias): the last-layer bias that relaxes exponentially, and the linear skip that
races the product for the target (the paper's App. J.3). Linear and non-linear networks (nonlinear): one two-layer
network with a linear, tanh or ReLU hidden layer trained as a batch, mirrored ReLU units that run the linear network
at half speed, and the linear theory's prediction for each (Sec. 8.1). Normalisation and non-linearity as a
perturbation (normalisation): whitened and standardised inputs, and the order-g^2 departure of tanh from the linear
network (App. J.2 and Sec. 8).
"""

from __future__ import annotations

from . import bias, depth, nonlinear, normalisation
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
from .nonlinear import (
    ACTIVATIONS,
    NonlinearRun,
    half_rise_times,
    linear_prediction,
    mirrored_init,
    random_init,
    symmetric_gaussian_inputs,
    train_network,
)
from .normalisation import (
    equicorrelated_covariance,
    linear_teacher_moments,
    normalised_moments,
    perturbation_deviation,
    power_law_slope,
)

__all__ = [
    "bias",
    "depth",
    "nonlinear",
    "normalisation",
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
    "ACTIVATIONS",
    "NonlinearRun",
    "equicorrelated_covariance",
    "half_rise_times",
    "linear_prediction",
    "linear_teacher_moments",
    "mirrored_init",
    "normalised_moments",
    "perturbation_deviation",
    "power_law_slope",
    "random_init",
    "symmetric_gaussian_inputs",
    "train_network",
]
