"""Keypoint <-> label-map conversions in the CRW and STT conventions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from corrlearn.labels.keypoints import decode, draw_gaussian, encode, first_frame_prediction


def test_draw_gaussian_peak_rounds_for_small_sigma_and_floors_for_large():
    c = np.zeros((20, 20))
    draw_gaussian(c, 10.3, 5.7, 0.5)  # sigma 0.5: window starts at int(p - 1.5), peak 2 cells in -> round(p)
    assert np.unravel_index(c.argmax(), c.shape) == (6, 10)
    assert c[6, 10] == 1.0
    assert c[6, 11] == pytest.approx(np.exp(-2.0))  # exp(-1 / (2 * 0.25))
    # window covers offsets -2..+1 around the peak (6 sigma + 1 = 4 cells)
    assert np.count_nonzero(c[6]) == 4 and c[6, 8] > 0 and c[6, 12] == 0
    big = np.zeros((60, 60))
    draw_gaussian(big, 20.7, 30.2, 4.0)  # sigma 4: 25-wide window from int(p - 12), peak 12 in -> floor(p)
    assert np.unravel_index(big.argmax(), big.shape) == (30, 20)
    assert np.count_nonzero(big[30]) == 25


def test_draw_gaussian_outside_canvas_is_a_no_op_and_clips_at_edges():
    c = np.zeros((10, 10))
    draw_gaussian(c, -20.0, 5.0, 0.5)
    assert not c.any()
    draw_gaussian(c, 2.2, 0.2, 0.5)
    # clipped at the top edge; int() truncating toward zero puts the window at -1, so the peak lands on row 1
    # (the references' behaviour for p < 3 sigma, reproduced on purpose)
    assert c[1, 2] == 1.0 and c[0, 2] == pytest.approx(np.exp(-2.0))


def test_crw_encode_has_background_channel_and_hand_decode():
    joints = np.array([[80.0, 160.0], [60.0, 120.0]])  # (2, J=2) in a 320x240 frame
    lab = encode(joints, (240, 320), (40, 40), "crw")
    assert lab.shape == (3, 40, 40)
    # joint 0 at x = 80 * 40 / 320 = 10 cells, y = 60 * 40 / 240 = 10 cells
    assert lab[1].argmax().item() == 10 * 40 + 10
    assert lab[0, 10, 10] == 0 and lab[0, 0, 0] == 1  # background only where no joint has mass
    # a hand-made prediction: joint 0 with cells (x=4, y=2) 0.6, (x=6, y=2) 0.3, (x=4, y=3) 0.1, small noise
    pred = torch.zeros(3, 40, 40)
    pred[1, 2, 4], pred[1, 2, 6], pred[1, 3, 4], pred[1, 30, 30] = 0.6, 0.3, 0.1, 0.05
    pred[2, 7, 9] = 1.0
    xy = decode(pred, (240, 320), "crw")
    # top-3 weighted mean in cells: x = 0.6*4 + 0.3*6 + 0.1*4 = 4.6, y = 0.6*2 + 0.3*2 + 0.1*3 = 2.1
    assert xy[0, 0] == pytest.approx(4.6 / 40 * 320)
    assert xy[1, 0] == pytest.approx(2.1 / 40 * 240)
    assert xy[:, 1] == pytest.approx([9 / 40 * 320, 7 / 40 * 240])


def test_decode_marks_empty_channels_as_not_predicted():
    pred = torch.zeros(3, 8, 8)
    pred[1, 2, 2] = 1
    xy = decode(pred, (64, 64), "crw")
    assert (xy[:, 1] == -1).all() and (xy[:, 0] >= 0).all()
    xy = decode(torch.zeros(2, 8, 8), (64, 64), "stt")
    assert (xy == -1).all()


@pytest.mark.parametrize("name,tol", [("crw", 8.0), ("stt", 4.0)])
def test_encode_decode_round_trip_is_close(name, tol):
    rng = np.random.default_rng(0)
    joints = np.stack([rng.uniform(20, 300, 15), rng.uniform(20, 220, 15)])
    grid = (40, 40)  # 320 x 320 input at stride 8
    lab = encode(joints, (240, 320), grid, name)
    assert lab.shape[0] == 15 + (name == "crw")
    xy = decode(lab, (240, 320), name)
    err = np.hypot(*(xy - joints))
    assert err.max() < tol, err


def test_stt_encode_is_bilinear_downsample_of_full_resolution_gaussians():
    joints = np.array([[100.0], [50.0]])
    lab = encode(joints, (240, 320), (30, 40), "stt")
    full = np.zeros((240, 320))
    draw_gaussian(full, 100.0, 50.0, 4.0)
    # bilinear (align_corners=False) at an exact factor 8 averages the two central pixels of each 8x8 cell
    y, x = 50 // 8, 100 // 8
    assert lab[0, y, x].item() == pytest.approx(
        full[y * 8 + 3 : y * 8 + 5, x * 8 + 3 : x * 8 + 5].mean(), abs=1e-6
    )


def test_first_frame_prediction_recovers_the_given_joints():
    joints = np.array([[40.0, 200.0, 300.0], [30.0, 100.0, 200.0]])
    crw = first_frame_prediction(joints, (240, 320), (40, 40), "crw")
    stt = first_frame_prediction(joints, (240, 320), (40, 40), "stt")
    assert np.abs(stt - joints).max() <= 1.0  # top-5 of the full-resolution map, peak at floor(p)
    assert np.abs(crw - joints).max() <= 8.0  # top-3 cells of the 40x40 grid (8 x 6 px cells)
