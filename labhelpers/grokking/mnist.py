"""Grokking on MNIST (App. H.3): a deep tanh MLP whose generalisation is delayed, and four cures.

The network is the paper's depth-4, width-512 tanh MLP, trained with Adam (with L2 weight decay) on the
mean squared error between its outputs and one-hot labels times a *target scale*. Each configuration
(:class:`GrokkingConfig`) sets four scales:

- ``weight_scale``: the weights are this many times LeCun's initialisation (``N(0, 1/fan_in)``);
- ``target_scale``: the one-hot targets are multiplied by it;
- ``input_scale``: the pixels (in [0, 1]) are multiplied by it;
- ``output_scale``: the network's output is multiplied by it.

``PAPER_CONFIGS`` are the five of the paper's Fig. 11 (App. H.3). The default (weights 5x LeCun, targets 3)
starts with a large weight-to-target ratio, in the lazy regime, and generalises late; each cure lowers the
ratio in one of four ways and removes the delay, as the scalar model of Eq. 15 predicts
(:mod:`labhelpers.grokking`).

:func:`train_grokking` trains several configurations as **one** computation: their parameters are stacked
along a leading axis, every configuration sees the same mini-batches, and one (fused) Adam steps all of
them. Adam acts elementwise and the summed loss separates, so this is exactly the same as training each
configuration alone, which ``batched=False`` does (one after another) for comparison.

:func:`run_and_save` writes a run with its provenance (device, date, command, wall time, versions) to a
small JSON file; :func:`load_results` reads it back. Command line::

    python -m labhelpers.grokking.mnist --out grokking_mnist.json            # the paper's scale
    python -m labhelpers.grokking.mnist --out small.json --epochs 100 --width 128
    python -m labhelpers.grokking.mnist --out bench.json --benchmark --epochs 20    # batched vs loop

Assumptions where the paper's text lost its numbers: learning rate 1e-3 and weight decay 1e-4 (coupled L2,
``torch.optim.Adam``), the values of the paper's public code; biases start at PyTorch's default
``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` and are not scaled; accuracy at epoch ``e`` is measured after ``e``
epochs of training (epoch 0: at initialisation), on the whole training and test sets.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..core import validation as check
from ..core.divergence import DivergenceGuard
from ..core.mnist import MnistData, load_mnist
from ..runs import provenance as provenance_
from ..runs import schema as results_schema

RESULTS_FORMAT = "labhelpers.grokking_mnist/run/1"
SCALES = ("weight_scale", "target_scale", "input_scale", "output_scale")
HISTORY_KEYS = ("train_accuracy", "test_accuracy", "train_loss")
N_CLASSES = 10
FLOAT32_MAX = float(np.finfo(np.float32).max)
DEFAULT_SETTINGS: dict[str, Any] = {
    "epochs": 2000,
    "width": 512,
    "depth": 4,
    "lr": 1e-3,
    "weight_decay": 1e-4,
    "batch_size": 128,
    "seed": 0,
    "eval_every": 1,
}
DENSE_EPOCHS = 100  # measured after every one of the first epochs, whatever eval_every says
MAX_SETTING = 2**53
"""Largest value of an integer setting such as epochs, width, depth, batch size or eval_every; exact as a
float and in JSON."""
MAX_WORK = 1e16
"""Most multiply-adds :func:`train_grokking` takes on (epochs x samples x configurations x weights x 3, for
the forward and backward passes); the paper's run is about 2e13. Larger runs are refused up front."""


@dataclass(frozen=True)
class GrokkingConfig:
    """One row of the paper's configuration table (App. H.3): a name and four scales, all positive."""

    name: str
    weight_scale: float = 5.0
    target_scale: float = 3.0
    input_scale: float = 1.0
    output_scale: float = 1.0

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string; got {self.name!r}")
        for scale in SCALES:
            object.__setattr__(self, scale, check.positive_scalar(scale, getattr(self, scale)))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


PAPER_CONFIGS: tuple[GrokkingConfig, ...] = (
    GrokkingConfig("default", 5.0, 3.0, 1.0, 1.0),
    GrokkingConfig("weight downscaling", 1.0, 3.0, 1.0, 1.0),
    GrokkingConfig("target upscaling", 5.0, 30.0, 1.0, 1.0),
    GrokkingConfig("input downscaling", 5.0, 3.0, 0.01, 1.0),
    GrokkingConfig("output downscaling", 5.0, 3.0, 1.0, 0.1),
)


@dataclass
class GrokkingHistory:
    """Accuracy and loss per epoch of several configurations trained on the same data.

    Attributes
    ----------
    configs : tuple of GrokkingConfig
        The configurations, in the order of the first axis below.
    epochs : np.ndarray
        Epochs ``e`` at which the network was measured, after ``e`` epochs of training (0: at
        initialisation), shape (T,): every epoch up to ``DENSE_EPOCHS`` (100), then every ``eval_every``-th,
        and the last (every epoch when ``eval_every`` is 1).
    train_accuracy, test_accuracy : np.ndarray
        Fractions of correctly classified training and test digits, shape (R, T).
    train_loss : np.ndarray
        Mean squared error on the whole training set (the training objective without weight decay),
        shape (R, T).
    initial_ratio : np.ndarray
        Root-mean-square output at initialisation over the training set, divided by the target scale,
        shape (R,): the network's weight-to-target ratio, measured.
    settings : dict
        ``epochs, width, depth, lr, weight_decay, batch_size, seed, eval_every, n_train, n_test``.
    data : dict
        ``source`` and ``message`` of the MNIST sample (:func:`labhelpers.core.load_mnist`).
    method : str
        ``"batched"`` or ``"loop"``.
    train_seconds : float
        Wall time of the training loop (evaluation included).
    provenance : dict or None
        Device, date, command, wall time, versions, platform (set by :func:`run_and_save`).
    """

    configs: tuple[GrokkingConfig, ...]
    epochs: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    train_loss: np.ndarray
    initial_ratio: np.ndarray
    settings: dict[str, Any]
    data: dict[str, str]
    method: str
    train_seconds: float
    provenance: dict[str, Any] | None = field(default=None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.configs)

    def index(self, name: str) -> int:
        """Row of the configuration called ``name``."""
        if name not in self.names:
            raise ValueError(f"name must be one of {list(self.names)}; got {name!r}")
        return self.names.index(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": RESULTS_FORMAT,
            "configs": [c.as_dict() for c in self.configs],
            "settings": self.settings,
            "data": self.data,
            "method": self.method,
            "train_seconds": self.train_seconds,
            "epochs": self.epochs.tolist(),
            "initial_ratio": self.initial_ratio.tolist(),
            "history": {key: np.round(getattr(self, key), 6).tolist() for key in HISTORY_KEYS},
            "provenance": self.provenance,
        }


# ============================================================================ the stacked network


def _settings(n_train: int, n_test: int, overrides: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(overrides) - set(DEFAULT_SETTINGS))
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown}; the settings are {list(DEFAULT_SETTINGS)}")
    settings = {**DEFAULT_SETTINGS, **overrides}
    for name in ("epochs", "width", "batch_size", "eval_every", "depth"):
        settings[name] = check.positive_int(name, settings[name], maximum=MAX_SETTING)
    if settings["depth"] < 2:
        raise ValueError(f"depth must be at least 2 (one hidden layer); got {settings['depth']}")
    settings["lr"] = check.positive_scalar("lr", settings["lr"])
    settings["weight_decay"] = check.positive_scalar("weight_decay", settings["weight_decay"], allow_zero=True)
    settings["seed"] = check.integer("seed", settings["seed"], minimum=0, maximum=2**63 - 2)  # seed + 1 is used too
    settings.update(n_train=n_train, n_test=n_test)
    return settings


def _configs(configs) -> tuple[GrokkingConfig, ...]:
    if isinstance(configs, GrokkingConfig):
        configs = (configs,)
    if isinstance(configs, (str, bytes, dict)) or not hasattr(configs, "__iter__"):
        raise ValueError(f"configs must be a GrokkingConfig or a non-empty sequence of them; got {configs!r}")
    configs = tuple(configs)
    if not configs or not all(isinstance(c, GrokkingConfig) for c in configs):
        raise ValueError(f"configs must be a non-empty sequence of GrokkingConfig; got {configs!r}")
    names = [c.name for c in configs]
    if len(set(names)) != len(names):
        raise ValueError(f"configs must have distinct names; got {names}")
    return configs


def _check_data(data) -> MnistData:
    if not isinstance(data, MnistData):
        raise ValueError(f"data must be a labhelpers.core.mnist.MnistData (from load_mnist); got {type(data).__name__}")
    for split in ("train", "test"):
        X, labels = np.asarray(getattr(data, f"X_{split}")), np.asarray(getattr(data, f"y_{split}"))
        if X.dtype.kind not in "iuf" or X.ndim != 2 or X.shape[0] == 0:
            raise ValueError(
                f"data must hold flattened real images (load_mnist(..., flatten=True)); got X_{split} {X.dtype} {X.shape}"
            )
        if not np.all(np.isfinite(X)) or np.any(np.abs(X) > FLOAT32_MAX):
            raise ValueError(f"data.X_{split} must be finite and within float32's range (3.4e38)")
        if labels.dtype.kind not in "iu" or labels.shape != (X.shape[0],):
            raise ValueError(f"data.y_{split} must be {X.shape[0]} integer labels; got {labels.dtype} {labels.shape}")
        if labels.min() < 0 or labels.max() >= N_CLASSES:
            raise ValueError(f"data.y_{split} must be labels in 0..{N_CLASSES - 1}; got {labels.min()}..{labels.max()}")
    if data.X_train.shape[1] != data.X_test.shape[1]:
        raise ValueError(f"data's training and test images differ in size: {data.X_train.shape} vs {data.X_test.shape}")
    return data


def _network_settings(settings) -> dict[str, Any]:
    """The ``width``, ``depth`` and ``seed`` that :func:`init_params` reads from ``settings``, checked."""
    if not isinstance(settings, dict):
        raise ValueError(f"settings must be a dict with width, depth and seed; got {type(settings).__name__}")
    missing = [key for key in ("width", "depth", "seed") if key not in settings]
    if missing:
        raise ValueError(f"settings lacks {missing}; it needs width, depth and seed (see DEFAULT_SETTINGS)")
    return {
        "width": check.positive_int("settings['width']", settings["width"], maximum=MAX_SETTING),
        "depth": check.positive_int("settings['depth']", settings["depth"], minimum=2, maximum=MAX_SETTING),
        "seed": check.seed("settings['seed']", settings["seed"]),
    }


def _n_weights(input_dim: int, width: int, depth: int) -> float:
    return float(input_dim) * width + (depth - 2) * float(width) ** 2 + float(width) * N_CLASSES


def _weights_fit(input_dim: int, settings: dict[str, Any], n_configs: int) -> None:
    """Refuse, before allocating, stacked weights and Adam moments larger than half the memory."""
    width, depth = settings["width"], settings["depth"]
    check.fits_in_memory(
        f"the stacked weights and their Adam moments (input_dim={input_dim}, width={width}, depth={depth})",
        4.0 * n_configs * _n_weights(input_dim, width, depth),
        bytes_per_value=4,
    )


def init_params(configs, input_dim: int, settings: dict[str, Any], *, device="cpu") -> list:
    """Stacked weights and biases ``[(W_1, b_1), ..., (W_L, b_L)]``, ``W_l`` of shape (R, fan_in, fan_out).

    Every configuration gets the same standard-normal draws (common random numbers, seeded by
    ``settings["seed"]``), so runs differ only through their scales: ``W_l = weight_scale * N(0, 1/fan_in)``
    (``weight_scale`` times LeCun's initialisation) and ``b_l ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))``.
    """
    import torch

    configs = _configs(configs)
    input_dim = check.positive_int("input_dim", input_dim, maximum=MAX_SETTING)
    settings = _network_settings(settings)
    device = check.device("device", device)
    _weights_fit(input_dim, settings, len(configs))
    generator = torch.Generator().manual_seed(settings["seed"])
    widths = [input_dim] + [settings["width"]] * (settings["depth"] - 1) + [N_CLASSES]
    ratios = torch.tensor([c.weight_scale for c in configs], dtype=torch.float32).view(-1, 1, 1)
    params = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        normal = torch.randn(fan_in, fan_out, generator=generator) / math.sqrt(fan_in)
        bias = (torch.rand(fan_out, generator=generator) * 2 - 1) / math.sqrt(fan_in)
        W = (ratios * normal).to(device).requires_grad_(True)
        b = bias.expand(len(configs), 1, fan_out).clone().to(device).requires_grad_(True)
        params.append((W, b))
    return params


def forward(params: list, X, input_scales, output_scales):
    """Outputs (R, B, 10) of the stacked tanh MLPs on the shared inputs ``X`` (B, d).

    ``output_scale * (W_L tanh(... tanh(W_1 (input_scale * x) + b_1) ...) + b_L)`` for each configuration;
    the first layer runs as one matrix product over all configurations. ``params`` comes from
    :func:`init_params`; ``X`` and the scales (R, 1, 1) may be tensors, arrays or nested lists of real numbers.
    """
    params = _check_params(params)
    R, fan_in = params[0][0].shape[0], params[0][0].shape[1]
    like = params[0][0]
    X = _as_tensor("X", X, like, ndim=2)
    if X.shape[1] != fan_in:
        raise ValueError(f"X must have {fan_in} columns (the first layer's fan-in); got shape {tuple(X.shape)}")
    scales = [_as_tensor(name, value, like, ndim=3) for name, value in (("input_scales", input_scales),
                                                                       ("output_scales", output_scales))]  # fmt: skip
    for name, value in zip(("input_scales", "output_scales"), scales):
        if tuple(value.shape) != (R, 1, 1) or not bool((value > 0).all()):
            raise ValueError(f"{name} must be {R} positive scales of shape ({R}, 1, 1); got {tuple(value.shape)}")
    return _forward(params, X, *scales)


def _as_tensor(name: str, value, like, *, ndim: int):
    """``value`` as a finite tensor of ``like``'s dtype and device, with ``ndim`` dimensions."""
    import torch

    array = check.as_array(name, value, ndim=ndim)
    if np.any(np.abs(array) > FLOAT32_MAX):
        raise ValueError(f"{name} has entries beyond float32's range (3.4e38); got up to {np.abs(array).max():.3g}")
    if isinstance(value, torch.Tensor) and value.dtype == like.dtype:
        return value.to(like.device)
    return torch.as_tensor(array, dtype=like.dtype, device=like.device)


def _check_params(params) -> list:
    """Check the stacked ``[(W_l, b_l), ...]`` of :func:`init_params`: tensors whose shapes chain."""
    import torch

    if not isinstance(params, (list, tuple)) or not params:
        raise ValueError(f"params must be the list of (W, b) pairs from init_params; got {type(params).__name__}")
    previous = None
    for layer, pair in enumerate(params):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(t, torch.Tensor) for t in pair)):
            raise ValueError(f"params[{layer}] must be a pair (W, b) of tensors from init_params")
        W, b = pair
        if W.ndim != 3 or tuple(b.shape) != (W.shape[0], 1, W.shape[2]) or not W.is_floating_point():
            raise ValueError(
                f"params[{layer}] has W {tuple(W.shape)} and b {tuple(b.shape)}; need (R, in, out), (R, 1, out)"
            )
        if previous is not None and (W.shape[0], W.shape[1]) != previous:
            raise ValueError(f"params[{layer}] has W {tuple(W.shape)}, which does not follow the layer before")
        previous = (W.shape[0], W.shape[2])
    if previous[1] != N_CLASSES:
        raise ValueError(f"params must end in {N_CLASSES} outputs; got {previous[1]}")
    return list(params)


def _forward(params: list, X, input_scales, output_scales):
    """:func:`forward` without its checks, for the training loop."""
    import torch

    if params[0][0].shape[0] == 1:  # a single network: plain matrix products, as an unbatched model would use
        h = X
        for layer, (W, b) in enumerate(params):
            h = torch.addmm(b[0], input_scales.view(()) * h if layer == 0 else h, W[0])
            h = torch.tanh(h) if layer < len(params) - 1 else output_scales.view(()) * h
        return h.unsqueeze(0)
    (W1, b1), *rest = params
    h = torch.tanh(input_scales * torch.einsum("bd,rdw->rbw", X, W1) + b1)
    for W, b in rest[:-1]:
        h = torch.tanh(torch.baddbmm(b, h, W))
    W, b = rest[-1]
    return output_scales * torch.baddbmm(b, h, W)


def _threads() -> int:
    import torch

    return torch.get_num_threads()


def _adam(tensors, settings):
    import torch

    try:
        return torch.optim.Adam(tensors, lr=settings["lr"], weight_decay=settings["weight_decay"], fused=True)
    except (RuntimeError, TypeError):  # fused Adam is missing for some devices and older torch versions
        return torch.optim.Adam(tensors, lr=settings["lr"], weight_decay=settings["weight_decay"])


def _evaluate(params, X, labels, targets, input_scales, output_scales, chunk: int = 2000):
    """Accuracy (R,) and mean squared error (R,) on a whole data set, in chunks of samples."""
    import torch

    correct, squared = 0, 0
    with torch.no_grad():
        for start in range(0, X.shape[0], chunk):
            out = _forward(params, X[start : start + chunk], input_scales, output_scales)
            correct = correct + (out.argmax(-1) == labels[start : start + chunk]).sum(-1)
            squared = squared + ((out - targets[:, start : start + chunk]) ** 2).sum((-1, -2))
    n = X.shape[0]
    return (correct.double() / n).cpu().numpy(), (squared.double() / (n * N_CLASSES)).cpu().numpy()


def measured_epochs(epochs: int, eval_every: int = 1) -> np.ndarray:
    """Epochs at which :func:`train_grokking` measures: 0..``DENSE_EPOCHS``, then every ``eval_every``-th, and the last."""
    epochs = check.positive_int("epochs", epochs, maximum=MAX_SETTING)
    eval_every = check.positive_int("eval_every", eval_every, maximum=MAX_SETTING)
    check.fits_in_memory(f"the grid of epochs={epochs}", 3.0 * (epochs + 1))
    grid = np.arange(epochs + 1)
    keep = (grid <= DENSE_EPOCHS) | (grid % eval_every == 0) | (grid == epochs)
    return grid[keep]


def _train_stacked(configs, data: MnistData, settings: dict[str, Any], device, progress: bool) -> dict[str, Any]:
    import torch
    from tqdm.auto import tqdm

    R = len(configs)
    tensor = {
        name: torch.as_tensor(getattr(data, name), dtype=torch.float32, device=device) for name in ("X_train", "X_test")
    }
    labels = {
        name: torch.as_tensor(getattr(data, name), dtype=torch.int64, device=device) for name in ("y_train", "y_test")
    }
    target_scales = torch.tensor([c.target_scale for c in configs], device=device).view(R, 1, 1)
    targets = {
        split: target_scales * torch.nn.functional.one_hot(labels[f"y_{split}"], N_CLASSES).float()
        for split in ("train", "test")
    }
    input_scales = torch.tensor([c.input_scale for c in configs], device=device).view(R, 1, 1)
    output_scales = torch.tensor([c.output_scale for c in configs], device=device).view(R, 1, 1)
    params = init_params(configs, data.X_train.shape[1], settings, device=device)
    optimizer = _adam([t for pair in params for t in pair], settings)
    batches = torch.Generator().manual_seed(settings["seed"] + 1)
    n, epochs = data.X_train.shape[0], settings["epochs"]
    scales = {scale: max(getattr(c, scale) for c in configs) for scale in SCALES}
    guard = DivergenceGuard(
        f"Adam on the MNIST MLP ({', '.join(c.name for c in configs)})",
        lr=settings["lr"],
        weight_decay=settings["weight_decay"],
        **{f"largest_{scale}": value for scale, value in scales.items()},
    )
    step = 0

    measured = measured_epochs(epochs, settings["eval_every"])
    column = {int(e): i for i, e in enumerate(measured)}
    history = {key: np.zeros((R, measured.size)) for key in HISTORY_KEYS}

    def measure(epoch: int) -> None:
        i = column[epoch]
        acc, loss = _evaluate(
            params, tensor["X_train"], labels["y_train"], targets["train"], input_scales, output_scales
        )
        history["train_accuracy"][:, i], history["train_loss"][:, i] = acc, loss
        if not np.all(np.isfinite(loss)):
            bad = [configs[r].name for r in np.flatnonzero(~np.isfinite(loss))]
            raise FloatingPointError(f"training diverged at epoch {epoch} for {bad}: lower lr")
        history["test_accuracy"][:, i] = _evaluate(
            params, tensor["X_test"], labels["y_test"], targets["test"], input_scales, output_scales
        )[0]

    with torch.no_grad():
        out0 = _forward(params, tensor["X_train"], input_scales, output_scales)
        initial_ratio = (out0.pow(2).mean((-1, -2)).sqrt() / target_scales.view(R)).cpu().numpy()
    measure(0)
    started = time.perf_counter()
    bar = tqdm(range(1, epochs + 1), desc=f"{R} config(s)", disable=not progress, mininterval=1.0)
    for epoch in bar:
        order = torch.randperm(n, generator=batches).to(device)
        for start in range(0, n, settings["batch_size"]):
            index = order[start : start + settings["batch_size"]]
            out = _forward(params, tensor["X_train"][index], input_scales, output_scales)
            # one mean-squared error per configuration, summed: the gradients stay separate
            losses = (out - targets["train"][:, index]).pow(2).mean((-1, -2))
            guard.check(step, losses.detach())  # every step: a diverging configuration stops here
            step += 1
            loss = losses.sum()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        if epoch in column:
            measure(epoch)
            i = column[epoch]
            bar.set_postfix(
                train=f"{history['train_accuracy'][0, i]:.3f}", test=f"{history['test_accuracy'][0, i]:.3f}"
            )
    history["epochs"] = measured
    history["train_seconds"] = time.perf_counter() - started
    history["initial_ratio"] = initial_ratio
    return history


def _affordable(settings: dict[str, Any], input_dim: int, n_configs: int) -> None:
    """Refuse up front a run costing more than :data:`MAX_WORK` multiply-adds, or weights that cannot fit."""
    width, depth = settings["width"], settings["depth"]
    weights = _n_weights(input_dim, width, depth)
    _weights_fit(input_dim, settings, n_configs)
    evaluations = min(settings["epochs"], DENSE_EPOCHS) + 2 + settings["epochs"] / settings["eval_every"]  # at most
    samples = settings["epochs"] * settings["n_train"] + evaluations * (settings["n_train"] + settings["n_test"])
    work = 3.0 * n_configs * weights * samples
    if work > MAX_WORK:
        raise ValueError(
            f"epochs={settings['epochs']} with width={width}, depth={depth} and {n_configs} configuration(s) is "
            f"about {work:.2g} multiply-adds, more than train_grokking takes on ({MAX_WORK:.0e}); "
            "use fewer epochs or a smaller network"
        )


def train_grokking(
    data: MnistData,
    configs=PAPER_CONFIGS,
    *,
    batched: bool = True,
    device="cpu",
    progress: bool = True,
    **settings,
) -> GrokkingHistory:
    """Train the tanh MLPs of ``configs`` on ``data`` and record accuracy and loss after every epoch.

    Parameters
    ----------
    data : MnistData
        Flattened digits from :func:`labhelpers.core.load_mnist` (the paper: 1000 training images).
    configs : GrokkingConfig or sequence of them
        Scales of each run (default: the paper's five, ``PAPER_CONFIGS``).
    batched : bool
        ``True``: all configurations as one stacked computation. ``False``: one after another, each alone
        (same initial draws and mini-batches, hence the same result up to float rounding).
    device : str or torch.device
        Where to train (``"cpu"``, ``"cuda"``, ...).
    progress : bool
        Show a progress bar over epochs.
    **settings
        Any of ``epochs`` (2000), ``width`` (512), ``depth`` (4 layers of weights), ``lr`` (1e-3),
        ``weight_decay`` (1e-4, L2 added to the gradient as in ``torch.optim.Adam``), ``batch_size``
        (128), ``seed`` (0), ``eval_every`` (1: measure after every epoch; see :func:`measured_epochs`).

    Returns
    -------
    GrokkingHistory
    """

    data = _check_data(data)
    configs = _configs(configs)
    settings = _settings(data.X_train.shape[0], data.X_test.shape[0], settings)
    batched = check.flag("batched", batched)
    progress = check.flag("progress", progress)
    device = check.device("device", device)
    _affordable(settings, data.X_train.shape[1], len(configs))
    groups = [configs] if batched else [(c,) for c in configs]
    runs = [_train_stacked(group, data, settings, device, progress) for group in groups]
    return GrokkingHistory(
        configs=configs,
        epochs=runs[0]["epochs"],
        **{key: np.concatenate([run[key] for run in runs]) for key in (*HISTORY_KEYS, "initial_ratio")},
        settings=settings,
        data={"source": data.source, "message": data.message},
        method="batched" if batched else "loop",
        train_seconds=float(sum(run["train_seconds"] for run in runs)),
    )


# ============================================================================ reading the history


def first_epoch(history: GrokkingHistory, split: str, level: float) -> np.ndarray:
    """First epoch at which each configuration's ``split`` accuracy reaches ``level`` (inf if never).

    Parameters
    ----------
    history : GrokkingHistory
    split : {"train", "test"}
    level : float
        Accuracy threshold in (0, 1].
    """
    _check_history(history)
    check.one_of("split", split, ("train", "test"))
    level = _accuracy_level("level", level)
    accuracy = getattr(history, f"{split}_accuracy")
    reached = accuracy >= level - 1e-12
    return np.where(reached.any(axis=1), history.epochs[reached.argmax(axis=1)], np.inf)


def generalisation_delay(history: GrokkingHistory, *, train_level: float = 1.0, test_level: float = 0.8) -> np.ndarray:
    """Epochs between fitting the training set (accuracy ``train_level``) and generalising (``test_level``).

    Large for a run that memorises first and generalises late (grokking); near zero, or negative, when both
    happen together. ``inf`` when the test level is never reached within the run. A configuration that
    reaches the test level but never the training level has no delay: ``ValueError`` names it.
    """
    train_level = _accuracy_level("train_level", train_level)
    test_level = _accuracy_level("test_level", test_level)
    fitted, general = first_epoch(history, "train", train_level), first_epoch(history, "test", test_level)
    unfitted = np.isinf(fitted) & np.isfinite(general)
    if np.any(unfitted):  # no epoch to measure the delay from: refuse rather than return -inf
        names = [history.configs[r].name for r in np.flatnonzero(unfitted)]
        raise ValueError(
            f"train_level={train_level:g} is never reached by {names}, which do reach test_level={test_level:g}: "
            "the delay is undefined there; lower train_level"
        )
    return np.where(np.isfinite(general), general - np.where(np.isfinite(fitted), fitted, 0.0), np.inf)


def _accuracy_level(name: str, level) -> float:
    level = check.positive_scalar(name, level)
    if level > 1:
        raise ValueError(f"{name} must be an accuracy in (0, 1]; got {level}")
    return level


def _check_history(history) -> GrokkingHistory:
    """Refuse a :class:`GrokkingHistory` whose arrays are non-finite, out of range or of mismatched lengths."""
    if not isinstance(history, GrokkingHistory):
        raise ValueError(f"history must be a GrokkingHistory; got {type(history).__name__}")
    epochs = check.as_array("history.epochs", history.epochs, ndim=1)
    if epochs.size == 0 or epochs[0] < 0 or np.any(np.diff(epochs) <= 0) or np.any(epochs != np.round(epochs)):
        raise ValueError("history.epochs must be increasing whole epochs from 0 or more")
    shape = (len(history.configs), epochs.size)
    for key in HISTORY_KEYS:
        values = check.as_array(f"history.{key}", getattr(history, key), ndim=2)
        if values.shape != shape:
            raise ValueError(f"history.{key} has shape {values.shape}; {len(history.configs)} configs x "
                             f"{epochs.size} epochs need {shape}")  # fmt: skip
        if np.any(values < 0) or (key != "train_loss" and np.any(values > 1)):
            raise ValueError(
                f"history.{key} must hold {'losses >= 0' if key == 'train_loss' else 'accuracies in [0, 1]'}"
            )
    ratio = check.positive("history.initial_ratio", history.initial_ratio)
    if ratio.shape != (len(history.configs),):
        raise ValueError(f"history.initial_ratio has shape {ratio.shape}; need one value per config")
    return history


# ============================================================================ saving, loading, plotting


def run_and_save(
    path,
    configs=PAPER_CONFIGS,
    *,
    n_train: int = 1000,
    n_test: int = 4000,
    data: MnistData | None = None,
    batched: bool = True,
    device="cpu",
    command: str | None = None,
    progress: bool = True,
    **settings,
) -> GrokkingHistory:
    """Load MNIST (``n_train``/``n_test`` digits unless ``data`` is given), train, and write the history as JSON.

    The file holds ``format``, ``configs``, ``settings``, ``data`` (source and message), ``epochs``,
    ``history`` (accuracies and loss per configuration and epoch, rounded to 6 decimals) and ``provenance``
    (device, date, command, wall time, versions, platform). Read it with :func:`load_results`.
    """
    provenance_.check_path(path)
    n_train = check.positive_int("n_train", n_train, maximum=MAX_SETTING)
    n_test = check.positive_int("n_test", n_test, maximum=MAX_SETTING)
    device = check.device("device", device)
    if command is not None:
        command = check.text("command", command)
    started = time.perf_counter()
    date = provenance_.utc_now()
    if data is None:
        data = load_mnist(n_train, n_test, seed=settings.get("seed", DEFAULT_SETTINGS["seed"]))
    history = train_grokking(data, configs, batched=batched, device=device, progress=progress, **settings)
    history.provenance = provenance_.record(
        provenance_.device_name(device), date, time.perf_counter() - started, command, torch_threads=_threads()
    )
    provenance_.write_json(history.to_dict(), path)
    return history


def load_results(path) -> GrokkingHistory:
    """Read and check a file written by :func:`run_and_save`; ``ValueError`` names the file and the problem.

    The file must match ``GROKKING_RUN_SCHEMA`` (``labhelpers.runs.schema``: types, ranges, finite
    numbers, provenance) and then agree with itself (``_check_stored_run``). An empty, truncated or
    binary file gets its own message.
    """
    _existing_file(path)
    raw = results_schema.read_results(path, "grokking run")
    try:
        configs = tuple(GrokkingConfig(**c) for c in raw["configs"])
    except (TypeError, ValueError) as error:
        raise results_schema.invalid(path, "grokking run", f"configs: {error}") from error
    _check_stored_run(path, raw)
    return GrokkingHistory(
        configs=configs,
        epochs=np.asarray(raw["epochs"], dtype=int),
        **{key: np.asarray(raw["history"][key], dtype=float) for key in HISTORY_KEYS},
        initial_ratio=np.asarray(raw["initial_ratio"], dtype=float),
        settings=raw["settings"],
        data=raw["data"],
        method=raw["method"],
        train_seconds=float(raw["train_seconds"]),
        provenance=raw["provenance"],
    )


def _existing_file(path) -> None:
    """Refuse, naming ``path``, a path that is not a string or path-like, is missing, or is a folder."""
    import os

    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"path must be a file name (str or os.PathLike); got {type(path).__name__}")
    if os.path.isdir(path):
        raise ValueError(f"path {os.fspath(path)!r} is a folder; give the results file inside it")
    if not os.path.isfile(path):
        raise ValueError(f"path {os.fspath(path)!r}: no such results file")


def _check_stored_run(path, raw: dict[str, Any]) -> None:
    """What a schema cannot state: distinct names, one row per configuration and one value per epoch.

    Also: the epochs increase from 0 to ``settings['epochs']``, the sizes the data message records are
    ``settings['n_train']`` and ``settings['n_test']``, and training took no longer than the whole run.
    """

    def agree(condition, problem):
        results_schema.agree(path, "grokking run", condition, problem)

    names = [c["name"] for c in raw["configs"]]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    agree(not duplicates, f"configs have duplicate names: {duplicates}")
    epochs, settings = raw["epochs"], raw["settings"]
    n_configs, n_epochs = len(names), len(epochs)
    n_ratios = len(raw["initial_ratio"])
    agree(n_ratios == n_configs, f"initial_ratio has {n_ratios} values for {n_configs} configs")
    for key in HISTORY_KEYS:
        rows = raw["history"][key]
        agree(len(rows) == n_configs, f"history[{key!r}] has {len(rows)} rows for {n_configs} configs")
        for k, row in enumerate(rows):
            agree(len(row) == n_epochs, f"history[{key!r}][{k}] has {len(row)} values for {n_epochs} epochs")
    increasing = epochs[0] == 0 and all(b > a for a, b in zip(epochs, epochs[1:]))
    agree(increasing, "epochs must increase from 0")
    last, planned = epochs[-1], settings["epochs"]
    agree(last == planned, f"epochs end at {last}, but settings['epochs'] is {planned}")
    recorded = results_schema.recorded_sizes(raw["data"]["message"]) or (settings["n_train"], settings["n_test"])
    for name, size in zip(("n_train", "n_test"), recorded):
        agree(settings[name] == size, f"settings[{name!r}] is {settings[name]}, but the data message records {size}")
    spent, wall = raw["train_seconds"], raw["provenance"]["wall_time_s"]
    agree(spent <= wall * (1 + 1e-9), f"train_seconds = {spent} is more than the run's wall time {wall} s")


BENCHMARK_FORMAT = "labhelpers.grokking_mnist/benchmark/1"


def benchmark(
    path,
    *,
    epochs: int = 20,
    n_train: int = 1000,
    n_test: int = 4000,
    device="cpu",
    command: str | None = None,
    progress: bool = True,
    **settings,
) -> dict[str, Any]:
    """Time the five configurations trained batched and one after another, and write both times as JSON.

    Both runs use the same data, draws and mini-batches (the loop trains each configuration alone with plain
    matrix products), so the file also records the largest difference between their training losses.
    Returns the record: ``batched_s``, ``loop_s``, ``ratio`` (batched / loop), ``max_loss_difference``,
    ``settings`` and ``provenance``.
    """
    provenance_.check_path(path)
    started = time.perf_counter()
    date = provenance_.utc_now()
    data = load_mnist(n_train, n_test, seed=settings.get("seed", DEFAULT_SETTINGS["seed"]))
    runs = {
        method: train_grokking(
            data, batched=(method == "batched"), device=device, progress=progress, epochs=epochs, **settings
        )
        for method in ("batched", "loop")
    }
    scale = np.abs(runs["loop"].train_loss).max()
    record = {
        "format": BENCHMARK_FORMAT,
        "batched_s": runs["batched"].train_seconds,
        "loop_s": runs["loop"].train_seconds,
        "ratio": runs["batched"].train_seconds / runs["loop"].train_seconds,
        "max_loss_difference": float(np.abs(runs["batched"].train_loss - runs["loop"].train_loss).max() / scale),
        "settings": runs["batched"].settings,
        "provenance": provenance_.record(
            provenance_.device_name(device), date, time.perf_counter() - started, command, torch_threads=_threads()
        ),
    }
    provenance_.write_json(record, path)
    return record


def load_benchmark(path) -> dict[str, Any]:
    """Read a file written by :func:`benchmark`; ``ValueError`` names the file and the problem.

    The file must match ``GROKKING_BENCHMARK_SCHEMA`` (``labhelpers.runs.schema``), its ``ratio``
    must be ``batched_s / loop_s`` (to a relative 1e-9), and the two timed runs together cannot have taken
    longer than the whole command.
    """
    _existing_file(path)
    record = results_schema.read_results(path, "grokking benchmark")
    batched, loop, ratio = record["batched_s"], record["loop_s"], record["ratio"]
    results_schema.agree(
        path,
        "grokking benchmark",
        math.isclose(ratio, batched / loop, rel_tol=1e-9),
        f"ratio is {ratio}, but batched_s / loop_s = {batched / loop}",
    )
    wall = record["provenance"]["wall_time_s"]
    results_schema.agree(
        path,
        "grokking benchmark",
        batched + loop <= wall * (1 + 1e-9),
        f"batched_s + loop_s = {batched + loop} is more than the run's wall time {wall} s",
    )
    return record


def config_label(config: GrokkingConfig) -> str:
    """A short label: the name and the scales that differ from the default's."""
    if not isinstance(config, GrokkingConfig):
        raise ValueError(f"config must be a GrokkingConfig; got {type(config).__name__}")
    default = PAPER_CONFIGS[0]
    changed = [
        f"{s.split('_')[0]} x{getattr(config, s):g}" for s in SCALES if getattr(config, s) != getattr(default, s)
    ]
    return config.name + (f" ({', '.join(changed)})" if changed else "")


def plot_history(history: GrokkingHistory, *, test_level: float | None = 0.8, title: str | None = None):
    """Train (dashed) and test (solid) accuracy against epoch, one panel per configuration (the paper's Fig. 11).

    Panels are laid out three to a row; the epoch axis is logarithmic (epoch + 1). With ``test_level`` a
    grey band marks each wait between fitting the training set and reaching that test accuracy (none when
    the level is never reached). A last panel shows the measured weight-to-target ratio at initialisation
    of each configuration (``GrokkingHistory.initial_ratio``).
    """
    import matplotlib.pyplot as plt

    from ..plotting import PALETTE

    _check_history(history)
    if test_level is not None:
        test_level = _accuracy_level("test_level", test_level)
    if title is not None:
        title = check.text("title", title)
    R = len(history.configs)
    cols = min(R + 1, 3)
    rows = -(-(R + 1) // cols)
    fig, grid = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.7 * rows), squeeze=False, layout="constrained")
    axes, extra = grid.ravel()[:R], grid.ravel()[R:]
    x = history.epochs + 1
    fit = first_epoch(history, "train", 1.0)
    general = first_epoch(history, "test", test_level) if test_level is not None else np.full(R, np.inf)
    for r, ax in enumerate(axes):
        ax.plot(x, history.train_accuracy[r], "--", color=PALETTE[0], lw=1.5, label="train")
        ax.plot(x, history.test_accuracy[r], "-", color=PALETTE[1], lw=1.8, label="test")
        if np.isfinite(fit[r]) and np.isfinite(general[r]) and general[r] > fit[r]:
            ax.axvspan(fit[r] + 1, general[r] + 1, color="0.85", zorder=0, label=f"wait for {test_level:.0%} test")
        ax.set_xscale("log")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("epoch + 1")
        ax.set_ylabel("accuracy")
        ax.set_title(config_label(history.configs[r]), fontsize=9)
    axes[0].legend(loc="center right", fontsize=8)
    ratio_ax = extra[0]
    ratio_ax.barh(np.arange(R), history.initial_ratio, color=[PALETTE[k % len(PALETTE)] for k in range(R)])
    ratio_ax.set_yticks(np.arange(R), history.names, fontsize=8)
    ratio_ax.invert_yaxis()
    ratio_ax.set_xscale("log")
    ratio_ax.set_xlabel("RMS output / target scale at init")
    ratio_ax.set_title("weight-to-target ratio", fontsize=9)
    for ax in extra[1:]:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def main(argv: list[str] | None = None) -> GrokkingHistory | dict:
    """Command line: ``python -m labhelpers.grokking.mnist --out FILE [settings]`` runs :func:`run_and_save`."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="Grokking on MNIST: the paper's five configurations (App. H.3)")
    parser.add_argument("--out", required=True, help="output JSON file")
    parser.add_argument("--n-train", type=int, default=1000)
    parser.add_argument("--n-test", type=int, default=4000)
    for name, value in DEFAULT_SETTINGS.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    parser.add_argument("--loop", action="store_true", help="train the configurations one after another")
    parser.add_argument("--benchmark", action="store_true", help="time batched against loop (see benchmark())")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    settings = {name: getattr(args, name) for name in DEFAULT_SETTINGS}
    command = " ".join(["python -m labhelpers.grokking.mnist", *(sys.argv[1:] if argv is None else argv)])
    if args.benchmark:
        record = benchmark(
            args.out, n_train=args.n_train, n_test=args.n_test, device=args.device, command=command, **settings
        )
        print(
            f"wrote {args.out}: batched {record['batched_s']:.1f} s, loop {record['loop_s']:.1f} s, ratio {record['ratio']:.2f}"
        )
        return record
    history = run_and_save(
        args.out,
        n_train=args.n_train,
        n_test=args.n_test,
        batched=not args.loop,
        device=args.device,
        command=command,
        **settings,
    )
    print(f"wrote {args.out}: {history.provenance['wall_time_s']:.0f} s on {history.provenance['device']}")
    for r, name in enumerate(history.names):
        print(f"  {name:20s} train {history.train_accuracy[r, -1]:.3f}  test {history.test_accuracy[r, -1]:.3f}")
    return history


if __name__ == "__main__":
    main()
