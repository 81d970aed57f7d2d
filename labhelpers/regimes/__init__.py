"""Chapter 4, lazy and rich regimes: lambda-balanced initialisations, kernels and kernel distance, the
grid of runs and the ReLU network (Sec. 6).
"""

from __future__ import annotations

from . import balanced, grid, relu
from .balanced import (
    aligned_kernel_distance,
    kernel_distance,
    lambda_balanced,
    lambda_mode,
    ntk,
    ntk_autodiff,
    random_lambda_balanced,
    symmetric_init,
)
from .grid import (
    KernelGrid,
    KernelPath,
    lambda_scale_grid,
    train_grid,
    train_grid_loop,
    train_path,
    weight_to_target_grid,
)
from .relu import (
    NeuronRun,
    neuron_balanced,
    neuron_imbalance,
    outputs,
    relu_ntk,
    relu_ntk_autodiff,
    train_two_layer,
)

__all__ = [
    "balanced",
    "grid",
    "relu",
    "KernelGrid",
    "KernelPath",
    "NeuronRun",
    "aligned_kernel_distance",
    "kernel_distance",
    "lambda_balanced",
    "lambda_mode",
    "lambda_scale_grid",
    "neuron_balanced",
    "neuron_imbalance",
    "ntk",
    "ntk_autodiff",
    "outputs",
    "random_lambda_balanced",
    "relu_ntk",
    "relu_ntk_autodiff",
    "symmetric_init",
    "train_grid",
    "train_grid_loop",
    "train_path",
    "train_two_layer",
    "weight_to_target_grid",
]
