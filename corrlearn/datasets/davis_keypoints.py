"""DAVIS frames as a JHMDB-layout keypoint benchmark with known motion (for runs without JHMDB).

For each sequence, the first frame is resized to JHMDB's 320x240 and moved by a known integer translation
per frame (reflected borders); 15 "joints" are drawn inside the annotated object, so their true position in
every frame is known exactly. The result is written in JHMDB's layout (Rename_Images/, joint_positions/ with
1-indexed ``pos_img``, splits/davis_test_split1.txt) and read by :func:`corrlearn.datasets.load_jhmdb`.
The motion is synthetic; the images are real.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from corrlearn.datasets.davis import annotation_dir, frames_dir, list_sequences
from corrlearn.errors import CorrlearnError

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

    from corrlearn.io.masks import read_mask

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
