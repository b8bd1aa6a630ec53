"""Frame sources: a folder of JPEG/PNG frames or a video file, read lazily as RGB uint8 arrays.

Images are decoded with Pillow, which refuses a file that decodes only partly (a truncated JPEG, a cut PNG)
instead of filling the missing rows with grey as OpenCV does. Videos are decoded with PyAV (FFmpeg): frames
come in presentation order, with their timestamps, turned upright by the stream's rotation metadata; a
video file cut short is refused (``io/container.py``). JPEG frames are turned upright by their EXIF
orientation, and 16-bit grayscale PNGs keep their top 8 bits.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from corrlearn import profiling
from corrlearn.errors import CorrlearnError

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp")
VIDEO_EXTS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")
# Frame rate given to a folder of frames: DAVIS and YouTube-VOS frames were extracted at 24 fps.
FOLDER_FPS = 24.0
# Memory for the frames held while a video is read backwards (decoded forwards chunk by chunk).
_REVERSE_CHUNK_BYTES = 256 << 20


def _natural_key(name: str) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def _rgb8(img: Image.Image) -> np.ndarray:
    """A decoded image as RGB uint8. 16-bit grayscale keeps its top 8 bits, as Pillow does for 16-bit RGB and
    OpenCV for both (``convert("RGB")`` would clip every value above 255 to white)."""
    if img.mode.startswith("I;16") or img.mode == "I":
        gray = (np.clip(np.asarray(img, dtype=np.int64), 0, 65535) >> 8).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    return np.array(img.convert("RGB"))  # a writable copy: torch.from_numpy warns on read-only arrays


def read_image(path: str | os.PathLike) -> np.ndarray:
    """An image file as RGB uint8 (H, W, 3), turned upright as its EXIF orientation says; a missing,
    undecodable or truncated file is a CorrlearnError."""
    try:
        with Image.open(path) as img:
            img.load()  # raises on truncated data (Pillow's LOAD_TRUNCATED_IMAGES is off)
            rgb = _rgb8(ImageOps.exif_transpose(img))  # phones store portrait frames sideways + a tag
    except FileNotFoundError:
        raise CorrlearnError(f"{path}: frame is missing") from None
    except Exception as exc:
        detail = str(exc).split("\n")[0] or type(exc).__name__
        raise CorrlearnError(f"{path}: frame is missing or cannot be decoded ({detail})") from None
    return rgb


def _upright(frame, rotation: int) -> np.ndarray:
    """A PyAV frame as RGB, rotated as its display matrix says (``rotation``: degrees counter-clockwise)."""
    rgb = frame.to_ndarray(format="rgb24")
    k = round(rotation / 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, k)) if k else rgb


class FrameSource:
    """Frames of one video in display order.

    ``names`` are the frame stems used to name outputs (``00000`` ... for a folder, the index for a video
    file); ``size`` is (H, W); ``fps`` the video's average frame rate (``FOLDER_FPS`` for a folder) and
    ``times`` each frame's presentation time in seconds. Every frame must decode fully and share the first
    frame's size; otherwise reading it raises :class:`CorrlearnError` naming the file and frame.
    """

    def __init__(self, path: str | os.PathLike, files: list[Path] | None = None):
        self.path = Path(path)
        self._files: list[Path] | None = None
        self._pts: list[int] = []
        self._rotation = 0
        if files is not None:
            if not files:
                raise CorrlearnError(f"{self.path}: no frames listed")
            self._use_files([Path(f) for f in files])
        elif not self.path.exists():
            raise CorrlearnError(f"{self.path}: no such video file or frame folder")
        elif self.path.is_dir():
            files = [
                p
                for p in self.path.iterdir()
                if p.suffix.lower() in IMAGE_EXTS and not p.name.startswith(".")
            ]
            if not files:
                raise CorrlearnError(
                    f"{self.path}: folder holds no frames (expected {', '.join(IMAGE_EXTS)})"
                )
            self._use_files(sorted(files, key=lambda p: _natural_key(p.name)))
        elif self.path.suffix.lower() in VIDEO_EXTS:
            self._index_video()
            self.names = [f"{i:05d}" for i in range(len(self._pts))]
        else:
            raise CorrlearnError(f"{self.path}: not a frame folder or a video file ({', '.join(VIDEO_EXTS)})")
        self.size: tuple[int, int] = self.read(0).shape[:2]

    @classmethod
    def from_files(cls, files: list[Path]) -> FrameSource:
        """The listed frame files in that order (a benchmark's annotated span of a longer folder)."""
        return cls(Path(files[0]).parent if files else Path("."), files=list(files))

    @property
    def files(self) -> list[Path] | None:
        """The frame files in display order; None for a video file (``path`` is that file)."""
        return self._files

    def _use_files(self, files: list[Path]) -> None:
        seen: dict[str, Path] = {}
        for f in files:  # outputs are named after the stem: two frames of one stem would share one mask
            if f.stem in seen:
                raise CorrlearnError(
                    f"{seen[f.stem]} and {f}: two frames named {f.stem}; keep one (outputs are named after it)"
                )
            seen[f.stem] = f
        self._files = files
        self.names = [p.stem for p in files]
        self.fps = FOLDER_FPS
        self.times = [i / FOLDER_FPS for i in range(len(files))]

    # ------------------------------------------------------------------------------------------- video
    def _open(self):
        import av

        try:
            container = av.open(str(self.path))
        except Exception as exc:
            raise CorrlearnError(
                f"{self.path}: video cannot be opened ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
            ) from None
        if not container.streams.video:
            container.close()
            raise CorrlearnError(f"{self.path}: file holds no video stream")
        return container, container.streams.video[0]

    def _index_video(self) -> None:
        """Decode once: presentation timestamps of every frame, the frame rate and the rotation."""
        from corrlearn.io.container import truncation

        cut = truncation(self.path)  # FFmpeg reads a cut Matroska file without a word: check its sizes first
        if cut:
            raise CorrlearnError(f"{self.path}: video {cut} (an interrupted download, copy or recording?)")
        container, stream = self._open()
        pts: list[int] = []
        self._seekable = True
        try:
            for frame in container.decode(stream):
                if not pts:
                    self._rotation = int(getattr(frame, "rotation", 0) or 0)
                    shape = (frame.height, frame.width)
                elif (frame.height, frame.width) != shape:
                    raise CorrlearnError(
                        f"{self.path} frame {len(pts)}: frame is {frame.width}x{frame.height} but the first "
                        f"frame is {shape[1]}x{shape[0]}"
                    )
                if frame.pts is None:  # a stream without timestamps is read from its start, never seeked
                    self._seekable = False
                pts.append(frame.pts if frame.pts is not None else len(pts))
        except CorrlearnError:
            raise
        except Exception as exc:
            raise CorrlearnError(
                f"{self.path} frame {len(pts)}: video frame cannot be decoded ({exc})"
            ) from None
        finally:
            container.close()
        if not pts:
            raise CorrlearnError(f"{self.path}: video holds no decodable frames")
        tb = stream.time_base or Fraction(1, 1)
        rate = stream.average_rate or stream.guessed_rate
        self.fps = float(rate) if rate else FOLDER_FPS
        self._pts = pts
        self.times = [float((p - pts[0]) * tb) for p in pts]

    def _decode_from(self, i: int) -> Iterator[np.ndarray]:
        """Frames i, i + 1, ... of the video: seek to the key frame before i, decode forwards."""
        container, stream = self._open()
        target = self._pts[i]
        try:
            if i > 0 and self._seekable:
                container.seek(target, stream=stream, backward=True)
            index = None
            for k, frame in enumerate(container.decode(stream)):
                if index is None:
                    if (frame.pts < target) if self._seekable else (k < i):
                        continue
                    index = i
                yield self._check(_upright(frame, self._rotation), f"{self.path} frame {index}")
                index += 1
        except CorrlearnError:
            raise
        except Exception as exc:
            raise CorrlearnError(f"{self.path}: video frame cannot be decoded ({exc})") from None
        finally:
            container.close()

    # ------------------------------------------------------------------------------------------- access
    def __len__(self) -> int:
        return len(self.names)

    def _check(self, rgb: np.ndarray, where: str) -> np.ndarray:
        size = getattr(self, "size", None)
        if size is not None and rgb.shape[:2] != size:
            raise CorrlearnError(
                f"{where}: frame is {rgb.shape[1]}x{rgb.shape[0]} but the first frame is {size[1]}x{size[0]}"
            )
        return rgb

    def read(self, i: int) -> np.ndarray:
        """Frame ``i`` as RGB uint8 (H, W, 3)."""
        if self._files is not None:
            return self._check(read_image(self._files[i]), str(self._files[i]))
        for frame in self._decode_from(i):
            return frame
        raise CorrlearnError(f"{self.path} frame {i}: frame is missing or cannot be decoded")

    def validate(self) -> None:
        """Decode every frame once so a broken or odd-sized frame is reported before any output is written."""
        if self._files is None:
            return  # a video was decoded whole, and its frame sizes checked, when it was opened
        with profiling.stage("decode"):
            for _ in self.iter_from(0):
                pass

    def iter_span(self, first: int, last: int) -> Iterator[np.ndarray]:
        """Frames ``first`` to ``last`` inclusive, in that order: backwards when ``last < first``."""
        if last >= first:
            yield from self._forward(first, last)
            return
        if self._files is not None:
            for i in range(first, last - 1, -1):
                yield self.read(i)
            return
        # a video cannot be decoded backwards: decode chunks forwards, from the end of the span, and reverse them
        h, w = self.size
        chunk = max(1, _REVERSE_CHUNK_BYTES // (h * w * 3))
        hi = first
        while hi >= last:
            lo = max(last, hi - chunk + 1)
            yield from reversed(list(self._forward(lo, hi)))
            hi = lo - 1

    def _forward(self, first: int, last: int) -> Iterator[np.ndarray]:
        if self._files is not None:
            for i in range(first, last + 1):
                yield self.read(i)
            return
        n = 0
        for frame in self._decode_from(first):
            yield frame
            n += 1
            if first + n > last:
                return
        raise CorrlearnError(f"{self.path} frame {first + n}: frame is missing or cannot be decoded")

    def iter_from(self, start: int = 0) -> Iterator[np.ndarray]:
        """Frames ``start``, ``start + 1``, ... decoded one at a time (a video is read sequentially)."""
        return self.iter_span(start, len(self) - 1) if start < len(self) else iter(())

    def __iter__(self) -> Iterator[np.ndarray]:
        return self.iter_from(0)


def open_frames(path: str | os.PathLike) -> FrameSource:
    """Open a folder of frames or a video file."""
    return FrameSource(path)
