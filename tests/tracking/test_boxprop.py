"""Both box trackers (the DCF head, and box propagation) end to end on a DAVIS sequence seen as OTB."""

from __future__ import annotations

import numpy as np
import pytest

from corrlearn import models
from corrlearn.datasets.davis_derived import davis_as_otb
from corrlearn.datasets.otb import load_sequence
from corrlearn.io.frames import open_frames
from corrlearn.labels import BoxCodec
from corrlearn.metrics.otb import sequence_scores
from corrlearn.propagate import get_preset, propagate
from corrlearn.tracking import DcfConfig, DcfTracker, track


@pytest.fixture(scope="module")
def encoder():
    return models.create("resnet18", seed=0)


@pytest.mark.slow  # one of the costliest real-data runs (quick tier: -m "not slow"; CI runs it)
@pytest.mark.realdata
@pytest.mark.parametrize("kind", ["dcf", "boxprop"])
def test_trackers_on_davis_as_otb(davis_root, tmp_path, encoder, kind):
    davis_as_otb(davis_root, "car-roundabout", tmp_path, max_frames=8)
    seq = load_sequence(tmp_path, "car-roundabout")
    frames = open_frames(seq.frames[0].parent)
    if kind == "dcf":
        out = track(frames, seq.boxes[0], DcfTracker(encoder, DcfConfig(crop_size=256)), progress=False)
    else:
        preset = get_preset("crw").replace(short_side=240)
        out = np.stack(list(propagate(frames, seq.boxes[0], BoxCodec(), encoder, preset, progress=False)))
    s = sequence_scores(seq.boxes, out)
    assert out.shape == (8, 4) and s["frames"] == 8
    assert s["mean_iou"] > 0.6, (kind, s["mean_iou"])
