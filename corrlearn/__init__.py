"""corrlearn: dense visual correspondence in video.

The data path, top to bottom: frames (:mod:`corrlearn.io`) -> features (:mod:`corrlearn.models`) ->
affinity (:mod:`corrlearn.affinity`) -> propagation (:mod:`corrlearn.propagate`) -> metrics
(:mod:`corrlearn.metrics`).

The names below are the public API; they are imported on first use, so ``import corrlearn`` (and the CLI's
start-up) stays cheap:

>>> import corrlearn
>>> frames = corrlearn.open_frames("clip.mp4")                          # doctest: +SKIP
>>> first = corrlearn.read_mask("first.png")                            # doctest: +SKIP
>>> encoder = corrlearn.create_encoder("resnet18")                      # doctest: +SKIP
>>> masks = corrlearn.segment_video(frames, first.ids, encoder, corrlearn.get_preset("crw"))  # doctest: +SKIP
>>> both_ways = corrlearn.propagate_video(frames, {12: first.ids}, encoder, corrlearn.get_preset("crw"))  # doctest: +SKIP
>>> boxes = corrlearn.propagate_annotation(frames, [10, 20, 64, 48], corrlearn.BoxCodec(), encoder,
...                                        corrlearn.get_preset("crw"))  # doctest: +SKIP

``propagate_annotation`` carries any label type a :class:`LabelCodec` describes (masks, keypoints, boxes);
``segment_video`` is its mask form.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from corrlearn.errors import CorrlearnError

__version__ = "0.1.0"

# public name -> (module, attribute)
_EXPORTS: dict[str, tuple[str, str]] = {
    "create_encoder": ("corrlearn.models", "create"),
    "UserEncoder": ("corrlearn.models.external", "UserEncoder"),
    "Preset": ("corrlearn.propagate.presets", "Preset"),
    "get_preset": ("corrlearn.propagate.presets", "get_preset"),
    "segment_video": ("corrlearn.propagate.engine", "segment_video"),
    "propagate_video": ("corrlearn.propagate.schedule", "propagate_video"),
    "propagate_annotation": ("corrlearn.propagate.engine", "propagate"),
    "LabelCodec": ("corrlearn.labels", "LabelCodec"),
    "MaskCodec": ("corrlearn.labels", "MaskCodec"),
    "KeypointCodec": ("corrlearn.labels", "KeypointCodec"),
    "BoxCodec": ("corrlearn.labels", "BoxCodec"),
    "open_frames": ("corrlearn.io.frames", "open_frames"),
    "read_mask": ("corrlearn.io.masks", "read_mask"),
    "write_mask": ("corrlearn.io.masks", "write_mask"),
    "topk_affinity": ("corrlearn.affinity", "topk_affinity"),
    "transfer": ("corrlearn.affinity", "transfer"),
    "propagate_labels": ("corrlearn.affinity", "propagate_labels"),
}

__all__ = [
    "BoxCodec",
    "CorrlearnError",
    "KeypointCodec",
    "LabelCodec",
    "MaskCodec",
    "Preset",
    "UserEncoder",
    "__version__",
    "create_encoder",
    "get_preset",
    "open_frames",
    "propagate_annotation",
    "propagate_labels",
    "propagate_video",
    "read_mask",
    "segment_video",
    "topk_affinity",
    "transfer",
    "write_mask",
]

if TYPE_CHECKING:
    from corrlearn.affinity import propagate_labels, topk_affinity, transfer
    from corrlearn.io.frames import open_frames
    from corrlearn.io.masks import read_mask, write_mask
    from corrlearn.labels import BoxCodec, KeypointCodec, LabelCodec, MaskCodec
    from corrlearn.models import create as create_encoder
    from corrlearn.models.external import UserEncoder
    from corrlearn.propagate.engine import propagate as propagate_annotation
    from corrlearn.propagate.engine import segment_video
    from corrlearn.propagate.presets import Preset, get_preset
    from corrlearn.propagate.schedule import propagate_video


def __getattr__(name: str):
    try:
        module, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'corrlearn' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
