"""Peak memory of propagation on a long video: a DAVIS sequence looped back and forth to N frames.

    python benchmarks/long_video_memory.py [--frames 1500] [--seq blackswan] [--short-side 240]
        [--out benchmarks/results/memory_long-video]

Runs ``segment_video`` (preset ``crw``, default encoder) over frames 0, 1, .., n-1, n-2, .., 1, 0, 1, ..
of one DAVIS-2016 sequence, decoded one at a time from disk, and samples the process's resident memory
(current RSS and the kernel's high-water mark VmHWM) every ``--every`` frames. Writes ``OUT.json`` (the
samples, the command, the machine) and ``OUT.png`` (memory vs frames). The engine keeps a bounded context
bank, so both curves must flatten after the first frames; a leak shows as a slope. One process is one
measurement: the run is not resumable (a resumed process would start a new memory curve), so keep
``--frames`` to what the machine can do in one go.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import torch

from corrlearn import models
from corrlearn.bench.plots import line_plot
from corrlearn.datasets.davis import annotation_dir, frames_dir
from corrlearn.io.atomic import write_json_atomic
from corrlearn.io.frames import open_frames
from corrlearn.io.masks import read_mask
from corrlearn.propagate import get_preset, segment_video

REPO = Path(__file__).resolve().parents[1]


def memory_mib() -> tuple[float, float]:
    """(current RSS, peak RSS = VmHWM) of this process in MiB."""
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def ping_pong(n_src: int, n_out: int) -> Iterator[int]:
    """Frame indices 0, 1, .., n_src - 1, n_src - 2, .., 1, 0, 1, .. (n_out of them)."""
    period = max(2 * n_src - 2, 1)
    for i in range(n_out):
        j = i % period
        yield j if j < n_src else period - j


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--davis", default=str(REPO.parent / "shared/data/davis2016-val"))
    ap.add_argument("--seq", default="blackswan")
    ap.add_argument("--frames", type=int, default=1500)
    ap.add_argument("--short-side", type=int, default=240, help="working short side (0 = native 480p)")
    ap.add_argument("--every", type=int, default=10, help="sample memory every N frames")
    ap.add_argument("--out", default=str(REPO / "benchmarks/results/memory_long-video"))
    args = ap.parse_args(argv)

    src = open_frames(frames_dir(Path(args.davis), args.seq))
    first = read_mask(annotation_dir(Path(args.davis), args.seq) / "00000.png")
    preset = get_preset("crw").replace(short_side=args.short_side or None)
    order = list(ping_pong(len(src), args.frames))
    samples = {"frame": [], "rss_mib": [], "peak_mib": [], "elapsed_s": []}
    t0 = time.perf_counter()
    frames = (src.read(i) for i in order)
    stream = segment_video(frames, first.ids, models.create("resnet18"), preset, total=len(order))
    for i, ids in enumerate(stream):
        if ids.shape != first.ids.shape:
            raise RuntimeError(f"frame {i}: mask of shape {ids.shape}")
        if i % args.every == 0 or i == len(order) - 1:
            rss, peak = memory_mib()
            for key, v in zip(samples, (i, rss, peak, time.perf_counter() - t0), strict=True):
                samples[key].append(round(v, 2))
    result = {
        "command": "python benchmarks/long_video_memory.py "
        + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k not in ("davis", "out")
        ),
        "sequence": args.seq,
        "frames": len(order),
        "working_short_side": args.short_side or "native",
        "grid": list(get_grid(src.read(0), preset)),
        "threads": torch.get_num_threads(),
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "samples": samples,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out.with_suffix(".json"), result)
    top = max(samples["peak_mib"]) * 1.15
    x = np.asarray(samples["frame"])
    line_plot(
        out.with_suffix(".png"),
        {
            "RSS": (x, np.asarray(samples["rss_mib"])),
            "peak RSS (VmHWM)": (x, np.asarray(samples["peak_mib"])),
        },
        f"crw, {args.seq} looped to {len(order)} frames, short side {args.short_side or 480}",
        "frame",
        "MiB",
        xlim=(0, max(len(order) - 1, 1)),
        ylim=(0, top),
    )
    print(
        f"{len(order)} frames in {samples['elapsed_s'][-1]:.0f} s; RSS at frame {samples['frame'][1] if len(x) > 1 else 0}:"
        f" {samples['rss_mib'][min(1, len(x) - 1)]:.0f} MiB, at the end {samples['rss_mib'][-1]:.0f} MiB;"
        f" peak {samples['peak_mib'][-1]:.0f} MiB"
    )
    return result


def get_grid(frame: np.ndarray, preset) -> tuple[int, int]:
    from corrlearn.propagate.engine import working_size

    h, w = working_size(*frame.shape[:2], preset)
    return -(-h // 8), -(-w // 8)


if __name__ == "__main__":
    cv2.setNumThreads(1)
    main()
