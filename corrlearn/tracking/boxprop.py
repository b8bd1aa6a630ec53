"""Box tracking by label propagation: the first box becomes a two-label mask that is propagated.

Each frame's box is the tight box of the pixels whose argmax label is "target"; if none is, the previous box
is kept. This is the "no tracking head" baseline: it uses exactly the DAVIS propagation machinery
(:class:`corrlearn.propagate.Propagator` with a :class:`~corrlearn.propagate.presets.Preset`).
"""

from __future__ import annotations

import numpy as np
import torch

from corrlearn.models import Encoder
from corrlearn.tracking.boxes import mask_to_rect, rect_to_mask


class BoxPropagationTracker:
    """``init(frame, rect)`` / ``update(frame) -> rect`` by propagating the box mask (1-indexed boxes)."""

    def __init__(self, encoder: Encoder, preset, device: str | torch.device = "cpu", backend: str = "auto"):
        from corrlearn.propagate import FeatureExtractor, Propagator

        self.extractor = FeatureExtractor(encoder, preset, device)
        self.propagator = Propagator(preset, backend)
        self.preset = preset
        self.rect: np.ndarray | None = None

    def init(self, frame: np.ndarray, rect: np.ndarray) -> None:
        from corrlearn.propagate.labels import downsample_labels

        size = frame.shape[:2]
        ids = rect_to_mask(rect, size).astype(np.uint8)
        feat0 = self.extractor(frame)
        labels0 = downsample_labels(ids, tuple(feat0.shape[1:]), self.preset.label_downsample, num_labels=2)
        self.propagator.reset(feat0, labels0.to(feat0.device))
        self.size, self.work = size, self.extractor.work_size(*size)
        self.rect = np.asarray(rect, np.float64)

    def update(self, frame: np.ndarray) -> np.ndarray:
        from corrlearn.propagate.labels import soft_to_ids

        soft = self.propagator.step(self.extractor(frame))
        ids = soft_to_ids(soft, self.work, self.size, self.preset.minmax)
        rect = mask_to_rect(ids == 1)
        if rect is not None:
            self.rect = rect
        return self.rect.copy()
