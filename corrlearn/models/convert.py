"""Convert other codebases' checkpoints into corrlearn's (torchvision-named) encoder state dicts.

Key mappings (prefix stripped; everything outside the encoder is dropped):

============== ================================ ==============================================================
source         container / prefix               notes
============== ================================ ==============================================================
``crw``        ``ckpt["model"]``, ``encoder.model.``  videowalk wraps the ResNet in ``From3D``; its ``scratch``
                                                 encoder pads by reflection, so convs are ``convN.1.weight``
                                                 (``Sequential(pad, conv)``) -> ``convN.weight``; the walk
                                                 head ``selfsim_fc.*`` is dropped
``stt``        ``ckpt["state_dict"]``, ``backbone.``   Spa-then-Temp (mmcv); teacher / momentum branches such as
                                                 ``backbone_t.`` are dropped
``uvc``        ``ckpt["state_dict"]``, ``module.gray_encoder.``  UVC (also read by videowalk's ``load_uvc_model``)
``contrastcorr`` ``ckpt["state_dict"]``, ``module.gray_encoder.``  ContrastCorr builds on UVC's model
``moco``       ``ckpt["state_dict"]``, ``module.encoder_q.``    MoCo-style; the key encoder and ``fc`` head dropped
``dino``       bare, or ``ckpt["teacher"]``,     DINO ViT (facebookresearch/dino): a released backbone file
               ``backbone.`` / ``module.backbone.``  as it is; of a full training checkpoint the teacher's
                                                 backbone, the projection ``head.*`` dropped
``auto``       any of the above                 a DINO ViT when ``cls_token``, ``pos_embed`` and
                                                 ``patch_embed.proj.weight`` are there (no ResNet has them),
                                                 else the prefix that yields the most ResNet keys
============== ================================ ==============================================================

Architecture: :func:`model_for` names the corrlearn model a converted state dict fits -- for DINO the ViT of
its width (384: ViT-S, 768: ViT-B) and patch size (the kernel of ``patch_embed.proj.weight``), for the others
resnet50 when the blocks are bottlenecks, else resnet18. ``tools/convert_checkpoint.py`` records it
(``"model_name"``), so ``--weights OUT.pth`` alone picks the architecture (``models.model_for_weights``).

Padding: CRW's ``scratch`` encoder (the one its released checkpoint was trained with) pads every padded
convolution by reflection, the others pad with zeros. :data:`PADDING` maps each source to its network's
padding; ``tools/convert_checkpoint.py`` records it in the converted file (``"padding"``) and
``models.create`` builds the trunk with it, so a converted CRW checkpoint gives CRW's features at the border.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import torch

from corrlearn.errors import CorrlearnError
from corrlearn.models.vit import VIT_CONFIGS, convert_dino_state_dict, vit_name_for

PREFIXES: dict[str, tuple[str, ...]] = {
    "crw": ("encoder.model.", "module.encoder.model."),
    "stt": ("backbone.", "module.backbone."),
    "uvc": ("module.gray_encoder.", "gray_encoder."),
    "contrastcorr": ("module.gray_encoder.", "gray_encoder."),
    "moco": ("module.encoder_q.", "encoder_q."),
    "corrlearn": ("",),
}
SOURCES = (*PREFIXES, "dino", "auto")
#: What a DINO ViT backbone has and a ResNet has not.
DINO_KEYS = ("cls_token", "pos_embed", "patch_embed.proj.weight")
#: Padding of each source's network ("zeros" for every source not listed).
PADDING: dict[str, str] = {"crw": "reflect"}


def padding_of(source: str) -> str:
    """The trunk padding ("zeros" / "reflect") of checkpoints from ``source``."""
    return PADDING.get(source, "zeros")


_RESNET_KEY = re.compile(r"^(conv1|bn1|layer[1-4])\.")
_REFLECT_CONV = re.compile(r"(conv\d)\.1\.weight$")


def _unwrap(obj: object) -> Mapping[str, torch.Tensor]:
    for key in ("state_dict", "model"):
        if isinstance(obj, Mapping) and isinstance(obj.get(key), Mapping):
            return _unwrap(obj[key])
    if not isinstance(obj, Mapping):
        raise CorrlearnError("checkpoint holds no state dict")
    return obj


def _strip(state: Mapping[str, torch.Tensor], prefixes: tuple[str, ...]) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        for prefix in prefixes:
            if key.startswith(prefix):
                name = _REFLECT_CONV.sub(r"\1.weight", key[len(prefix) :])
                if _RESNET_KEY.match(name):
                    out[name] = value
                break
    return out


def _dino(obj: object) -> dict[str, torch.Tensor]:
    """A DINO backbone's tensors (a full checkpoint's teacher), or {} when it lacks :data:`DINO_KEYS`."""
    if isinstance(obj, Mapping) and isinstance(obj.get("teacher"), Mapping):
        obj = obj["teacher"]
    else:
        obj = _unwrap(obj)
    state = convert_dino_state_dict(dict(obj))
    return state if all(k in state for k in DINO_KEYS) else {}


def convert_state_dict(obj: object, source: str = "auto") -> tuple[dict[str, torch.Tensor], str]:
    """Return (corrlearn state dict, source used) for a loaded checkpoint object."""
    if source not in SOURCES:
        raise CorrlearnError(f"unknown checkpoint source {source!r}; expected one of {', '.join(SOURCES)}")
    if source in ("dino", "auto"):
        converted = _dino(obj)
        if converted or source == "dino":
            if not converted:
                raise CorrlearnError(
                    f"no DINO ViT backbone found for source 'dino' (needs {', '.join(DINO_KEYS)}; "
                    f"keys start: {_sample(obj)})"
                )
            return converted, "dino"
    state = _unwrap(obj)
    if source != "auto":
        converted = _strip(state, PREFIXES[source])
    else:
        candidates = {name: _strip(state, prefixes) for name, prefixes in PREFIXES.items()}
        best, converted = max(candidates.items(), key=lambda kv: len(kv[1]))
        source = best if converted else source
    if not converted:
        extra = " (nor a DINO ViT backbone)" if source == "auto" else ""
        raise CorrlearnError(
            f"no ResNet encoder keys{extra} found for source {source!r} (keys start: {_sample(obj)})"
        )
    return converted, source


def _sample(obj: object) -> str:
    try:
        return ", ".join(list(_unwrap(obj))[:3])
    except CorrlearnError:
        return "none"


def model_for(state: Mapping[str, torch.Tensor], source: str) -> str:
    """The corrlearn model a converted state dict fits (see the module docstring)."""
    if source == "dino":
        name = vit_name_for(state)
        if name is None:
            weight = state["patch_embed.proj.weight"]
            known = ", ".join(
                f"{n} ({c.embed_dim} wide, patch {c.patch_size})" for n, c in VIT_CONFIGS.items()
            )
            raise CorrlearnError(
                f"patch_embed.proj.weight {tuple(weight.shape)}: no corrlearn ViT of that width and patch "
                f"size (known: {known})"
            )
        return name
    return "resnet50" if "layer1.0.conv3.weight" in state else "resnet18"
