"""``corrlearn eval davis``: official-parity J&F of any method's result PNGs."""

from __future__ import annotations

import argparse
from pathlib import Path

from corrlearn.errors import CorrlearnError

GROUP = "eval"
NAME = "davis"
HELP = "J&F of result PNGs against DAVIS ground truth (official davis2017-evaluation numbers)"
INPUTS = {"root": "--root"}  # scores go beside --results by default, so only the ground truth is apart
DESCRIPTION = """\
Score one folder of PNGs per sequence (RESULTS/<sequence>/<frame>.png, frames named like the ground truth)
with the semi-supervised DAVIS protocol: first and last frame dropped, means over objects.

--year 2017 reads DAVIS-2017 results: palette (or grayscale id) PNGs with object ids 1..N, scored per object
against ImageSets/2017/val.txt (an object absent from the results is scored as an empty mask, as the official
script pads it with zeros). --year 2016 reads results the way the DAVIS-2016 toolkit does: one object,
result > 0 for 0/1 or 0/255 PNGs, result > max/2 for any other two-level grayscale (e.g. 0/128).

Numbers match davisvideochallenge/davis2017-evaluation. Results are recomputed on every call (no cache), and
written atomically to OUT (default: RESULTS): per-sequence.csv, global.csv, global.json.

Examples:
  corrlearn eval davis --root DAVIS --results runs/crw/results
  corrlearn eval davis --root DAVIS2017 --year 2017 --results my_method/ --out runs/my_method-eval
"""


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root", required=True, type=Path, help="DAVIS root (JPEGImages/, Annotations/, ImageSets/)"
    )
    parser.add_argument(
        "--results", required=True, type=Path, help="folder with one sub-folder of PNGs per sequence"
    )
    parser.add_argument(
        "--year", default="2016", choices=["2016", "2017"], help="sequence list ImageSets/<year>/val.txt"
    )
    parser.add_argument(
        "--sequences", nargs="+", default=None, help="only these sequences (default: the val list)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="where to write the CSV/JSON files (default: RESULTS)"
    )
    parser.add_argument(
        "--void",
        default="background",
        choices=["background", "exclude"],
        help="void (255) ground-truth pixels: 'background' as the official script, or excluded from J and F",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from corrlearn.io.writable import check_output_dir
    from corrlearn.metrics.davis import evaluate, format_table

    if not args.root.is_dir():
        raise CorrlearnError(f"{args.root}: DAVIS root not found")
    if args.out is None:  # results are written beside the PNGs: check before scoring
        check_output_dir(args.results, "--results (where the scores go without --out)")
    result = evaluate(
        args.root, args.results, args.year, args.sequences, void=args.void, progress=not args.quiet
    )
    paths = result.write(args.out or args.results)
    print(format_table(result))
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0
