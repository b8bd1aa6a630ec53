"""Input normalisation owned by the encoder: each model says which colour space its weights expect."""

from __future__ import annotations

import kornia.color
import torch

from corrlearn.models.catalog import INPUT_SPACES

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# STT / UVC feed Lab images normalised as (L - 50) / 50, a / 127, b / 127.
LAB_MEAN = (50.0, 0.0, 0.0)
LAB_STD = (50.0, 127.0, 127.0)


def tflite_normalize(images: torch.Tensor) -> torch.Tensor:
    """RGB in [0, 1] -> (x * 255 - 127) / 128, the input of TF-Lite's ImageNet models (EfficientNet-Lite)."""
    return (images * 255.0 - 127.0) / 128.0


def normalize_input(images: torch.Tensor, space: str) -> torch.Tensor:
    """Map RGB images in [0, 1], shape (B, 3, H, W), to the network's input space."""
    if space == "rgb":
        mean, std = IMAGENET_MEAN, IMAGENET_STD
    elif space == "lab":
        images = kornia.color.rgb_to_lab(images)
        mean, std = LAB_MEAN, LAB_STD
    else:
        raise ValueError(f"unknown input space {space!r}; expected one of {INPUT_SPACES}")
    mean_t = images.new_tensor(mean).view(1, 3, 1, 1)
    std_t = images.new_tensor(std).view(1, 3, 1, 1)
    return (images - mean_t) / std_t
