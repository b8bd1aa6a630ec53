"""Probe the DCF tracker on the first frames of one OTB sequence (the "Why Toy fails" study).

Tracks ``--frames`` frames from the first ground-truth box and prints the mean IoU and the first frame whose
IoU falls below 0.1; ``--gray`` converts colour frames to 3-channel grayscale first, ``--dcf key=value``
changes DCF settings as ``corrlearn bench otb --dcf`` does. ``--norms`` instead prints the feature-norm
statistics of the first search window (max / median cell norm, target region mean / window mean).

    python benchmarks/otb_dcf_probe.py --sequence Toy --frames 60                          # 0.244
    python benchmarks/otb_dcf_probe.py --sequence Toy --frames 60 --dcf l2_normalize=true  # 0.719
    python benchmarks/otb_dcf_probe.py --sequence Crossing --frames 60 --gray
    python benchmarks/otb_dcf_probe.py --sequence Toy --norms
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from corrlearn import models  # noqa: E402
from corrlearn.bench.options import parse_overrides  # noqa: E402
from corrlearn.datasets.otb import load_sequence  # noqa: E402
from corrlearn.io.frames import FrameSource  # noqa: E402
from corrlearn.metrics.otb import iou  # noqa: E402
from corrlearn.tracking import DcfConfig, DcfTracker  # noqa: E402
from corrlearn.tracking.boxes import rect_to_center  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", type=Path, default=REPO.parent / "shared" / "data" / "otb2015")
    p.add_argument("--sequence", default="Toy")
    p.add_argument("--frames", type=int, default=60)
    p.add_argument("--model", default="resnet18")
    p.add_argument("--dcf", nargs="*", default=[], metavar="KEY=VALUE")
    p.add_argument("--gray", action="store_true", help="track on 3-channel grayscale frames")
    p.add_argument("--norms", action="store_true", help="feature-norm statistics of the first window only")
    return p.parse_args(argv)


def gray(frames):
    for f in frames:
        g = cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)
        yield np.repeat(g[..., None], 3, axis=2)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    seq = load_sequence(args.root, args.sequence)
    tracker = DcfTracker(
        models.create(args.model, stride=8), DcfConfig().replace(**parse_overrides(args.dcf, "--dcf"))
    )
    frames = iter(FrameSource.from_files(seq.frames[: args.frames]))
    if args.gray:
        frames = gray(frames)
    first = next(frames)
    if args.norms:
        tracker.center, tracker.size = rect_to_center(seq.boxes[0])
        with torch.no_grad():
            n = tracker._features([tracker._crop(first)])[0].norm(dim=0)
        g = n.shape[0]
        half = int(g // (2 * (tracker.config.padding + 1)))
        inner = n[g // 2 - half : g // 2 + half, g // 2 - half : g // 2 + half]
        print(
            f"{args.sequence}: cell norm max/median {float(n.max() / n.median()):.2f}, "
            f"target region mean / window mean {float(inner.mean() / n.mean()):.2f}"
        )
        return 0
    tracker.init(first, seq.boxes[0])
    boxes = [seq.boxes[0]] + [tracker.update(f) for f in frames]
    ious = iou(seq.boxes[: len(boxes)], np.array(boxes))
    lost = np.flatnonzero(ious < 0.1)
    print(
        f"{args.sequence} {len(boxes)} frames, {args.model}, dcf {args.dcf or 'defaults'}"
        f"{', gray' if args.gray else ''}: mean IoU {np.nanmean(ious):.3f}, "
        f"first IoU < 0.1 at frame {int(lost[0]) if len(lost) else None}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
