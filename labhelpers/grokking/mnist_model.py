"""Grokking on MNIST, the model (App. H.3): the paper's tanh MLP, stacked over configurations of four scales.

Book: chapter 5, "Grokking on MNIST" (Sec. gk-mnist). Its trainer is in :mod:`labhelpers.grokking.mnist`, its stored runs and
figure in :mod:`.mnist_results`.

Each configuration (:class:`GrokkingConfig`) sets four scales: the weights are ``weight_scale`` times LeCun's
initialisation, the one-hot targets are multiplied by ``target_scale``, the pixels by ``input_scale`` and the
network's output by ``output_scale``. ``PAPER_CONFIGS`` are the five of the paper's Fig. 11. The parameters
of several configurations are stacked along a leading axis (:func:`init_params`: the same draws for all), and
:func:`forward` runs them all on the same inputs as one computation.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..core import validation as check
from ..core.mnist import MnistData
from ._configs import check_scaled_config

SCALES = ("weight_scale", "target_scale", "input_scale", "output_scale")
N_CLASSES = 10
FLOAT32_MAX = float(np.finfo(np.float32).max)
MAX_SETTING = 2**53
"""Largest value of an integer setting such as epochs, width, depth, batch size or eval_every; exact as a
float and in JSON."""


@dataclass(frozen=True)
class GrokkingConfig:
    """One row of the paper's configuration table (App. H.3): a name and four scales, all positive."""

    name: str
    weight_scale: float = 5.0
    target_scale: float = 3.0
    input_scale: float = 1.0
    output_scale: float = 1.0

    def __post_init__(self):
        check_scaled_config(self, SCALES)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


PAPER_CONFIGS: tuple[GrokkingConfig, ...] = (
    GrokkingConfig("default", 5.0, 3.0, 1.0, 1.0),
    GrokkingConfig("weight downscaling", 1.0, 3.0, 1.0, 1.0),
    GrokkingConfig("target upscaling", 5.0, 30.0, 1.0, 1.0),
    GrokkingConfig("input downscaling", 5.0, 3.0, 0.01, 1.0),
    GrokkingConfig("output downscaling", 5.0, 3.0, 1.0, 0.1),
)


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
