"""``corrlearn bench jhmdb``: propagate JHMDB joints from the first frame and score PCK."""

from __future__ import annotations

import argparse
from pathlib import Path

from corrlearn.bench.options import add_common_options, common_settings, report_shard

GROUP = "bench"
NAME = "jhmdb"
HELP = "propagate first-frame joints over JHMDB split-1 test videos and score PCK (resumable, shardable)"
INPUTS = {"root": "--root", "weights": "--weights", "list_file": "--list-file", "from_davis": "--from-davis"}
DESCRIPTION = """\
Reads the official JHMDB layout under --root: Rename_Images/<class>/<video>/*.png, joint_positions/<class>/
<video>/joint_positions.mat and splits/<class>_test_split<k>.txt (the literature uses split 1, test
videos: 268). --list-file reads the list files CRW / UVC / STT distribute as they are (UVC_testlist_split1.txt
with the authors' absolute paths, SpaThenTemp_val_list.txt; <class>/<video> is taken from each path and
looked up under --root), so the standard 268-video evaluation is:
  corrlearn bench jhmdb --root JHMDB --list-file JHMDB/splits/UVC_testlist_split1.txt --out runs/pose
A plain list of "<frames folder> <joint_positions.mat>" pairs relative to --root works too; --videos
<class>/<video> ... runs only the named videos.

A joint that is never predicted in a video (x < 0 in every scored frame: the propagated map lost all its
mass) stops the scoring with an error naming the joint and the video -- PCK only counts predicted joints,
so it would otherwise vanish from the score (CRW / UVC / STT divide by zero there). --allow-missing-joints
scores without it, with a warning, and lists such joints in run.json. Prediction files with more frames than
the annotation are scored on the common frames with a warning (as the peers do).

Presets: crw (320x320 RGB, Gaussians of sigma 0.5 cells on the 40x40 grid plus background, top-3 decoding,
context 7, top-10, temperature 0.05, disc radius 12 not on the first frame; PCK without frame 0) and stt
(320x320 Lab, sigma 4 px at full resolution, top-5 decoding after bilinear upsampling, context 20, top-10,
temperature 0.07, square +-5 cells; PCK with frame 0). --frame0 overrides the PCK frame-0 rule.

Writes OUT/results/<class>__<video>/keypoints.npy (2 x 15 x T, 0-indexed pixels, -1 = lost), OUT/per-video.csv,
OUT/run.json (PCK@0.1..0.5 overall and per joint, timings, config) and OUT/pck.png. Resumable, shardable.

Without JHMDB at hand, --from-davis DAVIS_ROOT first writes a pseudo-JHMDB into --root: real DAVIS frames
under a known synthetic translation with 15 points on the object.

Examples:
  corrlearn bench jhmdb --root JHMDB --out runs/pose
  corrlearn bench jhmdb --root runs/pseudo-jhmdb --from-davis DAVIS --out runs/pose-davis --preset stt
"""


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", required=True, type=Path, help="JHMDB root")
    add_common_options(parser)
    parser.add_argument("--preset", default="crw", choices=["crw", "stt"], help="keypoint protocol")
    parser.add_argument("--split", type=int, default=1, choices=[1, 2, 3], help="official split")
    parser.add_argument(
        "--list-file", type=Path, default=None, help="CRW-style list instead of the split files"
    )
    parser.add_argument("--videos", nargs="+", default=None, help="only these <class>/<video> (no split)")
    parser.add_argument(
        "--allow-missing-joints",
        action="store_true",
        help="score a video whose joint is never predicted without that joint (warning) instead of stopping",
    )
    parser.add_argument(
        "--frame0", default=None, choices=["skip", "keep"], help="PCK frame-0 rule (default: preset's)"
    )
    parser.add_argument("--merge", action="store_true", help="only score a run whose videos are all done")
    parser.add_argument(
        "--from-davis", type=Path, default=None, help="first write a pseudo-JHMDB from DAVIS into --root"
    )
    parser.add_argument("--frames", type=int, default=20, help="with --from-davis: frames per video")
    parser.add_argument("--davis-sequences", nargs="+", default=None, help="with --from-davis: only these")


def run(args: argparse.Namespace) -> int:
    from corrlearn.bench.jhmdb import JhmdbBench, summary_table
    from corrlearn.bench.runner import effective_shard, parse_shard
    from corrlearn.errors import CorrlearnError
    from corrlearn.propagate.runtime import check_runtime

    check_runtime(args.device, args.backend)  # before --from-davis writes anything
    if args.from_davis is not None:
        from corrlearn.io.writable import check_apart, check_output_dir

        check_output_dir(args.root, "--root (written by --from-davis)")
        check_apart({"--root (written by --from-davis)": args.root}, {"--from-davis": args.from_davis})
        from corrlearn.datasets.davis_derived import davis_as_jhmdb

        davis_as_jhmdb(args.from_davis, args.root, sequences=args.davis_sequences, num_frames=args.frames)
    if not args.root.is_dir():
        raise CorrlearnError(f"{args.root}: JHMDB root not found")
    bench = JhmdbBench(
        root=args.root,
        **common_settings(args),
        preset=args.preset,
        split=args.split,
        list_file=args.list_file,
        frame0=args.frame0,
        videos_only=args.videos,
        allow_missing_joints=args.allow_missing_joints,
    )
    if args.merge:
        out = bench.merge(use_run_config=True)
    else:
        out = bench.run(effective_shard(parse_shard(args.shard)), progress=not args.quiet)
        if not report_shard(out, "video"):
            return 0
    print(f"{out['report']['frame0']} frame 0: {summary_table(out['global'])}")
    print(f"wrote {out['csv']}, {args.out / 'run.json'}, {args.out / 'pck.png'}")
    return 0
