"""OTB one-pass evaluation of a box tracker over every sequence (resumable, shardable).

Each sequence's result folder holds ``<sequence>.txt``: one ``x,y,w,h`` box per frame in OTB's 1-indexed
convention, the first being the given box -- the format of the OTB toolkit's and pysot's result files,
which ``corrlearn eval otb`` reads.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from corrlearn.bench.runner import RESULTS, Runner, peak_rss_mib
from corrlearn.errors import CorrlearnError

TRACKERS = ("dcf", "boxprop")
RUN_JSON = "run.json"
CSV = "per-sequence.csv"


@dataclass
class OtbBench:
    """Settings of one OTB run. ``tracker`` is "dcf" (``dcf`` overrides DcfConfig fields) or "boxprop"
    (mask propagation with the DAVIS ``preset``)."""

    root: Path
    run_dir: Path
    tracker: str = "dcf"
    preset: str = "crw"
    model: str | None = None  # None: corrlearn.models.DEFAULT_MODEL
    weights: Path | None = None
    device: str = "cpu"
    seed: int = 0
    sequences: list[str] | None = None
    dcf: dict = field(default_factory=dict)
    backend: str = "auto"

    def __post_init__(self) -> None:
        if self.model is None:
            from corrlearn.models import DEFAULT_MODEL

            self.model = DEFAULT_MODEL
        from corrlearn.datasets.otb import list_sequences

        self.root, self.run_dir = Path(self.root), Path(self.run_dir)
        if self.tracker not in TRACKERS:
            raise CorrlearnError(f"unknown tracker {self.tracker!r}; known: {', '.join(TRACKERS)}")
        self.names = list(self.sequences) if self.sequences else list_sequences(self.root)
        self._encoder = None

    def _dcf_config(self):
        from corrlearn.tracking import DcfConfig

        try:
            return DcfConfig().replace(**self.dcf)
        except TypeError as exc:
            raise CorrlearnError(f"bad DCF setting: {exc}") from None

    def _preset(self):
        from corrlearn.propagate import get_preset

        return get_preset(self.preset)

    def config(self) -> dict:
        import torch

        import corrlearn
        from corrlearn.models import weights_sha256

        if self.weights is not None and not Path(self.weights).is_file():
            raise CorrlearnError(f"{self.weights}: weights file not found")
        cfg = {
            "benchmark": "otb",
            "tracker": self.tracker,
            "model": self.model,
            "weights_sha256": weights_sha256(self.model, self.weights),
            "seed": self.seed,
            "device": self.device,
            "corrlearn": corrlearn.__version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        }
        if self.tracker == "dcf":
            cfg["dcf"] = self._dcf_config().to_dict()
        else:
            cfg["preset"] = self._preset().to_dict()
            cfg["backend"] = self.backend
        return cfg

    def encoder(self):
        if self._encoder is None:
            import torch

            from corrlearn import models

            space = self._preset().input_space if self.tracker == "boxprop" else "rgb"
            torch.manual_seed(self.seed)
            self._encoder = models.create(
                self.model, stride=8, input_space=space, weights=self.weights, seed=self.seed
            )
        return self._encoder

    def make_tracker(self):
        from corrlearn.tracking import BoxPropagationTracker, DcfTracker

        if self.tracker == "dcf":
            return DcfTracker(self.encoder(), self._dcf_config(), self.device)
        return BoxPropagationTracker(self.encoder(), self._preset(), self.device, self.backend)

    def work(self, name: str, out: Path, progress: bool = True) -> dict:
        from corrlearn.datasets.otb import load_sequence, write_rects
        from corrlearn.metrics.otb import sequence_scores
        from corrlearn.tracking import track

        seq = load_sequence(self.root, name)
        t0 = time.perf_counter()
        boxes = track(_Frames(seq.frames), seq.boxes[0], self.make_tracker(), progress, desc=name)
        secs = time.perf_counter() - t0
        write_rects(out / f"{name}.txt", boxes)
        s = sequence_scores(seq.boxes, boxes)
        keep = ("frames", "invalid_gt", "auc", "precision@20", "success@0.5", "mean_iou")
        return {"sequence": name, "fps": len(boxes) / secs, **{k: s[k] for k in keep}}

    def runner(self) -> Runner:
        return Runner(self.run_dir, self.config())

    def run(self, shard=(0, 1), progress: bool = True) -> dict:
        runner = self.runner()
        summary = runner.run(
            self.names, lambda n, out: self.work(n, out, progress), shard, progress, desc="sequences"
        )
        if runner.missing(self.names):
            return {"shard": summary, "complete": False, "missing": runner.missing(self.names)}
        return {"shard": summary, "complete": True, **self.merge()}

    def merge(self) -> dict:
        """Score a finished run: per-sequence.csv, run.json, success.png and precision.png."""
        from corrlearn.io.atomic import write_json_atomic

        runner = self.runner()
        runner.prepare()
        missing = runner.missing(self.names)
        if missing:
            raise CorrlearnError(
                f"{self.run_dir}: {len(missing)} sequence(s) not finished yet: {', '.join(missing[:5])}"
            )
        files = {n: self.run_dir / RESULTS / n / f"{n}.txt" for n in self.names}
        result = evaluate_files(self.root, {self.tracker: files}, self.run_dir)
        records = {n: runner.record(n) for n in self.names}
        report = {
            "config": runner.config,
            "global": result["global"][self.tracker],
            "sequences": records,
            "track_wall_s": sum(r.get("wall_s", 0.0) for r in records.values()),
            "peak_rss_mib": max([r.get("peak_rss_mib", 0.0) for r in records.values()] + [peak_rss_mib()]),
        }
        write_json_atomic(self.run_dir / RUN_JSON, report)
        return {"report": report, **result}


class _Frames:
    """Frames of an OTB sequence read one at a time as RGB uint8, with a length for progress bars."""

    def __init__(self, paths: list[Path]):
        self.paths = paths

    def __len__(self) -> int:
        return len(self.paths)

    def __iter__(self):
        import cv2

        for p in self.paths:
            img = cv2.imread(str(p), cv2.IMREAD_COLOR)
            if img is None:
                raise CorrlearnError(f"{p}: frame missing or cannot be decoded")
            yield cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def evaluate_files(
    root: Path, methods: dict[str, dict[str, Path]], out_dir: Path, invalid_precision: str = "hit"
) -> dict:
    """Score {method: {sequence: result file}}; write per-sequence.csv (all methods), success/precision PNGs."""
    from corrlearn.datasets.otb import load_sequence, read_rects
    from corrlearn.io.atomic import write_text_atomic
    from corrlearn.metrics.otb import dataset_scores, sequence_scores
    from corrlearn.plots import otb_plots

    rows = ["method,sequence,frames,invalid_gt,auc,precision@20,success@0.5"]
    glob = {}
    for method, files in methods.items():
        per = {}
        for name in sorted(files):
            gt = load_sequence(root, name).boxes
            pred = read_rects(files[name])
            if len(pred) != len(gt):
                raise CorrlearnError(f"{files[name]}: {len(pred)} boxes for {len(gt)} frames of {name}")
            s = per[name] = sequence_scores(gt, pred, invalid_precision)
            rows.append(
                f"{method},{name},{s['frames']},{s['invalid_gt']},{s['auc']:.4f},{s['precision@20']:.4f},{s['success@0.5']:.4f}"
            )
        glob[method] = dataset_scores(per)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out_dir / CSV, "\n".join(rows) + "\n")
    plots = otb_plots(out_dir, glob)
    return {"global": glob, "csv": str(out_dir / CSV), "plots": plots}


def summary_table(glob: dict[str, dict]) -> str:
    lines = [f"{'method':<16} {'seqs':>5} {'AUC':>7} {'P@20':>7} {'SR@0.5':>7}"]
    for m, g in glob.items():
        lines.append(
            f"{m:<16} {g['sequences']:>5} {g['auc']:>7.3f} {g['precision@20']:>7.3f} {g['success@0.5']:>7.3f}"
        )
    return "\n".join(lines)
