"""Seconds per 480p frame of each encoder under one preset, all measured in the same process (fair ratios).

Propagates the first --frames frames of a DAVIS-2016 val sequence with each encoder (features + affinity +
label upsampling, as `corrlearn propagate` does) and reports the median per-frame wall time after the first
(warm-up: kernel compilation) frames, and its ratio to the first encoder's.

    python benchmarks/encoder_speed.py [--models resnet18 efficientnet-lite0 ...] [--preset dino] [--frames 12]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from corrlearn.datasets.davis import annotation_dir, frames_dir  # noqa: E402
from corrlearn.io.atomic import write_json_atomic  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", type=Path, default=REPO.parent / "shared" / "data" / "davis2016-val")
    p.add_argument("--sequence", default="car-shadow")
    p.add_argument(
        "--models",
        nargs="+",
        default=["resnet18", "efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2"],
    )
    p.add_argument("--preset", default="dino")
    p.add_argument("--frames", type=int, default=12)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--out", type=Path, default=REPO / "runs" / "encoder_speed.json")
    args = p.parse_args(argv)

    import torch

    from corrlearn import models
    from corrlearn.io.frames import open_frames
    from corrlearn.io.masks import read_mask
    from corrlearn.propagate import get_preset, segment_video

    preset = get_preset(args.preset)
    frames = open_frames(frames_dir(args.root, args.sequence))
    first = read_mask(annotation_dir(args.root, args.sequence) / f"{frames.names[0]}.png").ids
    clip = [frames.read(i) for i in range(args.frames)]
    result = {
        "sequence": args.sequence,
        "preset": args.preset,
        "frame_size": list(clip[0].shape[:2]),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "machine": platform.processor() or platform.machine(),
        "s_per_frame": {},
    }
    for name in args.models:
        enc = models.create(name, input_space=preset.input_space)
        times, t = [], time.perf_counter()
        for _ in segment_video(clip, first, enc, preset, progress=False):
            now = time.perf_counter()
            times.append(now - t)
            t = now
        med = statistics.median(times[1 + args.warmup :])
        result["s_per_frame"][name] = med
        print(f"{name}: {med:.2f} s/frame (median of {len(times) - 1 - args.warmup})", flush=True)
    base = result["s_per_frame"][args.models[0]]
    for name, s in result["s_per_frame"].items():
        print(f"{name}: {s / base:.2f}x {args.models[0]}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
