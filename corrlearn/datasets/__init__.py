"""Benchmark datasets read from their official on-disk layouts (JHMDB keypoints, OTB-2015 boxes)."""

from corrlearn.datasets.jhmdb import JhmdbVideo, load_jhmdb, read_joints, split_videos
from corrlearn.datasets.otb import OtbSequence, list_sequences, load_otb, load_sequence, read_rects

__all__ = [
    "JhmdbVideo",
    "OtbSequence",
    "list_sequences",
    "load_jhmdb",
    "load_otb",
    "load_sequence",
    "read_joints",
    "read_rects",
    "split_videos",
]
