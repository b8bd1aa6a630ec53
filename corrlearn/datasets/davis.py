"""The DAVIS folder layout, in one place.

A DAVIS root holds ``JPEGImages/<resolution>/<sequence>/00000.jpg ...`` (frames),
``Annotations/<resolution>/<sequence>/00000.png ...`` (palette or id PNGs) and ``ImageSets/<year>/<subset>.txt``
(sequence lists); the resolution is ``480p`` (or ``Full-Resolution``; our training copy uses ``240p``).
Everything in corrlearn that needs one of these paths builds it here.
"""

from __future__ import annotations

import os
from pathlib import Path

from corrlearn.errors import CorrlearnError

#: The resolution the benchmark is scored at.
RESOLUTION = "480p"


def frames_root(root: str | os.PathLike, resolution: str = RESOLUTION) -> Path:
    """``root/JPEGImages/<resolution>``: one folder of JPEG frames per sequence."""
    return Path(root) / "JPEGImages" / resolution


def frames_dir(root: str | os.PathLike, sequence: str, resolution: str = RESOLUTION) -> Path:
    """``root/JPEGImages/<resolution>/<sequence>``: the JPEG frames of one sequence."""
    return frames_root(root, resolution) / sequence


def annotations_root(root: str | os.PathLike, resolution: str = RESOLUTION) -> Path:
    """``root/Annotations/<resolution>``: one folder of annotation PNGs per sequence."""
    return Path(root) / "Annotations" / resolution


def annotation_dir(root: str | os.PathLike, sequence: str, resolution: str = RESOLUTION) -> Path:
    """``root/Annotations/<resolution>/<sequence>``: the annotation PNGs of one sequence."""
    return annotations_root(root, resolution) / sequence


def sequence_list_path(root: str | os.PathLike, year: str = "2016", subset: str = "val") -> Path:
    """``root/ImageSets/<year>/<subset>.txt``: the official sequence list."""
    return Path(root) / "ImageSets" / str(year) / f"{subset}.txt"


def is_davis_root(root: str | os.PathLike, resolution: str = RESOLUTION) -> bool:
    """Whether ``root`` holds the frames folder of a DAVIS root at ``resolution``."""
    return frames_root(root, resolution).is_dir()


def list_sequences(root: str | os.PathLike, resolution: str = RESOLUTION) -> list[str]:
    """Sorted names of the sequence folders under ``JPEGImages/<resolution>`` (no list file needed)."""
    folder = frames_root(root, resolution)
    if not folder.is_dir():
        raise CorrlearnError(f"{root}: not a DAVIS root ({folder} missing)")
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def read_sequence_list(root: str | os.PathLike, year: str = "2016", subset: str = "val") -> list[str]:
    """Sequence names from ``ImageSets/<year>/<subset>.txt`` (blank lines skipped)."""
    path = sequence_list_path(root, year, subset)
    if not path.is_file():
        raise CorrlearnError(f"{path}: sequence list not found (is {root} a DAVIS root for {year}?)")
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def gt_frame_names(root: str | os.PathLike, sequence: str, resolution: str = RESOLUTION) -> list[str]:
    """Sorted stems of a sequence's ground-truth PNGs (the official frame list)."""
    folder = annotation_dir(root, sequence, resolution)
    if not folder.is_dir():
        raise CorrlearnError(f"{folder}: annotation folder for sequence {sequence!r} not found")
    names = sorted(p.stem for p in folder.iterdir() if p.suffix == ".png" and not p.name.startswith("."))
    if not names:
        raise CorrlearnError(f"{folder}: no annotation PNGs")
    return names
