"""The fixed split of DAVIS-2016 train into training and held-out sequences, for model selection.

DAVIS-2016 train (30 sequences) is split once, here: training reads :data:`DAVIS2016_TRAIN`; the learning
curve, early stopping and checkpoint choice read only :data:`DAVIS2016_HELDOUT`, scored by the benchmark
runner itself (:mod:`corrlearn.bench.heldout`). DAVIS-2016 val is never read in training: a held-out list
naming a val sequence is refused (:func:`check_heldout`), and held-out sequences are removed from the
training videos.
"""

from __future__ import annotations

from corrlearn.errors import CorrlearnError

#: Held out from training, used only for model selection. Chosen 2026-12-03 to resemble the motion and
#: object types of val's weakest sequences (dancers, drifting cars, kites, paragliders, motocross), with
#: 453 frames in all so that one evaluation fits a few CPU minutes.
DAVIS2016_HELDOUT: tuple[str, ...] = (
    "breakdance-flare",
    "dance-jump",
    "drift-turn",
    "kite-walk",
    "motocross-bumps",
    "paragliding",
    "soccerball",
)

#: The other 23 DAVIS-2016 training sequences: what training reads.
DAVIS2016_TRAIN: tuple[str, ...] = (
    "bear",
    "bmx-bumps",
    "boat",
    "bus",
    "car-turn",
    "dog-agility",
    "elephant",
    "flamingo",
    "hike",
    "hockey",
    "horsejump-low",
    "lucia",
    "mallard-fly",
    "mallard-water",
    "motorbike",
    "rhino",
    "rollerblade",
    "scooter-gray",
    "stroller",
    "surf",
    "swing",
    "tennis",
    "train",
)

#: DAVIS-2016 val (the test set): no training step may read these.
DAVIS2016_VAL: tuple[str, ...] = (
    "blackswan",
    "bmx-trees",
    "breakdance",
    "camel",
    "car-roundabout",
    "car-shadow",
    "cows",
    "dance-twirl",
    "dog",
    "drift-chicane",
    "drift-straight",
    "goat",
    "horsejump-high",
    "kite-surf",
    "libby",
    "motocross-jump",
    "paragliding-launch",
    "parkour",
    "scooter-black",
    "soapbox",
)

#: The default protocol of the shipped encoder; the held-out split is scored with it unless told otherwise.
HELDOUT_PRESET = "stt-bilinear"


def check_heldout(sequences: list[str] | tuple[str, ...]) -> None:
    """Refuse a held-out list that names a DAVIS-2016 val sequence (selection must never see the test set)."""
    val = sorted(set(sequences) & set(DAVIS2016_VAL))
    if val:
        raise CorrlearnError(
            f"held-out sequences {', '.join(val)} belong to DAVIS-2016 val; select on training video only"
        )
