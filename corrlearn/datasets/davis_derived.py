"""DAVIS sequences seen as the other benchmarks' layouts, for runs without those datasets.

The images are real DAVIS frames; what the other benchmark would annotate is derived from DAVIS's masks:

* :func:`davis_as_jhmdb` -- a JHMDB-layout keypoint benchmark with known motion. For each sequence the first
  frame is resized to JHMDB's 320x240 and moved by a known integer translation per frame (reflected
  borders); 15 "joints" are drawn inside the annotated object, so their true position in every frame is known
  exactly. Written in JHMDB's layout (Rename_Images/, joint_positions/ with 1-indexed ``pos_img``,
  splits/davis_test_split1.txt) and read by :func:`corrlearn.datasets.load_jhmdb`. The motion is synthetic.
* :func:`davis_as_otb` -- a DAVIS sequence as an OTB sequence: frames are linked (not copied) into
  ``OUT/<seq>/img/0001.jpg ...`` and ``groundtruth_rect.txt`` holds the tight box of the foreground (all
  object ids together, void excluded) in OTB's 1-indexed x, y, w, h; an empty mask gives ``0,0,0,0``, an
  invalid box that stays in the metrics' denominator, as OTB's own invalid frames do.
* :func:`two_object_sequence` -- a DAVIS-2017 sequence with two objects and a void band, from a
  single-object DAVIS-2016 mask: the object of each annotation is split at the first mask's centroid column
  into id 1 (left) and id 2 (right), and a band of ``void_px`` pixels around the object is marked 255 (void),
  as DAVIS-2017 draws around object borders. The result is a DAVIS-2017 root (linked frames, palette PNGs
  with the DAVIS palette, ``ImageSets/2017/val.txt``) at the 480p path, whatever the source resolution.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from corrlearn.datasets.davis import (
    RESOLUTION,
    annotation_dir,
    frames_dir,
    list_sequences,
    sequence_list_path,
)
from corrlearn.datasets.otb import OtbSequence, write_rects
from corrlearn.errors import CorrlearnError
from corrlearn.io.masks import VOID_ID, read_mask, write_mask
from corrlearn.labels.boxes import mask_to_rect

# --------------------------------------------------------------------------------------------- JHMDB
SIZE = (240, 320)  # JHMDB frames, (H, W)
CLASS = "davis"


def trajectory(num_frames: int, max_shift: float) -> np.ndarray:
    """(T, 2) integer (dx, dy): a diagonal drift with a vertical bump, 0 at frame 0."""
    t = np.linspace(0.0, 1.0, num_frames)
    return np.round(np.stack([max_shift * t, 0.5 * max_shift * np.sin(np.pi * t)], 1)).astype(np.int64)


def sample_joints(mask: np.ndarray, num: int, rng: np.random.Generator) -> np.ndarray:
    """(2, num) [x; y] pixels inside the (eroded) mask; the whole frame if the mask is empty."""
    inner = cv2.erode(mask.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    ys, xs = np.nonzero(inner if inner.sum() >= num else mask if mask.sum() >= num else np.ones_like(mask))
    pick = rng.choice(len(xs), size=num, replace=False)
    return np.stack([xs[pick], ys[pick]]).astype(np.float64)


def davis_as_jhmdb(
    davis_root: str | os.PathLike,
    out_root: str | os.PathLike,
    sequences: list[str] | None = None,
    num_frames: int = 20,
    max_shift: float = 24.0,
    seed: int = 0,
) -> list[str]:
    """Write the pseudo-JHMDB root; return the video names ("davis/<sequence>")."""
    from scipy.io import savemat

    davis_root, out_root = Path(davis_root), Path(out_root)
    seqs = sequences or list_sequences(davis_root)
    shifts = trajectory(num_frames, max_shift)
    split_lines = []
    for i, seq in enumerate(seqs):
        first = frames_dir(davis_root, seq) / "00000.jpg"
        img = cv2.imread(str(first))
        if img is None:
            raise CorrlearnError(f"{first}: frame missing or unreadable")
        img = cv2.resize(img, SIZE[::-1], interpolation=cv2.INTER_AREA)
        mask = read_mask(annotation_dir(davis_root, seq) / "00000.png").ids > 0
        mask = cv2.resize(mask.astype(np.uint8), SIZE[::-1], interpolation=cv2.INTER_NEAREST) > 0
        joints0 = sample_joints(mask, 15, np.random.default_rng([seed, i]))
        out_frames = out_root / "Rename_Images" / CLASS / seq
        out_frames.mkdir(parents=True, exist_ok=True)
        pos = np.zeros((2, 15, num_frames))
        for t, (dx, dy) in enumerate(shifts):
            m = np.float64([[1, 0, dx], [0, 1, dy]])
            cv2.imwrite(
                str(out_frames / f"{t + 1:05d}.png"),
                cv2.warpAffine(img, m, SIZE[::-1], borderMode=cv2.BORDER_REFLECT),
            )
            pos[:, :, t] = joints0 + np.array([[dx], [dy]]) + 1  # 1-indexed like JHMDB
        mat_dir = out_root / "joint_positions" / CLASS / seq
        mat_dir.mkdir(parents=True, exist_ok=True)
        savemat(str(mat_dir / "joint_positions.mat"), {"pos_img": pos})
        split_lines.append(f"{seq}.avi 2")
    (out_root / "splits").mkdir(parents=True, exist_ok=True)
    (out_root / "splits" / f"{CLASS}_test_split1.txt").write_text("\n".join(split_lines) + "\n")
    return [f"{CLASS}/{s}" for s in seqs]


# --------------------------------------------------------------------------------------------- OTB
def davis_as_otb(
    davis_root: str | os.PathLike, seq: str, out_root: str | os.PathLike, max_frames: int | None = None
) -> OtbSequence:
    """Write ``out_root/seq`` in the OTB layout from a DAVIS sequence; return it as an :class:`OtbSequence`."""
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
        ids = read_mask(ann).ids
        rect = mask_to_rect((ids > 0) & (ids != VOID_ID))
        boxes.append(np.zeros(4) if rect is None else rect)
        link = img / f"{i:04d}.jpg"
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(f.resolve())
        links.append(link)
    gt = out_root / seq / "groundtruth_rect.txt"
    write_rects(gt, np.stack(boxes))
    return OtbSequence(name=seq, frames=links, boxes=np.stack(boxes), gt_path=gt)


# --------------------------------------------------------------------------------------------- DAVIS-2017
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
