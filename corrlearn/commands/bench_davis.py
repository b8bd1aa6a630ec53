"""``corrlearn bench davis``: propagate every DAVIS sequence, write PNGs, score J&F (resumable, shardable)."""

from __future__ import annotations

import argparse
from pathlib import Path

from corrlearn.bench.options import add_common_options, common_settings, parse_overrides, report_shard
from corrlearn.datasets.davis import RESOLUTION

GROUP = "bench"
NAME = "davis"
HELP = "propagate first-frame masks over DAVIS val and score J&F (resumable, shardable)"
INPUTS = {"root": "--root", "weights": "--weights"}  # --out must lie apart from these (checked by the CLI)
DESCRIPTION = """\
Runs label propagation with a preset over every sequence of ImageSets/<year>/val.txt (or --sequences),
writes palette PNGs to OUT/results/<sequence>/<frame>.png and, once every sequence is done, scores them with
the official-parity J&F (OUT/eval/*.csv, OUT/run.json with timings and peak memory).

Resumable: a killed run restarted with the same arguments skips finished sequences and produces identical
files; a different configuration (preset, model, weights, device, versions) is refused. --shard i/n runs
sequences i, i+n, ...; torchrun's RANK/WORLD_SIZE split further. The shard that finishes last evaluates; or
run with --merge afterwards.

Examples:
  corrlearn bench davis --root DAVIS --out runs/crw
  corrlearn bench davis --root DAVIS --out runs/stt --preset stt --weights stt.pth --shard 0/4
"""


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root", required=True, type=Path, help="DAVIS root (JPEGImages/, Annotations/, ImageSets/)"
    )
    add_common_options(parser)
    parser.add_argument(
        "--preset", default="crw", help="propagation protocol: crw, stt, dino, uvc, contrastcorr"
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        nargs="+",
        metavar="FIELD=VALUE",
        default=None,
        help="change preset fields, e.g. --set context=7 topk=5 radius=none (recorded in config.json)",
    )
    parser.add_argument("--year", default="2016", choices=["2016", "2017"], help="sequence list year")
    parser.add_argument(
        "--subset",
        default="val",
        help="sequence list ImageSets/<year>/<subset>.txt (default: val); train for development checks",
    )
    parser.add_argument(
        "--resolution",
        default=RESOLUTION,
        help=f"JPEGImages/ and Annotations/ subfolder (default: {RESOLUTION})",
    )
    parser.add_argument("--sequences", nargs="+", default=None, help="only these sequences")
    parser.add_argument("--baseline", default=None, choices=["copy-first"], help="a trivial method instead")
    parser.add_argument(
        "--merge", action="store_true", help="only evaluate a run whose sequences are all done"
    )


def run(args: argparse.Namespace) -> int:
    from corrlearn.bench.davis import DavisBench, summary_table
    from corrlearn.bench.runner import effective_shard, parse_shard
    from corrlearn.errors import CorrlearnError

    if not args.root.is_dir():
        raise CorrlearnError(f"{args.root}: DAVIS root not found")
    bench = DavisBench(
        root=args.root,
        **common_settings(args),
        preset=args.preset,
        year=args.year,
        subset=args.subset,
        resolution=args.resolution,
        baseline=args.baseline,
        overrides=parse_overrides(args.overrides),
        sequences=args.sequences,
    )
    progress = not args.quiet
    if args.merge:
        out = bench.merge(progress=progress, use_run_config=True)
    else:
        shard = effective_shard(parse_shard(args.shard))
        out = bench.run(shard=shard, progress=progress)
        if not report_shard(out, "sequence"):
            return 0
    print(summary_table(out["report"], out["evaluation"]))
    print(f"wrote {args.out / 'eval'} and {args.out / 'run.json'}")
    return 0
