"""The settings of one ResNet18 neural-collapse run (:class:`TrainConfig`), checked when they are made.

Besides the settings, :meth:`TrainConfig.milestones` (the epochs after which the learning rate decays) and
:meth:`TrainConfig.clocks_per_phase` (how many weight-decay time scales each learning-rate phase lasts).

Book: chapter 3, "Neural collapse in ResNet18" (Sec. nc-resnet).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from ...core import validation as check

DATASETS = ("cifar10", "mnist", "random")
MAX_EPOCHS = 100_000
"""Longest run :class:`TrainConfig` accepts (Papyan et al. train 350 epochs); beyond it a run never ends."""
MAX_SIZE = 2**31 - 1
"""Largest width, sample count or batch size :class:`TrainConfig` accepts (CIFAR-10 has 60 000 images): no
data set held in memory has two billion images. A limit that does not depend on the machine, so that a
stored run's config loads anywhere; the memory a network needs is checked when it is built."""


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

    def clocks_per_phase(self, n_train: int) -> np.ndarray:
        """How many weight-decay time scales each learning-rate phase of the run lasts.

        With learning rate ``lr``, momentum ``mu`` and weight decay ``wd``, SGD shrinks a weight that the loss
        does not hold up by a factor ``1 - lr wd / (1 - mu)`` per step: the time scale is
        ``(1 - mu) / (lr wd)`` steps at the initial rate, and it grows by ``1 / lr_decay`` at every cut. A
        phase runs from one milestone (:attr:`milestones`) to the next, or to the last epoch, with
        ``ceil(n_train / batch_size)`` steps per epoch (at most ``max_batches``).

        Parameters
        ----------
        n_train : int
            Training samples per epoch (e.g. 50 000 for CIFAR-10).

        Returns
        -------
        numpy.ndarray
            One float per learning-rate phase: its length in steps over the time scale during it.
        """
        n_train = check.positive_int("n_train", n_train, maximum=MAX_SIZE)
        if self.lr * self.weight_decay == 0:
            raise ValueError(
                f"lr x weight_decay is 0 ({self.lr:.3g} x {self.weight_decay:.3g}): without weight decay there is "
                "no time scale to count the phases in"
            )
        steps_per_epoch = int(np.ceil(n_train / self.batch_size))
        if self.max_batches is not None:
            steps_per_epoch = min(steps_per_epoch, self.max_batches)
        bounds = [0, *self.milestones, self.epochs]
        clock = (1 - self.momentum) / (self.lr * self.weight_decay)  # steps, at the initial rate
        lengths = np.diff(bounds) * steps_per_epoch
        return lengths / (clock / self.lr_decay ** np.arange(lengths.size))  # the clock slows at every cut

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
