"""The encoder interface: RGB images in [0, 1] in, a dense feature map out; normalisation is the encoder's job.

Every encoder (ResNet, EfficientNet-Lite) exposes the same four calls, so propagation and the training
objectives never reach into an architecture's layers:

* ``forward(images)``: (B, 3, H, W) RGB in [0, 1] -> (B, out_channels, ceil(H/stride), ceil(W/stride));
* ``normalize(images)``: RGB in [0, 1] -> the network's input (colour space and statistics of its weights);
* ``features(x)``: the trunk on an already normalised input (objectives that perturb the normalised input,
  such as ContrastCorr's channel dropout, call it directly);
* ``levels(x)``: (stride-4 features, final features) of a normalised input, for STT's two-level objective.

``input_space`` is the colour space the encoder reads ("rgb" or "lab"). ``fixed_input`` is True when the
weights dictate it (an ImageNet-trained trunk reads RGB whatever a propagation preset asks for).
"""

from __future__ import annotations

import torch
from torch import nn

from corrlearn.models.normalize import INPUT_SPACES, normalize_input
from corrlearn.models.resnet import ResNetTrunk


class Encoder(nn.Module):
    """Base of corrlearn's encoders; subclasses set ``stride``, ``out_channels``, ``input_space``."""

    stride: int
    out_channels: int
    input_space: str = "rgb"
    fixed_input: bool = False

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) RGB in [0, 1] -> (B, C, ceil(H/stride), ceil(W/stride)) features."""
        return self.features(self.normalize(images))

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        """RGB in [0, 1] -> the input the weights expect."""
        return normalize_input(images, self.input_space)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Final features of a normalised input."""
        raise NotImplementedError

    def levels(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(stride-4 features, final features) of a normalised input."""
        raise NotImplementedError


class ResNetEncoder(Encoder, ResNetTrunk):
    """A ResNet trunk (torchvision key names) behind ImageNet-statistics RGB or Lab normalisation."""

    def __init__(self, *args, input_space: str = "rgb", **kwargs):
        super().__init__(*args, **kwargs)
        if input_space not in INPUT_SPACES:
            raise ValueError(f"unknown input space {input_space!r}; expected one of {INPUT_SPACES}")
        self.input_space = input_space

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return ResNetTrunk.forward(self, x)

    def levels(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(layer1 at stride 4, layer3 or layer4 at the encoder's stride)."""
        fine = self.layer1(self.maxpool(self.relu(self.bn1(self.conv1(x)))))
        coarse = self.layer3(self.layer2(fine))
        if self.layer4 is not None:
            coarse = self.layer4(coarse)
        return fine, coarse
