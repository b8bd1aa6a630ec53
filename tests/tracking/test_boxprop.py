"""Box tracking by mask propagation, and both trackers end to end on a DAVIS sequence seen as OTB."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from corrlearn import models
from corrlearn.datasets.davis_boxes import davis_as_otb
from corrlearn.datasets.otb import load_sequence
from corrlearn.io.frames import open_frames
from corrlearn.metrics.otb import sequence_scores
from corrlearn.propagate import get_preset
from corrlearn.tracking import BoxPropagationTracker, DcfConfig, DcfTracker, track


@pytest.fixture(scope="module")
def encoder():
    return models.create("resnet18", seed=0)


@pytest.mark.realdata
def test_box_propagation_follows_a_known_translation(davis_root, encoder):
    first = cv2.cvtColor(
        cv2.imread(str(davis_root / "JPEGImages/480p/blackswan/00000.jpg")), cv2.COLOR_BGR2RGB
    )
    first = cv2.resize(first, (427, 240), interpolation=cv2.INTER_AREA)
    shifts = [(0, 0), (8, 0), (16, 8), (24, 8)]
    frames = [cv2.warpAffine(first, np.float64([[1, 0, dx], [0, 1, dy]]), (427, 240), borderMode=cv2.BORDER_REFLECT)
              for dx, dy in shifts]  # fmt: skip
    box = np.array([161.0, 65.0, 96.0, 72.0])
    gt = np.stack([box + [dx, dy, 0, 0] for dx, dy in shifts])
    out = track(frames, box, BoxPropagationTracker(encoder, get_preset("crw")), progress=False)
    assert sequence_scores(gt, out)["mean_iou"] > 0.7, out


@pytest.mark.slow  # one of the costliest real-data runs (quick tier: -m "not slow"; CI runs it)
@pytest.mark.realdata
@pytest.mark.parametrize("kind", ["dcf", "boxprop"])
def test_trackers_on_davis_as_otb(davis_root, tmp_path, encoder, kind):
    davis_as_otb(davis_root, "car-roundabout", tmp_path, max_frames=8)
    seq = load_sequence(tmp_path, "car-roundabout")
    frames = open_frames(seq.frames[0].parent)
    if kind == "dcf":
        tracker = DcfTracker(encoder, DcfConfig(crop_size=256))
    else:
        tracker = BoxPropagationTracker(encoder, get_preset("crw").replace(short_side=240))
    out = track(frames, seq.boxes[0], tracker, progress=False)
    s = sequence_scores(seq.boxes, out)
    assert out.shape == (8, 4) and s["frames"] == 8
    assert s["mean_iou"] > 0.6, (kind, s["mean_iou"])
