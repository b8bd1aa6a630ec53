"""Pictures people would rather look at: masks blended over frames, written as images or a video."""

from __future__ import annotations

import os
from collections.abc import Iterable

import cv2
import numpy as np

from corrlearn.errors import CorrlearnError
from corrlearn.io.atomic import atomic_path
from corrlearn.io.masks import DAVIS_PALETTE, VOID_ID


def overlay(
    frame: np.ndarray, ids: np.ndarray, palette: list[int] | None = None, alpha: float = 0.5
) -> np.ndarray:
    """RGB frame (H, W, 3) with each object's colour blended in and its outline drawn; returns RGB uint8."""
    pal = np.array(palette or DAVIS_PALETTE, dtype=np.uint8).reshape(-1, 3)
    out = frame.astype(np.float32).copy()
    for obj in np.unique(ids):
        if obj in (0, VOID_ID):
            continue
        m = ids == obj
        out[m] = (1 - alpha) * out[m] + alpha * pal[obj]
        contours, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(out, contours, -1, tuple(int(c) for c in pal[obj]), 2)
    return np.clip(out, 0, 255).astype(np.uint8)


class OverlayVideoWriter:
    """Writes overlay frames to an .mp4/.avi atomically: the file appears only when :meth:`close` succeeds."""

    def __init__(self, path: str | os.PathLike, fps: float = 12.0):
        self.path = os.fspath(path)
        self.fps = fps
        self._ctx = atomic_path(self.path)
        self._tmp = self._ctx.__enter__()
        self._writer: cv2.VideoWriter | None = None

    def write(self, rgb: np.ndarray) -> None:
        if self._writer is None:
            fourcc = cv2.VideoWriter_fourcc(*("MJPG" if self.path.lower().endswith(".avi") else "mp4v"))
            self._writer = cv2.VideoWriter(str(self._tmp), fourcc, self.fps, (rgb.shape[1], rgb.shape[0]))
            if not self._writer.isOpened():
                self.abort()
                raise CorrlearnError(f"{self.path}: OpenCV cannot write this video format (use .mp4 or .avi)")
        self._writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
        self._ctx.__exit__(None, None, None)

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.release()
        self._ctx.__exit__(RuntimeError, RuntimeError("aborted"), None)


def write_overlay_video(
    path: str | os.PathLike, frames: Iterable[np.ndarray], masks: Iterable[np.ndarray], palette=None, fps=12.0
) -> None:
    """Blend each mask over its frame and write the video atomically."""
    writer = OverlayVideoWriter(path, fps)
    try:
        for frame, ids in zip(frames, masks, strict=True):
            writer.write(overlay(frame, ids, palette))
    except BaseException:
        writer.abort()
        raise
    writer.close()
