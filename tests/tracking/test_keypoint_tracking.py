"""Keypoint propagation with both JHMDB presets on a real frame under a known translation."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from corrlearn import models
from corrlearn.keypoints import get_keypoint_preset
from corrlearn.metrics.pck import video_pck
from corrlearn.tracking.keypoints import first_frame_prediction, propagate_keypoints


def test_first_frame_prediction_recovers_the_given_joints():
    joints = np.array([[40.0, 200.0, 300.0], [30.0, 100.0, 200.0]])
    crw = first_frame_prediction(joints, (240, 320), (40, 40), "crw")
    stt = first_frame_prediction(joints, (240, 320), (40, 40), "stt")
    assert np.abs(stt - joints).max() <= 1.0  # top-5 of the full-resolution map, peak at floor(p)
    assert np.abs(crw - joints).max() <= 8.0  # top-3 cells of the 40x40 grid (8 x 6 px cells)


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["crw", "stt"])
def test_propagation_follows_a_known_translation(davis_root, name):
    img = cv2.cvtColor(cv2.imread(str(davis_root / "JPEGImages/480p/dog/00000.jpg")), cv2.COLOR_BGR2RGB)
    img = cv2.resize(img, (320, 240), interpolation=cv2.INTER_AREA)
    shifts = [(0, 0), (8, 4), (16, 8), (24, 8)]
    frames = [cv2.warpAffine(img, np.float64([[1, 0, dx], [0, 1, dy]]), (320, 240), borderMode=cv2.BORDER_REFLECT)
              for dx, dy in shifts]  # fmt: skip
    rng = np.random.default_rng(1)
    j0 = np.stack([rng.uniform(80, 240, 15), rng.uniform(60, 180, 15)])
    gt = np.stack([j0 + np.array([[dx], [dy]]) for dx, dy in shifts], axis=2)
    preset = get_keypoint_preset(name)
    enc = models.create("resnet18", input_space=preset.propagation.input_space)
    pred = propagate_keypoints(frames, j0, enc, preset, progress=False)
    assert pred.shape == (2, 15, 4)
    r = video_pck(pred, gt, skip_first=True)
    assert r["PCK@0.2"] > 80, r
