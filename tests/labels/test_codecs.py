"""Every label type through the one engine: masks, keypoints and boxes under known motion on real frames."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from corrlearn import models
from corrlearn.datasets.davis import frames_dir
from corrlearn.errors import CorrlearnError
from corrlearn.labels import BoxCodec, KeypointCodec, LabelCodec, MaskCodec
from corrlearn.metrics.otb import sequence_scores
from corrlearn.metrics.pck import video_pck
from corrlearn.propagate import get_preset, propagate


def test_every_codec_meets_the_protocol():
    for codec in (MaskCodec(), KeypointCodec("crw"), KeypointCodec("stt"), BoxCodec()):
        assert isinstance(codec, LabelCodec), codec


def test_mask_codec_rejects_a_mask_of_another_size():
    with pytest.raises(CorrlearnError, match=r"first mask is \(4, 3\) \(w, h\) but frames are \(5, 3\)"):
        MaskCodec().check(np.zeros((3, 4), np.uint8), (3, 5))


def _shifted(davis_root, seq: str, size: tuple[int, int], shifts) -> list[np.ndarray]:
    img = cv2.cvtColor(cv2.imread(str(frames_dir(davis_root, seq) / "00000.jpg")), cv2.COLOR_BGR2RGB)
    img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    return [
        cv2.warpAffine(img, np.float64([[1, 0, dx], [0, 1, dy]]), size, borderMode=cv2.BORDER_REFLECT)
        for dx, dy in shifts
    ]


@pytest.mark.realdata
@pytest.mark.parametrize("convention", ["crw", "stt"])
def test_keypoints_follow_a_known_translation(davis_root, convention):
    shifts = [(0, 0), (8, 4), (16, 8), (24, 8)]
    frames = _shifted(davis_root, "dog", (320, 240), shifts)
    rng = np.random.default_rng(1)
    j0 = np.stack([rng.uniform(80, 240, 15), rng.uniform(60, 180, 15)])
    gt = np.stack([j0 + np.array([[dx], [dy]]) for dx, dy in shifts], axis=2)
    preset = get_preset(f"{convention}-jhmdb")
    enc = models.create("resnet18", input_space=preset.input_space)
    out = list(propagate(frames, j0, KeypointCodec(convention), enc, preset, progress=False))
    pred = np.stack(out, axis=2)
    assert pred.shape == (2, 15, 4)
    r = video_pck(pred, gt, skip_first=True)
    assert r["PCK@0.2"] > 80, r


@pytest.mark.realdata
def test_box_follows_a_known_translation(davis_root):
    shifts = [(0, 0), (8, 0), (16, 8), (24, 8)]
    frames = _shifted(davis_root, "blackswan", (427, 240), shifts)
    box = np.array([161.0, 65.0, 96.0, 72.0])
    gt = np.stack([box + [dx, dy, 0, 0] for dx, dy in shifts])
    enc = models.create("resnet18", seed=0)
    out = np.stack(list(propagate(frames, box, BoxCodec(), enc, get_preset("crw"), progress=False)))
    assert sequence_scores(gt, out)["mean_iou"] > 0.7, out
