"""End-to-end seconds per frame of `corrlearn propagate` for each preset on a DAVIS-2016 sequence.

    python benchmarks/e2e_presets.py [--seq car-shadow] [--frames 12] [--model resnet18] [--threads 1]
        [--presets crw stt dino uvc contrastcorr] [--extra --precision bf16] [--out r.json]

Each preset runs as its own `corrlearn propagate` process on the first ``--frames`` frames of the sequence
(a folder of links to the original JPEGs), after one untimed 2-frame run that fills numba's disk cache.
Reported per preset: wall seconds per propagated frame, and CPU seconds (user + system of the process)
per frame. On a machine shared with other work the wall figure measures the sharing as much as the code;
CPU seconds per frame divided by the thread count is what the same process needs alone, up to the cost of
threads waiting for each other. Process start (imports, model build) is included; divide by more frames to
dilute it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--davis", default=str(REPO.parent / "shared/data/davis2016-val"))
    ap.add_argument("--seq", default="car-shadow")
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--model", default="resnet18")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--presets", nargs="+", default=["crw", "stt", "dino", "uvc", "contrastcorr"])
    ap.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more propagate options (last)")
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    src = Path(args.davis) / "JPEGImages/480p" / args.seq
    mask = Path(args.davis) / "Annotations/480p" / args.seq / "00000.png"
    jpgs = sorted(src.glob("*.jpg"))[: args.frames]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        clip, warm = Path(tmp) / "clip", Path(tmp) / "warm"
        for folder, n in ((clip, len(jpgs)), (warm, 2)):
            folder.mkdir()
            for p in jpgs[:n]:
                os.symlink(p, folder / p.name)
        for preset in args.presets:
            base = [sys.executable, "-m", "corrlearn", "propagate", "--mask", str(mask), "--preset", preset]
            base += ["--model", args.model, "--threads", str(args.threads), "--quiet", *args.extra]
            run([*base[:4], str(warm), *base[4:], "--out", str(Path(tmp) / f"w-{preset}")])
            wall, cpu = run([*base[:4], str(clip), *base[4:], "--out", str(Path(tmp) / f"o-{preset}")])
            n = len(jpgs) - 1
            row = dict(preset=preset, frames=n, wall_s_per_frame=wall / n, cpu_s_per_frame=cpu / n)
            rows.append(row)
            print(json.dumps(row), flush=True)
    result = {
        "sequence": args.seq,
        "model": args.model,
        "threads": args.threads,
        "extra": args.extra,
        "load_average_end": os.getloadavg()[0],
        "rows": rows,
    }
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
