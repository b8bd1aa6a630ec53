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
``auto``       any of the above                 picks the prefix that yields the most ResNet keys
============== ================================ ==============================================================

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

PREFIXES: dict[str, tuple[str, ...]] = {
    "crw": ("encoder.model.", "module.encoder.model."),
    "stt": ("backbone.", "module.backbone."),
    "uvc": ("module.gray_encoder.", "gray_encoder."),
    "contrastcorr": ("module.gray_encoder.", "gray_encoder."),
    "moco": ("module.encoder_q.", "encoder_q."),
    "corrlearn": ("",),
}
SOURCES = (*PREFIXES, "auto")
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


def convert_state_dict(obj: object, source: str = "auto") -> tuple[dict[str, torch.Tensor], str]:
    """Return (corrlearn state dict, source used) for a loaded checkpoint object."""
    if source not in SOURCES:
        raise CorrlearnError(f"unknown checkpoint source {source!r}; expected one of {', '.join(SOURCES)}")
    state = _unwrap(obj)
    if source != "auto":
        converted = _strip(state, PREFIXES[source])
    else:
        candidates = {name: _strip(state, prefixes) for name, prefixes in PREFIXES.items()}
        source, converted = max(candidates.items(), key=lambda kv: len(kv[1]))
    if not converted:
        sample = ", ".join(list(state)[:3])
        raise CorrlearnError(f"no ResNet encoder keys found for source {source!r} (keys start: {sample})")
    return converted, source
