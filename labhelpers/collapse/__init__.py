"""Chapter 3, neural collapse: Saxe modes, the unconstrained feature model, NC1-NC4, the MNIST MLP and
ResNet18 runs (Sec. 5).

One module per part of the chapter: :mod:`.saxe` (greedy dynamics, Sec. nc-greedy), :mod:`.metrics` (NC1-NC4,
Sec. nc-metrics), :mod:`.ufm` (the unconstrained feature model, Sec. nc-ufm), :mod:`.plots` (its pictures),
:mod:`.mnist_mlp` (Sec. nc-mlp) and the package :mod:`.resnet` (Sec. nc-resnet).
"""

from __future__ import annotations

from . import metrics, mnist_mlp, plots, resnet, saxe, ufm
from .metrics import (
    CollapseMetrics,
    class_means,
    collapse_metrics,
    nc1,
    nc2,
    nc3,
    nc4,
)
from .mnist_mlp import CollapseRun, PerEpochMetrics, train_collapse_mlp
from .plots import class_plane, draw_feature_plane, plot_collapse_run, plot_feature_snapshots
from .resnet import (
    BasicBlock,
    CollapseHistory,
    ImageData,
    ResNet18,
    TerminalPhase,
    TrainConfig,
    load_cifar10,
    load_data,
    load_results,
    main,
    mnist_images,
    plot_history,
    random_images,
    run_and_save,
    terminal_phase,
    train_collapse,
)
from .saxe import (
    aligned_init,
    effective_rank,
    hierarchical_correlation,
    hierarchical_singular_values,
    mode_basis,
    mode_strengths,
    numerical_rank,
    random_correlation,
    saxe_modes,
)
from .ufm import UnconstrainedFeatures, one_hot, simplex_etf, train_ufm, ufm_limit

# isort: split
from .explore import collapse_curves  # last: it uses this package's names above

__all__ = [
    "saxe",
    "ufm",
    "metrics",
    "plots",
    "mnist_mlp",
    "resnet",
    "aligned_init",
    "effective_rank",
    "hierarchical_correlation",
    "hierarchical_singular_values",
    "mode_basis",
    "mode_strengths",
    "numerical_rank",
    "random_correlation",
    "saxe_modes",
    "UnconstrainedFeatures",
    "one_hot",
    "simplex_etf",
    "train_ufm",
    "ufm_limit",
    "CollapseMetrics",
    "class_means",
    "collapse_metrics",
    "nc1",
    "nc2",
    "nc3",
    "nc4",
    "class_plane",
    "draw_feature_plane",
    "plot_collapse_run",
    "plot_feature_snapshots",
    "CollapseRun",
    "PerEpochMetrics",
    "train_collapse_mlp",
    "BasicBlock",
    "ResNet18",
    "ImageData",
    "random_images",
    "mnist_images",
    "load_cifar10",
    "TrainConfig",
    "CollapseHistory",
    "train_collapse",
    "load_data",
    "run_and_save",
    "load_results",
    "TerminalPhase",
    "terminal_phase",
    "plot_history",
    "main",
    "collapse_curves",
]
