"""``corrlearn eval otb``: success / precision of any tracker's result files."""

from __future__ import annotations

import argparse
from pathlib import Path

from corrlearn.bench.options import PROTOCOL_HELP, add_protocol_option
from corrlearn.errors import CorrlearnError

GROUP = "eval"
NAME = "otb"
HELP = "OTB one-pass success AUC and precision@20 of result files (one or several methods)"
INPUTS = {"root": "--root"}  # --out may hold the --results folders (a bench run directory is one)
DESCRIPTION = (
    """\
Result format (the OTB toolkit's and pysot's): RESULTS/<Seq>.txt with one box per frame, x,y,w,h separated
by commas, tabs or spaces, in the same 1-indexed convention as groundtruth_rect.txt, the first line being
the given box. A `corrlearn bench otb` run directory (RESULTS/results/<Seq>/<Seq>.txt) is read too.

Success: fraction of frames with IoU > t for t = 0, 0.05, ..., 1; AUC = mean of the curve. Precision:
fraction with centre error <= t px, reported at 20. Dataset numbers average the per-sequence curves.
"""
    + PROTOCOL_HELP
    + """

Writes OUT/per-sequence.csv, OUT/global.json (with the protocol) and OUT/success.png, OUT/precision.png
(+ norm_precision.png for got10k / pysot) with one curve per --results, titled with the dataset ("OTB-2015
subset (k of 100)" unless all 100 sequences are scored) and the protocol.

Examples:
  corrlearn eval otb --root OTB2015 --results runs/otb --out runs/otb-eval
  corrlearn eval otb --root OTB2015 --results siamfc/ dcf/ --names SiamFC DCF --protocol got10k --out runs/cmp
"""
)


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", required=True, type=Path, help="OTB-2015 root")
    parser.add_argument(
        "--results", required=True, nargs="+", type=Path, help="result folder(s), one per method"
    )
    parser.add_argument("--names", nargs="+", default=None, help="legend names (default: folder names)")
    parser.add_argument(
        "--sequences", nargs="+", default=None, help="only these sequences (default: all in --root)"
    )
    parser.add_argument("--out", required=True, type=Path, help="where to write CSV, JSON and plots")
    add_protocol_option(parser)


def result_file(folder: Path, seq: str) -> Path:
    """<folder>/<seq>.txt, or a bench run's <folder>/results/<seq>/<seq>.txt."""
    for p in (folder / f"{seq}.txt", folder / "results" / seq / f"{seq}.txt"):
        if p.is_file():
            return p
    raise CorrlearnError(f"{folder}: no result file for sequence {seq} ({seq}.txt)")


def run(args: argparse.Namespace) -> int:
    from corrlearn.bench.otb import evaluate_files, summary_table
    from corrlearn.datasets.otb import list_sequences
    from corrlearn.io.atomic import write_json_atomic

    names = args.names or [p.name for p in args.results]
    if len(names) != len(args.results) or len(set(names)) != len(names):
        raise CorrlearnError("--names must give one distinct name per --results folder")
    seqs = args.sequences or list_sequences(args.root)
    methods = {
        n: {s: result_file(folder, s) for s in seqs} for n, folder in zip(names, args.results, strict=True)
    }
    out = evaluate_files(args.root, methods, args.out, args.protocol)
    write_json_atomic(args.out / "global.json", out["global"])
    print(summary_table(out["global"]))
    print(f"wrote {out['csv']}, {args.out / 'global.json'}, " + ", ".join(out["plots"]))
    return 0
