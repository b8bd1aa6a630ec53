"""Self-supervised training: objectives (one spec each), config, data, augmentation, the loop, checkpoints."""

from corrlearn.train.config import TrainConfig
from corrlearn.train.objectives import OBJECTIVES, ObjectiveSpec, get_objective
from corrlearn.train.trainer import build_objective, train

__all__ = ["OBJECTIVES", "ObjectiveSpec", "TrainConfig", "build_objective", "get_objective", "train"]
