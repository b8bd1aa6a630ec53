"""Box geometry of the DCF tracker (the box label type itself, masks <-> boxes, is :mod:`corrlearn.labels.boxes`).

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
