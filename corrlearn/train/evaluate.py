"""A quick in-memory DAVIS J&F of an encoder (development checks: fewer frames, other short sides).

Training does not use it: its learning curve and checkpoint choice are ``corrlearn bench davis`` itself on
the held-out training sequences (:mod:`corrlearn.bench.heldout`). Imports the propagation engine and the
DAVIS metrics lazily.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import numpy as np
import torch

from corrlearn.errors import CorrlearnError


def davis_jf(
    encoder: torch.nn.Module,
    davis_root: str,
    sequences: list[str],
    preset_name: str = "crw",
    device: str | torch.device = "cpu",
    short_side: int | None = None,
    progress: bool = False,
    max_frames: int | None = None,
    resolution: str = "480p",
    overrides: dict | None = None,
) -> dict[str, float]:
    """J&F-Mean (and J-Mean, F-Mean) of ``encoder`` on ``sequences`` of a DAVIS root under a preset.

    ``short_side`` overrides the preset's working resolution (e.g. 240 on CPU); masks are scored at full size.
    ``max_frames`` scores only the first frames of each sequence (a quick check, not the benchmark protocol).
    ``resolution`` is the DAVIS subfolder to read (``240p`` for the training set); ``overrides`` changes preset
    fields.
    """
    from corrlearn.datasets.davis import annotation_dir, frames_dir, gt_frame_names
    from corrlearn.io.frames import open_frames
    from corrlearn.metrics.davis import _read_ids, evaluate_sequence, global_metrics
    from corrlearn.propagate import get_preset, segment_video

    preset = get_preset(preset_name)
    if short_side is not None:
        preset = preset.replace(short_side=short_side)
    if overrides:
        preset = preset.replace(**overrides)
    root = Path(davis_root)
    was_training = encoder.training
    encoder.eval()
    records = []
    try:
        with torch.no_grad():
            for seq in sequences:
                folder = frames_dir(root, seq, resolution)
                if not folder.is_dir():
                    raise CorrlearnError(f"{folder}: evaluation sequence not found")
                names = gt_frame_names(root, seq, resolution)[:max_frames]
                gt = [_read_ids(annotation_dir(root, seq, resolution) / f"{n}.png") for n in names]
                src = open_frames(folder)
                # stop reading at the last scored frame: with max_frames the rest is never computed
                pred = list(
                    islice(
                        segment_video(
                            src, gt[0], encoder, preset, device=device, progress=progress, total=len(gt)
                        ),
                        len(gt),
                    )
                )
                records += evaluate_sequence(gt, [np.asarray(p) for p in pred], name=seq, frame_names=names)
    finally:
        encoder.train(was_training)
    g = global_metrics(records)
    return {"J&F": g["J&F-Mean"], "J": g["J-Mean"], "F": g["F-Mean"]}
