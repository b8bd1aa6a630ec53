"""Label types the engine propagates: each is a :class:`LabelCodec` (first annotation -> soft labels on the
feature grid; soft labels -> output). Masks (:mod:`.masks`), keypoints in CRW's and STT's conventions
(:mod:`.keypoints`) and boxes (:mod:`.boxes`); a new label type is one more module with one more codec."""

from corrlearn.labels.boxes import BoxCodec, mask_to_rect, rect_to_mask
from corrlearn.labels.codec import Geometry, LabelCodec, LabelRules
from corrlearn.labels.keypoints import KeypointCodec, KeypointConvention, get_convention
from corrlearn.labels.masks import MaskCodec, downsample_labels, ids_to_onehot, soft_to_ids

__all__ = [
    "BoxCodec",
    "Geometry",
    "KeypointCodec",
    "KeypointConvention",
    "LabelCodec",
    "LabelRules",
    "MaskCodec",
    "downsample_labels",
    "get_convention",
    "ids_to_onehot",
    "mask_to_rect",
    "rect_to_mask",
    "soft_to_ids",
]
