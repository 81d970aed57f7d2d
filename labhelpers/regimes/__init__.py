"""Chapter 4, lazy and rich regimes: lambda-balanced initialisations (balanced), kernels and kernel distance
(kernels), the grid of runs (grid, on the gradient step of descent), the kernel along training (paths) and
the ReLU network (relu) and the small CNN with upstream and downstream initialisation (cnn) (Sec. 6).
"""

from __future__ import annotations

from . import balanced, cnn, descent, grid, kernels, paths, relu
from .balanced import (
    lambda_balanced,
    lambda_mode,
    random_lambda_balanced,
    symmetric_init,
)
from .cnn import LAYERS as CNN_LAYERS
from .cnn import CnnRun, build_cnn, filter_change, filter_roughness, layer_scales, plot_filters, train_cnn
from .grid import (
    KernelGrid,
    lambda_scale_grid,
    train_grid,
    train_grid_loop,
    weight_to_target_grid,
)
from .kernels import aligned_kernel_distance, kernel_distance, ntk, ntk_autodiff
from .paths import KernelPath, train_path
from .relu import (
    NeuronRun,
    neuron_balanced,
    neuron_imbalance,
    outputs,
    relu_ntk,
    relu_ntk_autodiff,
    train_two_layer,
)

# isort: split
from .explore import regimes_curves  # last: it uses this package's names above

__all__ = [
    "balanced",
    "kernels",
    "descent",
    "grid",
    "paths",
    "relu",
    "cnn",
    "lambda_balanced",
    "lambda_mode",
    "random_lambda_balanced",
    "symmetric_init",
    "aligned_kernel_distance",
    "kernel_distance",
    "ntk",
    "ntk_autodiff",
    "KernelGrid",
    "lambda_scale_grid",
    "train_grid",
    "train_grid_loop",
    "weight_to_target_grid",
    "KernelPath",
    "train_path",
    "NeuronRun",
    "neuron_balanced",
    "neuron_imbalance",
    "outputs",
    "relu_ntk",
    "relu_ntk_autodiff",
    "train_two_layer",
    "CnnRun",
    "CNN_LAYERS",
    "build_cnn",
    "filter_change",
    "filter_roughness",
    "layer_scales",
    "plot_filters",
    "train_cnn",
    "regimes_curves",
]
