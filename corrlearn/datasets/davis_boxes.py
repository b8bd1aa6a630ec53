"""A DAVIS sequence seen as an OTB sequence: the object's box from each annotated mask.

Used to run the box trackers end to end on real video when OTB itself is not at hand: frames are linked
(not copied) into ``OUT/<seq>/img/0001.jpg ...`` and ``groundtruth_rect.txt`` holds the tight box of the
foreground (all object ids together) in OTB's 1-indexed x, y, w, h; an empty mask gives ``0,0,0,0``, an
invalid box that stays in the metrics' denominator, as OTB's own invalid frames do.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from corrlearn.datasets.davis import annotation_dir, frames_dir
from corrlearn.datasets.otb import OtbSequence, write_rects
from corrlearn.errors import CorrlearnError


def mask_box(ids: np.ndarray) -> np.ndarray:
    """Tight 1-indexed x, y, w, h box of the non-zero pixels (void 255 excluded); zeros when empty."""
    fg = (ids > 0) & (ids != 255)
    if not fg.any():
        return np.zeros(4)
    ys, xs = np.nonzero(fg)
    return np.array(
        [xs.min() + 1, ys.min() + 1, xs.max() - xs.min() + 1, ys.max() - ys.min() + 1], np.float64
    )


def davis_as_otb(
    davis_root: str | os.PathLike, seq: str, out_root: str | os.PathLike, max_frames: int | None = None
) -> OtbSequence:
    """Write ``out_root/seq`` in the OTB layout from a DAVIS sequence; return it as an :class:`OtbSequence`."""
    from corrlearn.io.masks import read_mask

    davis_root, out_root = Path(davis_root), Path(out_root)
    jpg_dir = frames_dir(davis_root, seq)
    ann_dir = annotation_dir(davis_root, seq)
    if not jpg_dir.is_dir() or not ann_dir.is_dir():
        raise CorrlearnError(f"{davis_root}: no DAVIS sequence {seq!r} ({jpg_dir} and {ann_dir})")
    frames = sorted(jpg_dir.glob("*.jpg"))[:max_frames]
    img = out_root / seq / "img"
    img.mkdir(parents=True, exist_ok=True)
    boxes, links = [], []
    for i, f in enumerate(frames, 1):
        ann = ann_dir / f"{f.stem}.png"
        if not ann.is_file():
            raise CorrlearnError(f"{ann}: annotation missing for frame {f.name}")
        boxes.append(mask_box(read_mask(ann).ids))
        link = img / f"{i:04d}.jpg"
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(f.resolve())
        links.append(link)
    gt = out_root / seq / "groundtruth_rect.txt"
    write_rects(gt, np.stack(boxes))
    return OtbSequence(name=seq, frames=links, boxes=np.stack(boxes), gt_path=gt)
