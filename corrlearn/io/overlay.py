"""Pictures people would rather look at: masks blended over frames, written as images or a video."""

from __future__ import annotations

import os
from collections.abc import Iterable
from fractions import Fraction

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


OVERLAY_EXTS = (".mp4", ".mov", ".mkv")
# H.264 (libx264, shipped inside PyAV's wheels), 4:2:0: what browsers and phones play.
OVERLAY_CODEC = "libx264"


def check_overlay_path(path: str | os.PathLike) -> None:
    """Raise :class:`CorrlearnError` unless ``path`` names a container H.264 can be written to."""
    if os.path.splitext(os.fspath(path))[1].lower() not in OVERLAY_EXTS:
        raise CorrlearnError(f"{os.fspath(path)}: overlay must be {', '.join(OVERLAY_EXTS)} (H.264 video)")


class OverlayVideoWriter:
    """Writes RGB frames as H.264 at ``fps`` atomically: the file appears only when :meth:`close` succeeds.

    ``write(rgb, time)`` takes each frame's presentation time in seconds (default: index / fps), so a source
    with a variable frame rate keeps its timing. Odd widths or heights are padded by one edge pixel (4:2:0
    needs even sizes).
    """

    def __init__(self, path: str | os.PathLike, fps: float = 24.0):
        check_overlay_path(path)
        self.path = os.fspath(path)
        self.fps = fps
        self._ctx = atomic_path(self.path)
        self._tmp = self._ctx.__enter__()
        self._container = None
        self._stream = None
        self._count = 0
        self._last_pts = -1

    def _start(self, height: int, width: int) -> None:
        import av

        rate = Fraction(self.fps).limit_denominator(1001)
        self._container = av.open(str(self._tmp), mode="w")
        self._stream = self._container.add_stream(OVERLAY_CODEC, rate=rate)
        self._stream.width, self._stream.height = width + width % 2, height + height % 2
        self._stream.pix_fmt = "yuv420p"
        # a fine time base carries variable frame timing; the stream rate stays the nominal fps
        self._stream.codec_context.time_base = Fraction(1, 90000)

    def write(self, rgb: np.ndarray, time: float | None = None) -> None:
        import av

        if self._container is None:
            self._start(*rgb.shape[:2])
        h, w = rgb.shape[:2]
        if h % 2 or w % 2:
            rgb = np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        t = self._count / self.fps if time is None else time
        frame.pts = max(round(t * 90000), self._last_pts + 1)  # strictly increasing, as encoders require
        frame.time_base = Fraction(1, 90000)
        self._last_pts = frame.pts
        self._count += 1
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        if self._container is not None:
            for packet in self._stream.encode():
                self._container.mux(packet)
            self._container.close()
        self._ctx.__exit__(None, None, None)

    def abort(self) -> None:
        """Drop the temporary file (also after a failed :meth:`close`, e.g. on a full disk)."""
        try:
            if self._container is not None:
                self._container.close()
        except Exception:  # closing flushes, and may fail as the write did; the file goes either way
            pass
        finally:
            self._container = None
            self._ctx.__exit__(RuntimeError, RuntimeError("aborted"), None)


def write_overlay_video(
    path: str | os.PathLike, frames: Iterable[np.ndarray], masks: Iterable[np.ndarray], palette=None, fps=24.0
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
