"""``corrlearn bench all``: DAVIS, JHMDB and OTB with one encoder as one resumable, shardable run; one table."""

from __future__ import annotations

import argparse
from pathlib import Path

from corrlearn.bench.options import add_common_options, common_settings, parse_overrides
from corrlearn.datasets.davis import RESOLUTION

GROUP = "bench"
NAME = "all"
HELP = "every benchmark with one encoder (DAVIS-2016/2017, JHMDB, OTB) and one summary table"
# --out must lie apart from what the run reads (checked by the CLI)
INPUTS = {
    "davis": "--davis",
    "davis2017": "--davis2017",
    "jhmdb": "--jhmdb",
    "otb": "--otb",
    "weights": "--weights",
    "jhmdb_list_file": "--jhmdb-list-file",
}
DESCRIPTION = """\
Runs `bench davis` (DAVIS-2016 from --davis; DAVIS-2017 too when --davis2017 is given), `bench jhmdb` and
`bench otb` with the same encoder into OUT/davis2016/, OUT/davis2017/, OUT/jhmdb/ and OUT/otb/ (each a normal run
directory of that command), then writes OUT/summary.md, OUT/summary.csv and OUT/summary.json in the layout of
the papers' tables: DAVIS J&F / J / F, JHMDB PCK@0.1 / 0.2, OTB AUC / P@20 (percent), each with its dataset,
protocol and scoring convention, the configuration hash (of every part's config.json) and the versions.
Benchmarks whose root is not given are left out of the run.

Resumable and shardable like each runner: --shard i/n (or torchrun's RANK / WORLD_SIZE) takes every n-th item
of every part; the process that finds everything done scores and writes the summary, or run --merge after.
--model takes corrlearn's names, package.module:factory, file.py:factory or an installed entry-point name.
Without --model and --weights each part runs its own default encoder (OTB's dcf tracker: efficientnet-lite1).

Examples:
  corrlearn bench all --out runs/mine --davis DAVIS --jhmdb JHMDB --otb OTB2015 --model my_pkg.nets:build
  corrlearn bench all --out runs/mine --davis DAVIS --davis2017 DAVIS2017 --model examples/user_encoder.py:resnet18_s8
"""


def register(parser: argparse.ArgumentParser) -> None:
    add_common_options(parser)
    g = parser.add_argument_group("benchmarks (give the roots to run)")
    g.add_argument("--davis", type=Path, default=None, help="DAVIS-2016 root")
    g.add_argument("--davis2017", type=Path, default=None, help="DAVIS-2017 root (palette annotations)")
    g.add_argument("--jhmdb", type=Path, default=None, help="JHMDB root")
    g.add_argument("--otb", type=Path, default=None, help="OTB-2015 root")
    d = parser.add_argument_group("DAVIS options")
    d.add_argument("--davis-preset", default="crw", help="propagation preset of both DAVIS parts")
    d.add_argument(
        "--davis-set", nargs="+", metavar="FIELD=VALUE", default=None, help="preset field overrides"
    )
    d.add_argument("--davis-subset", default="val", help="ImageSets list (default: val)")
    d.add_argument("--davis-resolution", default=RESOLUTION, help=f"frame subfolder (default: {RESOLUTION})")
    d.add_argument("--davis-sequences", nargs="+", default=None, help="only these DAVIS-2016 sequences")
    d.add_argument("--davis2017-sequences", nargs="+", default=None, help="only these DAVIS-2017 sequences")
    j = parser.add_argument_group("JHMDB options")
    j.add_argument("--jhmdb-preset", default="crw", choices=["crw", "stt"], help="keypoint protocol")
    j.add_argument("--jhmdb-list-file", type=Path, default=None, help="CRW-style list instead of split 1")
    j.add_argument("--jhmdb-videos", nargs="+", default=None, help="only these <class>/<video>")
    o = parser.add_argument_group("OTB options")
    o.add_argument("--otb-tracker", default="dcf", choices=["dcf", "boxprop"], help="tracking head")
    o.add_argument("--otb-preset", default="crw", help="preset of the boxprop tracker")
    o.add_argument(
        "--otb-protocol", default="otb", choices=["otb", "got10k", "pysot"], help="OTB scoring convention"
    )
    o.add_argument("--otb-sequences", nargs="+", default=None, help="only these OTB sequences")
    parser.add_argument(
        "--merge", action="store_true", help="only score finished parts and write the summary"
    )


def parts_from_args(args: argparse.Namespace) -> list:
    """The suite's parts for the roots given (the runners' own classes, their own defaults)."""
    from corrlearn.bench.davis import DavisBench
    from corrlearn.bench.jhmdb import JhmdbBench
    from corrlearn.bench.otb import OtbBench
    from corrlearn.bench.suite import Part
    from corrlearn.errors import CorrlearnError

    roots = {"--davis": args.davis, "--davis2017": args.davis2017, "--jhmdb": args.jhmdb, "--otb": args.otb}
    if not any(roots.values()):
        raise CorrlearnError("bench all: give at least one of --davis, --davis2017, --jhmdb, --otb")
    for flag, root in roots.items():
        if root is not None and not root.is_dir():
            raise CorrlearnError(f"{flag} {root}: folder not found")
    common = common_settings(args)
    del common["run_dir"]
    overrides = parse_overrides(args.davis_set, "--davis-set")
    parts = []
    for key, root, year, seqs in (
        ("davis2016", args.davis, "2016", args.davis_sequences),
        ("davis2017", args.davis2017, "2017", args.davis2017_sequences),
    ):
        if root is not None:
            bench = DavisBench(
                run_dir=args.out / key, **common, root=root, preset=args.davis_preset, year=year,
                subset=args.davis_subset, resolution=args.davis_resolution, overrides=overrides, sequences=seqs,
            )  # fmt: skip
            parts.append(Part(key, bench))
    if args.jhmdb is not None:
        bench = JhmdbBench(
            run_dir=args.out / "jhmdb", **common, root=args.jhmdb, preset=args.jhmdb_preset,
            list_file=args.jhmdb_list_file, videos_only=args.jhmdb_videos,
        )  # fmt: skip
        parts.append(Part("jhmdb", bench))
    if args.otb is not None:
        bench = OtbBench(
            run_dir=args.out / "otb", **common, root=args.otb, tracker=args.otb_tracker, preset=args.otb_preset,
            sequences=args.otb_sequences, protocol=args.otb_protocol,
        )  # fmt: skip
        parts.append(Part("otb", bench))
    return parts


def run(args: argparse.Namespace) -> int:
    from corrlearn.bench.runner import effective_shard, parse_shard
    from corrlearn.bench.suite import SUMMARY, merge_parts, run_parts, summarize

    parts = parts_from_args(args)
    progress = not args.quiet
    if args.merge:
        merge_parts(parts, progress)
    else:
        state = run_parts(parts, effective_shard(parse_shard(args.shard)), progress)
        for key, s in state["parts"].items():
            print(
                f"{key}: {len(s['computed'])} computed"
                + ("" if s["complete"] else ", waiting for other shards")
            )
        if not state["complete"]:
            print("score later with --merge (or let the last shard finish)")
            return 0
    summary = summarize(args.out, parts)
    print((args.out / f"{SUMMARY}.md").read_text(), end="")
    print(f"wrote {args.out / SUMMARY}.md, .csv and .json (configuration {summary['config_sha256'][:12]})")
    return 0
