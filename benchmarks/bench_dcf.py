"""Per-frame cost of the OTB DCF tracker on a real OTB-2015 sequence: before / after / bf16, side by side.

    python benchmarks/bench_dcf.py [--otb ../shared/data/otb2015] [--seq Couple] [--frames 12] [--out r.json]

Three trackers with the random-init ResNet-18 (seed 0) and UniTrack's DCF settings run in
lockstep over the same frames, so load changes on a shared machine hit them alike:

* ``before`` - the encoder as the tracker ran it before this benchmark was written (contiguous NCHW float32),
* ``fp32``   - the current tracker (channels-last oneDNN convolutions, float32),
* ``bf16``   - the current tracker with ``DcfConfig(precision="bf16")``,
* ``lite0``  - the current tracker on ImageNet EfficientNet-Lite0 (``--variants ... lite0``).

Each ``update`` is timed (wall and process CPU seconds; medians reported) with a breakdown into crops,
encoder calls and the rest (FFTs, filter algebra). The boxes are compared: ``fp32`` must follow ``before``
to float rounding, ``bf16`` is reported as the largest box difference in pixels.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from corrlearn import models
from corrlearn.datasets.otb import load_sequence
from corrlearn.io.frames import FrameSource
from corrlearn.tracking import DcfConfig, DcfTracker


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


def before_tracker() -> DcfTracker:
    """The tracker with its encoder run as before: contiguous NCHW float32, no channels-last."""
    t = DcfTracker(models.create("resnet18"))
    t.encoder.to(memory_format=torch.contiguous_format)

    @torch.no_grad()
    def features(crops):
        x = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float() / 255.0
        return t.encoder(x).float()[..., : t.grid, : t.grid]

    t._features = features
    return t


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--otb", default=str(Path(__file__).resolve().parents[2] / "shared/data/otb2015"))
    ap.add_argument("--seq", default="Couple")
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--variants", nargs="+", default=["before", "fp32", "bf16"])
    ap.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's)")
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    if args.threads:
        from corrlearn.threads import set_threads

        set_threads(args.threads)
    seq = load_sequence(args.otb, args.seq)
    frames = list(FrameSource.from_files(seq.frames[: args.frames]))
    make = {
        "before": before_tracker,
        "fp32": lambda: DcfTracker(models.create("resnet18")),
        "bf16": lambda: DcfTracker(models.create("resnet18"), DcfConfig(precision="bf16")),
        # ImageNet weights (the DCF's default is efficientnet-lite1)
        "lite0": lambda: DcfTracker(models.create("efficientnet-lite0")),
    }
    trackers = {v: make[v]() for v in args.variants}
    timers = {v: StageTimer() for v in trackers}
    for v, t in trackers.items():
        timers[v].wrap(t, "_crop", "crops")
        timers[v].wrap(t, "_features", "encoder")
        t.init(frames[0], seq.boxes[0])
        timers[v].totals.clear()
    wall = {v: [] for v in trackers}
    cpu = {v: [] for v in trackers}
    boxes = {v: [seq.boxes[0].tolist()] for v in trackers}
    for frame in frames[1:]:
        for v, t in trackers.items():
            t0, c0 = time.perf_counter(), time.process_time()
            boxes[v].append(t.update(frame).tolist())
            wall[v].append(time.perf_counter() - t0)
            cpu[v].append(time.process_time() - c0)
    n = len(frames) - 1
    result = {
        "sequence": args.seq,
        "frames_timed": n,
        "threads": torch.get_num_threads(),
        "load_average_end": os.getloadavg()[0],
        "variants": {},
    }
    for v in trackers:
        stages = {k: val / n for k, val in timers[v].totals.items()}
        stages["fft+rest"] = sum(wall[v]) / n - sum(stages.values())
        ref = np.asarray(boxes.get("before", boxes[v]))
        result["variants"][v] = {
            "median_wall_s_per_frame": statistics.median(wall[v]),
            "median_cpu_s_per_frame": statistics.median(cpu[v]),
            "mean_stage_wall_s_per_frame": stages,
            "max_box_diff_px_vs_before": float(np.abs(np.asarray(boxes[v]) - ref).max()),
            "boxes": boxes[v],
        }
    print(
        json.dumps(
            {
                **result,
                "variants": {
                    v: {k: x for k, x in r.items() if k != "boxes"} for v, r in result["variants"].items()
                },
            },
            indent=1,
        )
    )
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
