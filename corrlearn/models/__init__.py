"""Encoders: a small registry of ResNet trunks with stride-8 (or 4) feature maps.

>>> from corrlearn import models
>>> enc = models.create("resnet18", stride=8)          # the documented random initialisation
>>> enc = models.create("resnet18", weights="crw.pth")  # or trained weights
"""

from __future__ import annotations

import os

from corrlearn.errors import CorrlearnError
from corrlearn.models.checkpoint import file_sha256, load_weights, read_state_dict
from corrlearn.models.encoder import Encoder
from corrlearn.models.resnet import BasicBlock, Bottleneck, seeded_init_

#: Seed of the embedded default encoder's random initialisation (see README, "Default encoder").
DEFAULT_SEED = 0

_ARCHS: dict[str, tuple[type, tuple[int, int, int, int]]] = {
    "resnet18": (BasicBlock, (2, 2, 2, 2)),
    "resnet50": (Bottleneck, (3, 4, 6, 3)),
}


def available() -> list[str]:
    """Names accepted by :func:`create`."""
    return sorted(_ARCHS)


def create(
    name: str = "resnet18",
    stride: int = 8,
    input_space: str = "rgb",
    weights: str | os.PathLike | None = None,
    seed: int = DEFAULT_SEED,
    with_layer4: bool = False,
) -> Encoder:
    """Build an encoder in eval mode.

    Without ``weights`` the encoder is the documented random initialisation drawn from ``seed``
    (torchvision's He-normal scheme); random CNN features already carry usable correspondence.
    """
    if name not in _ARCHS:
        raise CorrlearnError(f"unknown model {name!r}; available: {', '.join(available())}")
    block, layers = _ARCHS[name]
    enc = Encoder(block, layers, stride=stride, with_layer4=with_layer4, input_space=input_space)
    seeded_init_(enc, seed)
    if weights is not None:
        load_weights(enc, weights, model_name=name)
    return enc.eval()


__all__ = ["Encoder", "available", "create", "file_sha256", "load_weights", "read_state_dict", "DEFAULT_SEED"]
