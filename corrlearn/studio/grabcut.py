"""A box drawn in the page -> a proposed object mask (OpenCV's GrabCut), for the person to accept or not."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from corrlearn.errors import CorrlearnError

ITERATIONS = 5
# GrabCut's time grows with the pixels (measured 2026-12-03 on the busy 2-core machine: 14 s for a 854x480
# frame, 3.3 s at 427x240): larger frames are proposed at this long side and the mask scaled back (a
# proposal to accept and touch up, not the final outline)
WORK_SIDE = 480


def propose(frame: np.ndarray, box: Sequence[float], iterations: int = ITERATIONS) -> np.ndarray:
    """The foreground GrabCut finds inside ``box`` = (x0, y0, x1, y1) pixels of RGB ``frame``: bool (H, W).

    The box is clipped to the frame; it must be at least 4 pixels each way and leave some of the frame
    outside it (GrabCut learns the background from there). Seeded, so one box gives one proposal.
    """
    h, w = frame.shape[:2]
    try:
        x0, y0, x1, y1 = (float(v) for v in box)
    except (TypeError, ValueError):
        raise CorrlearnError(f"box {box!r}: expected four numbers x0, y0, x1, y1") from None
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    x0, y0 = max(0, int(round(x0))), max(0, int(round(y0)))
    x1, y1 = min(w, int(round(x1))), min(h, int(round(y1)))
    if x1 - x0 < 4 or y1 - y0 < 4:
        raise CorrlearnError(
            f"box is {max(0, x1 - x0)}x{max(0, y1 - y0)} pixels inside the frame; draw one at least 4x4"
        )
    if x0 == 0 and y0 == 0 and x1 == w and y1 == h:
        raise CorrlearnError("box covers the whole frame; leave some background outside it")
    scale = min(1.0, WORK_SIDE / max(h, w))
    bgr = np.ascontiguousarray(frame[..., ::-1])
    if scale < 1:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
    sh, sw = bgr.shape[:2]
    rect = (int(x0 * scale), int(y0 * scale), max(2, int((x1 - x0) * scale)), max(2, int((y1 - y0) * scale)))
    mask = np.zeros((sh, sw), np.uint8)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    cv2.grabCut(bgr, mask, rect, bgd, fgd, iterations, cv2.GC_INIT_WITH_RECT)
    fg = ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.uint8)
    if scale < 1:
        fg = cv2.resize(fg, (w, h), interpolation=cv2.INTER_NEAREST)
    return fg.astype(bool)
