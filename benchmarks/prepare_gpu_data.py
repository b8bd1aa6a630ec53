"""Pack what the GPU fine-tuning run needs beside the repository into one git-ignored folder (<= 64 MiB).

DAVIS-2016 train at 240p is re-encoded (JPEG quality lowered until the frames fit --budget-mib) into
OUT/frames/<sequence>/*.jpg, and the EfficientNet-Lite0 ImageNet checkpoint (SHA-256 checked) is copied to
OUT/, so the device needs neither the shared data nor the weight package. Then hand OUT to the device tool's
``carry`` and run benchmarks/finetune_gpu.sh there.

    python benchmarks/prepare_gpu_data.py [--src ../shared/data/davis2016-train-240p] [--out runs/gpu-carry]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import cv2
from tqdm import tqdm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from corrlearn.datasets.davis import frames_root  # noqa: E402
from corrlearn.models.efficientnet import pretrained_path  # noqa: E402

MIB = 1 << 20


def encode_all(frames: list[Path], src: Path, dst: Path, quality: int) -> int:
    """Re-encode every frame at ``quality``; return the bytes written."""
    total = 0
    for f in tqdm(frames, desc=f"JPEG q{quality}", unit="frame", leave=False):
        out = dst / f.relative_to(src)
        out.parent.mkdir(parents=True, exist_ok=True)
        ok, buf = cv2.imencode(".jpg", cv2.imread(str(f)), [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise SystemExit(f"{f}: cannot be re-encoded")
        out.write_bytes(buf.tobytes())
        total += len(buf)
    return total


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--src", type=Path, default=REPO.parent / "shared" / "data" / "davis2016-train-240p")
    p.add_argument("--out", type=Path, default=REPO / "runs" / "gpu-carry")
    p.add_argument("--budget-mib", type=float, default=64.0, help="frames + weights, in MiB")
    args = p.parse_args(argv)
    src = frames_root(args.src, "240p")
    frames = sorted(src.glob("*/*.jpg"))
    if not frames:
        raise SystemExit(f"{src}: no frames found")
    weights = pretrained_path("efficientnet-lite0")
    room = args.budget_mib * MIB - weights.stat().st_size - MIB  # 1 MiB slack for file-system overhead
    for quality in (85, 75, 65, 55, 45):
        shutil.rmtree(args.out / "frames", ignore_errors=True)
        size = encode_all(frames, src, args.out / "frames", quality)
        if size <= room:
            break
    else:
        raise SystemExit(f"frames do not fit {args.budget_mib} MiB even at JPEG quality 45")
    shutil.copy2(weights, args.out / weights.name)
    total = sum(f.stat().st_size for f in args.out.rglob("*") if f.is_file())
    print(
        f"{len(frames)} frames at JPEG quality {quality} + {weights.name}: {total / MIB:.1f} MiB in {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
