"""Grokking on modular addition, the model: the data set and Gromov's two-layer quadratic MLP, stacked.

Book: chapter 5, "Modular arithmetic" (Sec. gk-modular). Its trainer is in
:mod:`labhelpers.grokking.modular`, its stored run and figure in :mod:`.modular_results`.

The task of Power et al. (2022): learn ``(a + b) mod p`` from a random part of the ``p**2`` pairs
(:func:`modular_dataset`). The model is the network of Gromov (2023, arXiv:2301.02679): the one-hot codes of
``a`` and ``b`` go through one linear layer of width ``N`` (equivalently, an embedding ``U[a] + V[b]``), a
quadratic activation and a linear read-out to ``p`` outputs,

    f(a, b) = c * W^T (U[a] + V[b])**2        (element-wise square; U, V: p x N, W: N x p).

Each configuration (:class:`ModularConfig`) sets four scales: the embedding ``U, V`` starts at
``embedding_scale`` times N(0, 1), the read-out ``W`` at ``readout_scale`` times N(0, 1/N), the target is
``target_scale`` times the one-hot code and ``c = output_scale``. :func:`init_modular` stacks the
parameters of several configurations along a leading axis (the same draws for all) and
:func:`modular_forward` runs them all as one computation.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..core import validation as check
from ._configs import check_scaled_config

SCALES = ("embedding_scale", "readout_scale", "target_scale", "output_scale")
MAX_MODULUS = 2**12
"""Largest modulus accepted: 4096**2 = 16.8 million pairs."""
MAX_SETTING = 2**40


@dataclass(frozen=True)
class ModularConfig:
    """One configuration: a name and four positive scales (see the module docstring)."""

    name: str
    embedding_scale: float = 1.0
    readout_scale: float = 1.0
    target_scale: float = 1.0
    output_scale: float = 1.0

    def __post_init__(self):
        check_scaled_config(self, SCALES)

    @property
    def ratio_factor(self) -> float:
        """The factor ``e**2 r c / S`` by which this start changes the weight-to-target ratio.

        The output is quadratic in the embedding scale ``e`` and linear in ``r``, ``c``; the target is ``S``.
        """
        return self.embedding_scale**2 * self.readout_scale * self.output_scale / self.target_scale

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# The default (a lazy start, ratio about 3.5), the upstream start of Kunin et al. (2024) (the embedding alone
# shrunk ten-fold), a control with the same output at initialisation (embedding x0.3, read-out x1/0.09: only
# the balance of the layers changes), and the cures of chapter 5 (all weights, the target, the output).
MODULAR_CONFIGS: tuple[ModularConfig, ...] = (
    ModularConfig("default"),
    ModularConfig("upstream", embedding_scale=0.1),
    ModularConfig("upstream, same output", embedding_scale=0.3, readout_scale=1 / 0.09),
    ModularConfig("weight downscaling", embedding_scale=0.3, readout_scale=0.3),
    ModularConfig("target upscaling", target_scale=10.0),
    ModularConfig("output downscaling", output_scale=0.1),
)


# ============================================================================ the data


@dataclass(frozen=True)
class ModularData:
    """All ``p**2`` pairs ``(a, b)``, their labels ``(a + b) mod p`` and a seeded split into train and test.

    ``pairs`` (p**2, 2) lists the pairs in the order ``a * p + b``; ``train`` and ``test`` are disjoint sorted
    index arrays into it that together cover every pair once.
    """

    p: int
    pairs: np.ndarray
    labels: np.ndarray
    train: np.ndarray
    test: np.ndarray
    train_fraction: float
    seed: int

    @property
    def n_train(self) -> int:
        return int(self.train.size)

    @property
    def n_test(self) -> int:
        return int(self.test.size)


def modular_dataset(p: int = 23, train_fraction: float = 0.6, *, seed: int = 0) -> ModularData:
    """The modular-addition task of Power et al. (2022): every pair ``(a, b)``, ``0 <= a, b < p``, once.

    ``round(train_fraction * p**2)`` pairs, drawn without replacement by a numpy generator seeded with
    ``seed``, form the training set; the rest the test set. Both must be non-empty.
    """
    p = check.integer("p", p, minimum=2, maximum=MAX_MODULUS)
    train_fraction = check.scalar("train_fraction", train_fraction, low=0.0, high=1.0)
    seed = check.seed("seed", seed)
    n = p * p
    n_train = int(round(train_fraction * n))
    if not 0 < n_train < n:
        raise ValueError(
            f"train_fraction={train_fraction:g} with p={p} gives {n_train} of {n} training pairs; "
            "both the training and the test set need at least one pair"
        )
    grid = np.arange(n)
    pairs = np.stack([grid // p, grid % p], axis=1)
    labels = (pairs[:, 0] + pairs[:, 1]) % p
    order = np.random.default_rng(seed).permutation(n)
    return ModularData(p, pairs, labels, np.sort(order[:n_train]), np.sort(order[n_train:]), train_fraction, seed)


# ============================================================================ the model


def _configs(configs) -> tuple[ModularConfig, ...]:
    if isinstance(configs, ModularConfig):
        configs = (configs,)
    if isinstance(configs, (str, bytes, dict)) or not hasattr(configs, "__iter__"):
        raise ValueError(f"configs must be a ModularConfig or a non-empty sequence of them; got {configs!r}")
    configs = tuple(configs)
    if not configs or not all(isinstance(c, ModularConfig) for c in configs):
        raise ValueError(f"configs must be a non-empty sequence of ModularConfig; got {configs!r}")
    names = [c.name for c in configs]
    if len(set(names)) != len(names):
        raise ValueError(f"configs must have distinct names; got {names}")
    return configs


def init_modular(configs, p: int, width: int, *, seed: int = 0, device="cpu") -> dict[str, Any]:
    """Stacked parameters ``U, V`` (R, p, N) and ``W`` (R, N, p) of Gromov's MLP, one slice per configuration.

    Every configuration scales the same standard-normal draws (seeded by ``seed``): ``U, V =
    embedding_scale * N(0, 1)`` and ``W = readout_scale * N(0, 1/N)``, so runs differ only by their scales.
    """
    import torch

    configs = _configs(configs)
    p = check.integer("p", p, minimum=2, maximum=MAX_MODULUS)
    width = check.positive_int("width", width, maximum=MAX_SETTING)
    seed = check.seed("seed", seed)
    device = check.device("device", device)
    R = len(configs)
    what = f"the stacked weights and their Adam moments (p={p}, width={width})"
    check.fits_in_memory(what, 9.0 * R * p * width, bytes_per_value=4)
    generator = torch.Generator().manual_seed(seed)
    U0 = torch.randn(p, width, generator=generator)
    V0 = torch.randn(p, width, generator=generator)
    W0 = torch.randn(width, p, generator=generator) / math.sqrt(width)
    embedding = torch.tensor([c.embedding_scale for c in configs]).view(R, 1, 1)
    readout = torch.tensor([c.readout_scale for c in configs]).view(R, 1, 1)
    return {
        "U": (embedding * U0).to(device).requires_grad_(True),
        "V": (embedding * V0).to(device).requires_grad_(True),
        "W": (readout * W0).to(device).requires_grad_(True),
    }


def modular_forward(params: dict[str, Any], a, b, output_scales):
    """Outputs (R, B, p) of the stacked networks on the pairs ``(a[k], b[k])``: ``c W^T (U[a] + V[b])**2``.

    ``params`` comes from :func:`init_modular`; ``a`` and ``b`` are integer tensors of the same length with
    entries in ``0..p-1``; ``output_scales`` (R, 1, 1) holds each configuration's ``c``. The hidden layer is
    Gromov's (2023) quadratic activation applied to the sum of the two embeddings.
    """
    import torch

    if not isinstance(params, dict) or set(params) != {"U", "V", "W"}:
        raise ValueError("params must be the dict {'U', 'V', 'W'} of init_modular")
    U, V, W = params["U"], params["V"], params["W"]
    R, p = U.shape[0], U.shape[1]
    if U.ndim != 3 or V.shape != U.shape or W.shape != (R, U.shape[2], p):
        raise ValueError(f"params have U {tuple(U.shape)}, V {tuple(V.shape)}, W {tuple(W.shape)}; "
                         "need (R, p, N), (R, p, N), (R, N, p)")  # fmt: skip
    indices = []
    for name, value in (("a", a), ("b", b)):
        value = torch.as_tensor(value)
        if value.ndim != 1 or value.dtype not in (torch.int32, torch.int64):
            raise ValueError(f"{name} must be a 1-D integer tensor of residues; got {value.dtype} {tuple(value.shape)}")
        if value.numel() and (int(value.min()) < 0 or int(value.max()) >= p):
            raise ValueError(f"{name} must hold residues in 0..{p - 1}")
        indices.append(value.to(U.device))
    if indices[0].shape != indices[1].shape:
        raise ValueError(f"a and b must have the same length; got {indices[0].numel()} and {indices[1].numel()}")
    if isinstance(output_scales, torch.Tensor):
        bad_type = output_scales.dtype == torch.bool
    else:
        bad_type = np.asarray(output_scales).dtype.kind not in "iuf"
    if bad_type:
        raise ValueError(f"output_scales must be real numbers of shape ({R}, 1, 1), not booleans or text")
    scales = torch.as_tensor(output_scales, dtype=U.dtype, device=U.device)
    if tuple(scales.shape) != (R, 1, 1) or not bool((scales > 0).all()):
        raise ValueError(f"output_scales must be {R} positive numbers of shape ({R}, 1, 1); got {tuple(scales.shape)}")
    out = _forward(params, *indices, scales)
    if not bool(torch.isfinite(out).all()):
        raise ValueError(
            f"modular_forward overflowed: output_scales (largest {float(scales.max()):.3g}) or the weights in "
            "params are too large for the float type"
        )
    return out


def _forward(params, a, b, output_scales):
    """:func:`modular_forward` without its checks, for the training loop."""
    import torch

    hidden = params["U"][:, a] + params["V"][:, b]
    return output_scales * torch.bmm(hidden * hidden, params["W"])
