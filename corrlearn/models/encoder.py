"""The encoder: colour normalisation followed by a ResNet trunk, with torchvision-compatible weights."""

from __future__ import annotations

import torch

from corrlearn.models.normalize import INPUT_SPACES, normalize_input
from corrlearn.models.resnet import ResNetTrunk


class Encoder(ResNetTrunk):
    """A ResNet trunk that takes RGB images in [0, 1] and returns a stride-``stride`` feature map.

    The state dict holds only the trunk's tensors, under torchvision's names.
    """

    def __init__(self, *args, input_space: str = "rgb", **kwargs):
        super().__init__(*args, **kwargs)
        if input_space not in INPUT_SPACES:
            raise ValueError(f"unknown input space {input_space!r}; expected one of {INPUT_SPACES}")
        self.input_space = input_space

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) RGB in [0, 1] -> (B, C, ceil(H/stride), ceil(W/stride)) features."""
        return super().forward(normalize_input(images, self.input_space))
