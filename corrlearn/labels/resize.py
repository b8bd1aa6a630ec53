"""Nearest-neighbour resizing of label maps with PIL's centre sampling, the one resize every codec uses.

Output cell ``i`` of ``n_out`` takes source index ``floor((i + 0.5) * n_in / n_out)``: the source pixel under the
cell's centre, as ``PIL.Image.resize(..., NEAREST)`` does (Pillow's ``ImagingScaleAffine``), and so as
DINO, UVC, ContrastCorr (``scipy.misc.imresize``, PIL underneath) and STT (``mmcv.imresize`` with the pillow
backend) resize their masks. torch's ``interpolate(mode="nearest")`` samples ``floor(i * n_in / n_out)``, the
cell's top-left corner, half a cell off. The position is accumulated in float64 the way Pillow accumulates
it, so positions that land exactly on an integer round as Pillow's do (e.g. 832 -> 854, column 213).
"""

from __future__ import annotations

import numpy as np
import torch


def centre_indices(n_in: int, n_out: int) -> np.ndarray:
    """Source index (int64, length ``n_out``) of each output cell when ``n_in`` samples become ``n_out``."""
    if n_in < 1 or n_out < 1:
        raise ValueError(f"sizes must be positive, got {n_in} -> {n_out}")
    step = n_in / n_out
    # Pillow starts at step / 2 and adds step per cell; a running sum, not (i + 0.5) * step, so ties agree
    pos = np.add.accumulate(np.concatenate([[step * 0.5], np.full(n_out - 1, step)]))
    return np.minimum(pos.astype(np.int64), n_in - 1)


def resize_nearest(x, size: tuple[int, int]):
    """(..., H, W) array or tensor -> (..., h, w) of the same type, by PIL-style centre sampling.

    Values are picked, never mixed, so ids (and one-hot maps) stay what they are.
    """
    h, w = (int(s) for s in size)
    H, W = x.shape[-2:]
    if (H, W) == (h, w):
        return x
    rows, cols = centre_indices(H, h), centre_indices(W, w)
    if isinstance(x, torch.Tensor):
        rows_t = torch.from_numpy(rows).to(x.device)
        cols_t = torch.from_numpy(cols).to(x.device)
        return x.index_select(-2, rows_t).index_select(-1, cols_t)
    return x[..., rows[:, None], cols[None, :]]
