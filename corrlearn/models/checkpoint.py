"""Safe checkpoint loading with a clear report of keys that do not fit."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping

import torch
from torch import nn

from corrlearn.errors import CorrlearnError

# Tensors a full ResNet checkpoint carries that a layer3 trunk has no use for.
_IGNORABLE_PREFIXES = ("layer4.", "fc.")


def extract_state_dict(obj: object, path: str) -> dict[str, torch.Tensor]:
    """Find the state dict inside the containers trainers commonly save."""
    for key in ("model", "state_dict", "encoder"):
        if isinstance(obj, Mapping) and key in obj and isinstance(obj[key], Mapping):
            return extract_state_dict(obj[key], path)
    if isinstance(obj, Mapping) and obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        return dict(obj)
    raise CorrlearnError(f"{path}: not a checkpoint corrlearn understands (no state dict of tensors inside)")


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Load a state dict from ``path`` with ``weights_only=True`` (no arbitrary code runs)."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise CorrlearnError(
            f"{path}: is a folder, not a checkpoint file; name the .pt / .pth file inside it"
        )
    if not os.path.isfile(path):
        raise CorrlearnError(f"{path}: checkpoint file not found")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt or unsafe files
        raise CorrlearnError(
            f"{path}: cannot be loaded safely as a checkpoint ({_load_failure(exc)})"
        ) from None
    return extract_state_dict(obj, path)


def _load_failure(exc: Exception) -> str:
    """Why torch.load refused a file, in our words: torch's own text advises turning weights_only off."""
    text = str(exc)
    # torch's wordings for a pickled global it will not load: "Unsupported global: GLOBAL datetime.date was not
    # an allowed global" (an allow-listable class) and, in torch 2.13, "Trying to load unsupported GLOBAL
    # posix.system whose module posix is blocked" (a function that runs code, e.g. through __reduce__)
    unsafe = re.search(
        r"unsupported GLOBAL ([\w.]+)|Unsupported global: GLOBAL ([\w.]+)|([\w.]+) was not an allowed global",
        text,
        re.IGNORECASE,
    )
    if unsafe:
        name = next(g for g in unsafe.groups() if g)
        return (
            f"it holds objects that are not plain weights (a pickled {name}); corrlearn loads only tensors "
            "and plain containers: save the state dict alone, or convert it with tools/convert_checkpoint.py"
        )
    return "not a PyTorch checkpoint, or corrupt / truncated"


def checkpoint_padding(path: str | os.PathLike) -> str | None:
    """The ``padding`` a converted checkpoint records ("zeros" / "reflect", see
    ``tools/convert_checkpoint.py``), or None when it records none."""
    try:
        obj = torch.load(os.fspath(path), map_location="cpu", weights_only=True)
    except Exception:  # read_state_dict reports unreadable files with the proper message
        return None
    padding = obj.get("padding") if isinstance(obj, Mapping) else None
    return padding if isinstance(padding, str) else None


def _preview(keys: list[str], n: int = 4) -> str:
    shown = ", ".join(keys[:n])
    return shown + (f", ... ({len(keys)} in all)" if len(keys) > n else "")


def load_weights(model: nn.Module, path: str | os.PathLike, model_name: str = "model") -> list[str]:
    """Load ``path`` into ``model`` strictly; return the ignored keys (layer4/fc of a full ResNet, or the
    model's own ``ignorable_prefixes``).

    Raises :class:`CorrlearnError` naming missing, unexpected or mis-shaped keys, and pointing at
    ``tools/convert_checkpoint.py`` for other codebases' formats.
    """
    state = read_state_dict(path)
    own = model.state_dict()
    # a full ResNet's layer4/fc; an EfficientNet's later blocks and head: the model says what it leaves out
    ignorable = tuple(getattr(model, "ignorable_prefixes", _IGNORABLE_PREFIXES))
    ignored = [k for k in state if k not in own and k.startswith(ignorable)]
    unexpected = [k for k in state if k not in own and k not in ignored]
    missing = [k for k in own if k not in state and not k.endswith("num_batches_tracked")]
    shapes = [
        f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
        for k in own
        if k in state and state[k].shape != own[k].shape
    ]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"missing {_preview(missing)}")
        if unexpected:
            parts.append(f"unexpected {_preview(unexpected)}")
        if shapes:
            parts.append(f"wrong shape {_preview(shapes, 2)}")
        raise CorrlearnError(
            f"{os.fspath(path)}: checkpoint does not fit {model_name}: {'; '.join(parts)} "
            "(convert other codebases' checkpoints with tools/convert_checkpoint.py)"
        )
    model.load_state_dict({k: v for k, v in state.items() if k in own}, strict=False)
    return ignored


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, used to record exactly which weights a run used."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
