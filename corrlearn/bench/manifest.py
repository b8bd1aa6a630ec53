"""Propagation over many videos from a manifest: one row a video, resumable per video, shardable, one summary.

A manifest is a CSV file with a header naming the columns ``video``, ``mask`` and ``out``: the video file or
frame folder, its annotation(s) (a PNG, a folder of sparse annotations, or several PNGs separated by ``;``) and
the output folder. Relative paths are read from the manifest's own folder. Rows are split across processes as
the benchmark runners split items (:func:`corrlearn.bench.runner.shard_items`: shard ``i`` of ``n`` takes rows
``i, i + n, ...``; torchrun's ``RANK`` / ``WORLD_SIZE`` split further). Each row is done by ``process(row)``
(``corrlearn propagate`` on that video: itself resumable, so a killed batch restarts where it stopped); a row
that fails is recorded with its one-line reason and the others go on. Every process writes its shard's record to
``SUMMARY_DIR/shards/<i>-of-<n>.json`` and then ``SUMMARY_DIR/manifest-summary.json``: each row's status
(done / failed / pending) from the rows' own completion markers and every shard's failures.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from corrlearn.bench.runner import SHARDS, peak_rss_mib, shard_items
from corrlearn.errors import CorrlearnError
from corrlearn.io.atomic import write_json_atomic

COLUMNS = ("video", "mask", "out")
SUMMARY = "manifest-summary.json"
MASK_SEPARATOR = ";"


@dataclass(frozen=True)
class ManifestRow:
    """One video of a manifest: its CSV line number (for messages), inputs and output folder."""

    line: int
    video: Path
    masks: tuple[Path, ...]
    out: Path

    def to_dict(self) -> dict:
        return {
            "line": self.line,
            "video": str(self.video),
            "masks": [str(m) for m in self.masks],
            "out": str(self.out),
        }


def read_manifest(path: str | os.PathLike) -> list[ManifestRow]:
    """The rows of a manifest CSV; a missing column, an empty cell or two rows writing one folder is a
    :class:`CorrlearnError` naming the file and line."""
    path = Path(path)
    try:
        text = path.read_text(
            encoding="utf-8-sig"
        )  # a spreadsheet's BOM is not part of the first column name
    except FileNotFoundError:
        raise CorrlearnError(f"{path}: manifest not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CorrlearnError(f"{path}: unreadable manifest ({exc.__class__.__name__})") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise CorrlearnError(
            f"{path}: manifest header lacks column(s) {', '.join(missing)}; expected a header line 'video,mask,out'"
        )
    base = path.parent
    rows: list[ManifestRow] = []
    outs: dict[Path, int] = {}
    for raw in reader:
        number = reader.line_num  # the file's line (DictReader skips blank lines)
        cells = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(cells.values()):
            continue  # blank line
        empty = [c for c in COLUMNS if not cells.get(c)]
        if empty:
            raise CorrlearnError(f"{path}:{number}: empty {', '.join(empty)}")
        out = (base / cells["out"]).resolve()
        if out in outs:
            raise CorrlearnError(f"{path}:{number}: output folder {cells['out']} is also line {outs[out]}'s")
        outs[out] = number
        masks = tuple(base / m.strip() for m in cells["mask"].split(MASK_SEPARATOR) if m.strip())
        rows.append(ManifestRow(number, base / cells["video"], masks, out))
    if not rows:
        raise CorrlearnError(f"{path}: manifest lists no videos")
    return rows


def run_manifest(
    rows: list[ManifestRow],
    process: Callable[[ManifestRow], dict],
    is_done: Callable[[ManifestRow], bool],
    summary_dir: Path,
    shard: tuple[int, int] = (0, 1),
) -> dict:
    """Run ``process`` on this shard's rows (failures recorded, not raised); write the shard record and the
    merged summary; return the merged summary. ``is_done(row)`` says whether a row's output is complete."""
    summary_dir = Path(summary_dir)
    (summary_dir / SHARDS).mkdir(parents=True, exist_ok=True)
    mine = shard_items(rows, shard)
    start = time.perf_counter()
    results = []
    for row in mine:
        t0 = time.perf_counter()
        try:
            record = dict(process(row) or {})
            entry = {"line": row.line, "status": "done", **record}
        except KeyboardInterrupt:
            raise
        except CorrlearnError as exc:
            entry = {"line": row.line, "status": "failed", "error": str(exc)}
        except Exception as exc:  # a decoder or model error on one bad video must not stop the batch
            first = (str(exc).strip().splitlines() or [""])[0]
            entry = {"line": row.line, "status": "failed", "error": f"{type(exc).__name__}: {first}"}
        entry["wall_s"] = time.perf_counter() - t0
        results.append(entry)
    record = {
        "shard": f"{shard[0]}/{shard[1]}",
        "rows": results,
        "wall_s": time.perf_counter() - start,
        "peak_rss_mib": peak_rss_mib(),
        "pid": os.getpid(),
    }
    write_json_atomic(summary_dir / SHARDS / f"{shard[0]}-of-{shard[1]}.json", record)
    return write_summary(rows, is_done, summary_dir)


def write_summary(rows: list[ManifestRow], is_done: Callable[[ManifestRow], bool], summary_dir: Path) -> dict:
    """Every row's status: done (its output is complete), failed (a shard recorded why; the latest record
    counts), else pending (another shard's, not run yet); written to ``summary_dir/manifest-summary.json``."""
    failures: dict[int, tuple[float, str]] = {}
    for path in sorted((Path(summary_dir) / SHARDS).glob("*.json")):
        try:
            shard_record = json.loads(path.read_text())
            mtime = path.stat().st_mtime
        except (OSError, ValueError):
            continue
        for entry in shard_record.get("rows", []):
            if entry.get("status") == "failed" and mtime >= failures.get(entry["line"], (-1.0, ""))[0]:
                failures[entry["line"]] = (mtime, entry.get("error", ""))
    out_rows = []
    for row in rows:
        item = row.to_dict()
        if is_done(row):
            item["status"] = "done"
        elif row.line in failures:
            item["status"], item["error"] = "failed", failures[row.line][1]
        else:
            item["status"] = "pending"
        out_rows.append(item)
    counts = {s: sum(r["status"] == s for r in out_rows) for s in ("done", "failed", "pending")}
    summary = {"videos": len(rows), **counts, "rows": out_rows}
    write_json_atomic(Path(summary_dir) / SUMMARY, summary)
    return summary
