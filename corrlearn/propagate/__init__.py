"""Label propagation: presets (protocols as data), the streaming engine (:func:`propagate`, any label codec),
and the schedule that runs it forwards / backwards from any annotated frames."""

from corrlearn.propagate.engine import FeatureExtractor, Propagator, propagate, segment_video, working_size
from corrlearn.propagate.presets import PRESETS, Preset, get_preset
from corrlearn.propagate.schedule import DIRECTIONS, Segment, apply_annotation, plan, propagate_video

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
