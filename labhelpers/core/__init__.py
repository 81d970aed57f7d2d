"""The shared maths and chapter 1: models (Eq. 3-5), the feedback principle (Sec. 3), closed-form modes
(Eq. 7-10), gradient flow and descent, data moments, MNIST, and the validation every module uses.
"""

from __future__ import annotations

from . import data, descent, divergence, feedback, mnist, models, modes, simulate
from .data import (
    Moments,
    empirical_moments,
    gaussian_features,
    random_moments,
    teacher_moments,
    teacher_targets,
    whiten,
    whitened_moments,
)
from .descent import gradient_descent
from .divergence import (
    DivergenceError,
    DivergenceGuard,
)
from .feedback import (
    conservation_drift,
    imbalance,
    imbalance_drift,
    layers_from_product,
    product_flow,
)
from .mnist import (
    MnistData,
    balanced_sample,
    load_mnist,
    one_hot,
)
from .models import (
    DeepLinearNetwork,
    DiagonalLinearNetwork,
    LinearModel,
    LinearNetwork,
    Model,
    ParameterOverflowError,
    autograd_flow,
)
from .modes import (
    half_rise_time,
    linear_mode,
    linear_saturation_time,
    product_mode,
    saturation_time,
    sigmoidal_mode,
)
from .simulate import (
    Trajectory,
    gradient_flow,
)

# isort: split
from .explore import feedback_curves  # last: it uses this package's names above

__all__ = [
    "models",
    "modes",
    "feedback",
    "simulate",
    "descent",
    "data",
    "mnist",
    "divergence",
    "DeepLinearNetwork",
    "DiagonalLinearNetwork",
    "LinearModel",
    "LinearNetwork",
    "Model",
    "ParameterOverflowError",
    "autograd_flow",
    "half_rise_time",
    "linear_mode",
    "linear_saturation_time",
    "product_mode",
    "saturation_time",
    "sigmoidal_mode",
    "conservation_drift",
    "imbalance",
    "imbalance_drift",
    "layers_from_product",
    "product_flow",
    "Trajectory",
    "gradient_flow",
    "gradient_descent",
    "Moments",
    "empirical_moments",
    "gaussian_features",
    "random_moments",
    "teacher_moments",
    "teacher_targets",
    "whiten",
    "whitened_moments",
    "MnistData",
    "balanced_sample",
    "load_mnist",
    "one_hot",
    "DivergenceError",
    "DivergenceGuard",
    "feedback_curves",
]
