"""A user's own encoder, scored by corrlearn without any change to corrlearn.

Plain PyTorch (no torchvision, no corrlearn import needed): a torchvision-style ResNet-18 cut after layer3,
with layer3's stride set to 1 so it returns a stride-8 map, and a small ViT-style patch encoder wrapped in
``corrlearn.UserEncoder`` to show the explicit declaration. Use either with any command that takes --model:

    corrlearn propagate clip.mp4 --mask first.png --out masks/ --model examples/user_encoder.py:resnet18_s8
    corrlearn bench all --out runs/mine --davis DAVIS --model examples/user_encoder.py:resnet18_s8 \\
        --weights resnet18-imagenet.pth          # a torchvision resnet18 state dict (fc / layer4 ignored)

The module declares only ``stride``, so corrlearn feeds it RGB in [0, 1] normalised with the ImageNet mean and
std -- what torchvision's ImageNet weights expect. The factory takes ``weights`` (a path or None) itself.
"""

from __future__ import annotations

import torch
from torch import nn


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet18Stride8(nn.Module):
    """ResNet-18 stem, layer1, layer2 (stride 8) and layer3 at stride 1: (B, 256, H/8, W/8)."""

    stride = 8  # the only declaration corrlearn needs

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = nn.Sequential(BasicBlock(64, 64), BasicBlock(64, 64))
        self.layer2 = nn.Sequential(BasicBlock(64, 128, 2), BasicBlock(128, 128))
        self.layer3 = nn.Sequential(BasicBlock(128, 256, 1), BasicBlock(256, 256))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer3(self.layer2(self.layer1(x)))


def resnet18_s8(weights: str | None = None) -> nn.Module:
    """The factory: a random initialisation (corrlearn seeds it), or a torchvision resnet18 state dict."""
    net = ResNet18Stride8()
    if weights is not None:
        state = torch.load(weights, map_location="cpu", weights_only=True)
        state = {k: v for k, v in state.items() if not k.startswith(("layer4.", "fc."))}
        net.load_state_dict(state)
    return net


class PatchEncoder(nn.Module):
    """A ViT-style stride-8 patch embedding with two transformer layers; returns the patch-token grid."""

    def __init__(self, dim: int = 96, patch: int = 8):
        super().__init__()
        self.embed = nn.Conv2d(3, dim, patch, patch)
        layer = nn.TransformerEncoderLayer(dim, nhead=4, dim_feedforward=2 * dim, batch_first=True)
        self.blocks = nn.TransformerEncoder(layer, num_layers=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (B, C, h, w): the input is already a multiple of the patch (UserEncoder pads it)
        tokens = self.embed(x)
        b, c, h, w = tokens.shape
        out = self.blocks(tokens.flatten(2).transpose(1, 2))
        return out.transpose(1, 2).reshape(b, c, h, w)


def patch_vit_s8():
    """The explicit form: stride, input space and normalisation declared through corrlearn.UserEncoder."""
    from corrlearn import UserEncoder

    return UserEncoder(PatchEncoder(), stride=8, input_space="rgb", mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
