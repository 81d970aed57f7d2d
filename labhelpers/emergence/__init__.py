"""Chapter 2, emergence: sparse parity, the skill model, its scaling laws and calibration, the parity MLP.

Book: chapter 2 (book/emergence.md). One module per part of the chapter: :mod:`.parity` (the multitask
sparse parity problem), :mod:`.skills` (the skill model), :mod:`.mlp` (a two-layer network learns the same
skills), :mod:`.calibration` (the skill model's clock and thresholds fitted to the network) and
:mod:`.scaling` (scaling laws).
"""

from __future__ import annotations

from . import calibration, mlp, mlp_setup, parity, scaling, skills
from .calibration import (
    TimeCalibration,
    crossing_time,
    fit_threshold,
    fit_time_scale,
)
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
from .scaling import (
    PowerLawFit,
    ResourceExponents,
    fit_power_law,
    loss_in_data,
    loss_in_parameters,
    loss_in_time,
    scaling_exponents,
)
from .skills import (
    emergence_time,
    empirical_skill_moments,
    simulate_skill_model,
    skill_loss,
    skill_moments,
    skill_strength,
    skill_strength_in_data,
    skill_strength_in_parameters,
)

# isort: split
from .explore import emergence_curves  # last: it uses this package's names above

__all__ = [
    "skills",
    "scaling",
    "calibration",
    "parity",
    "mlp",
    "mlp_setup",
    "emergence_time",
    "empirical_skill_moments",
    "simulate_skill_model",
    "skill_loss",
    "skill_moments",
    "skill_strength",
    "skill_strength_in_data",
    "skill_strength_in_parameters",
    "PowerLawFit",
    "ResourceExponents",
    "fit_power_law",
    "loss_in_data",
    "loss_in_parameters",
    "loss_in_time",
    "scaling_exponents",
    "TimeCalibration",
    "crossing_time",
    "fit_threshold",
    "fit_time_scale",
    "ParityData",
    "SparseParity",
    "power_law_frequencies",
    "MLPTrajectory",
    "mlp_output",
    "train_mlp_batched",
    "train_mlp_loop",
    "emergence_curves",
]
