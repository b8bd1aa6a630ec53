"""Training configuration: one dataclass, recorded as RUN_DIR/config.json.

Fields left at ``None`` take the objective's default (``defaults`` of its spec in
:mod:`corrlearn.train.objectives`) when the config is resolved, so a recorded config always holds the concrete
values a run used.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field

from corrlearn.errors import CorrlearnError
from corrlearn.train.objectives import OBJECTIVES, get_objective


@dataclass
class TrainConfig:
    objective: str = "crw"
    data: list[str] = field(default_factory=list)
    sequences: list[str] | None = None  # subset of sequence/video names (stems); None = all
    # model
    model: str = "resnet18"
    stride: int = 8
    init_seed: int = 0
    init_weights: str | None = None
    # optimisation
    steps: int = 1000
    batch_size: int = 8  # global: split evenly across processes
    optimizer: str | None = None  # adam | sgd
    lr: float | None = None
    weight_decay: float | None = None
    momentum: float = 0.9
    schedule: str | None = None  # constant | cosine
    warmup_steps: int = 0
    grad_clip: float | None = None
    bn: str = "train"  # train | frozen (eval-mode BN statistics) | sync (SyncBatchNorm, GPU)
    amp: bool = True  # used on CUDA only
    # data
    clip_len: int | None = None
    frame_gap: tuple[int, int] | None = None  # min, max gap between consecutive sampled frames
    crop_size: int | None = None
    search_size: int | None = None  # contrastcorr: size of the frame the reference is tracked into
    crop_scale: tuple[float, float] | None = None  # area share of the random resized crop
    crop_ratio: tuple[float, float] = (0.7, 1.3)
    color_jitter: float | None = None  # brightness/contrast/saturation strength, 0 = off
    flip: bool = True
    workers: int = 2
    # objective parameters
    temperature: float | None = None  # crw 0.07 (0.05-0.07), contrastcorr 1, moco 0.2
    edge_dropout: float = 0.1
    feat_dropout: float = 0.0
    nodes: str = "patches"
    patch_size: int | None = None  # crw patch nodes: default crop_size // 4 (a 7 x 7 grid: CRW's 49 nodes)
    patch_stride: int | None = None  # default patch_size // 2
    min_walk: int = 1
    queue_size: int = 16384
    moco_momentum: float = 0.999
    teacher: str | None = None
    loss_weights: dict[str, float] = field(default_factory=dict)
    rates: tuple[int, ...] | None = None  # prp: frame intervals whose playback rate is classified
    # run control
    seed: int = 0
    device: str = "auto"
    checkpoint_every: int = 500
    log_every: int = 10
    # model selection on held-out *training* video (corrlearn.train.splits), scored as `bench davis` scores val
    heldout_davis: str | None = None  # DAVIS root holding the held-out sequences (e.g. davis2016-train-240p)
    heldout_sequences: list[str] | None = None  # default: splits.DAVIS2016_HELDOUT
    heldout_resolution: str = "240p"
    eval_every: int = 0
    eval_preset: str | None = None  # default: splits.HELDOUT_PRESET (stt-bilinear, the default's protocol)
    eval_patience: int = 0  # stop after this many evaluations without a better held-out J&F (0: never)

    def resolved(self) -> TrainConfig:
        """A copy with the objective's defaults filled in and every value checked."""
        spec = get_objective(self.objective)
        out = dataclasses.replace(self)
        for k, v in spec.defaults.items():
            if getattr(out, k) is None:
                setattr(out, k, v)
        if out.crop_size is not None and out.patch_size is None:
            # CRW's 64 px patches at stride 32 on 256 px crops give 7 x 7 = 49 nodes; smaller crops keep the
            # grid (128 px crops with 64 px patches gave 9 nodes, most walks solved in one step at init)
            out.patch_size = max(8, out.crop_size // 4)
        if out.patch_size is not None and out.patch_stride is None:
            out.patch_stride = max(1, out.patch_size // 2)
        if out.heldout_davis:
            from corrlearn.train.splits import DAVIS2016_HELDOUT, HELDOUT_PRESET

            out.heldout_sequences = list(out.heldout_sequences or DAVIS2016_HELDOUT)
            out.eval_preset = out.eval_preset or HELDOUT_PRESET
        for k in ("frame_gap", "crop_scale", "crop_ratio", "rates"):
            if getattr(out, k) is not None:
                setattr(out, k, tuple(getattr(out, k)))
        out._check()
        return out

    def _check(self) -> None:
        def bad(msg: str) -> None:
            raise CorrlearnError(f"config: {msg}")

        if not self.data:
            bad("no data roots given (--data ROOT ...)")
        if self.steps < 1 or self.batch_size < 1:
            bad("steps and batch-size must be positive")
        spec = OBJECTIVES[self.objective]
        if self.clip_len < spec.min_clip_len:
            bad(f"clip_len {self.clip_len} too short for {self.objective}")
        if self.frame_gap[0] < 1 or self.frame_gap[1] < self.frame_gap[0]:
            bad(f"frame_gap {self.frame_gap} must be 1 <= min <= max")
        if self.crop_size % 8:
            bad(f"crop_size {self.crop_size} must be a multiple of 8")
        problem = spec.check(self)
        if problem:
            bad(problem)
        if self.bn not in ("train", "frozen", "sync"):
            bad(f"bn must be train, frozen or sync, got {self.bn!r}")
        if self.optimizer not in ("adam", "sgd"):
            bad(f"optimizer must be adam or sgd, got {self.optimizer!r}")
        if self.schedule not in ("constant", "cosine"):
            bad(f"schedule must be constant or cosine, got {self.schedule!r}")
        if self.heldout_davis:
            from corrlearn.train.splits import check_heldout

            if self.eval_every < 1:
                bad("--heldout-davis needs --eval-every N > 0")
            check_heldout(self.heldout_sequences)
        if self.eval_patience < 0:
            bad(f"eval_patience must be >= 0, got {self.eval_patience}")

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict, where: str = "config") -> TrainConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise CorrlearnError(f"{where}: unknown config keys {', '.join(unknown)}")
        return cls(**d)

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> TrainConfig:
        try:
            with open(path) as f:
                d = json.load(f)
        except FileNotFoundError:
            raise CorrlearnError(f"{path}: config file not found") from None
        except json.JSONDecodeError as exc:
            raise CorrlearnError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(d, dict):
            raise CorrlearnError(f"{path}: config must be a JSON object")
        return cls.from_dict(d, str(path))
