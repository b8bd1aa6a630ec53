"""Label masks: DAVIS-2017 palette PNGs (object ids 1..N, 255 = void) and DAVIS-2016 binary PNGs (0/255).

A mask is read into object ids (0 = background) and written back in the same convention it came in, so a
result keeps its input's palette.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from corrlearn import profiling
from corrlearn.errors import CorrlearnError
from corrlearn.io.atomic import atomic_path

VOID_ID = 255
MAX_OBJECTS = 254


def _davis_palette() -> list[int]:
    """The standard DAVIS / PASCAL VOC colour map (id -> RGB by bit interleaving), flattened to 768 ints."""
    pal = []
    for i in range(256):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal += [r, g, b]
    return pal


DAVIS_PALETTE: list[int] = _davis_palette()


@dataclass
class LabelMask:
    """Object ids of one mask, and how the file encoded them.

    ``ids``: uint8 (H, W), 0 background, 1..N objects, 255 void (palette masks only).
    ``palette``: the PNG palette (768 ints) for palette masks, else None.
    ``binary``: True for 0/255 grayscale masks (one object), written back as 0/255.
    """

    ids: np.ndarray
    palette: list[int] | None = None
    binary: bool = False

    @property
    def num_objects(self) -> int:
        obj = self.ids[self.ids != VOID_ID]
        return int(obj.max()) if obj.size else 0


def read_mask(path: str | os.PathLike) -> LabelMask:
    """Read a DAVIS-style mask; raise :class:`CorrlearnError` naming the file if it cannot be understood."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CorrlearnError(f"{path}: mask file not found")
    try:
        with Image.open(path) as img:
            img.load()
            if img.format == "JPEG":  # refused whatever it holds: its values are not the ones drawn
                raise CorrlearnError(
                    f"{path}: JPEG masks are lossy (edges blur into values that are no object id); "
                    "save the annotation as a PNG"
                )
            mode = img.mode
            palette = img.getpalette() if mode == "P" else None
            arr = np.array(ImageOps.exif_transpose(img))  # upright, as the frames are read
    except CorrlearnError:
        raise
    except Exception as exc:
        raise CorrlearnError(f"{path}: not a readable image ({type(exc).__name__})") from None
    if mode == "P":
        pal = list(palette or [])
        pal += [0] * (768 - len(pal))
        return LabelMask(arr.astype(np.uint8), palette=pal[:768])
    if mode in ("L", "1", "I", "I;16"):
        if mode == "1":
            return LabelMask(arr.astype(np.uint8), binary=True)
        if arr.dtype == np.uint8:
            values = np.flatnonzero(np.bincount(arr.ravel(), minlength=256))
        else:
            values = np.unique(arr)
        if set(values.tolist()) <= {0, 255}:
            return LabelMask((arr > 0).astype(np.uint8), binary=True)
        if values.max() > MAX_OBJECTS:
            raise CorrlearnError(
                f"{path}: largest object id is {int(values.max())}, above the limit of {MAX_OBJECTS} "
                f"({len(values)} distinct values); expected 0/255 or object ids 0..{MAX_OBJECTS}"
            )
        return LabelMask(arr.astype(np.uint8), palette=list(DAVIS_PALETTE))
    if mode in ("RGB", "RGBA"):
        return _from_colours(arr[..., :3], path)
    raise CorrlearnError(f"{path}: unsupported mask image mode {mode!r}; use a palette or grayscale PNG")


def _from_colours(rgb: np.ndarray, path: str) -> LabelMask:
    """Map an RGB-rendered DAVIS mask back to ids through the DAVIS palette."""
    pal = np.array(DAVIS_PALETTE, dtype=np.int64).reshape(256, 3)
    code = (rgb[..., 0].astype(np.int64) << 16) | (rgb[..., 1].astype(np.int64) << 8) | rgb[..., 2]
    pal_code = (pal[:, 0] << 16) | (pal[:, 1] << 8) | pal[:, 2]
    lookup = {int(c): i for i, c in enumerate(pal_code)}
    ids = np.zeros(code.shape, np.uint8)
    for c in np.unique(code):
        if int(c) not in lookup:
            colour = (
                int(c >> 16) & 255,
                int(c >> 8) & 255,
                int(c) & 255,
            )  # plain ints print as (10, 200, 30)
            raise CorrlearnError(
                f"{path}: colour {colour} is not in the DAVIS palette; save the mask as a palette PNG"
            )
        ids[code == c] = lookup[int(c)]
    return LabelMask(ids, palette=list(DAVIS_PALETTE))


def write_mask(path: str | os.PathLike, ids: np.ndarray, like: LabelMask | None = None) -> None:
    """Write object ids as a PNG in the convention of ``like`` (binary 0/255 or palette), atomically."""
    ids = np.asarray(ids, dtype=np.uint8)
    if like is not None and like.binary:
        img = Image.fromarray(np.where(ids > 0, 255, 0).astype(np.uint8), mode="L")
    else:
        img = Image.fromarray(ids, mode="P")
        img.putpalette(like.palette if like is not None and like.palette else DAVIS_PALETTE)
    with profiling.stage("mask write"), atomic_path(path) as tmp:
        img.save(tmp, format="PNG")


def check_first_mask(mask: LabelMask, path: str | os.PathLike, frame_size: tuple[int, int]) -> None:
    """Validate a first-frame annotation against the video it will be propagated through."""
    if mask.ids.shape != tuple(frame_size):
        raise CorrlearnError(
            f"{os.fspath(path)}: mask is {mask.ids.shape[1]}x{mask.ids.shape[0]} but the frames are "
            f"{frame_size[1]}x{frame_size[0]} (width x height)"
        )
    if mask.num_objects == 0 and (mask.ids == VOID_ID).any():
        raise CorrlearnError(
            f"{os.fspath(path)}: mask holds only index 255, which DAVIS masks use for void (ignored) pixels, "
            f"not an object; give objects ids 1..{MAX_OBJECTS}"
        )
    if mask.num_objects == 0:
        raise CorrlearnError(f"{os.fspath(path)}: mask is empty (no object pixels); nothing to propagate")
