"""ResNet encoders with the dilation-free, stride-reduced layout used by correspondence papers.

Key names follow torchvision's ResNet (``conv1``, ``bn1``, ``layer1.0.conv1`` ...) so published checkpoints
load without renaming. Stride 8 sets layer3's (and layer4's) first stride to 1, as CRW does; stride 4 also sets
layer2's to 1, as STT's ``d4`` variant. The classifier is never built and layer4 is dropped unless asked for:
the literature reads features off layer3.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def _conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False)


def _conv1x1(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = _conv3x3(cin, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = _conv1x1(cin, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = _conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = _conv1x1(planes, planes * 4)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


#: How the trunk's convolutions pad: torchvision's zeros, or reflection as CRW's ``scratch`` encoder (its
#: released checkpoint was trained with it; zero padding changes features up to ~10 cells from the border).
PADDINGS = ("zeros", "reflect")

_LAYER_STRIDES = {
    # output stride -> strides of (layer2, layer3, layer4)
    4: (1, 1, 1),
    8: (2, 1, 1),
    16: (2, 2, 1),
}


class ResNetTrunk(nn.Module):
    """ResNet trunk returning the layer3 (or layer4) feature map at the requested output stride."""

    def __init__(
        self,
        block: type[BasicBlock] | type[Bottleneck],
        layers: tuple[int, int, int, int],
        stride: int = 8,
        with_layer4: bool = False,
        padding: str = "zeros",
    ):
        super().__init__()
        if stride not in _LAYER_STRIDES:
            raise ValueError(f"stride must be one of {sorted(_LAYER_STRIDES)}, got {stride}")
        s2, s3, s4 = _LAYER_STRIDES[stride]
        self.stride = stride
        self._cin = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0], 1)
        self.layer2 = self._make_layer(block, 128, layers[1], s2)
        self.layer3 = self._make_layer(block, 256, layers[2], s3)
        self.layer4 = self._make_layer(block, 512, layers[3], s4) if with_layer4 else None
        self.out_channels = (512 if with_layer4 else 256) * block.expansion
        self.set_padding(padding)

    def set_padding(self, mode: str) -> None:
        """Pad every convolution that pads (the 7x7 stem, the 3x3s) with ``mode``: "zeros" or "reflect".

        The max-pool keeps its -inf padding, as in CRW. Weights are unchanged: the same checkpoint loads
        either way."""
        if mode not in PADDINGS:
            raise ValueError(f"padding must be one of {PADDINGS}, got {mode!r}")
        for m in self.modules():
            if isinstance(m, nn.Conv2d) and any(p > 0 for p in m.padding):
                m.padding_mode = mode
        self.padding = mode

    def _make_layer(self, block, planes: int, blocks: int, stride: int) -> nn.Sequential:
        downsample = None
        if stride != 1 or self._cin != planes * block.expansion:
            downsample = nn.Sequential(
                _conv1x1(self._cin, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self._cin, planes, stride, downsample)]
        self._cin = planes * block.expansion
        layers += [block(self._cin, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer3(self.layer2(self.layer1(x)))
        if self.layer4 is not None:
            x = self.layer4(x)
        return x


def seeded_init_(module: nn.Module, seed: int) -> None:
    """Initialise like torchvision (He normal, fan-out; BN weight 1, bias 0) from a fixed seed.

    Drawing every tensor from one explicit generator in module order makes the result independent of the
    global RNG state, so ``seed`` alone defines the weights.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.Conv2d):
                fan_out = m.out_channels * m.kernel_size[0] * m.kernel_size[1]
                m.weight.normal_(0.0, math.sqrt(2.0 / fan_out), generator=gen)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.fill_(1.0)
                m.bias.zero_()
                m.running_mean.zero_()
                m.running_var.fill_(1.0)
