"""Frame sources: a folder of JPEG/PNG frames or a video file, read lazily as RGB uint8 arrays."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from corrlearn.errors import CorrlearnError

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp")
VIDEO_EXTS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")


def _natural_key(name: str) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


class FrameSource:
    """Frames of one video in display order.

    ``names`` are the frame stems used to name outputs (``00000`` ... for a folder, the index for a video
    file); ``size`` is (H, W). Every frame must decode and share the first frame's size; otherwise reading it
    raises :class:`CorrlearnError` naming the file and frame.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.exists():
            raise CorrlearnError(f"{self.path}: no such video file or frame folder")
        self._files: list[Path] | None = None
        if self.path.is_dir():
            files = [
                p
                for p in self.path.iterdir()
                if p.suffix.lower() in IMAGE_EXTS and not p.name.startswith(".")
            ]
            if not files:
                raise CorrlearnError(
                    f"{self.path}: folder holds no frames (expected {', '.join(IMAGE_EXTS)})"
                )
            self._files = sorted(files, key=lambda p: _natural_key(p.name))
            self.names = [p.stem for p in self._files]
        elif self.path.suffix.lower() in VIDEO_EXTS:
            self.names = [f"{i:05d}" for i in range(self._count_video_frames())]
        else:
            raise CorrlearnError(f"{self.path}: not a frame folder or a video file ({', '.join(VIDEO_EXTS)})")
        self.size: tuple[int, int] = self.read(0).shape[:2]

    def _count_video_frames(self) -> int:
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            raise CorrlearnError(f"{self.path}: video cannot be opened (corrupt or unsupported codec)")
        n = 0
        while cap.grab():
            n += 1
        cap.release()
        if n == 0:
            raise CorrlearnError(f"{self.path}: video holds no decodable frames")
        return n

    def __len__(self) -> int:
        return len(self.names)

    def _check(self, frame: np.ndarray | None, where: str) -> np.ndarray:
        if frame is None:
            raise CorrlearnError(f"{where}: frame is missing or cannot be decoded")
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        rgb = cv2.cvtColor(frame[..., :3], cv2.COLOR_BGR2RGB)
        size = getattr(self, "size", None)
        if size is not None and rgb.shape[:2] != size:
            raise CorrlearnError(
                f"{where}: frame is {rgb.shape[1]}x{rgb.shape[0]} but the first frame is {size[1]}x{size[0]}"
            )
        return rgb

    def read(self, i: int) -> np.ndarray:
        """Frame ``i`` as RGB uint8 (H, W, 3)."""
        if self._files is not None:
            f = self._files[i]
            return self._check(cv2.imread(str(f), cv2.IMREAD_UNCHANGED), str(f))
        cap = cv2.VideoCapture(str(self.path))
        cap.set(cv2.CAP_PROP_POS_FRAMES, i)
        ok, frame = cap.read()
        cap.release()
        return self._check(frame if ok else None, f"{self.path} frame {i}")

    def validate(self) -> None:
        """Decode every frame once so a broken or odd-sized frame is reported before any output is written."""
        for _ in self.iter_from(0):
            pass

    def iter_from(self, start: int = 0) -> Iterator[np.ndarray]:
        """Frames ``start``, ``start + 1``, ... decoded one at a time (a video is read sequentially)."""
        if self._files is not None:
            for i in range(start, len(self)):
                yield self.read(i)
            return
        cap = cv2.VideoCapture(str(self.path))
        cap.set(cv2.CAP_PROP_POS_FRAMES, start)
        try:
            for i in range(start, len(self)):
                ok, frame = cap.read()
                yield self._check(frame if ok else None, f"{self.path} frame {i}")
        finally:
            cap.release()

    def __iter__(self) -> Iterator[np.ndarray]:
        return self.iter_from(0)


def open_frames(path: str | os.PathLike) -> FrameSource:
    """Open a folder of frames or a video file."""
    return FrameSource(path)
