"""Every benchmark as one run: DAVIS-2016 (and DAVIS-2017), JHMDB and OTB with one encoder, one summary table.

``corrlearn bench all`` builds the existing runners (:class:`~corrlearn.bench.davis.DavisBench`,
:class:`~corrlearn.bench.jhmdb.JhmdbBench`, :class:`~corrlearn.bench.otb.OtbBench`) over sub-folders of one run
directory, so resuming, sharding (each part splits its own items with the same ``--shard``) and the per-part
``run.json`` are theirs. Once every part is scored, the summary is written in the layout of the papers' tables::

    RUN/davis2016/ RUN/davis2017/ RUN/jhmdb/ RUN/otb/     each a complete `bench <name>` run directory
    RUN/summary.md  RUN/summary.csv  RUN/summary.json      DAVIS J&F / J / F, JHMDB PCK@0.1 / 0.2, OTB AUC / P@20

Each figure carries its protocol (preset, tracker) and convention (scoring rule), the configuration hash (of
every part's ``config.json``) and the versions.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass
from pathlib import Path

from corrlearn.bench.base import RUN_JSON, Benchmark
from corrlearn.errors import CorrlearnError

SUMMARY = "summary"
#: part -> (column label in the table, metrics shown: (run.json global key, column label, scale to the unit))
COLUMNS: dict[str, tuple[str, tuple[tuple[str, str, float], ...]]] = {
    "davis2016": ("DAVIS-2016", (("J&F-Mean", "J&F", 100.0), ("J-Mean", "J", 100.0), ("F-Mean", "F", 100.0))),
    "davis2017": ("DAVIS-2017", (("J&F-Mean", "J&F", 100.0), ("J-Mean", "J", 100.0), ("F-Mean", "F", 100.0))),
    "jhmdb": ("JHMDB", (("PCK@0.1", "PCK@0.1", 1.0), ("PCK@0.2", "PCK@0.2", 1.0))),
    "otb": ("OTB", (("auc", "AUC", 100.0), ("precision@20", "P@20", 100.0))),
}


@dataclass
class Part:
    """One benchmark of the suite: its key (``davis2016``, ...), runner and how its figures are described."""

    key: str
    bench: Benchmark

    @property
    def run_dir(self) -> Path:
        return self.bench.run_dir

    def items(self) -> list[str]:
        return self.bench.items()

    def missing(self) -> list[str]:
        return self.bench.runner().missing(self.items())

    def describe(self, report: dict) -> dict:
        """Protocol and convention of this part's figures, from its stored run configuration."""
        cfg = report["config"]
        if self.key.startswith("davis"):
            preset = cfg.get("preset", {}).get("name", cfg.get("method"))
            return {
                "dataset": f"DAVIS-{cfg['year']} {cfg.get('subset', 'val')} ({cfg['resolution']}, "
                f"{_count(len(report['sequences']), 'sequence')})",
                "protocol": f"preset {preset}",
                "convention": "official DAVIS J&F (davis2017-evaluation parity: frames 1..N-2, void as "
                "background, F boundary tolerance 0.008 of the diagonal)",
            }
        if self.key == "jhmdb":
            kp = cfg["preset"]
            return {
                "dataset": f"JHMDB split {cfg['split']} test ({_count(len(report['videos']), 'video')})",
                "protocol": f"{kp['name']} (preset {kp['preset']}, 320x320)",
                "convention": f"{kp['convention']} keypoint convention, PCK pooled per joint over every frame, "
                f"frame 0 {report['frame0']}",
            }
        tracker = cfg["tracker"]
        proto = f"tracker {tracker}" + (f", preset {cfg['preset']['name']}" if tracker == "boxprop" else "")
        return {
            "dataset": report.get("dataset_label", "OTB"),
            "protocol": proto,
            "convention": f"{report['protocol_label']} (one-pass, success AUC over IoU 0..1, precision at 20 px)",
        }


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}" + ("" if n == 1 else "s")


def run_parts(parts: list[Part], shard: tuple[int, int], progress: bool = True) -> dict:
    """Run this shard's unfinished items of every part, then score each part that is complete (also those
    another shard finished meanwhile); return {"parts": {key: state}, "complete": bool}."""
    states = {}
    for part in parts:
        out = part.bench.run(shard=shard, progress=progress)
        states[part.key] = {"computed": out["shard"]["computed"], "complete": out["complete"]}
    for part in parts:
        if not states[part.key]["complete"] and not part.missing():
            part.bench.merge(progress=progress)
            states[part.key]["complete"] = True
    return {"parts": states, "complete": all(s["complete"] for s in states.values())}


def merge_parts(parts: list[Part], progress: bool = True) -> None:
    """Score every part from its stored configuration (an unfinished part is an error listing its items)."""
    for part in parts:
        part.bench.merge(progress=progress, use_run_config=True)


def config_sha256(configs: dict[str, dict]) -> str:
    """SHA-256 of the parts' configurations as canonical JSON (sorted keys): the run's identity."""
    text = json.dumps(configs, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def summarize(run_dir: Path, parts: list[Part]) -> dict:
    """Read every part's ``run.json``; write ``summary.{json,csv,md}`` into ``run_dir``; return the summary."""
    import numpy as np
    import torch

    import corrlearn
    from corrlearn.io.atomic import write_json_atomic, write_text_atomic

    rows, configs = [], {}
    for part in parts:
        path = part.run_dir / RUN_JSON
        try:
            report = json.loads(path.read_text())
        except (OSError, ValueError):
            raise CorrlearnError(
                f"{path}: missing or unreadable; the {part.key} part is not scored yet"
            ) from None
        configs[part.key] = report["config"]
        label, metrics = COLUMNS[part.key]
        desc = part.describe(report)
        for key, name, scale in metrics:
            rows.append(
                {
                    "benchmark": label,
                    "metric": name,
                    "value": round(float(report["global"][key]) * scale, 4),
                    "unit": "%",
                    **desc,
                    "model": report["config"].get("model"),
                    "weights_sha256": report["config"].get("weights_sha256"),
                }
            )
    first = next(iter(configs.values()))
    summary = {
        "config_sha256": config_sha256(configs),
        "versions": {
            "corrlearn": corrlearn.__version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "models": sorted({str(c.get("model")) for c in configs.values()}),
        "encoder_source": first.get("encoder_source"),
        "results": rows,
        "parts": {p.key: str(p.run_dir) for p in parts},
    }
    write_json_atomic(run_dir / f"{SUMMARY}.json", summary)
    write_text_atomic(run_dir / f"{SUMMARY}.csv", summary_csv(summary))
    write_text_atomic(run_dir / f"{SUMMARY}.md", summary_markdown(summary))
    return summary


def summary_csv(summary: dict) -> str:
    """One row per figure: benchmark, metric, value, unit, dataset, protocol, convention, model, hashes."""
    import csv
    import io

    buf = io.StringIO()
    fields = [
        "benchmark",
        "metric",
        "value",
        "unit",
        "dataset",
        "protocol",
        "convention",
        "model",
        "weights_sha256",
    ]
    writer = csv.DictWriter(buf, fieldnames=[*fields, "config_sha256"], lineterminator="\n")
    writer.writeheader()
    for row in summary["results"]:
        writer.writerow({**{k: row[k] for k in fields}, "config_sha256": summary["config_sha256"]})
    return buf.getvalue()


def summary_markdown(summary: dict) -> str:
    """The papers' layout: one row for the encoder, a column group per benchmark; protocols listed below."""
    rows = summary["results"]
    model = ", ".join(f"`{m}`" for m in summary["models"])
    head = [f"{r['benchmark']} {r['metric']}" for r in rows]
    lines = [
        "| encoder | " + " | ".join(head) + " |",
        "|---|" + "---:|" * len(rows),
        f"| {model} | " + " | ".join(f"{r['value']:.1f}" for r in rows) + " |",
        "",
        "All figures in percent.",
        "",
    ]
    seen = set()
    for r in rows:
        if r["benchmark"] in seen:
            continue
        seen.add(r["benchmark"])
        lines.append(f"- **{r['benchmark']}**: {r['dataset']}; protocol {r['protocol']}; {r['convention']}.")
    v = summary["versions"]
    src = summary.get("encoder_source")
    if src:
        lines.append(
            f"- **encoder**: factory `{src['factory']}` ({src['source_file']} sha256 {src['source_sha256']}), "
            f"weights sha256 {src['weights_sha256']} ({src['weights_from']})."
        )
    lines.append(
        f"- configuration sha256 {summary['config_sha256']}; corrlearn {v['corrlearn']}, torch {v['torch']}, "
        f"numpy {v['numpy']}, python {v['python']}."
    )
    return "\n".join(lines) + "\n"
