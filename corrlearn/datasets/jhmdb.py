"""JHMDB: frames, joint annotations and the official split lists.

Layout of the official download (http://jhmdb.is.tue.mpg.de)::

    ROOT/Rename_Images/<class>/<video>/00001.png ...      frames, 320x240
    ROOT/joint_positions/<class>/<video>/joint_positions.mat   pos_img: 2 x 15 x T, 1-indexed (MATLAB)
    ROOT/splits/<class>_test_split<k>.txt                  "<video>.avi 1|2" per line (1 = train, 2 = test)

The literature's keypoint benchmark is split 1, test subset: 268 videos over the 21 classes. The list files
CRW / UVC / STT distribute for it (``UVC_testlist_split1.txt`` with the authors' absolute paths,
``SpaThenTemp_val_list.txt`` with relative ones) are read as they are: ``<class>/<video>`` is taken from each
path and looked up under ROOT. A plain list of "<frames folder> <joint_positions.mat>" pairs is accepted too.
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
        lists = sorted(p.name for p in splits_dir.glob("*.txt"))
        hint = f"; pass one of {', '.join(lists)} with --list-file" if lists else ""
        raise CorrlearnError(
            f"{splits_dir}: no '*_test_split{split}.txt' files (the JHMDB 'splits' folder){hint}"
        )
    want = 2 if subset == "test" else 1
    names = []
    for f in files:
        cls = f.name[: -len(f"_test_split{split}.txt")]
        names += [f"{cls}/{video}" for video, flag in read_split_file(f) if flag == want]
    return names


def _video_of(token: str) -> str | None:
    """ "<class>/<video>" from a path holding ``Rename_Images/<class>/<video>`` or
    ``joint_positions/<class>/<video>[/joint_positions.mat]`` (any prefix: the authors' absolute paths)."""
    parts = Path(token).parts
    for key in ("Rename_Images", "joint_positions"):
        if key in parts:
            i = len(parts) - 1 - parts[::-1].index(key)
            if len(parts) >= i + 3:
                return f"{parts[i + 1]}/{parts[i + 2]}"
    return None


def read_list_entries(path: str | os.PathLike, root: str | os.PathLike | None = None) -> list[tuple]:
    """Entries ``(name, frames folder, joint_positions.mat)`` of a list file, in file order.

    Two forms are read. The lists distributed with CRW / UVC / STT (``UVC_testlist_split1.txt``,
    ``SpaThenTemp_val_list.txt``) hold the authors' own absolute or relative paths, ``.mat`` first; only
    ``<class>/<video>`` is taken from them and the files are looked up under ``root`` in the official layout.
    Otherwise each line is ``<frames folder> <joint_positions.mat>`` (either order) relative to ``root``.
    """
    path = Path(path)
    if not path.is_file():
        raise CorrlearnError(f"{path}: list file not found")
    base = Path(root) if root is not None else path.parent
    out = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2:
            raise CorrlearnError(f"{path}:{n}: expected two paths (frames folder, joint_positions.mat)")
        mat, frames = sorted(parts, key=lambda p: not p.endswith(".mat"))
        if not mat.endswith(".mat"):
            raise CorrlearnError(f"{path}:{n}: no '.mat' file among {parts}")
        names = {_video_of(mat), _video_of(frames)}
        if None not in names:
            if len(names) != 1:
                raise CorrlearnError(f"{path}:{n}: frames and joints name different videos: {sorted(names)}")
            name = names.pop()
            out.append(
                (name, base / "Rename_Images" / name, base / "joint_positions" / name / "joint_positions.mat")
            )
        else:
            frames_dir = base / frames
            out.append((f"{frames_dir.parent.name}/{frames_dir.name}", frames_dir, base / mat))
    if not out:
        raise CorrlearnError(f"{path}: lists no videos")
    return out


def read_list_file(path: str | os.PathLike, root: str | os.PathLike | None = None) -> list[JhmdbVideo]:
    """The videos of a list file (see :func:`read_list_entries`), loaded."""
    return [make_video(name, frames, mat) for name, frames, mat in read_list_entries(path, root)]


def load_jhmdb(
    root: str | os.PathLike,
    split: int = 1,
    subset: str = "test",
    list_file: str | os.PathLike | None = None,
    videos: list[str] | None = None,
) -> list[JhmdbVideo]:
    """The videos of one split of a JHMDB root (or of ``list_file``, or the named ``videos``
    "<class>/<video>"), sorted by name."""
    root = Path(root)
    if list_file is not None:
        return sorted(read_list_file(list_file, root), key=lambda v: v.name)
    for sub in ("Rename_Images", "joint_positions") + (() if videos else ("splits",)):
        if not (root / sub).is_dir():
            raise CorrlearnError(f"{root}: missing '{sub}' folder; expected the official JHMDB layout")
    if videos:
        bad = [v for v in videos if v.count("/") != 1]
        if bad:
            raise CorrlearnError(f"video names must be '<class>/<video>', got {bad[0]!r}")
        names = list(videos)
    else:
        names = split_videos(root / "splits", split, subset)
    out = []
    for name in sorted(names):
        out.append(
            make_video(
                name, root / "Rename_Images" / name, root / "joint_positions" / name / "joint_positions.mat"
            )
        )
    return out
