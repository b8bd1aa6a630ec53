"""Propagation on real DAVIS-2016 val video with the seeded random ResNet-18 and the crw preset."""

import cv2
import numpy as np
import pytest

from corrlearn import models
from corrlearn.datasets.davis import annotation_dir, frames_dir
from corrlearn.io.frames import open_frames
from corrlearn.io.masks import read_mask
from corrlearn.propagate import get_preset, segment_video

pytestmark = pytest.mark.realdata


def _j(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def _j_prop_and_copy(davis_root, seq: str, num_frames: int | None, scale: float) -> tuple[float, float]:
    """Mean J of crw propagation and of copying the first mask, over frames 1..N-2 (the official protocol)."""
    src = open_frames(frames_dir(davis_root, seq))
    names = src.names[:num_frames]
    frames, gts = [], []
    for i, name in enumerate(names):
        frame = src.read(i)
        gt = read_mask(annotation_dir(davis_root, seq) / f"{name}.png").ids
        if scale != 1:
            size = (round(frame.shape[1] * scale), round(frame.shape[0] * scale))
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
            gt = cv2.resize(gt, size, interpolation=cv2.INTER_NEAREST)
        frames.append(frame)
        gts.append(gt)
    preds = list(segment_video(frames, gts[0], models.create("resnet18"), get_preset("crw"), progress=False))
    j_prop = np.mean([_j(p > 0, g > 0) for p, g in zip(preds[1:-1], gts[1:-1], strict=True)])
    j_copy = np.mean([_j(gts[0] > 0, g > 0) for g in gts[1:-1]])
    return float(j_prop), float(j_copy)


def test_crw_beats_copying_on_short_half_size_clips(davis_root):
    # The first 12 frames at 240p keep the claim cheap. Measured (2026-11, this encoder): blackswan 0.836 vs
    # copy 0.687, car-shadow 0.906 vs 0.619 (mean gain 0.22).
    gains = {seq: _j_prop_and_copy(davis_root, seq, 12, 0.5) for seq in ("blackswan", "car-shadow")}
    for seq, (j_prop, j_copy) in gains.items():
        assert j_prop > j_copy + 0.1, (seq, j_prop, j_copy)
    assert np.mean([p - c for p, c in gains.values()]) > 0.15, gains


@pytest.mark.slow
def test_crw_beats_copying_first_frame(davis_root):
    # Whole sequences at full size. Reference points (shared/data/README.md): copy 0.545 / 0.408,
    # random-init ResNet-18 + CRW 0.895 / 0.596.
    gains = {seq: _j_prop_and_copy(davis_root, seq, None, 1.0) for seq in ("blackswan", "car-shadow")}
    for seq, (j_prop, j_copy) in gains.items():
        assert j_prop > j_copy + 0.1, (seq, j_prop, j_copy)
    # mean J over both sequences measured here: about 0.77 against 0.48 for copying
    assert np.mean([p for p, _ in gains.values()]) > np.mean([c for _, c in gains.values()]) + 0.2, gains
