"""Per-frame cost of the OTB DCF tracker on a real OTB-2015 sequence, with a breakdown by stage.

    python benchmarks/bench_dcf.py [--otb ../shared/data/otb2015] [--seq Couple] [--frames 12] [--out r.json]

Tracks the first ``--frames`` frames of the sequence with the default encoder (random-init ResNet-18, seed 0)
and UniTrack's DCF settings, timing every ``update`` (median reported) and, inside it, the crops, the
encoder calls and the FFT / filter algebra. The boxes are written too, so two versions of the tracker can be
compared for identical results.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from corrlearn import models
from corrlearn.bench.otb import _Frames as FrameFiles
from corrlearn.datasets.otb import load_sequence
from corrlearn.tracking import DcfTracker


class StageTimer:
    """Wraps methods of one object and adds their wall time to named totals."""

    def __init__(self):
        self.totals: dict[str, float] = {}

    def wrap(self, obj, name: str, stage: str) -> None:
        fn = getattr(obj, name)

        def timed(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.totals[stage] = self.totals.get(stage, 0.0) + time.perf_counter() - t

        setattr(obj, name, timed)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--otb", default=str(Path(__file__).resolve().parents[2] / "shared/data/otb2015"))
    ap.add_argument("--seq", default="Couple")
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    seq = load_sequence(args.otb, args.seq)
    frames = list(FrameFiles(seq.frames[: args.frames]))
    tracker = DcfTracker(models.create("resnet18"))
    timer = StageTimer()
    timer.wrap(tracker, "_crop", "crops")
    timer.wrap(tracker.encoder, "forward", "encoder")
    tracker.init(frames[0], seq.boxes[0])
    timer.totals.clear()
    per_frame, boxes = [], [seq.boxes[0].tolist()]
    for frame in frames[1:]:
        t = time.perf_counter()
        boxes.append(tracker.update(frame).tolist())
        per_frame.append(time.perf_counter() - t)
    n = len(per_frame)
    total = sum(per_frame)
    stages = {k: v / n for k, v in timer.totals.items()}
    stages["fft+rest"] = total / n - sum(stages.values())
    result = {
        "sequence": args.seq,
        "frames_timed": n,
        "median_s_per_frame": statistics.median(per_frame),
        "mean_stage_s_per_frame": stages,
        "threads": torch.get_num_threads(),
        "boxes": boxes,
    }
    print(json.dumps({k: v for k, v in result.items() if k != "boxes"}, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
