"""Box conventions shared by the trackers.

Trackers take and return boxes in OTB's file convention: x, y, w, h with 1-indexed MATLAB pixels. Internally
they work on a centre (cx, cy) in 0-indexed pixel coordinates and a size (w, h), with the conversion DCFNet
and UniTrack use: cx = x + w / 2 - 1.
"""

from __future__ import annotations

import cv2
import numpy as np


def rect_to_center(rect: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1-indexed x, y, w, h -> (centre (cx, cy) 0-indexed, size (w, h))."""
    x, y, w, h = (float(v) for v in rect)
    return np.array([x + w / 2 - 1, y + h / 2 - 1]), np.array([w, h])


def center_to_rect(center: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rect_to_center`."""
    return np.array([center[0] - size[0] / 2 + 1, center[1] - size[1] / 2 + 1, size[0], size[1]], np.float64)


def crop_square(
    frame: np.ndarray, center: np.ndarray, window: np.ndarray, out_size: int, fill: tuple[int, int, int]
) -> np.ndarray:
    """Warp the ``window`` (w, h) around ``center`` onto an ``out_size`` square (bilinear, no antialiasing).

    The window's corners map to pixels 0 and out_size - 1; pixels outside the frame take ``fill``.
    """
    x0, y0 = center[0] - window[0] / 2, center[1] - window[1] / 2
    a = (out_size - 1) / max(window[0], 1e-6)
    b = (out_size - 1) / max(window[1], 1e-6)
    m = np.array([[a, 0, -a * x0], [0, b, -b * y0]], np.float64)
    return cv2.warpAffine(
        frame,
        m,
        (out_size, out_size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=fill,
    )


def mask_to_rect(mask: np.ndarray) -> np.ndarray | None:
    """Tight 1-indexed x, y, w, h box of a boolean mask, or None if it is empty."""
    if not mask.any():
        return None
    ys, xs = np.nonzero(mask)
    return np.array(
        [xs.min() + 1, ys.min() + 1, xs.max() - xs.min() + 1, ys.max() - ys.min() + 1], np.float64
    )


def rect_to_mask(rect: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Boolean (H, W) mask of the pixels covered by a 1-indexed x, y, w, h box (clipped to the frame)."""
    h, w = size
    x, y, bw, bh = (float(v) for v in rect)
    x0, y0 = int(np.clip(round(x - 1), 0, w)), int(np.clip(round(y - 1), 0, h))
    x1, y1 = int(np.clip(round(x - 1 + bw), 0, w)), int(np.clip(round(y - 1 + bh), 0, h))
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    return m
