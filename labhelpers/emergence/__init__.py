"""Chapter 2, emergence: sparse parity, the skill model and its scaling laws (Sec. 4), the parity MLP."""

from __future__ import annotations

from . import mlp, parity, skills
from .mlp import (
    MLPTrajectory,
    mlp_output,
    train_mlp_batched,
    train_mlp_loop,
)
from .parity import (
    ParityData,
    SparseParity,
    power_law_frequencies,
)
from .skills import (
    PowerLawFit,
    ResourceExponents,
    TimeCalibration,
    crossing_time,
    emergence_time,
    empirical_skill_moments,
    fit_power_law,
    fit_threshold,
    fit_time_scale,
    loss_in_data,
    loss_in_parameters,
    loss_in_time,
    scaling_exponents,
    simulate_skill_model,
    skill_loss,
    skill_moments,
    skill_strength,
    skill_strength_in_data,
    skill_strength_in_parameters,
)

__all__ = [
    "mlp",
    "parity",
    "skills",
    "MLPTrajectory",
    "ParityData",
    "PowerLawFit",
    "ResourceExponents",
    "SparseParity",
    "TimeCalibration",
    "crossing_time",
    "emergence_time",
    "empirical_skill_moments",
    "fit_power_law",
    "fit_threshold",
    "fit_time_scale",
    "loss_in_data",
    "loss_in_parameters",
    "loss_in_time",
    "mlp_output",
    "power_law_frequencies",
    "scaling_exponents",
    "simulate_skill_model",
    "skill_loss",
    "skill_moments",
    "skill_strength",
    "skill_strength_in_data",
    "skill_strength_in_parameters",
    "train_mlp_batched",
    "train_mlp_loop",
]
