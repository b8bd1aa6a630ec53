"""Box tracking with a tracking head on frozen correspondence features (OTB one-pass protocol).

Propagating a box as a label needs no tracker: it is :func:`corrlearn.propagate.propagate` with
:class:`corrlearn.labels.BoxCodec`. This package holds what is not propagation: the DCF head, which follows
``init(frame, rect)`` on the first frame, then ``update(frame) -> rect`` per frame; frames are RGB uint8
(H, W, 3) and boxes OTB's 1-indexed x, y, w, h.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from tqdm.auto import tqdm

from corrlearn.tracking.dcf import DcfConfig, DcfTracker


def track(
    frames: Iterable[np.ndarray], first_rect: np.ndarray, tracker, progress: bool = True, desc: str = "track"
) -> np.ndarray:
    """One-pass tracking: (N, 4) boxes, the first being ``first_rect`` itself."""
    total = len(frames) if hasattr(frames, "__len__") else None
    out = []
    for i, frame in enumerate(
        tqdm(frames, total=total, desc=desc, unit="frame", disable=not progress, leave=False)
    ):
        if i == 0:
            tracker.init(frame, np.asarray(first_rect, np.float64))
            out.append(np.asarray(first_rect, np.float64))
        else:
            out.append(tracker.update(frame))
    return np.stack(out)


__all__ = ["DcfConfig", "DcfTracker", "track"]
