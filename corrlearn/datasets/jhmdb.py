"""JHMDB: frames, joint annotations and the official split lists.

Layout of the official download (http://jhmdb.is.tue.mpg.de)::

    ROOT/Rename_Images/<class>/<video>/00001.png ...      frames, 320x240
    ROOT/joint_positions/<class>/<video>/joint_positions.mat   pos_img: 2 x 15 x T, 1-indexed (MATLAB)
    ROOT/splits/<class>_test_split<k>.txt                  "<video>.avi 1|2" per line (1 = train, 2 = test)

The literature's keypoint benchmark is split 1, test subset: 268 videos over the 21 classes. A CRW-style list
file (one "<frames folder> <joint_positions.mat>" pair per line) is also accepted.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from corrlearn.errors import CorrlearnError

NUM_JOINTS = 15
#: JHMDB's joint order (puppet model); index i of pos_img's second axis.
JOINT_NAMES = (
    "neck", "belly", "face", "right_shoulder", "left_shoulder", "right_hip", "left_hip", "right_elbow",
    "left_elbow", "right_knee", "left_knee", "right_wrist", "left_wrist", "right_ankle", "left_ankle",
)  # fmt: skip
FRAME_EXTS = (".png", ".jpg", ".jpeg")


@dataclass
class JhmdbVideo:
    """One annotated video: ``joints`` is (2, 15, T) float64 [x; y] in 0-indexed pixels, T = len(frames)."""

    name: str
    frames: list[Path]
    joints: np.ndarray
    mat_path: Path
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.frames)


def read_joints(path: str | os.PathLike) -> np.ndarray:
    """``pos_img`` of a ``joint_positions.mat`` as (2, J, T) float64, converted to 0-indexed pixels."""
    from scipy.io import loadmat

    path = Path(path)
    if not path.is_file():
        raise CorrlearnError(f"{path}: joint file not found")
    try:
        mat = loadmat(str(path))
    except Exception as exc:  # scipy raises several unrelated types for corrupt files
        raise CorrlearnError(
            f"{path}: cannot read as a MATLAB file ({exc.__class__.__name__}: {exc})"
        ) from None
    if "pos_img" not in mat:
        raise CorrlearnError(
            f"{path}: no 'pos_img' variable (has: {', '.join(k for k in mat if not k.startswith('__'))})"
        )
    pos = np.asarray(mat["pos_img"], dtype=np.float64)
    if pos.ndim == 2:  # a one-frame video loses its last axis in MATLAB
        pos = pos[:, :, None]
    if pos.ndim != 3 or pos.shape[0] != 2:
        raise CorrlearnError(f"{path}: pos_img has shape {pos.shape}, expected 2 x J x T")
    return pos - 1.0


def list_frames(folder: str | os.PathLike) -> list[Path]:
    """Frame files of a video folder in numeric order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CorrlearnError(f"{folder}: frame folder not found")
    files = [p for p in folder.iterdir() if p.suffix.lower() in FRAME_EXTS and not p.name.startswith(".")]
    if not files:
        raise CorrlearnError(f"{folder}: no frames ({', '.join(FRAME_EXTS)})")
    return sorted(files, key=lambda p: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)])


def make_video(name: str, frames_dir: str | os.PathLike, mat_path: str | os.PathLike) -> JhmdbVideo:
    """Pair a frame folder with its joints; frames and annotations are truncated to the shorter (as STT)."""
    frames = list_frames(frames_dir)
    joints = read_joints(mat_path)
    notes = []
    if joints.shape[1] != NUM_JOINTS:
        raise CorrlearnError(f"{mat_path}: {joints.shape[1]} joints, JHMDB has {NUM_JOINTS}")
    t = min(len(frames), joints.shape[2])
    if len(frames) != joints.shape[2]:
        notes.append(f"{len(frames)} frames but {joints.shape[2]} annotated; using the first {t}")
    return JhmdbVideo(
        name=name, frames=frames[:t], joints=joints[:, :, :t], mat_path=Path(mat_path), notes=notes
    )


def read_split_file(path: str | os.PathLike) -> list[tuple[str, int]]:
    """Lines "<video>.avi <1|2>" -> [(video name without extension, flag)]; flag 1 = train, 2 = test."""
    path = Path(path)
    if not path.is_file():
        raise CorrlearnError(f"{path}: split file not found")
    out = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or parts[1] not in ("0", "1", "2"):
            raise CorrlearnError(f"{path}:{n}: expected '<video>.avi <1|2>', got {line.strip()!r}")
        out.append((Path(parts[0]).stem if parts[0].endswith(".avi") else parts[0], int(parts[1])))
    return out


def split_videos(splits_dir: str | os.PathLike, split: int = 1, subset: str = "test") -> list[str]:
    """Videos ("<class>/<video>") of one official split, read from every ``*_test_split<k>.txt``."""
    splits_dir = Path(splits_dir)
    if subset not in ("train", "test"):
        raise CorrlearnError(f"subset must be 'train' or 'test', got {subset!r}")
    files = sorted(splits_dir.glob(f"*_test_split{split}.txt"))
    if not files:
        raise CorrlearnError(f"{splits_dir}: no '*_test_split{split}.txt' files (the JHMDB 'splits' folder)")
    want = 2 if subset == "test" else 1
    names = []
    for f in files:
        cls = f.name[: -len(f"_test_split{split}.txt")]
        names += [f"{cls}/{video}" for video, flag in read_split_file(f) if flag == want]
    return names


def read_list_file(path: str | os.PathLike, root: str | os.PathLike | None = None) -> list[JhmdbVideo]:
    """A CRW-style list: "<frames folder> <joint_positions.mat>" per line (relative paths against ``root``)."""
    path = Path(path)
    if not path.is_file():
        raise CorrlearnError(f"{path}: list file not found")
    base = Path(root) if root is not None else path.parent
    videos = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2:
            raise CorrlearnError(f"{path}:{n}: expected '<frames folder> <joint_positions.mat>'")
        frames_dir, mat = base / parts[0], base / parts[1]
        videos.append(make_video(f"{frames_dir.parent.name}/{frames_dir.name}", frames_dir, mat))
    return videos


def load_jhmdb(
    root: str | os.PathLike, split: int = 1, subset: str = "test", list_file: str | os.PathLike | None = None
) -> list[JhmdbVideo]:
    """The videos of one split of a JHMDB root (or of ``list_file``), sorted by name."""
    root = Path(root)
    if list_file is not None:
        return read_list_file(list_file, root)
    for sub in ("Rename_Images", "joint_positions", "splits"):
        if not (root / sub).is_dir():
            raise CorrlearnError(f"{root}: missing '{sub}' folder; expected the official JHMDB layout")
    videos = []
    for name in sorted(split_videos(root / "splits", split, subset)):
        videos.append(
            make_video(
                name, root / "Rename_Images" / name, root / "joint_positions" / name / "joint_positions.mat"
            )
        )
    return videos
