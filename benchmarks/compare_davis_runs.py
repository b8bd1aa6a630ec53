"""Per-sequence J&F of two finished `corrlearn bench davis` runs side by side (e.g. fp32 vs bf16 encoder).

    python benchmarks/compare_davis_runs.py RUN_A RUN_B [--out TABLE.md]

Reads each run's ``eval/per-sequence.csv`` and ``run.json`` (written by the runner); prints a Markdown table:
global J&F of both, the mean and largest per-object difference, and every object's J&F in both runs.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path


def per_object(run: Path) -> dict[str, float]:
    """Object -> J&F-Mean (mean of J-Mean and F-Mean, as the official per-sequence table)."""
    with open(run / "eval" / "per-sequence.csv", newline="") as fh:
        return {r["Sequence"]: (float(r["J-Mean"]) + float(r["F-Mean"])) / 2 for r in csv.DictReader(fh)}


def table(a: Path, b: Path) -> str:
    ra, rb = (json.loads((r / "run.json").read_text()) for r in (a, b))
    pa, pb = per_object(a), per_object(b)
    if set(pa) != set(pb):
        raise SystemExit(f"{a} and {b} score different objects")
    diff = {o: pb[o] - pa[o] for o in pa}
    worst = max(diff, key=lambda o: abs(diff[o]))
    lines = [
        f"A = `{a}`: J&F {100 * ra['global']['J&F-Mean']:.2f}, propagation {ra['propagate_wall_s']:.0f} s",
        f"B = `{b}`: J&F {100 * rb['global']['J&F-Mean']:.2f}, propagation {rb['propagate_wall_s']:.0f} s",
        "",
        f"B - A per object: mean {100 * sum(diff.values()) / len(diff):+.2f}, largest {100 * diff[worst]:+.2f}"
        f" ({worst}); {sum(abs(v) < 0.0005 for v in diff.values())} of {len(diff)} objects equal to 3 decimals",
        "",
        "| object | A | B | B - A |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {o} | {100 * pa[o]:.1f} | {100 * pb[o]:.1f} | {100 * diff[o]:+.2f} |" for o in sorted(pa)]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_a", type=Path)
    ap.add_argument("run_b", type=Path)
    ap.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = ap.parse_args()
    text = table(args.run_a, args.run_b)
    print(text, end="")
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
