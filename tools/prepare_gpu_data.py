"""Re-encode DAVIS-2016 val into a folder small enough to travel beside the repository to a GPU machine.

    python tools/prepare_gpu_data.py [--src ../shared/data/davis2016-val] [--dst gpu-data/davis2016-val]
        [--budget-mib 56] [--sequences blackswan car-shadow ...]

Frames are re-encoded as JPEG at the highest quality (of 95, 90, .., 30) whose estimated total fits
``--budget-mib`` (estimated on every 8th frame, then checked on the real total; a lower quality is tried if
the estimate was short). Annotations and ImageSets/2016/val.txt are copied unchanged, so the layout is the
DAVIS one and ``corrlearn bench davis --root DST`` reads it. The re-encoding is lossy: J&F on this copy can
differ slightly from the original JPEGs (the GPU check reports it as such). The folder is written under a
temporary name and renamed at the end; ``manifest.json`` records the quality and sizes. ``gpu-data/`` is
git-ignored; pass it to the device tool with ``carry``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parents[1]


def encode(path: Path, quality: int) -> bytes:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        sys.exit(f"{path}: cannot be decoded")
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        sys.exit(f"{path}: JPEG encoding failed")
    return buf.tobytes()


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", default=str(REPO.parent / "shared/data/davis2016-val"))
    ap.add_argument("--dst", default=str(REPO / "gpu-data/davis2016-val"))
    ap.add_argument("--budget-mib", type=float, default=56.0)
    ap.add_argument(
        "--sequences", nargs="+", default=None, help="a named subset (default: ImageSets val.txt)"
    )
    args = ap.parse_args(argv)
    src, dst = Path(args.src), Path(args.dst)
    val = src / "ImageSets/2016/val.txt"
    if not val.is_file():
        print(f"error: {val}: not found (is --src a DAVIS-2016 root?)", file=sys.stderr)
        return 2
    seqs = args.sequences or val.read_text().split()
    frames = {s: sorted((src / "JPEGImages/480p" / s).glob("*.jpg")) for s in seqs}
    missing = [s for s, f in frames.items() if not f]
    if missing:
        print(f"error: {src}: no frames for {', '.join(missing)}", file=sys.stderr)
        return 2
    annotations = sum(folder_bytes(src / "Annotations/480p" / s) for s in seqs)
    budget = args.budget_mib * 2**20 - annotations
    sample = [p for f in frames.values() for p in f[::8]]
    n_all = sum(len(f) for f in frames.values())
    qualities = list(range(95, 25, -5))
    start = next(
        (
            i
            for i, q in enumerate(qualities)
            if sum(len(encode(p, q)) for p in sample) * n_all / len(sample) < budget
        ),
        len(qualities) - 1,
    )
    tmp = dst.with_name(dst.name + ".tmp")
    for quality in qualities[start:]:
        shutil.rmtree(tmp, ignore_errors=True)
        total = 0
        for s, paths in frames.items():
            out = tmp / "JPEGImages/480p" / s
            out.mkdir(parents=True)
            for p in paths:
                data = encode(p, quality)
                (out / p.name).write_bytes(data)
                total += len(data)
        if total <= budget:
            break
    else:
        print(f"error: even JPEG quality {qualities[-1]} exceeds {args.budget_mib} MiB", file=sys.stderr)
        return 2
    for s in seqs:
        shutil.copytree(src / "Annotations/480p" / s, tmp / "Annotations/480p" / s)
    (tmp / "ImageSets/2016").mkdir(parents=True)
    (tmp / "ImageSets/2016/val.txt").write_text("\n".join(seqs) + "\n")
    manifest = {
        "source": os.fspath(src),
        "sequences": seqs,
        "frames": n_all,
        "jpeg_quality": quality,
        "mib": round(folder_bytes(tmp) / 2**20, 2),
        "note": "frames re-encoded (lossy); annotations unchanged",
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1))
    shutil.rmtree(dst, ignore_errors=True)
    os.replace(tmp, dst)
    print(f"{dst}: {n_all} frames of {len(seqs)} sequences, JPEG quality {quality}, {manifest['mib']} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
