"""A synthetic DAVIS-2017 sequence with two objects and a void band, built from a single-object DAVIS mask.

For testing the multi-object path on real frames without DAVIS-2017 at hand: the object of each DAVIS-2016
annotation is split at the first mask's centroid column into id 1 (left) and id 2 (right), and a band of
``void_px`` pixels around the object is marked 255 (void), as DAVIS-2017 draws around object borders. The
result is a DAVIS-2017 root (``JPEGImages/480p/<seq>`` linked frames, ``Annotations/480p/<seq>`` palette PNGs
with the DAVIS palette, ``ImageSets/2017/val.txt``), whatever the source resolution.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from corrlearn.datasets.davis import RESOLUTION, annotation_dir, frames_dir, sequence_list_path
from corrlearn.errors import CorrlearnError
from corrlearn.io.masks import VOID_ID, read_mask, write_mask


def two_object_sequence(
    src_root: str | os.PathLike,
    sequence: str,
    dst_root: str | os.PathLike,
    resolution: str = RESOLUTION,
    max_frames: int | None = None,
    void_px: int = 3,
) -> list[np.ndarray]:
    """Write ``sequence`` of the DAVIS-2016 root ``src_root`` as a two-object DAVIS-2017 sequence under
    ``dst_root`` (appending it to ``ImageSets/2017/val.txt``); return the id maps written."""
    src_root, dst_root = Path(src_root), Path(dst_root)
    src_img = frames_dir(src_root, sequence, resolution)
    src_ann = annotation_dir(src_root, sequence, resolution)
    frames = sorted(src_img.glob("*.jpg"))[:max_frames]
    if not frames:
        raise CorrlearnError(f"{src_img}: no JPEG frames")
    img_dir = frames_dir(dst_root, sequence)
    ann_dir = annotation_dir(dst_root, sequence)
    img_dir.mkdir(parents=True, exist_ok=True)
    ann_dir.mkdir(parents=True, exist_ok=True)
    kernel = np.ones((2 * void_px + 1, 2 * void_px + 1), np.uint8)
    cut, out = None, []
    for jpg in frames:
        link = img_dir / jpg.name
        if not link.exists():
            link.symlink_to(jpg.resolve())
        fg = read_mask(src_ann / f"{jpg.stem}.png").ids > 0
        if cut is None:
            if not fg.any():
                raise CorrlearnError(f"{src_ann / jpg.stem}.png: the first mask is empty")
            cut = int(np.nonzero(fg)[1].mean())
        ids = np.zeros(fg.shape, np.uint8)
        ids[fg] = 1
        ids[fg & (np.arange(fg.shape[1])[None] >= cut)] = 2
        ids[cv2.dilate(fg.astype(np.uint8), kernel).astype(bool) & ~fg] = VOID_ID
        write_mask(ann_dir / f"{jpg.stem}.png", ids)  # palette PNG, DAVIS palette
        out.append(ids)
    val = sequence_list_path(dst_root, "2017")
    val.parent.mkdir(parents=True, exist_ok=True)
    names = val.read_text().split() if val.is_file() else []
    if sequence not in names:
        val.write_text("\n".join([*names, sequence]) + "\n")
    return out
