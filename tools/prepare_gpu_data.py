"""Re-encode DAVIS frames into a folder small enough to travel beside the repository to a GPU machine.

    python tools/prepare_gpu_data.py [--src ../shared/data/davis2016-val] [--dst gpu-data/davis2016-val]
        [--budget-mib 56] [--sequences blackswan car-shadow ...]
    python tools/prepare_gpu_data.py --finetune [--src ../shared/data/davis2016-train-240p] [--dst runs/gpu-carry]

Default (for ``benchmarks/gpu_check.sh``): DAVIS-2016 val at 480p. Annotations and ImageSets/2016/val.txt are
copied unchanged, so the layout is the DAVIS one and ``corrlearn bench davis --root DST`` reads it.
``--finetune`` (for ``benchmarks/finetune_gpu.sh``): the DAVIS-2016 train 240p frames as DST/frames/<sequence>/
and the EfficientNet-Lite0 ImageNet checkpoint (SHA-256 checked) beside them, so the device needs neither the
shared data nor the weight package; the budget (default 64 MiB) then covers frames and weights.

Frames are re-encoded as JPEG at the highest quality (of 95, 90, .., 30) whose estimated total fits
``--budget-mib`` (estimated on every 8th frame, then checked on the real total; a lower quality is tried if
the estimate was short). The re-encoding is lossy: J&F on this copy can differ slightly from the original
JPEGs (the GPU check reports it as such). The folder is written under a temporary name and renamed at the
end; ``manifest.json`` records the quality and sizes. ``gpu-data/`` and ``runs/`` are git-ignored; pass the
folder to the device tool with ``carry``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import NoReturn

import cv2

REPO = Path(__file__).resolve().parents[1]
MIB = 1 << 20
QUALITIES = list(range(95, 25, -5))
FINETUNE_MODEL = "efficientnet-lite0"  # the trunk benchmarks/finetune/gpu_stt_lite0.json starts from


def fail(message: str) -> NoReturn:
    """One line on stderr, exit status 2."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def encode(path: Path, quality: int) -> bytes:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        fail(f"{path}: cannot be decoded")
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        fail(f"{path}: JPEG encoding failed")
    return buf.tobytes()


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def reencode_within(frames: dict[Path, Path], dst: Path, budget: float) -> int | None:
    """Write every source frame to ``dst / frames[src]`` at the highest quality whose total fits ``budget``
    bytes; the quality used, or None when even the lowest does not fit."""
    sources = list(frames)
    sample = sources[::8]
    start = next(
        (
            i
            for i, q in enumerate(QUALITIES)
            if sum(len(encode(p, q)) for p in sample) * len(sources) / len(sample) < budget
        ),
        len(QUALITIES) - 1,
    )
    for quality in QUALITIES[start:]:
        shutil.rmtree(dst, ignore_errors=True)
        total = 0
        for p, rel in frames.items():
            out = dst / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            data = encode(p, quality)
            out.write_bytes(data)
            total += len(data)
        if total <= budget:
            return quality
    return None


def val_frames(src: Path, sequences: list[str] | None) -> tuple[dict[Path, Path], list[str]]:
    """DAVIS-2016 val at 480p: frames in the DAVIS layout, and the sequences."""
    val = src / "ImageSets/2016/val.txt"
    if not val.is_file():
        fail(f"{val}: not found (is --src a DAVIS-2016 root?)")
    seqs = sequences or val.read_text().split()
    frames = {s: sorted((src / "JPEGImages/480p" / s).glob("*.jpg")) for s in seqs}
    missing = [s for s, f in frames.items() if not f]
    if missing:
        fail(f"{src}: no frames for {', '.join(missing)}")
    return {p: Path("JPEGImages/480p") / s / p.name for s, f in frames.items() for p in f}, seqs


def finetune_frames(src: Path) -> dict[Path, Path]:
    """DAVIS-2016 train at 240p: every frame as frames/<sequence>/<name>, the training data of the GPU run."""
    sys.path.insert(0, str(REPO))
    from corrlearn.datasets.davis import frames_root

    root = frames_root(src, "240p")
    frames = sorted(root.glob("*/*.jpg"))
    if not frames:
        fail(f"{root}: no frames found")
    return {p: Path("frames") / p.relative_to(root) for p in frames}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--finetune", action="store_true", help="pack the GPU fine-tuning run's frames and weights"
    )
    ap.add_argument(
        "--src", default=None, help="default: ../shared/data/davis2016-val (-train-240p with --finetune)"
    )
    ap.add_argument(
        "--dst", default=None, help="default: gpu-data/davis2016-val (runs/gpu-carry with --finetune)"
    )
    ap.add_argument("--budget-mib", type=float, default=None, help="default: 56 (64 with --finetune)")
    ap.add_argument(
        "--sequences", nargs="+", default=None, help="a named subset (default: ImageSets val.txt)"
    )
    args = ap.parse_args(argv)
    data = REPO.parent / "shared/data"
    if args.finetune:
        src = Path(args.src or data / "davis2016-train-240p")
        dst = Path(args.dst or REPO / "runs/gpu-carry")
        budget_mib = args.budget_mib or 64.0
    else:
        src = Path(args.src or data / "davis2016-val")
        dst = Path(args.dst or REPO / "gpu-data/davis2016-val")
        budget_mib = args.budget_mib or 56.0
    tmp = dst.with_name(dst.name + ".tmp")
    if args.finetune:
        from corrlearn.models.efficientnet import pretrained_path

        frames, seqs = finetune_frames(src), None
        weights = pretrained_path(FINETUNE_MODEL)
        extra = weights.stat().st_size + MIB  # 1 MiB slack for file-system overhead
    else:
        frames, seqs = val_frames(src, args.sequences)
        extra = sum(folder_bytes(src / "Annotations/480p" / s) for s in seqs)
    quality = reencode_within(frames, tmp, budget_mib * MIB - extra)
    if quality is None:
        fail(f"even JPEG quality {QUALITIES[-1]} exceeds {budget_mib} MiB")
    if args.finetune:
        shutil.copy2(weights, tmp / weights.name)
    else:
        for s in seqs:
            shutil.copytree(src / "Annotations/480p" / s, tmp / "Annotations/480p" / s)
        (tmp / "ImageSets/2016").mkdir(parents=True)
        (tmp / "ImageSets/2016/val.txt").write_text("\n".join(seqs) + "\n")
    manifest = {
        "source": os.fspath(src),
        "sequences": seqs or sorted({p.parts[1] for p in frames.values()}),
        "frames": len(frames),
        "jpeg_quality": quality,
        "mib": round(folder_bytes(tmp) / MIB, 2),
        "note": "frames re-encoded (lossy); "
        + ("weights copied" if args.finetune else "annotations unchanged"),
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1))
    shutil.rmtree(dst, ignore_errors=True)
    os.replace(tmp, dst)
    print(f"{dst}: {len(frames)} frames, JPEG quality {quality}, {manifest['mib']} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
