"""Development check on the DAVIS-2016 *training* sequences: compare encoder / preset variants without
touching val (choose there, then report val once with `corrlearn bench davis`).

Each variant is (preset, feature cut, preset overrides); J&F is scored on --sequences of the 240p training
set (default: every third of the 30, first --max-frames frames), frames upsampled to the preset's short side
(480: the same feature-grid geometry as DAVIS val 480p). Results are cached per (variant, sequence) in
--cache, so an interrupted run resumes; the table goes to --out.

    python benchmarks/dev_search.py --variants stt:5 crw:5 stt:3+5
    python benchmarks/dev_search.py --variants stt:5:short_side=600

Feature cut ``5`` = the trunk to the end of stage 5 (the shipped layer); ``3+5`` = stage 3 and stage 5
features, each L2-normalised, concatenated (the preset normalises the whole vector again).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from corrlearn.bench.options import parse_overrides  # noqa: E402
from corrlearn.io.atomic import write_json_atomic, write_text_atomic  # noqa: E402

TRAIN = REPO.parent / "shared" / "data" / "davis2016-train-240p"


def encoder_for(model: str, cut: str):
    """The EfficientNet-Lite trunk for a feature cut: "5", or "3+5" (earlier stages beside the last, each
    L2-normalised: ``EfficientNetLite(extra_stages=...)``, as the registered ``-hc`` encoders)."""
    from corrlearn.models import load_weights
    from corrlearn.models.efficientnet import EfficientNetLite, pretrained_path

    *extra, last = (int(s) for s in cut.split("+"))
    enc = EfficientNetLite(model, stride=8, last_stage=last, extra_stages=tuple(extra))
    load_weights(enc, pretrained_path(model), model)
    return enc.eval()


def main(argv: list[str] | None = None) -> int:
    from corrlearn.datasets.davis import read_sequence_list
    from corrlearn.train.evaluate import davis_jf

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", type=Path, default=TRAIN)
    p.add_argument("--model", default="efficientnet-lite1")
    p.add_argument("--variants", nargs="+", default=["stt:5", "crw:5"], help="PRESET:CUT[:FIELD=VALUE,...]")
    p.add_argument("--sequences", nargs="+", default=None)
    p.add_argument("--max-frames", type=int, default=30)
    p.add_argument("--cache", type=Path, default=REPO / "runs" / "dev_search.json")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="default: benchmarks/results/davis2016-train_<model>_dev-search.md",
    )
    args = p.parse_args(argv)
    if args.out is None:
        args.out = REPO / "benchmarks" / "results" / f"davis2016-train_{args.model}_dev-search.md"
    seqs = args.sequences or read_sequence_list(args.root, "2016", "train")[::3]
    cache = json.loads(args.cache.read_text()) if args.cache.is_file() else {}
    for variant in args.variants:
        preset, cut, *rest = variant.split(":")
        overrides = parse_overrides(rest[0].split(",")) if rest else {}
        overrides.setdefault("short_side", 480)
        enc = encoder_for(args.model, cut)
        for seq in seqs:
            key = f"{args.model}/{variant}/first{args.max_frames}/{seq}"
            if key in cache:
                continue
            t0 = time.perf_counter()
            r = davis_jf(enc, str(args.root), [seq], preset, max_frames=args.max_frames, resolution="240p",
                         overrides=overrides)  # fmt: skip
            cache[key] = {**r, "seconds": time.perf_counter() - t0}
            args.cache.parent.mkdir(parents=True, exist_ok=True)
            write_json_atomic(args.cache, cache)
            print(f"{variant} {seq}: J&F {r['J&F']:.3f}", flush=True)
    lines = [
        f"# Development check on DAVIS-2016 train (240p frames upsampled to short side 480), {args.model}",
        "",
        f"`python benchmarks/dev_search.py --variants {' '.join(args.variants)}` -- J&F-Mean on the first "
        f"{args.max_frames} frames of {len(seqs)} training sequences (never val). Time: wall seconds on the "
        "shared 2-core CPU (indicative only).",
        "",
        "| variant | " + " | ".join(seqs) + " | mean | time (s) |",
        "|---|" + "---:|" * (len(seqs) + 2),
    ]
    for variant in args.variants:
        rows = [cache[f"{args.model}/{variant}/first{args.max_frames}/{s}"] for s in seqs]
        jfs = [r["J&F"] for r in rows]
        lines.append(
            f"| `{variant}` | " + " | ".join(f"{v:.3f}" for v in jfs)
            + f" | **{sum(jfs) / len(jfs):.3f}** | {sum(r['seconds'] for r in rows):.0f} |"
        )  # fmt: skip
    write_text_atomic(args.out, "\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
