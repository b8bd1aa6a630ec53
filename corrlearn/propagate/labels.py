"""Label maps: object ids <-> one-hot soft labels at feature resolution, and soft labels -> ids."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from corrlearn.io.masks import VOID_ID


def ids_to_onehot(ids: np.ndarray, num_labels: int | None = None) -> torch.Tensor:
    """(H, W) object ids -> (L, H, W) float one-hot, L = max id + 1; void (255) counts as background."""
    t = torch.from_numpy(np.where(ids == VOID_ID, 0, ids).astype(np.int64))
    n = int(t.max()) + 1 if num_labels is None else num_labels
    return F.one_hot(t, n).permute(2, 0, 1).float()


def downsample_labels(
    ids: np.ndarray, grid: tuple[int, int], mode: str, num_labels: int | None = None
) -> torch.Tensor:
    """First-frame ids -> (L, h, w) soft labels on the feature grid.

    ``bilinear`` interpolates the one-hot maps (soft borders, as CRW); ``nearest`` picks ids (hard, as STT).
    """
    onehot = ids_to_onehot(ids, num_labels)
    if mode == "bilinear":
        return F.interpolate(onehot[None], size=grid, mode="bilinear", align_corners=False)[0]
    if mode == "nearest":
        return F.interpolate(onehot[None], size=grid, mode="nearest")[0]
    raise ValueError(f"label_downsample must be 'bilinear' or 'nearest', got {mode!r}")


def soft_to_ids(
    soft: torch.Tensor, work_size: tuple[int, int], out_size: tuple[int, int], minmax: bool
) -> np.ndarray:
    """(L, h, w) soft labels -> (H, W) uint8 ids: bilinear upsampling, optional per-channel min-max, argmax.

    The argmax is taken at the network's input resolution and brought to the frame's size with nearest
    neighbour, as the peers do.
    """
    up = F.interpolate(soft[None].float(), size=work_size, mode="bilinear", align_corners=False)[0]
    if minmax:
        flat = up.flatten(1)
        lo = flat.min(dim=1).values[:, None, None]
        hi = flat.max(dim=1).values[:, None, None]
        up = (up - lo) / (hi - lo).clamp_min(1e-12)
    ids = up.argmax(dim=0).to(torch.uint8)
    if tuple(work_size) != tuple(out_size):
        ids = F.interpolate(ids[None, None].float(), size=out_size, mode="nearest")[0, 0].to(torch.uint8)
    return ids.cpu().numpy()
