"""``corrlearn eval jhmdb``: PCK of any method's keypoint predictions on JHMDB."""

from __future__ import annotations

import argparse
from pathlib import Path

from corrlearn.errors import CorrlearnError

GROUP = "eval"
NAME = "jhmdb"
HELP = "PCK@0.1..0.5 of keypoint prediction files against JHMDB joint_positions.mat"
INPUTS = {"root": "--root", "list_file": "--list-file"}  # scores go beside --results by default
DESCRIPTION = """\
Prediction format: RESULTS/<class>/<video>.npy holding a float array of shape (2, 15, T) -- [x; y] of the
15 joints in every frame, in 0-indexed pixels of the original 320x240 frame (JHMDB's pos_img minus 1) --
with x = -1 for a joint the method did not predict. A `corrlearn bench jhmdb` run directory
(RESULTS/results/<class>__<video>/keypoints.npy) is read too. CRW's .dat files are in 40x40-grid units:
multiply x by W/40 and y by H/40 first.

PCK: a joint counts where predicted (x >= 0; --visible-rule x>0 is STT's test); normaliser 0.6 x the
diagonal of the box of the counted ground-truth joints in that frame; per joint over all frames of all
videos, then averaged over joints. --frame0 skip (CRW/UVC, default) or keep (STT/VFS).

--list-file reads the distributed split lists (UVC_testlist_split1.txt, SpaThenTemp_val_list.txt) as they
are. A joint never predicted in a video is an error naming the joint and the video (PCK would silently leave
it out; the peers divide by zero) unless --allow-missing-joints (a warning; listed in global.json). A
prediction with more frames than the annotation is scored on the common frames, with a warning.

Examples:
  corrlearn eval jhmdb --root JHMDB --results runs/pose
  corrlearn eval jhmdb --root JHMDB --results my_preds/ --frame0 keep --visible-rule x>0 --out runs/eval
"""


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", required=True, type=Path, help="JHMDB root")
    parser.add_argument("--results", required=True, type=Path, help="folder of prediction files")
    parser.add_argument(
        "--out", type=Path, default=None, help="where to write CSV/JSON/PNG (default: RESULTS)"
    )
    parser.add_argument("--split", type=int, default=1, choices=[1, 2, 3], help="official split")
    parser.add_argument(
        "--list-file", type=Path, default=None, help="CRW-style list instead of the split files"
    )
    parser.add_argument("--frame0", default="skip", choices=["skip", "keep"], help="frame-0 rule")
    parser.add_argument(
        "--visible-rule", default="x>=0", choices=["x>=0", "x>0"], help="which predictions count"
    )
    parser.add_argument("--videos", nargs="+", default=None, help="only these <class>/<video> (no split)")
    parser.add_argument(
        "--allow-missing-joints", action="store_true", help="warn about never-predicted joints, do not stop"
    )
    parser.add_argument("--name", default=None, help="legend name in pck.png (default: folder name)")


def prediction_file(folder: Path, video: str) -> Path:
    for p in (folder / f"{video}.npy", folder / "results" / video.replace("/", "__") / "keypoints.npy"):
        if p.is_file():
            return p
    raise CorrlearnError(f"{folder}: no prediction for video {video} ({video}.npy)")


def run(args: argparse.Namespace) -> int:
    from corrlearn.bench.jhmdb import evaluate_files, summary_table
    from corrlearn.datasets.jhmdb import load_jhmdb
    from corrlearn.io.atomic import write_json_atomic
    from corrlearn.io.writable import check_output_dir

    if args.out is None:  # results are written beside the predictions: check before scoring
        check_output_dir(args.results, "--results (where the scores go without --out)")
    videos = {v.name: v for v in load_jhmdb(args.root, args.split, "test", args.list_file, args.videos)}
    files = {name: prediction_file(args.results, name) for name in videos}
    out_dir = args.out or args.results
    res = evaluate_files(
        videos,
        files,
        args.frame0 == "skip",
        out_dir,
        args.name or args.results.name,
        args.visible_rule,
        args.allow_missing_joints,
    )
    write_json_atomic(
        out_dir / "global.json",
        {
            "frame0": args.frame0,
            "visible_rule": args.visible_rule,
            "unpredicted_joints": res["unpredicted_joints"],
            **res["global"],
        },
    )
    print(f"{len(videos)} videos, {args.frame0} frame 0: {summary_table(res['global'])}")
    print(f"wrote {res['csv']}, {out_dir / 'global.json'}, {out_dir / 'pck.png'}")
    return 0
