"""DAVIS benchmark: propagate every sequence's first mask with a preset, write palette PNGs, score J&F.

A :class:`~corrlearn.bench.base.Benchmark`, so runs resume after a kill and split into shards. The
``copy-first`` baseline (every frame = the first annotation) uses the same machinery without an encoder.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corrlearn.bench.base import Benchmark
from corrlearn.bench.runner import RESULTS, Runner
from corrlearn.datasets.davis import RESOLUTION
from corrlearn.errors import CorrlearnError

BASELINES = ("copy-first",)
EVAL_DIR = "eval"


@dataclass(kw_only=True)
class DavisBench(Benchmark):
    """One DAVIS run: ``preset`` (with field ``overrides``) over ``sequences`` (default: the year's ``subset``
    list, val) at ``resolution`` (the ``JPEGImages/`` and ``Annotations/`` subfolder). ``baseline`` replaces
    propagation by a trivial method. ``subset="train"`` is for development checks: choose settings there,
    report val."""

    root: Path
    preset: str = "crw"
    year: str = "2016"
    baseline: str | None = None
    resolution: str = RESOLUTION
    subset: str = "val"
    overrides: dict | None = None
    sequences: list[str] | None = None

    name = "davis"
    unit = "sequence"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.root = Path(self.root)
        if self.baseline is not None and self.baseline not in BASELINES:
            raise CorrlearnError(f"unknown baseline {self.baseline!r}; known: {', '.join(BASELINES)}")

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
        except CorrlearnError as exc:  # a value no protocol runs with, e.g. topk=abc
            raise CorrlearnError(f"--set: {exc}") from None

    def uses_encoder(self) -> bool:
        return self.baseline is None

    def input_space(self) -> str:
        return self.resolved_preset().input_space

    def settings(self) -> dict:
        cfg: dict = {"year": str(self.year), "resolution": self.resolution}
        if self.subset != "val":  # runs made before the option existed keep their config
            cfg["subset"] = self.subset
        if self.baseline is not None:
            cfg["method"] = self.baseline
        else:
            cfg.update(method="propagate", preset=self.resolved_preset().to_dict())
        return cfg

    def adopt(self, config: dict) -> None:
        self.year = str(config.get("year", self.year))
        self.resolution = config.get("resolution", self.resolution)
        self.subset = config.get("subset", "val")

    def items(self) -> list[str]:
        from corrlearn.datasets.davis import frames_dir, read_sequence_list

        seqs = (
            list(self.sequences) if self.sequences else read_sequence_list(self.root, self.year, self.subset)
        )
        for s in seqs:
            if not frames_dir(self.root, s, self.resolution).is_dir():
                raise CorrlearnError(
                    f"{frames_dir(self.root, s, self.resolution)}: sequence frames not found"
                )
        return seqs

    def work(self, seq: str, out: Path, progress: bool = True) -> dict:
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
                precision=self.precision,
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

    def score(self, runner: Runner, items: list[str], progress: bool = True) -> tuple[dict, dict]:
        """Official-parity J&F over the run's PNGs; writes eval/ (per-sequence and global CSV/JSON)."""
        from corrlearn.metrics.davis import evaluate

        t0 = time.perf_counter()
        result = evaluate(
            self.root,
            self.run_dir / RESULTS,
            self.year,
            items,
            progress=progress,
            resolution=self.resolution,
            subset=self.subset,
        )
        result.write(self.run_dir / EVAL_DIR)
        return {"global": result.global_, "eval_wall_s": time.perf_counter() - t0}, {"evaluation": result}


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
