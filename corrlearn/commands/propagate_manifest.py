"""``corrlearn propagate --manifest LIST.csv``: the single-video command over every row of a manifest.

The batch logic (reading the manifest, shards, failures, the summary) is :mod:`corrlearn.bench.manifest`; this
module only turns a row into the arguments of one ``corrlearn propagate`` run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

MANIFEST_HELP = (
    "CSV with a header video,mask,out: one video (file or frame folder), its annotation(s) (a PNG, a folder, "
    "or PNGs joined by ';') and its output folder per row, paths relative to the CSV; --out then holds the "
    "batch summary (manifest-summary.json)"
)


def run_manifest(args: argparse.Namespace, run_one) -> int:
    """Run ``run_one`` (the single-video command) on this shard's rows; print the summary; 0 when every row
    of the manifest is done, 1 when some failed, 0 with a note when other shards still have rows to do."""
    from corrlearn.bench.manifest import read_manifest
    from corrlearn.bench.manifest import run_manifest as run_rows
    from corrlearn.bench.runner import effective_shard, parse_shard
    from corrlearn.commands.propagate import RECORD
    from corrlearn.errors import CorrlearnError
    from corrlearn.io.writable import check_output_dir

    if args.video is not None or args.mask:
        raise CorrlearnError(
            "--manifest gives each row's video and --mask; do not give them on the command line"
        )
    if args.overlay:
        raise CorrlearnError("--overlay names one file: it does not apply to --manifest")
    rows = read_manifest(args.manifest)
    shard = effective_shard(parse_shard(args.shard))

    def is_done(row) -> bool:
        try:
            return json.loads((row.out / RECORD).read_text()).get("status") == "complete"
        except (OSError, ValueError):
            return False

    def process(row) -> dict:
        check_output_dir(row.out)
        one = argparse.Namespace(**vars(args))
        one.video, one.mask, one.out, one.manifest = (
            str(row.video),
            [str(m) for m in row.masks],
            str(row.out),
            None,
        )
        was_done = is_done(row)
        run_one(one)
        return {"resumed_complete": was_done}

    summary = run_rows(rows, process, is_done, Path(args.out), shard)
    for row in summary["rows"]:
        if row["status"] == "failed":
            print(f"failed: line {row['line']}: {row['error']}")
    print(
        f"{summary['done']} of {summary['videos']} videos done, {summary['failed']} failed, "
        f"{summary['pending']} pending (shard {shard[0]}/{shard[1]}); summary in {Path(args.out) / 'manifest-summary.json'}"
    )
    return 1 if summary["failed"] else 0
