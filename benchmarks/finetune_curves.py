"""Learning curves of the fine-tuning runs: held-out training J&F per evaluated step, and the losses.

Reads RUN_DIR/config.json and RUN_DIR/log.jsonl of every run under --runs (written by ``corrlearn train``,
see benchmarks/finetune_cpu.sh) and writes one Markdown file with a table per run.

    python benchmarks/finetune_curves.py [--runs runs/finetune] [--out benchmarks/results/training_finetune-curves.md]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from corrlearn.io.atomic import write_text_atomic  # noqa: E402


def read_run(run: Path) -> tuple[dict, list[dict], list[dict]]:
    """(config, evaluation records, training records) of one run directory."""
    cfg = json.loads((run / "config.json").read_text())
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines() if line.strip()]
    evals = [r for r in records if r.get("eval") == "heldout"]
    train = [r for r in records if "loss" in r]
    return cfg, evals, train


def run_table(name: str, cfg: dict, evals: list[dict], train: list[dict]) -> list[str]:
    init = cfg.get("init_weights") or (
        "ImageNet (package)" if cfg["model"].startswith("efficientnet") else f"seeded init {cfg['init_seed']}"
    )
    teacher = f", teacher {cfg['teacher']}" if cfg.get("teacher") else ""
    nodes = f", {cfg['nodes']} nodes" if cfg["objective"] == "crw" and cfg.get("nodes") else ""
    lines = [
        f"## {name}",
        "",
        f"{cfg['objective']} on {cfg['model']} from {init}{teacher}; lr {cfg['lr']} ({cfg['optimizer']}, "
        f"{cfg['schedule']}), BatchNorm {cfg.get('bn', 'train')}{nodes}, batch {cfg['batch_size']}, "
        f"crop {cfg['crop_size']}, clip {cfg['clip_len']}; "
        f"data {', '.join(cfg['data'])}. Curve: `bench davis` with the {cfg['eval_preset']} preset on the "
        f"held-out training sequences {', '.join(cfg['heldout_sequences'] or [])} (all frames). "
        f"Steps done: {train[-1]['step'] if train else 0} of {cfg['steps']} planned.",
        "",
        "| step | clips seen | J&F | J | F | train loss (mean of the last 10 logs) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for e in evals:
        recent = [r["loss"] for r in train if r["step"] <= e["step"]][-10:]
        loss = f"{sum(recent) / len(recent):.4f}" if recent else "-"
        lines.append(
            f"| {e['step']} | {e['step'] * cfg['batch_size']} | {e['J&F']:.3f} | {e['J']:.3f} | {e['F']:.3f} | {loss} |"
        )
    if train:
        speeds = sorted(r["clips_per_s"] for r in train)
        lines += ["", f"Median training speed: {speeds[len(speeds) // 2]:.2f} clips/s (shared 2-core CPU)."]
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=Path, default=REPO / "runs" / "finetune")
    p.add_argument(
        "--out", type=Path, default=REPO / "benchmarks" / "results" / "training_finetune-curves.md"
    )
    args = p.parse_args(argv)
    lines = [
        "# Self-supervised fine-tuning: learning curves",
        "",
        "Produced by `python benchmarks/finetune_curves.py` from the runs of `bash benchmarks/finetune_cpu.sh`",
        "(configs in `benchmarks/finetune/`). Training data: the 23 training sequences of DAVIS-2016 *train*",
        "(240p); the curve scores the 7 held-out ones (`corrlearn.train.splits`) exactly as `bench davis`",
        "scores val (stt-bilinear, short side 480, every frame). DAVIS-2016 val is not read.",
        "",
    ]
    runs = sorted(d for d in args.runs.iterdir() if (d / "log.jsonl").is_file()) if args.runs.is_dir() else []
    if not runs:
        print(f"no runs with a log.jsonl under {args.runs}")
        return 1
    for run in runs:
        lines += run_table(run.name, *read_run(run))
    write_text_atomic(args.out, "\n".join(lines))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
