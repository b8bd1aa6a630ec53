"""The training objectives, one spec each: what the encoder sees, how clips are sampled, defaults, construction.

Adding an objective is one loss module in :mod:`corrlearn.losses` plus one :class:`ObjectiveSpec` here; the
trainer, the config and the CLI read everything they need from :data:`OBJECTIVES`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn

    from corrlearn.train.config import TrainConfig


@dataclass(frozen=True)
class ObjectiveSpec:
    """One self-supervised objective.

    ``build(encoder, cfg, teacher)`` returns the objective module (encoder + heads); ``defaults`` fill the
    :class:`~corrlearn.train.config.TrainConfig` fields a user leaves at ``None``; ``check(cfg)`` returns an
    error message for settings the objective cannot train with, or ``None``.
    """

    name: str
    summary: str
    input_space: str  # colour space of the encoder being trained ("rgb" | "lab")
    data_mode: str  # ClipDataset mode: clip | views | pair | rates
    defaults: Mapping[str, object]
    build: Callable[[nn.Module, TrainConfig, nn.Module | None], nn.Module]
    min_clip_len: int = 2
    independent_crops: bool = False  # one crop per frame (CRW) rather than one per clip
    strong_augment: bool = False  # MoCo v2 colour recipe per view
    uses_teacher: bool = False
    check: Callable[[TrainConfig], str | None] = field(default=lambda cfg: None)


def _crw(enc, cfg, teacher):
    from corrlearn.losses import CRWObjective

    return CRWObjective(
        enc,
        cfg.temperature,
        cfg.edge_dropout,
        cfg.feat_dropout,
        cfg.nodes,
        cfg.patch_size,
        cfg.patch_stride,
        min_walk=cfg.min_walk,
    )


def _crw_check(cfg) -> str | None:
    if cfg.nodes == "patches" and cfg.crop_size < cfg.patch_size + cfg.patch_stride:
        return f"crop_size {cfg.crop_size} gives a single {cfg.patch_size}px patch per frame; the walk needs more"
    return None


def _contrastcorr(enc, cfg, teacher):
    from corrlearn.losses import ContrastCorrObjective

    return ContrastCorrObjective(enc, cfg.temperature, weights=cfg.loss_weights)


def _moco(enc, cfg, teacher):
    from corrlearn.losses import MoCoObjective

    return MoCoObjective(
        enc, queue_size=cfg.queue_size, momentum=cfg.moco_momentum, temperature=cfg.temperature
    )


def _stt_temporal(enc, cfg, teacher):
    from corrlearn.losses import STTTemporalObjective

    return STTTemporalObjective(enc, teacher, weights=cfg.loss_weights, teacher_temperature=cfg.temperature)


def _stt_check(cfg) -> str | None:
    return (
        None
        if cfg.crop_size % 16 == 0
        else f"stt-temporal needs crop_size divisible by 16, got {cfg.crop_size}"
    )


def _prp(enc, cfg, teacher):
    from corrlearn.losses.prp import PRPObjective

    return PRPObjective(enc, rates=cfg.rates, weights=cfg.loss_weights)


def _prp_check(cfg) -> str | None:
    if not cfg.rates or min(cfg.rates) < 2 or any(r % 2 for r in cfg.rates):
        return f"prp needs even frame intervals >= 2 (--rates), got {cfg.rates}"
    return None


#: Every objective ``corrlearn train --objective`` accepts, in CLI order. Defaults cite each method's recipe.
OBJECTIVES: dict[str, ObjectiveSpec] = {
    spec.name: spec
    for spec in (
        ObjectiveSpec(
            "crw",
            "contrastive random walk (Jabri et al. 2020)",
            "rgb",
            "clip",
            # CRW README: adam 1e-4, clip 4 frames, 256 crops of scale 0.8-0.95, temperature 0.07 (code default)
            dict(
                optimizer="adam",
                lr=1e-4,
                weight_decay=0.0,
                schedule="constant",
                clip_len=4,
                frame_gap=(1, 4),
                crop_size=256,
                crop_scale=(0.8, 0.95),
                color_jitter=0.1,
                temperature=0.07,
            ),
            _crw,
            independent_crops=True,
            check=_crw_check,
        ),
        ObjectiveSpec(
            "contrastcorr",
            "intra/inter-video affinity transformation (Wang et al. 2021)",
            "rgb",
            "pair",
            # ContrastCorr script: adam 1e-4, 256 px reference patches tracked into the whole frame resized and
            # padded to 640; temperature 0.07 on L2-normalised cells instead of the script's 1 on raw ones
            # (see corrlearn.losses.contrastcorr)
            dict(
                optimizer="adam",
                lr=1e-4,
                weight_decay=0.0,
                schedule="constant",
                clip_len=2,
                frame_gap=(1, 10),
                crop_size=256,
                search_size=640,
                crop_scale=(0.8, 1.0),
                color_jitter=0.0,
                temperature=0.07,
            ),
            _contrastcorr,
        ),
        ObjectiveSpec(
            "stt-spatial",
            "spatial stage of spatial-then-temporal (MoCo v2 on frames; Li & Liu 2023)",
            "rgb",
            "views",
            # MoCo v2: sgd 0.03, momentum 0.9, wd 1e-4, cosine; crops of scale 0.2-1, strong colour jitter
            dict(
                optimizer="sgd",
                lr=0.03,
                weight_decay=1e-4,
                schedule="cosine",
                clip_len=1,
                frame_gap=(1, 1),
                crop_size=224,
                crop_scale=(0.2, 1.0),
                color_jitter=0.4,
                temperature=0.2,
            ),
            _moco,
            min_clip_len=1,
            strong_augment=True,
        ),
        ObjectiveSpec(
            "stt-temporal",
            "temporal stage: global and local correlation distillation (Li & Liu 2023)",
            "lab",
            "clip",
            # STT configs/train/train.py: adam 5e-5, cosine, 2-frame clips, 256 crops of area 0.6-1, flips
            dict(
                optimizer="adam",
                lr=5e-5,
                weight_decay=0.0,
                schedule="cosine",
                clip_len=2,
                frame_gap=(1, 10),
                crop_size=256,
                crop_scale=(0.6, 1.0),
                color_jitter=0.0,
                temperature=0.07,
            ),
            _stt_temporal,
            uses_teacher=True,
            check=_stt_check,
        ),
        ObjectiveSpec(
            "prp",
            "playback-rate perception: rate classification + motion-weighted slow motion (Yao et al. 2020)",
            "rgb",
            "rates",
            # PRP paper: sgd 0.01 (momentum 0.9, wd 5e-4) on 16-frame 112px clips; here 4 frames of 2D crops, adam
            # as for the other 2D objectives. No colour jitter: the slow-motion target must keep its colours.
            dict(
                optimizer="adam",
                lr=1e-4,
                weight_decay=0.0,
                schedule="constant",
                clip_len=4,
                frame_gap=(1, 1),
                crop_size=128,
                crop_scale=(0.6, 1.0),
                color_jitter=0.0,
                rates=(2, 4, 8),
            ),
            _prp,
            check=_prp_check,
        ),
    )
}


def get_objective(name: str) -> ObjectiveSpec:
    """The spec of ``name``; :class:`~corrlearn.errors.CorrlearnError` naming the choices when unknown."""
    from corrlearn.errors import CorrlearnError

    try:
        return OBJECTIVES[name]
    except KeyError:
        raise CorrlearnError(f"unknown objective {name!r}; choose one of {', '.join(OBJECTIVES)}") from None
