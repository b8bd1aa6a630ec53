"""Label propagation: presets (protocols as data) and the streaming engine."""

from corrlearn.propagate.engine import FeatureExtractor, Propagator, segment_video, working_size
from corrlearn.propagate.presets import PRESETS, Preset, get_preset

__all__ = [
    "PRESETS",
    "FeatureExtractor",
    "Preset",
    "Propagator",
    "get_preset",
    "segment_video",
    "working_size",
]
