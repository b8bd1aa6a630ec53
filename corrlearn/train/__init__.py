"""Self-supervised training: objectives (one spec each), config, data, augmentation, the loop, checkpoints.

The names below are imported on first use, so the CLI can read the objectives for its help without torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corrlearn.lazy import lazy_getattr

if TYPE_CHECKING:
    from corrlearn.train.config import TrainConfig
    from corrlearn.train.objectives import OBJECTIVES, ObjectiveSpec, get_objective
    from corrlearn.train.trainer import build_objective, train

_EXPORTS = {
    "TrainConfig": "corrlearn.train.config",
    "OBJECTIVES": "corrlearn.train.objectives",
    "ObjectiveSpec": "corrlearn.train.objectives",
    "get_objective": "corrlearn.train.objectives",
    "build_objective": "corrlearn.train.trainer",
    "train": "corrlearn.train.trainer",
}

__all__ = ["OBJECTIVES", "ObjectiveSpec", "TrainConfig", "build_objective", "get_objective", "train"]


__getattr__ = lazy_getattr(__name__, _EXPORTS)
