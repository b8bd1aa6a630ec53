"""Streaming label propagation: frames -> features -> affinity -> soft labels -> masks.

Each frame's features are computed once; the context bank holds the first frame and the last ``context``
predictions, so memory is bounded by the context length, never by the video length.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from corrlearn.affinity import propagate_labels
from corrlearn.errors import CorrlearnError
from corrlearn.io.masks import VOID_ID
from corrlearn.models import Encoder
from corrlearn.propagate.labels import downsample_labels, soft_to_ids
from corrlearn.propagate.pairwise import pairwise_propagate
from corrlearn.propagate.presets import Preset


def working_size(height: int, width: int, preset: Preset) -> tuple[int, int]:
    """Size (H, W) at which the encoder sees a frame under ``preset``."""
    if preset.short_side is not None:
        scale = preset.short_side / min(height, width)
        height, width = round(height * scale), round(width * scale)
    m = preset.long_multiple
    if m > 1:
        if height >= width:
            height = max(m, height // m * m)
        else:
            width = max(m, width // m * m)
    return height, width


class FeatureExtractor:
    """Frame (RGB uint8, H x W x 3) -> (C, h, w) features as the preset wants them."""

    def __init__(self, encoder: Encoder, preset: Preset, device: str | torch.device = "cpu"):
        # an encoder whose weights fix its input (ImageNet trunks) reads its own colour space under any preset
        if encoder.input_space != preset.input_space and not getattr(encoder, "fixed_input", False):
            raise CorrlearnError(
                f"preset {preset.name!r} expects {preset.input_space} input but the encoder takes {encoder.input_space}"
            )
        self.encoder = encoder.to(device).eval()
        self.preset = preset
        self.device = torch.device(device)

    def work_size(self, height: int, width: int) -> tuple[int, int]:
        return working_size(height, width, self.preset)

    def grid_for(self, height: int, width: int) -> tuple[int, int]:
        """Feature grid (h, w) for a frame of this size."""
        wh, ww = self.work_size(height, width)
        s = self.encoder.stride
        return -(-wh // s), -(-ww // s)

    @torch.no_grad()
    def __call__(self, frame: np.ndarray) -> torch.Tensor:
        wh, ww = self.work_size(*frame.shape[:2])
        if (wh, ww) != frame.shape[:2]:
            frame = cv2.resize(frame, (ww, wh), interpolation=cv2.INTER_LINEAR)
        x = (
            torch.from_numpy(np.ascontiguousarray(frame)).to(self.device).permute(2, 0, 1)[None].float()
            / 255.0
        )
        feat = self.encoder(x)[0].float()
        if self.preset.l2_normalize:
            feat = F.normalize(feat, dim=0)
        return feat


class Propagator:
    """Carries soft labels from frame to frame through a first-frame + recent-context bank."""

    def __init__(self, preset: Preset, backend: str = "auto"):
        self.preset = preset
        self.backend = backend
        self._first: tuple[torch.Tensor, torch.Tensor] | None = None
        self._recent: deque[tuple[torch.Tensor, torch.Tensor]] = deque(maxlen=max(preset.context, 0))

    def reset(self, feat0: torch.Tensor, labels0: torch.Tensor) -> None:
        """Start a video: features (C, h, w) and soft labels (L, h, w) of the annotated frame."""
        if feat0.shape[1:] != labels0.shape[1:]:
            raise ValueError(
                f"labels {tuple(labels0.shape)} do not match the feature grid {tuple(feat0.shape)}"
            )
        self._first = (feat0, labels0.to(feat0.device).float())
        self._recent.clear()
        if self.preset.pad_with_first:
            self._recent.extend([self._first] * self.preset.context)

    @torch.no_grad()
    def step(self, feat: torch.Tensor) -> torch.Tensor:
        """Soft labels (L, h, w) of the next frame; the prediction joins the context bank."""
        if self._first is None:
            raise RuntimeError("Propagator.step called before reset")
        p = self.preset
        bank = [self._first, *self._recent]
        c, h, w = feat.shape
        query = feat.reshape(c, h * w).T
        restrict = [p.radius_on_first] + [True] * (len(bank) - 1)
        if p.mode == "joint":
            keys = torch.stack([f.reshape(c, h * w).T for f, _ in bank])
            labels = torch.stack([lab.reshape(lab.shape[0], h * w).T for _, lab in bank])
            out = propagate_labels(
                query,
                keys,
                labels,
                p.topk,
                p.temperature,
                grid=(h, w),
                radius=p.radius,
                radius_shape=p.radius_shape,
                restrict=restrict,
                normalize=p.normalize,
                backend=self.backend,
            )
        elif p.mode == "pairwise":
            preds = [
                pairwise_propagate(
                    query,
                    f.reshape(c, h * w).T,
                    lab.reshape(lab.shape[0], h * w).T,
                    p,
                    (h, w),
                    restricted,
                    self.backend,
                )
                for (f, lab), restricted in zip(bank, restrict, strict=True)
            ]
            out = torch.stack(preds).mean(dim=0)
        else:
            raise ValueError(f"unknown propagation mode {p.mode!r}")
        pred = out.T.reshape(-1, h, w)
        if self.preset.context > 0:
            self._recent.append((feat, pred))
        return pred


def segment_video(
    frames: Iterable[np.ndarray],
    first_ids: np.ndarray,
    encoder: Encoder,
    preset: Preset,
    device: str | torch.device = "cpu",
    backend: str = "auto",
    progress: bool = True,
    total: int | None = None,
    desc: str = "propagate",
) -> Iterator[np.ndarray]:
    """Propagate a first-frame mask through a video.

    ``frames`` yields RGB uint8 (H, W, 3) frames, the annotated one first; ``first_ids`` holds its object
    ids (H, W). Yields (H, W) uint8 ids for every frame, the first being ``first_ids`` with void (255) set to
    background: void is never an object, in the labels propagated or in the masks written.
    """
    extractor = FeatureExtractor(encoder, preset, device)
    propagator = Propagator(preset, backend)
    if total is None and hasattr(frames, "__len__"):
        total = len(frames)
    it = iter(frames)
    first = next(it, None)
    if first is None:
        raise CorrlearnError("the video holds no frames")
    size = first.shape[:2]
    if first_ids.shape != size:
        raise CorrlearnError(f"first mask is {first_ids.shape[::-1]} (w, h) but frames are {size[::-1]}")
    work = extractor.work_size(*size)
    feat0 = extractor(first)
    labels0 = downsample_labels(first_ids, tuple(feat0.shape[1:]), preset.label_downsample).to(feat0.device)
    propagator.reset(feat0, labels0)
    bar = tqdm(total=total, desc=desc, unit="frame", disable=not progress, leave=False)
    bar.update(1)
    yield np.where(first_ids == VOID_ID, 0, first_ids).astype(np.uint8)
    for frame in it:
        soft = propagator.step(extractor(frame))
        bar.update(1)
        yield soft_to_ids(soft, work, size, preset.minmax)
    bar.close()
