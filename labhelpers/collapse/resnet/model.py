"""ResNet18 in its CIFAR form, written with ``torch.nn`` only, and the size checks that refuse it before allocating.

:class:`ResNet18` (3x3 stem, no max-pool, four stages of two :class:`BasicBlock` each, widths 64-128-256-512,
global average pooling, linear classifier) with :meth:`ResNet18.features` returning the penultimate
(last-layer) features whose collapse the chapter measures.

Book: chapter 3, "Neural collapse in ResNet18" (Sec. nc-resnet; Papyan, Han & Donoho 2020).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ...core import validation as check


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
