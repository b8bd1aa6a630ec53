"""Label propagation: presets (protocols as data), the streaming engine (:func:`propagate`, any label codec),
and the schedule that runs it forwards / backwards from any annotated frames.

The names below are imported on first use: the presets and the directions (what the CLI's help lists) need
no torch; the engine does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corrlearn.lazy import lazy_getattr

if TYPE_CHECKING:
    from corrlearn.propagate.engine import (
        FeatureExtractor,
        Propagator,
        propagate,
        segment_video,
        working_size,
    )
    from corrlearn.propagate.presets import PRESETS, Preset, get_preset
    from corrlearn.propagate.schedule import DIRECTIONS, Segment, apply_annotation, plan, propagate_video

_EXPORTS = {
    **dict.fromkeys(
        ("FeatureExtractor", "Propagator", "propagate", "segment_video", "working_size"),
        "corrlearn.propagate.engine",
    ),
    **dict.fromkeys(("PRESETS", "Preset", "get_preset"), "corrlearn.propagate.presets"),
    **dict.fromkeys(
        ("DIRECTIONS", "Segment", "apply_annotation", "plan", "propagate_video"),
        "corrlearn.propagate.schedule",
    ),
}

__all__ = [
    "DIRECTIONS",
    "PRESETS",
    "FeatureExtractor",
    "Preset",
    "Propagator",
    "Segment",
    "apply_annotation",
    "get_preset",
    "plan",
    "propagate",
    "propagate_video",
    "segment_video",
    "working_size",
]


__getattr__ = lazy_getattr(__name__, _EXPORTS)
