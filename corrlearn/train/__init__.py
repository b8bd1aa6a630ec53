"""Self-supervised training: config, data, augmentation, the trainer loop, checkpoints, distributed helpers."""

from corrlearn.train.config import OBJECTIVE_DEFAULTS, OBJECTIVES, TrainConfig
from corrlearn.train.trainer import build_objective, train

__all__ = ["OBJECTIVES", "OBJECTIVE_DEFAULTS", "TrainConfig", "build_objective", "train"]
