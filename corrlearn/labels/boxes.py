"""Boxes as labels: the box becomes a two-label mask (background, target) that is propagated.

Each frame's box is the tight box of the pixels whose argmax label is "target"; if none is, the previous box
is kept. Boxes are OTB's file convention: x, y, w, h with 1-indexed MATLAB pixels.
"""

from __future__ import annotations

import numpy as np
import torch

from corrlearn.errors import CorrlearnError
from corrlearn.labels.codec import Geometry, LabelRules
from corrlearn.labels.masks import downsample_labels, soft_to_ids


def mask_to_rect(mask: np.ndarray) -> np.ndarray | None:
    """Tight 1-indexed x, y, w, h box of a boolean mask, or None if it is empty."""
    if not mask.any():
        return None
    ys, xs = np.nonzero(mask)
    return np.array(
        [xs.min() + 1, ys.min() + 1, xs.max() - xs.min() + 1, ys.max() - ys.min() + 1], np.float64
    )


def rect_to_mask(rect: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Boolean (H, W) mask of the pixels covered by a 1-indexed x, y, w, h box (clipped to the frame)."""
    h, w = size
    x, y, bw, bh = (float(v) for v in rect)
    x0, y0 = int(np.clip(round(x - 1), 0, w)), int(np.clip(round(y - 1), 0, h))
    x1, y1 = int(np.clip(round(x - 1 + bw), 0, w)), int(np.clip(round(y - 1 + bh), 0, h))
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    return m


class BoxCodec:
    """A first box (x, y, w, h, 1-indexed) in, one box per frame out (the "no tracking head" tracker)."""

    name = "boxes"

    def check(self, annotation: np.ndarray, frame_size: tuple[int, int]) -> None:
        rect = np.asarray(annotation, np.float64)
        if rect.shape != (4,) or not np.isfinite(rect).all():
            raise CorrlearnError(f"first box must be 4 finite numbers x, y, w, h, got {annotation!r}")
        if not rect_to_mask(rect, frame_size).any():
            raise CorrlearnError(
                f"first box {rect.tolist()} covers no pixel of a {frame_size[::-1]} (w, h) frame"
            )

    def encode(self, annotation: np.ndarray, geo: Geometry, rules: LabelRules) -> torch.Tensor:
        ids = rect_to_mask(annotation, geo.frame_size).astype(np.uint8)
        return downsample_labels(ids, geo.grid, rules.label_downsample, num_labels=2)

    def first(self, annotation: np.ndarray, geo: Geometry, rules: LabelRules) -> np.ndarray:
        return np.asarray(annotation, np.float64).copy()

    def decode(
        self, soft: torch.Tensor, geo: Geometry, rules: LabelRules, previous: np.ndarray
    ) -> np.ndarray:
        rect = mask_to_rect(soft_to_ids(soft, geo.work_size, geo.frame_size, rules.minmax) == 1)
        return previous.copy() if rect is None else rect
