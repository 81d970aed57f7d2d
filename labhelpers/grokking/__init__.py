"""Chapter 5, grokking: the wide scalar network (Thm I.1), the diagonal network and MNIST runs (Sec. 7).

Book: chapter 5 (book/grokking.md). One module per part of the chapter: :mod:`.scalar` (the wide network with
one input and its exact solution), :mod:`.features` (its initial features, drawn as arrows), :mod:`.diagonal`
(the four cures and a linear network that groks), :mod:`.simulations` (the closed forms against gradient flow),
:mod:`.figures` (the chapter's panels), :mod:`.mnist_model` (grokking on MNIST: the stacked tanh MLP),
:mod:`labhelpers.grokking.mnist` (its trainer), :mod:`.mnist_results` (its stored runs, figure and command
line), :mod:`.modular_model` (grokking on modular addition: the data and Gromov's quadratic MLP),
:mod:`labhelpers.grokking.modular` (its stacked trainer and the delay) and :mod:`.modular_results` (its stored
run, figure and command line).
"""

from __future__ import annotations

from . import (
    diagonal,
    features,
    figures,
    mnist,
    mnist_model,
    mnist_results,
    modular,
    modular_results,
    scalar,
    simulations,
)
from .diagonal import GrokkingRun, rescaled_problem, sparse_teacher, train_diagonal
from .features import feature_arrows, gaussian_init, mirrored_init, ntk_init, sign_init
from .figures import (
    plot_delayed_generalisation,
    plot_generalisation_vs_ratio,
    plot_growth_factor,
    plot_ntk_scaling,
)
from .mnist import GrokkingHistory, measured_epochs, train_grokking
from .mnist_model import PAPER_CONFIGS, GrokkingConfig, forward, init_params
from .mnist_results import (
    benchmark,
    config_label,
    first_epoch,
    generalisation_delay,
    load_benchmark,
    load_results,
    main,
    plot_history,
    run_and_save,
)
from .modular import (
    MODULAR_CONFIGS,
    ModularConfig,
    ModularData,
    ModularHistory,
    first_step,
    grokking_delay,
    init_modular,
    modular_dataset,
    modular_forward,
    train_modular,
)
from .modular_results import load_modular, plot_modular
from .scalar import (
    WideScalarNetwork,
    aligned_scales,
    exact_slope,
    exact_solution,
    gamma_plus_from_ratio,
    growth_factor,
    growth_factors,
    slope,
    target_moments,
    time_to_fraction,
    weight_scale,
)
from .simulations import (
    CureComparison,
    FlowComparison,
    compare_cure,
    compare_with_flow,
    measured_growth_factor,
)

# isort: split
from .explore import grokking_curves  # last: it uses this package's names above

__all__ = [
    "scalar",
    "features",
    "diagonal",
    "simulations",
    "figures",
    "mnist_model",
    "mnist",
    "mnist_results",
    "WideScalarNetwork",
    "aligned_scales",
    "exact_slope",
    "exact_solution",
    "gamma_plus_from_ratio",
    "growth_factor",
    "growth_factors",
    "slope",
    "target_moments",
    "time_to_fraction",
    "weight_scale",
    "feature_arrows",
    "gaussian_init",
    "mirrored_init",
    "ntk_init",
    "sign_init",
    "GrokkingRun",
    "rescaled_problem",
    "sparse_teacher",
    "train_diagonal",
    "FlowComparison",
    "CureComparison",
    "compare_with_flow",
    "compare_cure",
    "measured_growth_factor",
    "plot_ntk_scaling",
    "plot_growth_factor",
    "plot_delayed_generalisation",
    "plot_generalisation_vs_ratio",
    "GrokkingConfig",
    "PAPER_CONFIGS",
    "forward",
    "init_params",
    "GrokkingHistory",
    "measured_epochs",
    "train_grokking",
    "benchmark",
    "config_label",
    "first_epoch",
    "generalisation_delay",
    "load_benchmark",
    "load_results",
    "main",
    "plot_history",
    "run_and_save",
    "modular",
    "modular_model",
    "modular_results",
    "MODULAR_CONFIGS",
    "ModularConfig",
    "ModularData",
    "ModularHistory",
    "first_step",
    "grokking_delay",
    "init_modular",
    "modular_dataset",
    "modular_forward",
    "train_modular",
    "load_modular",
    "plot_modular",
    "grokking_curves",
]
