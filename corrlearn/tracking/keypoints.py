"""Keypoint tracking by label propagation (the JHMDB pose-propagation protocol).

The first frame's joints become label maps (:mod:`corrlearn.keypoints`), the label maps are propagated with
:class:`corrlearn.propagate.Propagator`, and each frame's maps are decoded back to joints.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np
import torch
from tqdm.auto import tqdm

from corrlearn.keypoints import KeypointPreset, decode, draw_gaussian, encode, get_convention


def first_frame_prediction(
    joints: np.ndarray, frame_size: tuple[int, int], grid: tuple[int, int], convention: str
) -> np.ndarray:
    """Frame 0's "prediction" as the references write it: the given label maps decoded.

    CRW decodes the grid maps; STT writes the full-resolution maps as frame 0's prediction, so they are
    decoded at full resolution (top-5 pixels).
    """
    conv = get_convention(convention)
    if conv.on_grid:
        return decode(encode(joints, frame_size, grid, conv), frame_size, conv)
    full = np.zeros((joints.shape[1], *frame_size))
    for j in range(joints.shape[1]):
        draw_gaussian(full[j], joints[0, j], joints[1, j], conv.sigma)
    flat = torch.from_numpy(full).reshape(joints.shape[1], -1)
    k = conv.topk
    vals, idx = torch.topk(flat, k, dim=1)
    wts = vals / vals.sum(1, keepdim=True).clamp_min(1e-300)
    xy = torch.stack([((idx % frame_size[1]) * wts).sum(1), ((idx // frame_size[1]) * wts).sum(1)]).numpy()
    xy[:, flat.sum(1).numpy() == 0] = -1
    return xy


@torch.no_grad()
def propagate_keypoints(
    frames: Iterable[np.ndarray],
    joints0: np.ndarray,
    encoder,
    preset: KeypointPreset,
    device: str | torch.device = "cpu",
    backend: str = "auto",
    progress: bool = True,
    desc: str = "keypoints",
) -> np.ndarray:
    """Track (2, J) first-frame joints through ``frames`` (RGB uint8); return (2, J, T) in original pixels.

    Frames are resized to ``preset.input_size`` (aspect not kept) before the encoder; decoded joints are in
    the original frame's pixels, -1 where a joint's map lost all mass.
    """
    from corrlearn.propagate import FeatureExtractor, Propagator

    prop = preset.propagation.replace(short_side=None, long_multiple=1)  # the resize happens here
    extractor = FeatureExtractor(encoder, prop, device)
    propagator = Propagator(prop, backend)
    ih, iw = preset.input_size
    total = len(frames) if hasattr(frames, "__len__") else None
    out, size = [], None
    for t, frame in enumerate(
        tqdm(frames, total=total, desc=desc, unit="frame", disable=not progress, leave=False)
    ):
        feat = extractor(cv2.resize(frame, (iw, ih), interpolation=cv2.INTER_LINEAR))
        if t == 0:
            size = frame.shape[:2]
            grid = tuple(feat.shape[1:])
            propagator.reset(feat, encode(joints0, size, grid, preset.convention).to(feat.device))
            out.append(first_frame_prediction(joints0, size, grid, preset.convention))
        else:
            out.append(decode(propagator.step(feat), size, preset.convention))
    return np.stack(out, axis=2)
