"""OTB one-pass evaluation of a box tracker over every sequence (resumable, shardable).

Each sequence's result folder holds ``<sequence>.txt``: one ``x,y,w,h`` box per frame in OTB's 1-indexed
convention, the first being the given box -- the format of the OTB toolkit's and pysot's result files,
which ``corrlearn eval otb`` reads.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from corrlearn.bench.base import Benchmark
from corrlearn.bench.runner import Runner
from corrlearn.errors import CorrlearnError
from corrlearn.metrics.otb import PROTOCOL_LABELS

TRACKERS = ("dcf", "boxprop")
#: Targets in full OTB-2015 (TB-100).
OTB2015_SEQUENCES = 100
CSV = "per-sequence.csv"


@dataclass(kw_only=True)
class OtbBench(Benchmark):
    """One OTB run. ``tracker`` is "dcf" (``dcf`` overrides DcfConfig fields) or "boxprop" (the first box
    propagated as a label with the DAVIS ``preset``). With neither ``model`` nor ``weights``, "dcf" runs
    :data:`corrlearn.models.DEFAULT_TRACKING_MODEL`."""

    root: Path
    tracker: str = "dcf"
    preset: str = "crw"
    sequences: list[str] | None = None
    dcf: dict = field(default_factory=dict)
    protocol: str = "otb"
    label: str | None = None

    name = "otb"
    unit = "sequence"
    wall_key = "track_wall_s"

    def __post_init__(self) -> None:
        super().__post_init__()
        from corrlearn.datasets.otb import list_sequences

        self.root = Path(self.root)
        if self.tracker not in TRACKERS:
            raise CorrlearnError(f"unknown tracker {self.tracker!r}; known: {', '.join(TRACKERS)}")
        _protocol(self.protocol)
        self.names = list(self.sequences) if self.sequences else list_sequences(self.root)

    def default_model(self) -> str:
        from corrlearn.models import DEFAULT_TRACKING_MODEL

        return DEFAULT_TRACKING_MODEL if self.tracker == "dcf" else super().default_model()

    def _dcf_config(self):
        from corrlearn.tracking import DcfConfig

        try:
            return DcfConfig().replace(**{"precision": self.precision, **self.dcf})
        except TypeError as exc:
            raise CorrlearnError(f"bad DCF setting: {exc}") from None

    def _preset(self):
        from corrlearn.propagate import get_preset

        return get_preset(self.preset)

    def input_space(self) -> str:
        return self._preset().input_space if self.tracker == "boxprop" else "rgb"

    def uses_affinity(self) -> bool:
        return self.tracker == "boxprop"

    def settings(self) -> dict:
        if self.tracker == "dcf":
            return {"tracker": self.tracker, "dcf": self._dcf_config().to_dict()}
        return {"tracker": self.tracker, "preset": self._preset().to_dict()}

    def items(self) -> list[str]:
        return list(self.names)

    def adopt(self, config: dict) -> None:
        self.tracker = config.get("tracker", self.tracker)

    def check_items(self, items: list[str]) -> None:
        """Every sequence's ground truth read, and its first box checked, before the run directory is made."""
        from corrlearn.datasets.otb import first_box, load_sequence

        for name in items:
            first_box(load_sequence(self.root, name))

    def work(self, name: str, out: Path, progress: bool = True) -> dict:
        from corrlearn.datasets.otb import first_box, load_sequence, write_rects
        from corrlearn.io.frames import FrameSource
        from corrlearn.metrics.otb import sequence_scores

        seq = load_sequence(self.root, name)
        first_box(seq)
        frames = FrameSource.from_files(seq.frames)
        t0 = time.perf_counter()
        if self.tracker == "dcf":
            from corrlearn.tracking import DcfTracker, track

            tracker = DcfTracker(self.encoder(), self._dcf_config(), self.device)
            boxes = track(frames, seq.boxes[0], tracker, progress, desc=name)
        else:
            from corrlearn.labels import BoxCodec
            from corrlearn.propagate import propagate

            stream = propagate(
                frames, seq.boxes[0], BoxCodec(), self.encoder(), self._preset(), self.device, self.backend,
                progress, desc=name, precision=self.precision,
            )  # fmt: skip
            boxes = np.stack(list(stream))
        secs = time.perf_counter() - t0
        write_rects(out / f"{name}.txt", boxes)
        # the progress record uses the run's protocol; ``merge`` re-scores every sequence anyway
        s = sequence_scores(seq.boxes, boxes, self.protocol, str(out / f"{name}.txt"))
        keep = ("frames", "invalid_gt", "auc", "precision@20", "success@0.5", "mean_iou")
        return {"sequence": name, "fps": len(boxes) / secs, **{k: s[k] for k in keep}}

    def score(self, runner: Runner, items: list[str], progress: bool = True) -> tuple[dict, dict]:
        """Per-sequence.csv, success.png and precision.png in the run's ``protocol``."""
        files = {n: runner.result_dir(n) / f"{n}.txt" for n in items}
        result = evaluate_files(self.root, {self.tracker: files}, self.run_dir, self.protocol, self.label)
        fields = {
            "protocol": self.protocol,
            "protocol_label": PROTOCOL_LABELS[self.protocol],
            "dataset_label": result["dataset_label"],
            "per_sequence_scores": result["per_sequence"][self.tracker],
            "global": result["global"][self.tracker],
        }
        return fields, result


def _protocol(protocol: str) -> str:
    from corrlearn.metrics.otb import check_protocol

    try:
        return check_protocol(protocol)
    except ValueError as exc:
        raise CorrlearnError(str(exc)) from None


def dataset_label(root: Path, n_sequences: int) -> str:
    """ "OTB-2015" for all 100 sequences, else "OTB-2015 subset (k of 100)" -- a subset is never
    reported as the benchmark. (OTB-2015 counts Jogging and Skating2 twice: 100 targets.)"""
    return "OTB-2015" if n_sequences >= OTB2015_SEQUENCES else f"OTB-2015 subset ({n_sequences} of 100)"


def evaluate_files(
    root: Path,
    methods: dict[str, dict[str, Path]],
    out_dir: Path,
    protocol: str = "otb",
    label: str | None = None,
) -> dict:
    """Score {method: {sequence: result file}} in ``protocol``'s convention; write per-sequence.csv (all
    methods) and success/precision PNGs titled with the dataset label and the protocol."""
    from corrlearn.bench.plots import otb_plots
    from corrlearn.datasets.otb import load_sequence, read_rects
    from corrlearn.io.atomic import write_text_atomic
    from corrlearn.metrics.otb import dataset_scores, sequence_scores

    _protocol(protocol)
    rows = ["protocol,method,sequence,frames,invalid_gt,auc,precision@20,success@0.5,norm_precision"]
    glob, per_all = {}, {}
    for method, files in methods.items():
        per = per_all[method] = {}
        for name in sorted(files):
            gt = load_sequence(root, name).boxes
            pred = read_rects(files[name])
            try:
                s = per[name] = sequence_scores(gt, pred, protocol, str(files[name]))
            except ValueError as exc:
                raise CorrlearnError(str(exc)) from None
            norm = "" if s["norm_precision"] is None else f"{s['norm_precision']:.4f}"
            rows.append(
                f"{protocol},{method},{name},{s['frames']},{s['invalid_gt']},{s['auc']:.4f},"
                f"{s['precision@20']:.4f},{s['success@0.5']:.4f},{norm}"
            )
        glob[method] = dataset_scores(per)
    n = len({name for files in methods.values() for name in files})
    label = label or dataset_label(root, n)
    for g in glob.values():
        g["dataset"] = label
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out_dir / CSV, "\n".join(rows) + "\n")
    plots = otb_plots(out_dir, glob, f"{label}, {PROTOCOL_LABELS[protocol]}")
    return {
        "global": glob,
        "per_sequence": {m: {k: _summary(v) for k, v in p.items()} for m, p in per_all.items()},
        "protocol": protocol,
        "dataset_label": label,
        "csv": str(out_dir / CSV),
        "plots": plots,
    }


def _summary(scores: dict) -> dict:
    """A sequence's numbers without its curves."""
    return {k: v for k, v in scores.items() if not k.endswith("_curve")}


def summary_table(glob: dict[str, dict]) -> str:
    """Plain-text table of dataset scores, one line per method (NP = the protocol's normalized precision)."""
    lines = [f"{'method':<16} {'seqs':>5} {'AUC':>7} {'P@20':>7} {'SR@0.5':>7} {'NP':>7}  protocol"]
    for m, g in glob.items():
        norm = "-" if g.get("norm_precision") is None else f"{g['norm_precision']:.3f}"
        lines.append(
            f"{m:<16} {g['sequences']:>5} {g['auc']:>7.3f} {g['precision@20']:>7.3f} {g['success@0.5']:>7.3f}"
            f" {norm:>7}  {g.get('protocol', 'otb')}"
        )
    return "\n".join(lines)
