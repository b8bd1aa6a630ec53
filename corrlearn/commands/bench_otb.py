"""``corrlearn bench otb``: one-pass box tracking over OTB-2015, scored with success / precision plots."""

from __future__ import annotations

import argparse
from pathlib import Path

from corrlearn.bench.options import (
    PROTOCOL_HELP,
    add_common_options,
    add_protocol_option,
    common_settings,
    parse_overrides,
    report_shard,
)

GROUP = "bench"
NAME = "otb"
HELP = "track every OTB sequence from its first box and score success AUC / precision (resumable, shardable)"
INPUTS = {"root": "--root", "weights": "--weights", "from_davis": "--from-davis"}
DESCRIPTION = (
    """\
Runs a tracker on frozen stride-8 features over every sequence of an OTB-2015 root (ROOT/<Seq>/img/*.jpg,
ROOT/<Seq>/groundtruth_rect.txt; Jogging and Skating2 count as two sequences each; the toolkit's frame
ranges of David, Football1, Freeman3, Freeman4, Diving, ... are applied) or of --sequences.

Trackers: dcf (a correlation filter solved with torch.fft, UniTrack's settings: crop 520, padding 3.5,
lambda 1e-4, sigma factor 0.1, interp 0.01, 3 scales of step 1.0275, penalty 0.985; change any with
--dcf key=value) or boxprop (the first box propagated as a mask with a DAVIS --preset).

Writes OUT/results/<Seq>/<Seq>.txt (x,y,w,h per frame, 1-indexed, the toolkit's result format),
OUT/per-sequence.csv, OUT/run.json (global AUC, precision@20, curves, timings, config) and
OUT/success.png / OUT/precision.png. Resumable and shardable (--shard i/n) like `corrlearn bench davis`.
The scoring convention (--protocol) is not part of the run's configuration: `--merge --protocol X` re-scores
a finished run in another toolkit's convention without tracking again (run.json records the last one).
"""
    + PROTOCOL_HELP
    + """
Without OTB at hand, --from-davis DAVIS_ROOT first writes the DAVIS sequences into --root as pseudo-OTB
sequences (frames linked, boxes from the masks), a real-video test of the same pipeline.

Examples:
  corrlearn bench otb --root OTB2015 --out runs/otb
  corrlearn bench otb --root OTB2015 --out runs/otb-boxprop --tracker boxprop --preset crw
"""
)


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", required=True, type=Path, help="OTB-2015 root (one folder per sequence)")
    from corrlearn.models import DEFAULT_MODEL, DEFAULT_TRACKING_MODEL

    add_common_options(parser, f"{DEFAULT_TRACKING_MODEL} with --tracker dcf, {DEFAULT_MODEL} with boxprop")
    parser.add_argument("--tracker", default="dcf", choices=["dcf", "boxprop"], help="tracking head")
    parser.add_argument("--preset", default="crw", help="propagation preset of the boxprop tracker")
    parser.add_argument(
        "--dcf", nargs="*", default=[], metavar="KEY=VALUE", help="DCF overrides, e.g. crop_size=256"
    )
    parser.add_argument("--sequences", nargs="+", default=None, help="only these sequences")
    add_protocol_option(parser)
    parser.add_argument("--merge", action="store_true", help="only score a run whose sequences are all done")
    parser.add_argument(
        "--from-davis", type=Path, default=None, help="first write DAVIS sequences into --root"
    )
    parser.add_argument("--max-frames", type=int, default=None, help="with --from-davis: frames per sequence")


def run(args: argparse.Namespace) -> int:
    from corrlearn.bench.otb import OtbBench, summary_table
    from corrlearn.bench.runner import effective_shard, parse_shard
    from corrlearn.errors import CorrlearnError
    from corrlearn.propagate.runtime import check_runtime

    check_runtime(args.device, args.backend)  # before --from-davis writes anything
    if args.from_davis is not None:
        from corrlearn.io.writable import check_apart, check_output_dir

        check_output_dir(args.root, "--root (written by --from-davis)")
        check_apart({"--root (written by --from-davis)": args.root}, {"--from-davis": args.from_davis})
        from corrlearn.datasets.davis import list_sequences
        from corrlearn.datasets.davis_derived import davis_as_otb

        seqs = args.sequences or list_sequences(args.from_davis)
        for s in seqs:
            davis_as_otb(args.from_davis, s, args.root, args.max_frames)
    if not args.root.is_dir():
        raise CorrlearnError(f"{args.root}: OTB root not found")
    bench = OtbBench(
        root=args.root,
        **common_settings(args),
        tracker=args.tracker,
        preset=args.preset,
        sequences=args.sequences,
        dcf=parse_overrides(args.dcf, "--dcf"),
        protocol=args.protocol,
    )
    if args.merge:
        out = bench.merge(use_run_config=True)
    else:
        out = bench.run(effective_shard(parse_shard(args.shard)), progress=not args.quiet)
        if not report_shard(out, "sequence"):
            return 0
    print(summary_table(out["global"]))
    print(f"wrote {out['csv']}, {args.out / 'run.json'}, " + ", ".join(out["plots"]))
    return 0
