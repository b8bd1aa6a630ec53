"""Streaming label propagation: frames -> features -> affinity -> soft labels -> any label type (a codec).

Each frame's features are computed once; the context bank holds the first frame and the last ``context``
predictions, so memory is bounded by the context length, never by the video length.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from corrlearn import profiling
from corrlearn.affinity import load_kernels, propagate_labels
from corrlearn.errors import CorrlearnError
from corrlearn.labels import Geometry, LabelCodec, MaskCodec
from corrlearn.models import Encoder
from corrlearn.models.inference import check_precision, prepare_encoder, run_encoder
from corrlearn.propagate.pairwise import pairwise_propagate
from corrlearn.propagate.presets import Preset


def working_size(height: int, width: int, preset: Preset) -> tuple[int, int]:
    """Size (H, W) at which the encoder sees a frame under ``preset``."""
    if preset.input_size is not None:
        return tuple(preset.input_size)
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

    def __init__(
        self, encoder: Encoder, preset: Preset, device: str | torch.device = "cpu", precision: str = "fp32"
    ):
        # an encoder whose weights fix its input (ImageNet trunks) reads its own colour space under any preset
        if encoder.input_space != preset.input_space and not getattr(encoder, "fixed_input", False):
            raise CorrlearnError(
                f"preset {preset.name!r} expects {preset.input_space} input but the encoder takes {encoder.input_space}"
            )
        self.device = torch.device(device)
        self.encoder = prepare_encoder(encoder, self.device)
        self.preset = preset
        self.precision = check_precision(precision)

    def work_size(self, height: int, width: int) -> tuple[int, int]:
        return working_size(height, width, self.preset)

    def grid_for(self, height: int, width: int) -> tuple[int, int]:
        """Feature grid (h, w) for a frame of this size."""
        wh, ww = self.work_size(height, width)
        s = self.encoder.stride
        return -(-wh // s), -(-ww // s)

    @torch.no_grad()
    def __call__(self, frame: np.ndarray) -> torch.Tensor:
        return self.many([frame])[0]

    @torch.no_grad()
    def many(self, frames: list[np.ndarray]) -> torch.Tensor:
        """(N, C, h, w) features of same-sized frames in one encoder call (fills a GPU better)."""
        wh, ww = self.work_size(*frames[0].shape[:2])
        with profiling.stage("resize/normalise", self.device):
            batch = np.stack(
                [
                    cv2.resize(f, (ww, wh), interpolation=cv2.INTER_LINEAR) if (wh, ww) != f.shape[:2] else f
                    for f in frames
                ]
            )
            x = torch.from_numpy(batch).to(self.device).permute(0, 3, 1, 2).float() / 255.0
        with profiling.stage("encoder", self.device):
            feat = run_encoder(self.encoder, x, self.precision)
            if self.preset.l2_normalize:
                feat = F.normalize(feat, dim=1)
        return feat


def _batched_features(
    extractor: FeatureExtractor, frames: Iterator[np.ndarray], batch: int
) -> Iterator[torch.Tensor]:
    """Features of each frame, computed ``batch`` frames per encoder call."""
    chunk: list[np.ndarray] = []
    for frame in frames:
        chunk.append(frame)
        if len(chunk) == batch:
            yield from extractor.many(chunk)
            chunk = []
    if chunk:
        yield from extractor.many(chunk)


class Propagator:
    """Carries soft labels from frame to frame through a first-frame + recent-context bank.

    The bank is a preallocated ring buffer: slot 0 holds the first frame's keys (Nk, C) and labels (Nk, L),
    slots 1..context the recent predictions, overwritten oldest first. Each step hands the store and the
    logical order (first, oldest .. newest) to the affinity, so nothing is re-stacked per frame; results equal
    those of the stacked bank (same flat indices, same tie rule). Padding with the first frame points the
    padded entries at slot 0 instead of copying it.
    """

    def __init__(self, preset: Preset, backend: str = "auto"):
        self.preset = preset
        self.backend = backend
        self._keys: torch.Tensor | None = None  # (1 + context, Nk, C)
        self._labels: torch.Tensor | None = None  # (1 + context, Nk, L)
        self._recent: deque[int] = deque(maxlen=max(preset.context, 0))  # slots, oldest first
        self._pushed = 0
        self._grid: tuple[int, int] | None = None

    def reset(self, feat0: torch.Tensor, labels0: torch.Tensor) -> None:
        """Start a video: features (C, h, w) and soft labels (L, h, w) of the annotated frame."""
        if feat0.shape[1:] != labels0.shape[1:]:
            raise ValueError(
                f"labels {tuple(labels0.shape)} do not match the feature grid {tuple(feat0.shape)}"
            )
        c, h, w = feat0.shape
        n_lab = labels0.shape[0]
        slots = 1 + max(self.preset.context, 0)
        keys_shape, labels_shape = (slots, h * w, c), (slots, h * w, n_lab)
        # reuse the store across videos of the same size (no re-allocation, no RSS growth)
        if (
            self._keys is None
            or self._keys.shape != keys_shape
            or self._keys.dtype != feat0.dtype
            or self._keys.device != feat0.device
        ):
            self._keys = torch.empty(keys_shape, dtype=feat0.dtype, device=feat0.device)
        if self._labels is None or self._labels.shape != labels_shape or self._labels.device != feat0.device:
            self._labels = torch.empty(labels_shape, dtype=torch.float32, device=feat0.device)
        self._keys[0].copy_(feat0.reshape(c, h * w).T)
        self._labels[0].copy_(labels0.reshape(n_lab, h * w).T)
        self._grid = (h, w)
        self._recent.clear()
        self._pushed = 0
        if self.preset.pad_with_first:
            self._recent.extend([0] * self.preset.context)

    @torch.no_grad()
    def step(self, feat: torch.Tensor) -> torch.Tensor:
        """Soft labels (L, h, w) of the next frame; the prediction joins the context bank."""
        if self._keys is None:
            raise RuntimeError("Propagator.step called before reset")
        p = self.preset
        c, h, w = feat.shape
        if (h, w) != self._grid or c != self._keys.shape[2]:
            raise ValueError(f"features {tuple(feat.shape)} do not match the first frame's {self._grid}")
        slots = [0, *self._recent]
        query = feat.reshape(c, h * w).T.to(self._keys.dtype).contiguous()
        restrict = [p.radius_on_first] + [True] * (len(slots) - 1)
        with profiling.stage("affinity", feat.device):
            if p.mode == "joint":
                out = propagate_labels(
                    query,
                    self._keys,
                    self._labels,
                    p.topk,
                    p.temperature,
                    grid=(h, w),
                    radius=p.radius,
                    radius_shape=p.radius_shape,
                    restrict=restrict,
                    normalize=p.normalize,
                    backend=self.backend,
                    slots=slots,
                )
            elif p.mode == "pairwise":
                preds = [
                    pairwise_propagate(
                        query, self._keys[s], self._labels[s], p, (h, w), restricted, self.backend
                    )
                    for s, restricted in zip(slots, restrict, strict=True)
                ]
                out = torch.stack(preds).mean(dim=0)
            else:
                raise ValueError(f"unknown propagation mode {p.mode!r}")
        if p.context > 0:
            # the slot of the oldest recent frame, which leaves the bank now (slots cycle 1..context)
            slot = 1 + self._pushed % p.context
            self._pushed += 1
            self._keys[slot].copy_(query)
            self._labels[slot].copy_(out)
            self._recent.append(slot)
        return out.T.reshape(-1, h, w)


def propagate(
    frames: Iterable[np.ndarray],
    annotation: Any,
    codec: LabelCodec,
    encoder: Encoder,
    preset: Preset,
    device: str | torch.device = "cpu",
    backend: str = "auto",
    progress: bool = True,
    total: int | None = None,
    desc: str = "propagate",
    precision: str = "fp32",
    feature_batch: int | None = None,
    pipeline: bool = False,
) -> Iterator[Any]:
    """Propagate a first-frame annotation of any label type through a video; yield one output per frame.

    ``frames`` yields RGB uint8 (H, W, 3) frames, the annotated one first; ``codec`` (a
    :class:`~corrlearn.labels.LabelCodec`: masks, keypoints, boxes) turns ``annotation`` into soft labels on
    the feature grid and each frame's propagated soft labels back into its output form; the first output is
    the codec's own rendering of the annotation. ``preset`` is the protocol (input size, affinity, context).
    ``precision="bf16"`` runs the encoder under bfloat16 autocast (see :mod:`corrlearn.models.inference`).
    ``feature_batch`` frames go through the encoder per call (default 8 on CUDA, 1 on CPU, where batching
    gains nothing and would delay the first outputs); propagation itself is sequential.
    ``pipeline=True`` decodes and encodes frame t + 1 on a second thread while frame t is propagated (the
    numba kernel releases the GIL): with one compute thread each (``corrlearn.threads.set_threads(1)``) two
    cores work without waiting on each other's barriers. Results are identical either way.
    """
    extractor = FeatureExtractor(encoder, preset, device, precision)
    propagator = Propagator(preset, backend)
    if total is None and hasattr(frames, "__len__"):
        total = len(frames)
    it = iter(frames)
    prof = profiling.active()
    if prof is not None:
        it = prof.timed_iter("decode", it)
        if "kernel load" not in prof.done:  # once per process: later segments find the kernels loaded
            prof.done.add("kernel load")
            with prof.stage("kernel load"):
                load_kernels(backend, extractor.device)
    first = next(it, None)
    if first is None:
        raise CorrlearnError("the video holds no frames")
    size = first.shape[:2]
    codec.check(annotation, size)
    feat0 = extractor(first)
    geo = Geometry(size, extractor.work_size(*size), tuple(feat0.shape[1:]))
    propagator.reset(feat0, codec.encode(annotation, geo, preset).to(feat0.device))
    bar = tqdm(total=total, desc=desc, unit="frame", disable=not progress, leave=False)
    bar.update(1)
    out = codec.first(annotation, geo, preset)
    yield out
    if feature_batch is None:
        feature_batch = 8 if extractor.device.type == "cuda" else 1
    feats = _batched_features(extractor, it, max(1, feature_batch))
    for feat in _ahead(feats) if pipeline else feats:
        soft = propagator.step(feat)
        with profiling.stage("label decode"):
            out = codec.decode(soft, geo, preset, out)
        bar.update(1)
        yield out
    bar.close()


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
    precision: str = "fp32",
    feature_batch: int | None = None,
    pipeline: bool = False,
) -> Iterator[np.ndarray]:
    """Propagate a first-frame mask through a video: :func:`propagate` with the mask codec.

    ``first_ids`` holds the annotated frame's object ids (H, W); yields (H, W) uint8 ids for every frame, the
    first being ``first_ids`` with void (255) set to background: void is never an object, in the labels
    propagated or in the masks written. The other arguments are :func:`propagate`'s.
    """
    return propagate(
        frames, first_ids, MaskCodec(), encoder, preset, device, backend, progress, total, desc, precision,
        feature_batch, pipeline,
    )  # fmt: skip


def _ahead(items: Iterator[torch.Tensor]) -> Iterator[torch.Tensor]:
    """The items of ``items``, the next one always being produced on a worker thread meanwhile."""
    done = object()
    with ThreadPoolExecutor(max_workers=1) as pool:
        fut = pool.submit(next, items, done)
        while True:
            item = fut.result()
            if item is done:
                return
            fut = pool.submit(next, items, done)
            yield item
