"""DCF head: the regression target, the filter's response, and tracking a known motion on a real frame."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from corrlearn import models
from corrlearn.datasets.davis import frames_dir
from corrlearn.metrics.otb import sequence_scores
from corrlearn.tracking import DcfConfig, DcfTracker, track
from corrlearn.tracking.dcf import gaussian_response


@pytest.fixture(scope="module")
def encoder():
    return models.create("resnet18", seed=0)


def test_gaussian_response_peaks_at_origin_and_wraps():
    g = gaussian_response(2.0, 9)
    assert g[0, 0] == 1.0 and g.argmax().item() == 0
    assert g[0, 1] == pytest.approx(np.exp(-0.5 / 4)) and g[0, -1] == pytest.approx(g[0, 1].item())


def test_filter_response_to_its_own_template_peaks_at_zero_shift(encoder):
    rng = np.random.default_rng(0)
    frame = cv2.resize(
        rng.integers(0, 255, (60, 80, 3), dtype=np.uint8), (320, 240), interpolation=cv2.INTER_NEAREST
    )
    cfg = DcfConfig(crop_size=128, num_scales=1)
    t = DcfTracker(encoder, cfg)
    t.init(frame, np.array([140.0, 100.0, 30.0, 30.0]))
    resp = t.response(frame)
    assert resp.shape == (1, 16, 16)
    assert int(resp[0].argmax()) == 0  # displacement (0, 0)


def _shifted(frame: np.ndarray, dx: float, dy: float) -> np.ndarray:
    m = np.array([[1, 0, dx], [0, 1, dy]], np.float64)
    return cv2.warpAffine(frame, m, (frame.shape[1], frame.shape[0]), borderMode=cv2.BORDER_REFLECT)


@pytest.mark.realdata
def test_tracks_a_known_translation_of_a_real_frame(davis_root, encoder):
    torch.manual_seed(0)
    first = cv2.cvtColor(
        cv2.imread(str(frames_dir(davis_root, "car-roundabout") / "00000.jpg")), cv2.COLOR_BGR2RGB
    )
    first = cv2.resize(first, (427, 240), interpolation=cv2.INTER_AREA)
    shifts = [(0, 0), (6, 3), (12, 6), (18, 8), (24, 10)]
    frames = [_shifted(first, dx, dy) for dx, dy in shifts]
    box = np.array([150.0, 100.0, 60.0, 40.0])
    gt = np.stack([box + [dx, dy, 0, 0] for dx, dy in shifts])
    out = track(frames, box, DcfTracker(encoder, DcfConfig(crop_size=192)), progress=False)
    err = np.hypot(*(out[:, :2] + out[:, 2:] / 2 - gt[:, :2] - gt[:, 2:] / 2).T)
    assert err.max() < 8.0, err  # within one feature cell of the crop (stride 8 x window / crop ~ 6 px)
    assert sequence_scores(gt, out)["mean_iou"] > 0.7
