"""labhelpers: models, exact solutions, simulators and plots for the layerwise linear models course.

Modules follow the book: :mod:`~labhelpers.models` (Eq. 3-5), :mod:`~labhelpers.feedback` (Sec. 3),
:mod:`~labhelpers.modes` (closed forms, Eq. 7-10), :mod:`~labhelpers.simulate` (gradient flow and
descent), :mod:`~labhelpers.data`, :mod:`~labhelpers.plotting`, :mod:`~labhelpers.widgets` and
:mod:`~labhelpers.checks` (self-checks for lessons).
"""

from . import checks, collapse, data, emergence, feedback, mlp, models, modes, parity, plotting, simulate, widgets
from .collapse import (
    CollapseMetrics,
    UnconstrainedFeatures,
    aligned_init,
    collapse_metrics,
    effective_rank,
    hierarchical_correlation,
    mode_strengths,
    numerical_rank,
    random_correlation,
    saxe_modes,
    simplex_etf,
    train_ufm,
    ufm_limit,
)
from .data import (
    Moments,
    empirical_moments,
    gaussian_features,
    teacher_moments,
    teacher_targets,
    whiten,
    whitened_moments,
)
from .emergence import (
    emergence_time,
    fit_power_law,
    loss_in_data,
    loss_in_parameters,
    loss_in_time,
    scaling_exponents,
    simulate_skill_model,
    skill_loss,
    skill_moments,
    skill_strength,
)
from .feedback import conservation_drift, imbalance, layers_from_product, product_flow
from .mlp import MLPTrajectory, train_mlp_batched, train_mlp_loop
from .models import DeepLinearNetwork, DiagonalLinearNetwork, LinearModel, LinearNetwork, Model
from .modes import half_rise_time, linear_mode, linear_saturation_time, product_mode, saturation_time, sigmoidal_mode
from .parity import ParityData, SparseParity, power_law_frequencies
from .simulate import Trajectory, gradient_descent, gradient_flow

__version__ = "0.1.0"

__all__ = [
    "collapse",
    "CollapseMetrics",
    "UnconstrainedFeatures",
    "aligned_init",
    "collapse_metrics",
    "effective_rank",
    "hierarchical_correlation",
    "mode_strengths",
    "numerical_rank",
    "random_correlation",
    "saxe_modes",
    "simplex_etf",
    "train_ufm",
    "ufm_limit",
    "emergence",
    "mlp",
    "parity",
    "emergence_time",
    "fit_power_law",
    "loss_in_data",
    "loss_in_parameters",
    "loss_in_time",
    "scaling_exponents",
    "simulate_skill_model",
    "skill_loss",
    "skill_moments",
    "skill_strength",
    "MLPTrajectory",
    "train_mlp_batched",
    "train_mlp_loop",
    "ParityData",
    "SparseParity",
    "power_law_frequencies",
    "checks",
    "data",
    "feedback",
    "models",
    "modes",
    "plotting",
    "simulate",
    "widgets",
    "DeepLinearNetwork",
    "DiagonalLinearNetwork",
    "LinearModel",
    "LinearNetwork",
    "Model",
    "Moments",
    "Trajectory",
    "conservation_drift",
    "empirical_moments",
    "gaussian_features",
    "gradient_descent",
    "gradient_flow",
    "half_rise_time",
    "imbalance",
    "layers_from_product",
    "linear_mode",
    "linear_saturation_time",
    "product_flow",
    "product_mode",
    "saturation_time",
    "sigmoidal_mode",
    "teacher_moments",
    "teacher_targets",
    "whiten",
    "whitened_moments",
]
