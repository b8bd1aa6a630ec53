"""OTB-2015 (OTB-100) sequences: frames and ground-truth boxes.

Layout: ``ROOT/<Seq>/img/0001.jpg ...`` and ``ROOT/<Seq>/groundtruth_rect.txt`` with one ``x,y,w,h`` box per
line (1-indexed MATLAB pixels; separators are commas, tabs or spaces depending on the sequence).
Boxes are returned exactly as stored; a tracker seeded with them and writing boxes in the same convention
is evaluated consistently.

Known quirks, kept as data in :data:`FRAME_RANGES` and :data:`MULTI_TARGET`:

* some sequences have more frames than annotations; the benchmark uses a fixed 1-based frame range (from the
  official toolkit's ``configSeqs`` / got10k): David 300-770, Football1 1-74, Freeman3 1-460, Freeman4
  1-283, Diving 1-215, plus Tiger1 6-354, BlurCar1 247-988, BlurCar3 3-359, BlurCar4 18-397 in
  distributions whose image folders hold the un-trimmed clip. A range is applied only when the frame count
  differs from the box count, and must then make them equal;
* Jogging and Skating2 hold two targets (``groundtruth_rect.1.txt`` / ``.2.txt``), evaluated as the
  sequences Jogging.1, Jogging.2, Skating2.1, Skating2.2; Human4 ships only ``groundtruth_rect.2.txt``
  (sequence Human4.2 in the toolkit; here Human4);
* Board's frames are named with five digits (sorting is numeric, so it does not matter).
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from corrlearn.errors import CorrlearnError

#: 1-based inclusive frame ranges of sequences whose image folder is longer than the annotation.
FRAME_RANGES: dict[str, tuple[int, int]] = {
    "David": (300, 770),
    "Football1": (1, 74),
    "Freeman3": (1, 460),
    "Freeman4": (1, 283),
    "Diving": (1, 215),
    "Tiger1": (6, 354),
    "BlurCar1": (247, 988),
    "BlurCar3": (3, 359),
    "BlurCar4": (18, 397),
}
#: Folders holding several targets, and the ground-truth files of each.
MULTI_TARGET: dict[str, tuple[str, ...]] = {
    "Jogging": ("groundtruth_rect.1.txt", "groundtruth_rect.2.txt"),
    "Skating2": ("groundtruth_rect.1.txt", "groundtruth_rect.2.txt"),
}
#: Single-target folders whose file is not called groundtruth_rect.txt.
GT_FILE: dict[str, str] = {"Human4": "groundtruth_rect.2.txt"}


@dataclass
class OtbSequence:
    """One target: ``frames`` (N paths) and ``boxes`` (N, 4) float64 x, y, w, h as stored in the file."""

    name: str
    frames: list[Path]
    boxes: np.ndarray
    gt_path: Path
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.frames)


def read_rects(path: str | os.PathLike) -> np.ndarray:
    """A box file (comma, tab or space separated, 4 numbers a line) -> (N, 4) float64.

    Non-numeric entries such as ``NaN`` are kept as NaN (an invalid box for the metrics).
    """
    path = Path(path)
    if not path.is_file():
        raise CorrlearnError(f"{path}: box file not found")
    rows = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        parts = [p for p in re.split(r"[,\s;]+", line) if p]
        if len(parts) != 4:
            raise CorrlearnError(f"{path}:{n}: expected 4 numbers x,y,w,h, got {line!r}")
        try:
            rows.append([float(p) for p in parts])
        except ValueError:
            raise CorrlearnError(f"{path}:{n}: not a number in {line!r}") from None
    if not rows:
        raise CorrlearnError(f"{path}: holds no boxes")
    return np.asarray(rows, dtype=np.float64)


def first_box(seq: OtbSequence) -> np.ndarray:
    """The box a tracker starts from (frame 1); one that is not finite or has no positive width and height is
    a :class:`CorrlearnError` naming the file and line (a tracker would carry it through every frame)."""
    box = seq.boxes[0]
    if np.all(np.isfinite(box)) and box[2] > 0 and box[3] > 0:
        return box
    lines = seq.gt_path.read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.strip())
    raise CorrlearnError(
        f"{seq.gt_path}:{line}: the first box {lines[line - 1].strip()!r} needs a positive width and height "
        "(x,y,w,h); a tracker cannot start from it"
    )


def write_rects(path: str | os.PathLike, boxes: np.ndarray) -> None:
    """Write (N, 4) boxes as comma-separated lines, atomically."""
    from corrlearn.io.atomic import write_text_atomic

    buf = io.StringIO()
    np.savetxt(buf, np.asarray(boxes, dtype=np.float64).reshape(-1, 4), fmt="%.4f", delimiter=",")
    write_text_atomic(path, buf.getvalue())


def _frames(folder: Path) -> list[Path]:
    img = folder / "img"
    if not img.is_dir():
        raise CorrlearnError(f"{folder}: no 'img' folder of frames")
    files = [
        p
        for p in img.iterdir()
        if p.suffix.lower() in (".jpg", ".jpeg", ".png") and not p.name.startswith(".")
    ]
    if not files:
        raise CorrlearnError(f"{img}: no frames")
    return sorted(files, key=lambda p: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)])


def _match(name: str, frames: list[Path], boxes: np.ndarray, gt: Path) -> tuple[list[Path], list[str]]:
    if len(frames) == len(boxes):
        return frames, []
    folder = name.split(".")[0]
    if folder in FRAME_RANGES:
        start, end = FRAME_RANGES[folder]
        cut = frames[start - 1 : end]
        if len(cut) == len(boxes):
            return cut, [f"frames {start}-{end} of {len(frames)} (toolkit range)"]
    raise CorrlearnError(f"{gt}: {len(boxes)} boxes for {len(frames)} frames and no known frame range fits")


def load_sequence(root: str | os.PathLike, name: str) -> OtbSequence:
    """One sequence by name ("Basketball", "Jogging.1", ...)."""
    root = Path(root)
    folder_name, _, target = name.partition(".")
    folder = root / folder_name
    if not folder.is_dir():
        raise CorrlearnError(f"{folder}: sequence folder not found")
    if target:
        gt = folder / f"groundtruth_rect.{target}.txt"
    else:
        gt = folder / GT_FILE.get(folder_name, "groundtruth_rect.txt")
    boxes = read_rects(gt)
    frames, notes = _match(name, _frames(folder), boxes, gt)
    return OtbSequence(name=name, frames=frames, boxes=boxes, gt_path=gt, notes=notes)


def list_sequences(root: str | os.PathLike) -> list[str]:
    """Sequence names under ``root``: one per folder holding ``img/``, two for the multi-target folders."""
    root = Path(root)
    if not root.is_dir():
        raise CorrlearnError(f"{root}: OTB root not found")
    names = []
    for d in sorted(p for p in root.iterdir() if (p / "img").is_dir()):
        multi = sorted(d.glob("groundtruth_rect.*.txt"))
        if d.name in MULTI_TARGET or (len(multi) > 1 and not (d / "groundtruth_rect.txt").exists()):
            names += [f"{d.name}.{f.name.split('.')[1]}" for f in multi]
        else:
            names.append(d.name)
    if not names:
        raise CorrlearnError(f"{root}: no sequence folders (expected <Seq>/img/ and groundtruth_rect.txt)")
    return names


def load_otb(root: str | os.PathLike, names: list[str] | None = None) -> list[OtbSequence]:
    """All (or the named) sequences of an OTB root."""
    return [load_sequence(root, n) for n in (names or list_sequences(root))]
