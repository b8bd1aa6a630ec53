"""Masks as labels: object ids <-> one-hot soft labels at feature resolution, and soft labels -> ids."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from corrlearn.errors import CorrlearnError
from corrlearn.io.masks import VOID_ID
from corrlearn.labels.codec import Geometry, LabelRules
from corrlearn.labels.resize import resize_nearest


def ids_to_onehot(ids: np.ndarray, num_labels: int | None = None) -> torch.Tensor:
    """(H, W) object ids -> (L, H, W) float one-hot, L = max id + 1; void (255) counts as background."""
    t = torch.from_numpy(np.where(ids == VOID_ID, 0, ids).astype(np.int64))
    n = int(t.max()) + 1 if num_labels is None else num_labels
    return F.one_hot(t, n).permute(2, 0, 1).float()


def downsample_labels(
    ids: np.ndarray, grid: tuple[int, int], mode: str, num_labels: int | None = None
) -> torch.Tensor:
    """First-frame ids -> (L, h, w) soft labels on the feature grid.

    ``bilinear`` interpolates the one-hot maps (soft borders, as CRW); ``nearest`` picks the id under each
    cell's centre (hard, PIL NEAREST as STT, DINO, UVC and ContrastCorr: :func:`.resize.resize_nearest`).
    ``num_labels`` defaults to the full-size mask's largest id + 1.
    """
    if mode == "bilinear":
        onehot = ids_to_onehot(ids, num_labels)
        return F.interpolate(onehot[None], size=grid, mode="bilinear", align_corners=False)[0]
    if mode == "nearest":
        n = int(np.where(ids == VOID_ID, 0, ids).max()) + 1 if num_labels is None else num_labels
        return ids_to_onehot(resize_nearest(ids, grid), n)
    raise ValueError(f"label_downsample must be 'bilinear' or 'nearest', got {mode!r}")


def soft_to_ids(
    soft: torch.Tensor, work_size: tuple[int, int], out_size: tuple[int, int], minmax: bool
) -> np.ndarray:
    """(L, h, w) soft labels -> (H, W) uint8 ids: bilinear upsampling, optional per-channel min-max, argmax.

    The argmax is taken at the network's input resolution and brought to the frame's size with nearest
    neighbour sampling each pixel's centre, as DINO, UVC and ContrastCorr do (PIL NEAREST).
    """
    up = F.interpolate(soft[None].float(), size=work_size, mode="bilinear", align_corners=False)[0]
    if minmax:
        flat = up.flatten(1)
        lo = flat.min(dim=1).values[:, None, None]
        hi = flat.max(dim=1).values[:, None, None]
        up = (up - lo) / (hi - lo).clamp_min(1e-12)
    ids = up.argmax(dim=0).to(torch.uint8)
    if tuple(work_size) != tuple(out_size):
        ids = resize_nearest(ids, out_size)
    return ids.cpu().numpy()


class MaskCodec:
    """Object-id masks (H, W) uint8 in, (H, W) uint8 ids out; void (255) is background on both sides.

    ``num_labels`` fixes the number of channels (default: the first mask's largest id + 1).
    """

    name = "masks"

    def __init__(self, num_labels: int | None = None):
        self.num_labels = num_labels

    def check(self, annotation: np.ndarray, frame_size: tuple[int, int]) -> None:
        if tuple(annotation.shape) != tuple(frame_size):
            raise CorrlearnError(
                f"first mask is {annotation.shape[::-1]} (w, h) but frames are {tuple(frame_size)[::-1]}"
            )

    def encode(self, annotation: np.ndarray, geo: Geometry, rules: LabelRules) -> torch.Tensor:
        return downsample_labels(annotation, geo.grid, rules.label_downsample, self.num_labels)

    def first(self, annotation: np.ndarray, geo: Geometry, rules: LabelRules) -> np.ndarray:
        return np.where(annotation == VOID_ID, 0, annotation).astype(np.uint8)

    def decode(
        self, soft: torch.Tensor, geo: Geometry, rules: LabelRules, previous: np.ndarray
    ) -> np.ndarray:
        return soft_to_ids(soft, geo.work_size, geo.frame_size, rules.minmax)
