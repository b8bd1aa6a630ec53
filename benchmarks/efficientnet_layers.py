"""Which EfficientNet-Lite layer to read features from: J&F on a few DAVIS-2016 val sequences per cut.

Each configuration is (last stage, output stride): the trunk is cut after that stage (stage 3 is the last
natively stride-8 one; 4-5 are stride 16 and 6 stride 32, dilated here) and propagates with a preset at a
reduced working resolution (CPU budget). Results are cached per (configuration, sequence) in --cache, so an
interrupted run resumes; the table goes to --out.

    python benchmarks/efficientnet_layers.py                       # lite0, crw preset, short side 240
    python benchmarks/efficientnet_layers.py --variant efficientnet-lite2 --short-side 480
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from corrlearn.io.atomic import write_json_atomic, write_text_atomic  # noqa: E402

CONFIGS = ((3, 8), (5, 8), (6, 8))
SEQUENCES = ("blackswan", "car-shadow", "drift-chicane")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", type=Path, default=REPO.parent / "shared" / "data" / "davis2016-val")
    p.add_argument("--variant", default="efficientnet-lite0")
    p.add_argument("--preset", default="crw")
    p.add_argument("--short-side", type=int, default=240)
    p.add_argument("--sequences", nargs="+", default=list(SEQUENCES))
    p.add_argument("--cache", type=Path, default=REPO / "runs" / "efficientnet_layers.json")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "efficientnet_layers.md")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    import torch

    from corrlearn.models import load_weights
    from corrlearn.models.efficientnet import EfficientNetLite, pretrained_path
    from corrlearn.train.evaluate import davis_jf

    args = parse_args(argv)
    cache = json.loads(args.cache.read_text()) if args.cache.is_file() else {}
    for stage, stride in CONFIGS:
        enc = EfficientNetLite(args.variant, stride=stride, last_stage=stage)
        load_weights(enc, pretrained_path(args.variant), args.variant)
        enc.eval()
        for seq in args.sequences:
            key = f"{args.variant}/{args.preset}/{args.short_side}/stage{stage}/s{stride}/{seq}"
            if key in cache:
                continue
            t0 = time.perf_counter()
            with torch.no_grad():
                jf = davis_jf(enc, args.root, [seq], args.preset, short_side=args.short_side)["J&F"]
            cache[key] = {"J&F": jf, "seconds": time.perf_counter() - t0, "channels": enc.out_channels}
            args.cache.parent.mkdir(parents=True, exist_ok=True)
            write_json_atomic(args.cache, cache)
            print(f"stage {stage} stride {stride} {seq}: J&F {jf:.3f}", flush=True)

    lines = [
        f"# EfficientNet-Lite feature layer ({args.variant}, preset {args.preset}, short side {args.short_side})",
        "",
        "Produced by `python benchmarks/efficientnet_layers.py"
        + (f" --variant {args.variant}" if args.variant != "efficientnet-lite0" else "")
        + (f" --short-side {args.short_side}" if args.short_side != 240 else "")
        + "`. J&F-Mean per DAVIS-2016 val sequence (official protocol, masks scored at 480p).",
        "Time: wall seconds for all sequences on a shared 2-core CPU (indicative only).",
        "",
        "| last stage | stride | channels | " + " | ".join(args.sequences) + " | mean | time (s) |",
        "|---|---:|---:|" + "---:|" * (len(args.sequences) + 2),
    ]
    for stage, stride in CONFIGS:
        rows = [
            cache[f"{args.variant}/{args.preset}/{args.short_side}/stage{stage}/s{stride}/{s}"]
            for s in args.sequences
        ]
        jfs = [r["J&F"] for r in rows]
        lines.append(
            f"| {stage} | {stride} | {rows[0]['channels']} | "
            + " | ".join(f"{v:.3f}" for v in jfs)
            + f" | {sum(jfs) / len(jfs):.3f} | {sum(r['seconds'] for r in rows):.0f} |"
        )
    write_text_atomic(args.out, "\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
