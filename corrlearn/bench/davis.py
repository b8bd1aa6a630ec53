"""DAVIS benchmark: propagate every sequence's first mask with a preset, write palette PNGs, score J&F.

Built on :class:`corrlearn.bench.runner.Runner`, so runs resume after a kill and split into shards. The
``copy-first`` baseline (every frame = the first annotation) uses the same machinery without an encoder.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corrlearn.bench.runner import RESULTS, Runner, peak_rss_mib
from corrlearn.datasets.davis import RESOLUTION
from corrlearn.errors import CorrlearnError

BASELINES = ("copy-first",)
EVAL_DIR = "eval"
RUN_JSON = "run.json"


@dataclass
class DavisBench:
    """Settings of one DAVIS benchmark run. ``baseline`` replaces propagation by a trivial method."""

    root: Path
    run_dir: Path
    preset: str = "crw"
    model: str | None = None  # None: what ``weights`` was saved from, else corrlearn.models.DEFAULT_MODEL
    weights: Path | None = None
    device: str = "cpu"
    seed: int = 0
    year: str = "2016"
    backend: str = "auto"
    baseline: str | None = None
    resolution: str = RESOLUTION
    overrides: dict | None = None

    def __post_init__(self) -> None:
        if self.model is None:
            from corrlearn.models import model_for_weights

            self.model = model_for_weights(self.weights)
        self.root = Path(self.root)
        self.run_dir = Path(self.run_dir)
        if self.baseline is not None and self.baseline not in BASELINES:
            raise CorrlearnError(f"unknown baseline {self.baseline!r}; known: {', '.join(BASELINES)}")
        self._encoder = None

    def resolved_preset(self):
        """The named preset with ``overrides`` (field -> value) applied."""
        from corrlearn.propagate import get_preset

        preset = get_preset(self.preset)
        if not self.overrides:
            return preset
        try:
            return preset.replace(**self.overrides)
        except TypeError:
            known = ", ".join(preset.to_dict())
            raise CorrlearnError(
                f"--set {sorted(self.overrides)}: unknown preset field; fields: {known}"
            ) from None

    # ----------------------------------------------------------------------------------------- config
    def config(self) -> dict:
        """Everything that determines the PNGs; a resumed run must reproduce it exactly."""
        import corrlearn

        cfg: dict = {
            "benchmark": "davis",
            "year": str(self.year),
            "resolution": self.resolution,
            "corrlearn": corrlearn.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        }
        if self.baseline is not None:
            cfg["method"] = self.baseline
            return cfg
        import torch

        from corrlearn.models import weights_sha256

        if self.weights is not None and not Path(self.weights).is_file():
            raise CorrlearnError(f"{self.weights}: weights file not found")
        cfg.update(
            method="propagate",
            preset=self.resolved_preset().to_dict(),
            model=self.model,
            weights_sha256=weights_sha256(self.model, self.weights),
            seed=self.seed,
            device=self.device,
            backend=self.backend,
            torch=torch.__version__,
        )
        return cfg

    # ----------------------------------------------------------------------------------------- work
    def sequences(self, names: list[str] | None = None) -> list[str]:
        from corrlearn.datasets.davis import frames_dir, read_sequence_list

        seqs = list(names) if names else read_sequence_list(self.root, self.year)
        for s in seqs:
            if not frames_dir(self.root, s, self.resolution).is_dir():
                raise CorrlearnError(
                    f"{frames_dir(self.root, s, self.resolution)}: sequence frames not found"
                )
        return seqs

    def encoder(self):
        if self._encoder is None:
            import torch

            from corrlearn import models

            torch.manual_seed(self.seed)
            preset = self.resolved_preset()
            self._encoder = models.create(
                self.model, stride=8, input_space=preset.input_space, weights=self.weights, seed=self.seed
            )
        return self._encoder

    def segment(self, seq: str, out: Path, progress: bool = True) -> dict:
        """Write ``out/<frame>.png`` for every frame of ``seq``; return the sequence's record."""
        from corrlearn.datasets.davis import annotation_dir, frames_dir, gt_frame_names
        from corrlearn.io.frames import open_frames
        from corrlearn.io.masks import VOID_ID, check_first_mask, read_mask, write_mask

        frames = open_frames(frames_dir(self.root, seq, self.resolution))
        first_path = (
            annotation_dir(self.root, seq, self.resolution)
            / f"{gt_frame_names(self.root, seq, self.resolution)[0]}.png"
        )
        first = read_mask(first_path)
        check_first_mask(first, first_path, frames.size)
        if first_path.stem != frames.names[0]:
            raise CorrlearnError(
                f"{first_path}: first annotation does not belong to the first frame {frames.names[0]}"
            )
        # void is background in the official evaluation, so it is not propagated as a label
        first_ids = np.where(first.ids == VOID_ID, 0, first.ids).astype(np.uint8)
        t0 = time.perf_counter()
        if self.baseline == "copy-first":
            stream = (first_ids for _ in frames.names)
        else:
            from corrlearn.propagate import segment_video

            stream = segment_video(
                frames,
                first_ids,
                self.encoder(),
                self.resolved_preset(),
                device=self.device,
                backend=self.backend,
                progress=progress,
                total=len(frames),
                desc=seq,
            )
        n = 0
        for name, ids in zip(frames.names, stream, strict=True):
            write_mask(out / f"{name}.png", ids)  # DAVIS palette PNG, ids 0..N, for any input convention
            n += 1
        secs = time.perf_counter() - t0
        return {
            "sequence": seq,
            "frames": n,
            "objects": first.num_objects,
            "propagate_s": secs,
            "fps": n / secs,
        }

    # ----------------------------------------------------------------------------------------- run
    def runner(self) -> Runner:
        return Runner(self.run_dir, self.config())

    def run(self, sequences: list[str] | None = None, shard=(0, 1), progress: bool = True) -> dict:
        """Process this shard's unfinished sequences; evaluate when every sequence is done."""
        if self.device.startswith("cuda"):
            import torch

            if not torch.cuda.is_available():
                raise CorrlearnError(f"--device {self.device}: CUDA is not available in this torch build")
        seqs = self.sequences(sequences)
        runner = self.runner()
        summary = runner.run(
            seqs, lambda seq, out: self.segment(seq, out, progress), shard, progress, desc="sequences"
        )
        if runner.missing(seqs):
            return {"shard": summary, "complete": False, "missing": runner.missing(seqs)}
        return {"shard": summary, "complete": True, **self.merge(seqs, progress=progress)}

    def merge(
        self, sequences: list[str] | None = None, progress: bool = True, use_run_config: bool = False
    ) -> dict:
        """Evaluate a run whose sequences are all done; write eval/ and run.json. Error listing what is missing.

        With ``use_run_config`` the run directory's own config.json is used (``--merge`` needs no other
        options); otherwise this bench's config must match it.
        """
        from corrlearn.io.atomic import write_json_atomic
        from corrlearn.metrics.davis import evaluate

        if use_run_config:
            runner = Runner.open(self.run_dir)
            self.year = str(runner.config.get("year", self.year))
        else:
            runner = self.runner()
            runner.prepare()
        seqs = self.sequences(sequences)
        missing = runner.missing(seqs)
        if missing:
            raise CorrlearnError(
                f"{self.run_dir}: {len(missing)} sequence(s) not finished yet: {', '.join(missing[:5])}"
                + (" ..." if len(missing) > 5 else "")
            )
        t0 = time.perf_counter()
        result = evaluate(self.root, self.run_dir / RESULTS, self.year, seqs, progress=progress)
        result.write(self.run_dir / EVAL_DIR)
        records = {s: runner.record(s) for s in seqs}
        shards = [_read_json(p) for p in sorted((self.run_dir / "shards").glob("*.json"))]
        report = {
            "config": runner.config,
            "global": result.global_,
            "sequences": records,
            "propagate_wall_s": sum(r.get("wall_s", 0.0) for r in records.values()),
            "peak_rss_mib": max([r.get("peak_rss_mib", 0.0) for r in records.values()] + [peak_rss_mib()]),
            "eval_wall_s": time.perf_counter() - t0,
            "shards": shards,
        }
        write_json_atomic(self.run_dir / RUN_JSON, report)
        return {"evaluation": result, "report": report}


def _read_json(path: Path) -> dict:
    import json

    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {"file": str(path), "error": "unreadable"}


def summary_table(report: dict, evaluation) -> str:
    """Per-sequence time/memory and the J&F table, for the terminal."""
    from corrlearn.metrics.davis import format_table

    lines = [f"{'sequence':<22} {'frames':>6} {'time s':>8} {'fps':>6} {'peak MiB':>9}"]
    for seq, r in report["sequences"].items():
        lines.append(
            f"{seq:<22} {r.get('frames', 0):>6} {r.get('wall_s', 0):>8.1f} {r.get('fps', 0):>6.2f} "
            f"{r.get('peak_rss_mib', 0):>9.0f}"
        )
    lines.append(
        f"total propagation {report['propagate_wall_s']:.1f} s, peak memory {report['peak_rss_mib']:.0f} MiB"
    )
    return "\n".join(lines) + "\n\n" + format_table(evaluation)
