"""ResNet18 trained past zero error, and its neural collapse (chapter 3, Sec. 5; Papyan et al. 2020).

The paper's Sec. 5.2 explains neural collapse (App. F) through the greedy low-rank dynamics of layerwise
linear models (:mod:`labhelpers.collapse`). This package provides the deep-network side of that comparison,
one module per step of a run:

- :mod:`.model`: :class:`ResNet18`, the CIFAR form of the residual network, built from :class:`BasicBlock`;
- :mod:`.data`: :class:`ImageData` from :func:`load_cifar10`, :func:`mnist_images` or :func:`random_images`
  (:func:`load_data` picks the one a config names);
- :mod:`.config`: :class:`TrainConfig`, the settings of a run (Papyan et al.'s by default);
- :mod:`.train`: :func:`train_collapse`, SGD far past zero training error, recording NC1-NC4 and the
  accuracies every epoch in a :class:`CollapseHistory`;
- :mod:`.results`: :func:`run_and_save` / :func:`load_results` (one run as a small JSON file with its
  provenance), :func:`terminal_phase` and :func:`plot_history`;
- :mod:`.cli`: the command line, :func:`main`.

Run from a shell, e.g. on a GPU machine with CIFAR-10 in ``data/``::

    python -m labhelpers.collapse.resnet --device cuda --data-root data --out results/resnet18_cifar10.json

or on a CPU, on a class-balanced sample of MNIST digits (``--dataset mnist``), as for the stored
``labhelpers/results/resnet18_mnist_cpu.json`` (its provenance records the exact command).

Book: chapter 3, "Neural collapse in ResNet18" (Sec. nc-resnet).
"""

from ..metrics import COLLAPSE_KEYS
from . import cli, config, data, model, results, train
from .cli import main
from .config import DATASETS, MAX_EPOCHS, MAX_SIZE, TrainConfig
from .data import CIFAR10_CLASSES, ImageData, load_cifar10, load_data, mnist_images, random_images
from .model import BasicBlock, ResNet18
from .results import TerminalPhase, load_results, plot_history, run_and_save, terminal_phase
from .train import HISTORY_KEYS, RESULTS_FORMAT, CollapseHistory, train_collapse

__all__ = [
    "cli",
    "config",
    "data",
    "model",
    "results",
    "train",
    "CIFAR10_CLASSES",
    "RESULTS_FORMAT",
    "COLLAPSE_KEYS",
    "HISTORY_KEYS",
    "DATASETS",
    "MAX_EPOCHS",
    "MAX_SIZE",
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
]
