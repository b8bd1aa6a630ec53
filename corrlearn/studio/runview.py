"""A finished ``bench davis`` / ``bench otb`` run, for the studio's run page: scores worst first, the plots,
and (DAVIS) each frame's prediction beside its ground truth."""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import cv2
import numpy as np

from corrlearn.bench.base import RUN_JSON
from corrlearn.bench.davis import EVAL_DIR
from corrlearn.bench.otb import CSV
from corrlearn.bench.runner import RESULTS
from corrlearn.datasets.davis import annotation_dir, frames_dir
from corrlearn.errors import CorrlearnError
from corrlearn.io.frames import read_image
from corrlearn.io.masks import read_mask
from corrlearn.io.overlay import overlay


class BenchRun:
    """The scores of a finished benchmark run in ``run_dir``; ``root`` is its dataset (for frames and truth)."""

    def __init__(self, run_dir: str | os.PathLike, root: str | os.PathLike | None = None):
        self.run_dir = Path(run_dir)
        self.root = Path(root) if root else None
        path = self.run_dir / RUN_JSON
        if not path.is_file():
            raise CorrlearnError(
                f"{path}: not found; --run takes the --out folder of a finished `bench davis` or `bench otb` run"
            )
        try:
            self.report = json.loads(path.read_text())
        except ValueError:
            raise CorrlearnError(f"{path}: not a readable run report (corrupt JSON)") from None
        self.config = self.report.get("config") or {}
        self.resolution = self.config.get("resolution", "480p")
        davis, otb = self.run_dir / EVAL_DIR / CSV, self.run_dir / CSV  # bench davis / bench otb
        if davis.is_file():
            self.kind, self.metric = "davis", "J&F"
            self.rows = [
                {
                    "name": r["Sequence"],
                    "sequence": re.sub(r"_\d+$", "", r["Sequence"]),
                    "score": _mean(r["J-Mean"], r["F-Mean"]),
                    "J": _num(r["J-Mean"]),
                    "F": _num(r["F-Mean"]),
                }
                for r in _read_csv(davis)
            ]
        elif otb.is_file():
            self.kind, self.metric = "otb", "AUC"
            self.rows = [
                {
                    "name": f"{r['sequence']} ({r['method']})" if r.get("method") else r["sequence"],
                    "sequence": r["sequence"],
                    "score": _num(r["auc"]),
                    "precision@20": _num(r["precision@20"]),
                }
                for r in _read_csv(otb)
            ]
        else:
            raise CorrlearnError(
                f"{self.run_dir}: no per-sequence scores (eval/per-sequence.csv or per-sequence.csv)"
            )
        # worst first: what a person opens a run to look at; unscored rows (NaN) first of all
        self.rows.sort(key=lambda r: (r["score"] is not None, r["score"] or 0.0, r["name"]))
        self.sequences = sorted({r["sequence"] for r in self.rows})

    def plots(self) -> list[str]:
        """The run's pictures (success / precision plots), as paths inside the run folder."""
        found = [
            p for d in (self.run_dir, self.run_dir / EVAL_DIR) if d.is_dir() for p in sorted(d.glob("*.png"))
        ]
        return [str(p.relative_to(self.run_dir)) for p in found]

    def summary(self) -> dict:
        return {
            "run": str(self.run_dir),
            "kind": self.kind,
            "metric": self.metric,
            "global": self.report.get("global"),
            "rows": self.rows,
            "plots": self.plots(),
            "frames_shown": self.kind == "davis" and self.root is not None,
        }

    def frame_names(self, seq: str) -> list[str]:
        """Stems of the predicted masks of ``seq`` (DAVIS runs)."""
        self._check(seq)
        folder = self.run_dir / RESULTS / seq
        return sorted(p.stem for p in folder.glob("*.png")) if folder.is_dir() else []

    def picture(self, seq: str, i: int, which: str) -> bytes:
        """Frame ``i`` of ``seq`` with the prediction (``pred``) or ground truth (``gt``) blended in, as JPEG."""
        if self.kind != "davis":
            raise CorrlearnError("per-frame pictures are shown for DAVIS runs only")
        if self.root is None:
            raise CorrlearnError("start the studio with --root DAVIS to see frames beside the ground truth")
        names = self.frame_names(seq)
        if not 0 <= i < len(names):
            raise CorrlearnError(f"{seq}: frame {i} is outside 0..{len(names) - 1}")
        if which not in ("pred", "gt"):
            raise CorrlearnError(f"{which!r}: expected pred or gt")
        name = names[i]
        rgb = read_image(frames_dir(self.root, seq, self.resolution) / f"{name}.jpg")
        mask_path = (
            self.run_dir / RESULTS / seq / f"{name}.png"
            if which == "pred"
            else annotation_dir(self.root, seq, self.resolution) / f"{name}.png"
        )
        ids = read_mask(mask_path).ids if mask_path.is_file() else np.zeros(rgb.shape[:2], np.uint8)
        if ids.shape != rgb.shape[:2]:
            raise CorrlearnError(
                f"{mask_path}: mask is {ids.shape[1]}x{ids.shape[0]}, the frame {rgb.shape[1]}x{rgb.shape[0]}"
            )
        ok, buf = cv2.imencode(".jpg", overlay(rgb, ids)[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 90])
        return buf.tobytes()

    def _check(self, seq: str) -> None:
        if seq not in self.sequences:
            raise CorrlearnError(f"{seq!r} is not a sequence of this run")


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _num(text: str | None) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return None if value != value else value  # NaN: an object the run could not score


def _mean(*texts: str) -> float | None:
    values = [_num(t) for t in texts]
    return None if any(v is None for v in values) else sum(values) / len(values)
