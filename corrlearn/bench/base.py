"""The skeleton every benchmark runner shares: the encoder spec, the provenance record, run, merge.

A benchmark is its items (sequences, videos), its per-item work (write one item's outputs into a folder and
return a record) and its scoring (turn the finished outputs into numbers and files). Everything else --
building the encoder once, recording what determines the outputs, resuming and sharding
(:class:`~corrlearn.bench.runner.Runner`), refusing to score an unfinished run, and the ``run.json`` report
with timings and peak memory -- lives here, once.
"""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from corrlearn.bench.runner import Runner, peak_rss_mib, shard_items
from corrlearn.errors import CorrlearnError

RUN_JSON = "run.json"


@dataclass(kw_only=True)
class Benchmark:
    """Settings shared by every benchmark run: where it writes, and which encoder it runs.

    ``model`` None means the architecture ``weights`` was saved from, else :meth:`default_model`
    (:data:`corrlearn.models.DEFAULT_MODEL` unless a benchmark says otherwise); ``weights`` None means the
    model's own (ImageNet trunks, seeded initialisation for the ResNets); ``stride`` is the encoder's output stride (None: the architecture's own,
    8 for the ResNets and EfficientNet-Lite trunks, the patch size for a ViT); ``precision`` is the encoder's
    arithmetic ("fp32", or "bf16" autocast: :mod:`corrlearn.models.inference`).
    """

    run_dir: Path
    model: str | None = None
    weights: Path | None = None
    device: str = "cpu"
    seed: int = 0
    backend: str = "auto"
    stride: int | None = None
    precision: str = "fp32"

    #: the ``benchmark`` field of the recorded configuration
    name: ClassVar[str] = ""
    #: what an item is, for messages and the report's per-item table ("sequence", "video")
    unit: ClassVar[str] = "item"
    #: the report's total of per-item wall time
    wall_key: ClassVar[str] = "propagate_wall_s"

    def __post_init__(self) -> None:
        if self.model is None:
            from corrlearn.models import model_for_weights

            self.model = self.default_model() if self.weights is None else model_for_weights(self.weights)
        from corrlearn.models.inference import check_precision

        try:
            check_precision(self.precision)
        except ValueError as exc:
            raise CorrlearnError(str(exc)) from None
        self.run_dir = Path(self.run_dir)
        self.weights = None if self.weights is None else Path(self.weights)
        self._encoder = None

    # ------------------------------------------------------------------------------ what a benchmark defines
    def default_model(self) -> str:
        """The encoder run when neither ``model`` nor ``weights`` is given."""
        from corrlearn.models import DEFAULT_MODEL

        return DEFAULT_MODEL

    def items(self) -> list[str]:
        """The run's items, in a fixed order (shards take every n-th)."""
        raise NotImplementedError

    def settings(self) -> dict:
        """The benchmark's own part of the configuration (preset, protocol, split, ...)."""
        raise NotImplementedError

    def work(self, item: str, out: Path, progress: bool = True) -> dict:
        """Write ``item``'s outputs into the empty folder ``out``; return its JSON-able record."""
        raise NotImplementedError

    def score(self, runner: Runner, items: list[str], progress: bool = True) -> tuple[dict, dict]:
        """Score a finished run: (fields for ``run.json``, the result returned to the caller)."""
        raise NotImplementedError

    def check_items(self, items: list[str]) -> None:
        """Raise :class:`CorrlearnError` for an item whose inputs are unusable, before anything is written;
        checks that are cheap (ground-truth files, not frames). Default: nothing to check."""

    def uses_encoder(self) -> bool:
        """False for trivial baselines, which record no encoder."""
        return True

    def input_space(self) -> str:
        """The colour space the encoder is built for (the preset's, for propagation benchmarks)."""
        return "rgb"

    # ------------------------------------------------------------------------------ shared
    def encoder(self):
        """The run's encoder, built once (seeded, so a default initialisation is reproducible)."""
        if self._encoder is None:
            import torch

            from corrlearn import models

            torch.manual_seed(self.seed)
            self._encoder = models.create(
                self.model,
                stride=self.stride,
                input_space=self.input_space(),
                weights=self.weights,
                seed=self.seed,
            )
        return self._encoder

    def encoder_record(self) -> dict:
        """What identifies the encoder and where it runs."""
        import torch

        from corrlearn.models import is_external, provenance, weights_sha256

        if self.weights is not None and self.weights.is_dir():
            raise CorrlearnError(
                f"{self.weights}: is a folder, not a checkpoint file; name the file inside it"
            )
        if self.weights is not None and not self.weights.is_file():
            raise CorrlearnError(f"{self.weights}: weights file not found")
        record = {
            "model": self.model,
            "stride": self.stride,
            "precision": self.precision,
            "weights_sha256": weights_sha256(self.model, self.weights),
            "seed": self.seed,
            "device": self.device,
            "backend": self.backend,
            "torch": torch.__version__,
        }
        if is_external(self.model):  # a user's encoder: its factory, source file and weights, each hashed
            record["encoder_source"] = provenance(self.encoder())
            record["weights_sha256"] = record["encoder_source"]["weights_sha256"]
        return record

    def config(self) -> dict:
        """Everything that determines the outputs; a resumed run must reproduce it exactly."""
        import corrlearn

        cfg: dict[str, Any] = {
            "benchmark": self.name,
            "corrlearn": corrlearn.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        }
        if self.uses_encoder():
            cfg.update(self.encoder_record())
        cfg.update(self.settings())
        return cfg

    def runner(self) -> Runner:
        return Runner(self.run_dir, self.config())

    def uses_affinity(self) -> bool:
        """Whether the work runs the top-k affinity kernels (the DCF tracker does not)."""
        return self.uses_encoder()

    def check_device(self) -> str | None:
        """Check ``device`` and ``backend`` before anything is written; the backend that will run, if any."""
        if not self.uses_encoder():
            return None
        from corrlearn.propagate.runtime import check_runtime

        return check_runtime(self.device, self.backend)

    def run(self, shard: tuple[int, int] = (0, 1), progress: bool = True) -> dict:
        """Process this shard's unfinished items; score the run once every item is done."""
        backend = self.check_device()
        if self.uses_affinity():
            from corrlearn.propagate.runtime import announce_compile

            announce_compile(backend, quiet=not progress)
        items = self.items()
        self.check_items(shard_items(items, shard))
        runner = self.runner()
        summary = runner.run(
            items, lambda item, out: self.work(item, out, progress), shard, progress, desc=f"{self.unit}s"
        )
        missing = runner.missing(items)
        if missing:
            return {"shard": summary, "complete": False, "missing": missing}
        return {"shard": summary, "complete": True, **self.merge(progress=progress)}

    def open_runner(self, use_run_config: bool = False) -> Runner:
        """The runner of this run directory: this bench's config (which must match the stored one), or with
        ``use_run_config`` the stored config itself (``--merge`` needs no other options)."""
        if use_run_config:
            runner = Runner.open(self.run_dir)
            self.adopt(runner.config)
            return runner
        runner = self.runner()
        runner.prepare()
        return runner

    def adopt(self, config: dict) -> None:
        """Take settings that change what is scored from a stored config (see :meth:`open_runner`)."""

    def merge(self, progress: bool = True, use_run_config: bool = False) -> dict:
        """Score a run whose items are all done; write ``run.json``. An error lists what is missing."""
        from corrlearn.io.atomic import write_json_atomic

        runner = self.open_runner(use_run_config)
        items = self.items()
        missing = runner.missing(items)
        if missing:
            raise CorrlearnError(
                f"{self.run_dir}: {len(missing)} {self.unit}(s) not finished yet: {', '.join(missing[:5])}"
                + (" ..." if len(missing) > 5 else "")
            )
        fields, result = self.score(runner, items, progress)
        records = {it: runner.record(it) for it in items}
        report = {
            "config": runner.config,
            **fields,
            f"{self.unit}s": records,
            self.wall_key: sum(r.get("wall_s", 0.0) for r in records.values()),
            "peak_rss_mib": max([r.get("peak_rss_mib", 0.0) for r in records.values()] + [peak_rss_mib()]),
            "shards": [_read_json(p) for p in sorted((self.run_dir / "shards").glob("*.json"))],
        }
        write_json_atomic(self.run_dir / RUN_JSON, report)
        return {"report": report, **result}


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {"file": str(path), "error": "unreadable"}
