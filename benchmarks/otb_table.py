"""OTB tables on the shipped sequences: every (encoder, tracker) run scored in all three toolkit conventions.

Each (encoder, tracker) pair is a resumable `corrlearn bench otb` run directory ``RUNS/otb8_<encoder>_<tracker>``
(``--track`` starts or resumes the missing ones; without it only finished runs are scored). The tracker output
does not depend on the scoring convention, so every run is scored three times (``--protocol otb``, ``got10k``,
``pysot``) from the same result files. Writes, under ``--out``:

* ``otb8_<encoder>_<tracker>.md``: global and per-sequence numbers in each convention, tracking speed;
* ``otb8/<protocol>/``: per-sequence.csv of all methods and success / precision (/ normalized precision) plots
  with one curve per method, titled with the dataset label ("OTB-2015 subset (8 of 100)") and the convention.

    python benchmarks/otb_table.py --runs runs --encoders resnet18 efficientnet-lite0 [--track]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from corrlearn.bench.otb import dataset_label, evaluate_files  # noqa: E402
from corrlearn.bench.runner import DONE, RESULTS  # noqa: E402
from corrlearn.datasets.otb import list_sequences  # noqa: E402
from corrlearn.io.atomic import write_text_atomic  # noqa: E402
from corrlearn.metrics.otb import PROTOCOL_LABELS, PROTOCOLS  # noqa: E402

#: Tracker variants: name -> `corrlearn bench otb` options. ``dcf-l2`` L2-normalises each feature cell before
#: the correlation filter (the Toy fix, see benchmarks/README.md).
TRACKERS = {
    "dcf": ["--tracker", "dcf"],
    "boxprop": ["--tracker", "boxprop"],
    "dcf-l2": ["--tracker", "dcf", "--dcf", "l2_normalize=true"],
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", type=Path, default=REPO.parent / "shared" / "data" / "otb2015")
    p.add_argument("--runs", type=Path, default=REPO / "benchmarks" / "runs")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    p.add_argument("--encoders", nargs="+", default=["resnet18"])
    p.add_argument("--trackers", nargs="+", default=list(TRACKERS), choices=list(TRACKERS))
    p.add_argument("--track", action="store_true", help="run / resume missing tracking (slow on CPU)")
    return p.parse_args(argv)


def run_dir(args: argparse.Namespace, encoder: str, tracker: str) -> Path:
    return args.runs / f"otb8_{encoder}_{tracker}"


def result_files(run: Path, names: list[str]) -> dict[str, Path] | None:
    files = {n: run / RESULTS / n / f"{n}.txt" for n in names}
    return files if all(f.is_file() for f in files.values()) else None


def track(args: argparse.Namespace, encoder: str, tracker: str) -> None:
    cmd = [sys.executable, "-m", "corrlearn", "bench", "otb", "--root", str(args.root), "--out",
           str(run_dir(args, encoder, tracker)), *TRACKERS[tracker], "--model", encoder, "--quiet"]  # fmt: skip
    subprocess.run(cmd, check=False)


def speed(run: Path, names: list[str]) -> tuple[float, int]:
    """(tracking seconds, frames) summed over the run's sequence records."""
    secs = frames = 0
    for n in names:
        rec = run / DONE / f"{n}.json"
        if rec.is_file():
            r = json.loads(rec.read_text())
            secs += r.get("wall_s", 0.0)
            frames += int(r.get("frames", 0) or 0)
    return secs, frames


def _weights(cfg: dict, encoder: str) -> str:
    """The run's recorded weights SHA-256; for runs recorded before package weights were hashed, the package
    weights' own (the run loaded them: no --weights was given); none for a seeded random init."""
    from corrlearn.models import weights_sha256

    return cfg.get("weights_sha256") or weights_sha256(encoder, None) or "none: random init seed 0"


def fmt(v) -> str:
    return "-" if v is None else f"{v:.3f}"


def method_report(args, encoder: str, tracker: str, names: list[str], scored: dict, run: Path) -> str:
    label = dataset_label(args.root, len(names))
    secs, frames = speed(run, names)
    cfg = json.loads((run / "config.json").read_text()) if (run / "config.json").is_file() else {}
    lines = [
        f"# {label}: {tracker} tracker, {encoder} encoder",
        "",
        f"**{label}** — {len(names)} of OTB-2015's 100 sequences ({', '.join(names)}); not comparable with",
        "published full-benchmark numbers. One-pass evaluation from the first ground-truth box, scored from the",
        "same result files in each toolkit's convention (`--protocol`, see `corrlearn/metrics/otb.py`).",
        "",
        f"Encoder `{encoder}` ({'seeded random initialisation' if encoder.startswith('resnet') else 'ImageNet weights'}"
        f", weights SHA-256 {_weights(cfg, encoder)}), tracker `{tracker}`"
        + (f" ({json.dumps(cfg.get('dcf'))})" if cfg.get("dcf") else "")
        + ".",
        "",
        "| convention | AUC | precision@20 | success@0.5 | normalized precision |",
        "|---|---:|---:|---:|---:|",
    ]
    for protocol in PROTOCOLS:
        g = scored[protocol]["global"][tracker]
        norm = g["norm_precision"]
        what = {"otb": "", "got10k": " (mean of curve)", "pysot": " (at 0.20)"}[protocol]
        lines.append(
            f"| {PROTOCOL_LABELS[protocol]} | {g['auc']:.3f} | {g['precision@20']:.3f} | {g['success@0.5']:.3f} "
            f"| {fmt(norm)}{what if norm is not None else ''} |"
        )
    lines += [
        "",
        "Per sequence (AUC / precision@20):",
        "",
        "| sequence | frames | " + " | ".join(PROTOCOL_LABELS[p] for p in PROTOCOLS) + " |",
        "|---|---:|" + "---:|" * len(PROTOCOLS),
    ]
    for n in names:
        cells = []
        for p in PROTOCOLS:
            s = scored[p]["per_sequence"][tracker][n]
            cells.append(f"{s['auc']:.3f} / {s['precision@20']:.3f}")
        frames_n = scored["otb"]["per_sequence"][tracker][n]["frames"]
        lines.append(f"| {n} | {frames_n} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Tracking: {frames} frames in {secs:.0f} s ({secs / max(frames, 1):.2f} s/frame) on a 2-core CPU VM shared",
        "with four other engineers' jobs (load average 10-18): the time is an upper bound, not a speed claim.",
        f"Python {platform.python_version()}. Plots with every method: `otb8/<convention>/success.png`,",
        "`precision.png` (and `norm_precision.png` for got10k / pysot).",
        "",
        "Reproduce: `corrlearn bench otb --root ../shared/data/otb2015 --out RUN "
        f"{' '.join(TRACKERS[tracker])} --model {encoder}`, then `python benchmarks/otb_table.py --runs RUNS --encoders {encoder}`",
        "(or `corrlearn eval otb --root ../shared/data/otb2015 --results RUN --out EVAL --protocol otb|got10k|pysot`).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = list_sequences(args.root)
    done = {}
    for enc in args.encoders:
        for tr in args.trackers:
            run = run_dir(args, enc, tr)
            if args.track:
                track(args, enc, tr)
            files = result_files(run, names)
            if files is None:
                print(f"{run}: not finished, skipped (use --track)")
                continue
            done[(enc, tr)] = files
    if not done:
        print("no finished run to score")
        return 1
    for (enc, tr), files in done.items():
        scored = {}
        with tempfile.TemporaryDirectory() as tmp:  # numbers only: the plots are the combined ones below
            for p in PROTOCOLS:
                with warnings.catch_warnings():
                    warnings.simplefilter("error")  # a length mismatch would be a bug in the runner: stop
                    scored[p] = evaluate_files(args.root, {tr: files}, Path(tmp) / p, p)
        md = args.out / f"otb8_{enc}_{tr}.md"
        write_text_atomic(md, method_report(args, enc, tr, names, scored, run_dir(args, enc, tr)))
        print(f"wrote {md}")
    for p in PROTOCOLS:  # one plot per convention with every finished method
        methods = {f"{tr} {enc}": files for (enc, tr), files in done.items()}
        out = evaluate_files(args.root, methods, args.out / "otb8" / p, p)
        print(f"{p}: " + ", ".join(f"{m} AUC {g['auc']:.3f}" for m, g in out["global"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
