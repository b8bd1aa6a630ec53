"""The training loop behind ``corrlearn train``: one CPU process, one GPU, or many processes under torchrun.

Resumability: a checkpoint holds the objective, optimiser, scheduler, AMP scaler, step and every rank's RNG
states; the data order is a pure function of (seed, step) (see :class:`corrlearn.train.data.StepSampler`), so a
run killed at any point and resumed from its last checkpoint reaches the same weights as an uninterrupted run
(bit-identical on CPU; GPU kernels may be non-deterministic).

Multi-process: DistributedDataParallel with the global batch split evenly across ranks. BatchNorm computes
statistics per process unless ``bn="sync"`` (SyncBatchNorm, GPU) or ``bn="frozen"`` (BN layers in eval mode,
using their running statistics, which makes every sample's gradient independent of its batch mates and
therefore the result independent of the process count).
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from corrlearn import distributed as dist_utils
from corrlearn import models
from corrlearn.errors import CorrlearnError
from corrlearn.io.atomic import write_json_atomic, write_text_atomic
from corrlearn.train import checkpoint as ckpt
from corrlearn.train.augment import DeviceAugment
from corrlearn.train.config import TrainConfig
from corrlearn.train.data import ClipDataset, StepSampler, collate, discover_videos
from corrlearn.train.objectives import OBJECTIVES

#: ``teacher`` value meaning "a frozen copy of the student's initial weights" (stt-temporal fine-tuning).
TEACHER_IS_INIT = "init"


def _teacher_input_space(path: str) -> str:
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        return "rgb"
    return obj.get("input_space", "rgb") if isinstance(obj, dict) else "rgb"


def build_objective(cfg: TrainConfig) -> nn.Module:
    """Encoder + objective for a resolved config (encoder weights from ``init_weights`` or a seeded init)."""
    spec = OBJECTIVES[cfg.objective]
    teacher = None
    init = cfg.init_weights
    if spec.uses_teacher and cfg.teacher == TEACHER_IS_INIT:
        # fine-tuning a trained trunk (e.g. ImageNet EfficientNet-Lite): the frozen initial encoder plays
        # the stage-1 teacher, so global distillation keeps what it knew
        teacher = models.create(cfg.model, cfg.stride, spec.input_space, weights=init, seed=cfg.init_seed)
    elif spec.uses_teacher and cfg.teacher:
        teacher = models.create(cfg.model, cfg.stride, _teacher_input_space(cfg.teacher), weights=cfg.teacher)
        init = init or cfg.teacher  # STT initialises the student from the stage-1 model
    enc = models.create(cfg.model, cfg.stride, spec.input_space, weights=init, seed=cfg.init_seed)
    torch.manual_seed(cfg.seed)  # heads draw from the global RNG
    return spec.build(enc, cfg, teacher)


def training_videos(cfg: TrainConfig):
    """The videos a run trains on: ``cfg.data`` / ``cfg.sequences``, less the held-out sequences."""
    videos = discover_videos(cfg.data, cfg.sequences)
    if not cfg.heldout_davis:
        return videos
    held = set(cfg.heldout_sequences)
    named = sorted(held & set(cfg.sequences or ()))
    if named:
        raise CorrlearnError(
            f"--sequences names held-out sequences {', '.join(named)}; they cannot be trained on"
        )
    kept = [v for v in videos if v.name not in held]
    if not kept:
        raise CorrlearnError(f"every video under {', '.join(cfg.data)} is held out for evaluation")
    return kept


def build_dataset(cfg: TrainConfig) -> ClipDataset:
    spec = OBJECTIVES[cfg.objective]
    return ClipDataset(
        training_videos(cfg),
        spec.data_mode,
        cfg.clip_len,
        cfg.frame_gap,
        cfg.crop_size,
        cfg.crop_scale,
        cfg.crop_ratio,
        cfg.search_size,
        independent_crops=spec.independent_crops,
        rates=cfg.rates or (),
    )


def set_train_mode(model: nn.Module, bn: str) -> None:
    """Training mode, with BatchNorm layers kept in eval mode when ``bn == "frozen"``."""
    model.train()
    if bn == "frozen":
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.eval()


def lr_lambda(cfg: TrainConfig):
    def f(step: int) -> float:
        if cfg.warmup_steps and step < cfg.warmup_steps:
            return (step + 1) / cfg.warmup_steps
        if cfg.schedule == "cosine":
            t = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
            return 0.001 + 0.999 * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))
        return 1.0

    return f


def _pick_device(cfg: TrainConfig, local_rank: int) -> torch.device:
    if cfg.device == "auto":
        return torch.device(f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu")
    if cfg.device.startswith("cuda") and not torch.cuda.is_available():
        raise CorrlearnError(f"device {cfg.device!r} requested but CUDA is not available")
    return torch.device(cfg.device if cfg.device != "cuda" else f"cuda:{local_rank}")


def _to(batch, device):
    if isinstance(batch, (tuple, list)):
        return tuple(b.to(device, non_blocking=True) for b in batch)
    return batch.to(device, non_blocking=True)


def _truncate_log(path: Path, step: int) -> None:
    """Drop records a killed run logged after its last checkpoint (they are about to be redone)."""
    if not path.is_file():
        return
    keep = [
        line for line in path.read_text().splitlines() if line.strip() and json.loads(line)["step"] <= step
    ]
    write_text_atomic(path, "".join(line + "\n" for line in keep))


def _log(path: Path, record: dict) -> None:
    with open(path, "a") as f:
        f.write(json.dumps(record) + "\n")


def prepare_run_dir(cfg: TrainConfig, out: Path, resume: bool) -> TrainConfig:
    """Check the run dir against ``resume``; on resume, the recorded config wins (steps may be raised)."""
    has_ckpt = (out / ckpt.LAST).is_file()
    if resume and has_ckpt:
        recorded = TrainConfig.from_file(out / "config.json").resolved()
        if cfg.steps > recorded.steps:
            recorded.steps = cfg.steps
        return recorded
    if has_ckpt and not resume:
        raise CorrlearnError(
            f"{out}: run dir already holds a checkpoint; pass --resume or choose another --out"
        )
    if resume:  # a typo in --out must not quietly start a new run from step 0
        raise CorrlearnError(
            f"{out / ckpt.LAST}: --resume given but there is no checkpoint to continue from; "
            "check --out, or leave out --resume to start a new run"
        )
    return cfg


#: ``evaluate(cfg, encoder checkpoint, folder for its outputs, device) -> {"J&F", "J", "F"}``
Evaluator = Callable[[TrainConfig, Path, Path, str], dict]


def train(
    cfg: TrainConfig,
    out_dir: str | os.PathLike,
    resume: bool = False,
    progress: bool = True,
    evaluate: Evaluator | None = None,
) -> dict:
    """Train as configured, writing RUN_DIR/{config.json, log.jsonl, checkpoint.pt, encoder.pt}.

    With ``cfg.heldout_davis``, ``evaluate`` scores the encoder every ``eval_every`` steps (and at step 0) on
    the held-out sequences (``corrlearn.bench.heldout.evaluate_heldout``, which ``corrlearn train`` passes):
    each snapshot is RUN_DIR/heldout/step_NNNNNN/encoder.pt, the best so far is RUN_DIR/best_encoder.pt.
    Returns the last logged metrics. Call it in every process of a torchrun job.
    """
    out = Path(out_dir)
    cfg = prepare_run_dir(cfg.resolved(), out, resume)
    if cfg.heldout_davis and evaluate is None:
        raise CorrlearnError(
            "held-out evaluation needs an evaluator: corrlearn.bench.heldout.evaluate_heldout (as `corrlearn "
            "train` passes)"
        )
    info = dist_utils.init_from_env(
        cfg.device if cfg.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    )
    device = _pick_device(cfg, info.local_rank)
    try:
        return _train(cfg, out, resume, progress, info, device, evaluate)
    finally:
        dist_utils.shutdown()


def _train(cfg, out: Path, resume: bool, progress: bool, info, device, evaluate=None) -> dict:
    random.seed(cfg.seed + info.rank)
    np.random.seed(cfg.seed + info.rank)

    objective = build_objective(cfg).to(device)
    if cfg.bn == "sync":
        if device.type != "cuda":
            raise CorrlearnError("bn='sync' (SyncBatchNorm) needs CUDA; use bn='frozen' or 'train' on CPU")
        objective = nn.SyncBatchNorm.convert_sync_batchnorm(objective)
    params = [p for p in objective.parameters() if p.requires_grad]
    if cfg.optimizer == "adam":
        opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(cfg))
    use_amp = cfg.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)

    start = 0
    state = None
    if resume and (out / ckpt.LAST).is_file():
        state = ckpt.load(out / ckpt.LAST)
        objective.load_state_dict(state["objective_state"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        if state.get("scaler"):
            scaler.load_state_dict(state["scaler"])
        start = int(state["step"])
        if info.is_main:
            _truncate_log(out / "log.jsonl", start)
    torch.manual_seed(cfg.seed + info.rank)

    model: nn.Module = objective
    if info.enabled:
        model = nn.parallel.DistributedDataParallel(
            objective, device_ids=[device.index] if device.type == "cuda" else None
        )
    set_train_mode(model, cfg.bn)
    augment = DeviceAugment(cfg.color_jitter, cfg.flip, strong=OBJECTIVES[cfg.objective].strong_augment).to(
        device
    )

    dataset = build_dataset(cfg)
    # written only once the weights and the data have been read: a bad --data or checkpoint leaves nothing
    if info.is_main:
        out.mkdir(parents=True, exist_ok=True)
        write_json_atomic(out / "config.json", cfg.to_json())
    dist_utils.barrier()
    local_batch = cfg.batch_size // info.world_size
    sampler = StepSampler(
        len(dataset), cfg.batch_size, cfg.steps, cfg.seed, info.rank, info.world_size, start
    )
    loader = DataLoader(
        dataset,
        batch_size=local_batch,
        sampler=sampler,
        num_workers=cfg.workers,
        collate_fn=collate,
        pin_memory=device.type == "cuda",
        drop_last=True,
        generator=torch.Generator().manual_seed(cfg.seed),  # keeps the global RNG untouched
        persistent_workers=False,
    )
    batches = iter(loader)
    if state is not None:  # restore RNG last: building the model and loader must not disturb it
        if len(state["rng"]) != info.world_size:
            raise CorrlearnError(
                f"{out / ckpt.LAST}: written by {len(state['rng'])} processes, resumed with {info.world_size}"
            )
        ckpt.set_rng_state(state["rng"][info.rank])

    log_path = out / "log.jsonl"
    selection = _Selection(cfg, out, evaluate, device, info)
    if cfg.heldout_davis and start == 0:  # the learning curve starts at the initial weights
        selection.evaluate(objective, 0)
        set_train_mode(model, cfg.bn)
    bar = None
    if progress and info.is_main:
        from tqdm import tqdm

        bar = tqdm(total=cfg.steps, initial=start, desc=f"train {cfg.objective}", unit="step")
    last: dict = {}
    t0, clips_since = time.perf_counter(), 0
    for step in range(start, cfg.steps):
        batch = _to(next(batches), device)
        with torch.no_grad():
            batch = augment(batch)
        with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
            outputs = model(batch)
        loss = outputs["loss"]
        if not torch.isfinite(loss):
            raise CorrlearnError(f"loss became {float(loss)} at step {step + 1}; lower the learning rate")
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        if cfg.grad_clip:
            scaler.unscale_(opt)
            nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        scaler.step(opt)
        scaler.update()
        sched.step()
        clips_since += cfg.batch_size
        done = step + 1

        if done % cfg.log_every == 0 or done == cfg.steps:
            elapsed = time.perf_counter() - t0
            rec = {
                "step": done,
                "lr": sched.get_last_lr()[0],
                "clips_per_s": clips_since / max(elapsed, 1e-9),
            }
            for k, v in outputs.items():
                rec[k] = dist_utils.mean_scalar(float(v.detach() if torch.is_tensor(v) else v), device)
            if info.is_main:
                _log(log_path, rec)
            t0, clips_since = time.perf_counter(), 0
            last = rec
            if bar is not None:
                bar.set_postfix(loss=f"{rec['loss']:.4f}", clips_s=f"{rec['clips_per_s']:.2f}")
        if bar is not None:
            bar.update(1)

        stop = False
        if cfg.heldout_davis and done % cfg.eval_every == 0:
            stop = selection.evaluate(objective, done)
            set_train_mode(model, cfg.bn)
        if done % cfg.checkpoint_every == 0 or done == cfg.steps or stop:
            _save(cfg, out, objective, opt, sched, scaler, done, info)
        if stop:
            if info.is_main:
                _log(log_path, {"step": done, "event": "early_stop", "best_step": selection.best_step})
            break
    if bar is not None:
        bar.close()
    return last


class _Selection:
    """Held-out evaluations, the best snapshot and early stopping (state rebuilt from log.jsonl on resume)."""

    def __init__(self, cfg: TrainConfig, out: Path, evaluate, device, info):
        self.cfg, self.out, self.fn, self.device, self.info = cfg, out, evaluate, device, info
        self.best_step, self.best, self.since = None, -math.inf, 0
        log = out / "log.jsonl"
        if log.is_file():
            for line in log.read_text().splitlines():
                rec = json.loads(line) if line.strip() else {}
                if rec.get("eval") == "heldout":
                    self._update(rec["step"], rec["J&F"])

    def _update(self, step: int, jf: float) -> bool:
        better = jf > self.best
        if better:
            self.best_step, self.best, self.since = step, jf, 0
        else:
            self.since += 1
        return better

    def evaluate(self, objective, step: int) -> bool:
        """Score the current encoder; True when early stopping says to stop."""
        stop = False
        if self.info.is_main:
            folder = self.out / "heldout" / f"step_{step:06d}"
            weights = folder / "encoder.pt"
            payload = _encoder_payload(self.cfg, objective, step)
            ckpt.save(weights, payload)
            rng = ckpt.rng_state()  # scoring must not move the training run's random streams
            scores = self.fn(self.cfg, weights, folder / "bench", str(self.device))
            ckpt.set_rng_state(rng)
            better = self._update(step, scores["J&F"])
            if better:
                ckpt.save(self.out / "best_encoder.pt", payload)
            rec = {"step": step, "eval": "heldout", "sequences": len(self.cfg.heldout_sequences), **scores}
            _log(self.out / "log.jsonl", {**rec, "best_step": self.best_step})
            p = self.cfg.eval_patience
            stop = bool(p) and self.since >= p
        flag = torch.tensor(float(stop), device=self.device)
        if self.info.enabled:
            torch.distributed.broadcast(flag, 0)
        dist_utils.barrier()
        return bool(flag.item())


def _encoder_payload(cfg, objective, step: int) -> dict:
    """The encoder alone, for `corrlearn propagate --weights` (weights_only-loadable)."""
    return {
        "model": {k: v.detach().cpu() for k, v in objective.encoder.state_dict().items()},
        **_meta(cfg, objective, step),
    }


def _meta(cfg, objective, step: int) -> dict:
    return {
        "step": step,
        "objective": cfg.objective,
        # the encoder's own: an ImageNet trunk reads RGB even under a Lab objective
        "input_space": objective.encoder.input_space,
        "model_name": cfg.model,
        "stride": cfg.stride,
    }


def _save(cfg, out: Path, objective, opt, sched, scaler, step: int, info) -> None:
    rngs = dist_utils.all_gather_objects(ckpt.rng_state())
    if info.is_main:
        encoder = _encoder_payload(cfg, objective, step)
        enc_state, meta = encoder["model"], _meta(cfg, objective, step)
        ckpt.save(
            out / ckpt.LAST,
            {
                "model": enc_state,
                "objective_state": objective.state_dict(),
                "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(),
                "scaler": scaler.state_dict(),
                "rng": rngs,
                # the data order is a function of (seed, step): this is the sampler's whole position
                "sampler": {
                    "step": step,
                    "global_batch": cfg.batch_size,
                    "seed": cfg.seed,
                    "samples_seen": step * cfg.batch_size,
                },
                "config": cfg.to_json(),
                **meta,
            },
        )
        # the encoder alone, for `corrlearn propagate --weights` (weights_only-loadable)
        ckpt.save(out / "encoder.pt", encoder)
    dist_utils.barrier()
