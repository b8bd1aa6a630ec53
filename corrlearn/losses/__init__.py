"""Self-supervised objectives for correspondence learning: CRW, ContrastCorr, STT (two stages) and PRP.

Each objective is an ``nn.Module`` holding the encoder being trained (``.encoder``, a
:class:`corrlearn.models.Encoder`) plus whatever heads it needs; ``forward(batch)`` returns a dict whose
``"loss"`` is the scalar to minimise and whose other entries are floats for logging.
"""

from corrlearn.losses.contrastcorr import ContrastCorrObjective
from corrlearn.losses.crw import CRWObjective, walk_loss
from corrlearn.losses.prp import PRPObjective
from corrlearn.losses.stt import MoCoObjective, STTTemporalObjective

__all__ = [
    "CRWObjective",
    "ContrastCorrObjective",
    "MoCoObjective",
    "PRPObjective",
    "STTTemporalObjective",
    "walk_loss",
]
