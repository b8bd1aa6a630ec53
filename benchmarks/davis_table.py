"""DAVIS-2016 val results table: copy-first-frame baseline and `corrlearn bench davis` per preset.

Each method runs as its own `corrlearn bench davis` process (so its peak memory is its own) into a run
directory under --runs; the runs are resumable, so re-invoking the script after an interruption only computes
what is missing, and finished runs are just re-read. Writes a Markdown table (global J&F, timing, memory,
per-sequence J&F) to --out.

    python benchmarks/davis_table.py                      # baseline + crw, stt, dino (hours on CPU)
    python benchmarks/davis_table.py --presets            # the copy-first baseline only
    python benchmarks/davis_table.py --presets crw --device cuda --weights crw.pth
    python benchmarks/davis_table.py --model resnet18 --presets dino --short-side 240   # cheaper, not the protocol
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from corrlearn.io.atomic import write_text_atomic  # noqa: E402
from corrlearn.metrics.davis import GLOBAL_COLUMNS  # noqa: E402
from corrlearn.models import DEFAULT_MODEL  # noqa: E402

BASELINE = "copy-first"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", type=Path, default=REPO.parent / "shared" / "data" / "davis2016-val")
    p.add_argument("--runs", type=Path, default=REPO / "benchmarks" / "runs" / "davis2016_val")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="default: benchmarks/results/davis2016-val_<model>[_short-side-N].md",
    )
    p.add_argument("--presets", nargs="*", default=["crw", "stt", "dino"], help="empty: baseline only")
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--weights", type=Path, default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--sequences", nargs="+", default=None, help="default: ImageSets/2016/val.txt")
    p.add_argument("--no-baseline", action="store_true")
    p.add_argument(
        "--short-side",
        type=int,
        default=None,
        help="override every preset's working short side (e.g. 240 on a busy CPU; masks are still scored at 480p)",
    )
    args = p.parse_args(argv)
    if args.out is None:
        suffix = f"_short-side-{args.short_side}" if args.short_side else ""
        args.out = REPO / "benchmarks" / "results" / f"davis2016-val_{args.model}{suffix}.md"
    return args


def weights_tag(args: argparse.Namespace) -> str:
    """Short name of the weights: the checkpoint's stem, or what the model loads without one."""
    from corrlearn.models.efficientnet import VARIANTS

    if args.weights:
        return args.weights.stem
    return "imagenet" if args.model in VARIANTS else "randinit"


def weights_text(args: argparse.Namespace) -> str:
    from corrlearn.models.efficientnet import VARIANTS

    if args.weights:
        return str(args.weights)
    if args.model in VARIANTS:
        return f"ImageNet, from the {VARIANTS[args.model].distribution} package"
    return "seeded random initialisation"


def run_dir(args: argparse.Namespace, method: str) -> Path:
    if method == BASELINE:
        return args.runs / BASELINE
    if args.short_side:
        method = f"{method}-{args.short_side}"
    tag = f"{method}_{args.model}_{weights_tag(args)}_{args.device.replace(':', '')}"
    return args.runs / tag


def run_method(args: argparse.Namespace, method: str) -> dict:
    """Run (or resume, or just re-read) one method; return its run.json."""
    out = run_dir(args, method)
    if (out / "run.json").is_file():  # finished and scored: re-read, whatever corrlearn version made it
        return json.loads((out / "run.json").read_text())
    cmd = [sys.executable, "-m", "corrlearn", "bench", "davis", "--root", str(args.root), "--out", str(out)]
    if method == BASELINE:
        cmd += ["--baseline", BASELINE]
    else:
        cmd += ["--preset", method, "--model", args.model, "--device", args.device]
        if args.short_side:
            cmd += ["--set", f"short_side={args.short_side}"]
        if args.weights:
            cmd += ["--weights", str(args.weights)]
    if args.sequences:
        cmd += ["--sequences", *args.sequences]
    print(f"[{time.strftime('%H:%M:%S')}] {method}: {' '.join(cmd[2:])}", flush=True)
    subprocess.run(cmd, check=True, cwd=REPO)
    return json.loads((out / "run.json").read_text())


def markdown(reports: dict[str, dict], args: argparse.Namespace) -> str:
    lines = [
        "# DAVIS-2016 val (semi-supervised, 20 sequences)",
        "",
        "Produced by `python benchmarks/davis_table.py`; metrics from `corrlearn.metrics.davis` (numbers identical",
        "to davisvideochallenge/davis2017-evaluation: first and last frame dropped, means over objects).",
        f"Encoder for the presets: {args.model}, weights: {weights_text(args)}, "
        f"device: {args.device}"
        + (
            f", **working short side {args.short_side}** (preset override; masks scored at 480p)"
            if args.short_side
            else ""
        )
        + ". Time = sum of per-sequence propagation wall time (includes reading frames and",
        "writing PNGs, not the evaluation); memory = peak resident set size of the bench process.",
        "",
        "| method | " + " | ".join(GLOBAL_COLUMNS) + " | frames | time (s) | frames/s | peak RSS (MiB) |",
        "|---|" + "---:|" * (len(GLOBAL_COLUMNS) + 4),
    ]
    for method, rep in reports.items():
        g = rep["global"]
        frames = sum(r["frames"] for r in rep["sequences"].values())
        secs = rep["propagate_wall_s"]
        cells = [f"{100 * g[c]:.1f}" for c in GLOBAL_COLUMNS]
        lines.append(
            f"| {method} | " + " | ".join(cells) + f" | {frames} | {secs:.1f} | {frames / secs:.2f} | "
            f"{rep['peak_rss_mib']:.0f} |"
        )
    lines += ["", "J and F in %. Per object (`<sequence>_<id>`, J&F-Mean, %):", ""]
    methods = list(reports)
    lines += ["| object | " + " | ".join(methods) + " |", "|---|" + "---:|" * len(methods)]
    per = {}
    for m in reports:
        eval_json = json.loads((run_dir(args, m) / "eval" / "global.json").read_text())
        per[m] = {o["name"]: (o["j_mean"] + o["f_mean"]) / 2 for o in eval_json["objects"]}
    for s in list(per[methods[0]]) if methods else []:
        lines.append(
            f"| {s} | " + " | ".join(f"{100 * per[m].get(s, float('nan')):.1f}" for m in methods) + " |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    methods = ([] if args.no_baseline else [BASELINE]) + list(args.presets)
    reports = {m: run_method(args, m) for m in methods}
    write_text_atomic(args.out, markdown(reports, args))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
