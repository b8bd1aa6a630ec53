"""PCK against hand-computed values: invisible joints, the box normaliser, frame 0, pooling."""

from __future__ import annotations

import numpy as np
import pytest

from corrlearn.metrics.pck import PckAccumulator, normalized_distances, video_pck


def _video():
    # (2, J=3, T=2); frame 0 is the given annotation, frame 1 is predicted
    gt = np.zeros((2, 3, 2))
    gt[:, :, 0] = [[0, 3, 6], [0, 4, 8]]  # box diagonal 10 -> normaliser 6
    gt[:, :, 1] = [[0, 30, 60], [0, 40, 80]]
    pred = gt.copy()
    pred[:, 0, 1] = [2.4, 0.0]  # 2.4 px off
    pred[:, 1, 1] = [30.0, 50.5]  # 10.5 px off
    pred[:, 2, 1] = [-1, -1]  # not predicted: excluded, and left out of the box
    return pred, gt


def test_invisible_joint_leaves_the_box_and_frame_zero_is_skipped():
    pred, gt = _video()
    d = normalized_distances(pred, gt, skip_first=True)
    # box of the evaluated joints 0 and 1 in frame 1: 30 x 40 -> 0.6 * 50 = 30 (joint 2 would make it 60)
    assert d[0, 1] == pytest.approx(2.4 / 30) and d[1, 1] == pytest.approx(10.5 / 30)
    assert np.isnan(d[2, 1]) and np.isnan(d[:, 0]).all()
    r = video_pck(pred, gt, skip_first=True)
    # joint 0: 0.08 -> hit everywhere; joint 1: 0.35 -> hit from 0.4; joint 2 never evaluated -> left out
    assert r["per_joint"]["PCK@0.1"][:2] == [100.0, 0.0] and np.isnan(r["per_joint"]["PCK@0.1"][2])
    assert r["PCK@0.1"] == pytest.approx(50.0) and r["PCK@0.3"] == pytest.approx(50.0)
    assert r["PCK@0.4"] == pytest.approx(100.0) and r["count"] == [1, 1, 0]


def test_keeping_frame_zero_counts_the_given_annotation():
    pred, gt = _video()
    r = video_pck(pred, gt, skip_first=False)
    # joint 0: [0, 0.08] -> 100; joint 1: [0, 0.35] -> 50 below 0.4; joint 2: [0] -> 100
    assert r["PCK@0.1"] == pytest.approx((100 + 50 + 100) / 3)
    assert r["PCK@0.5"] == pytest.approx(100.0) and r["count"] == [2, 2, 1]


def test_perfect_predictions_score_100_and_single_joint_frames_are_misses():
    pred, gt = _video()
    assert video_pck(gt, gt, skip_first=False)["PCK@0.1"] == 100.0
    lone = gt.copy()
    lone[:, 1:, 1] = -1  # only joint 0 predicted in frame 1: box of one point has diagonal 0
    r = video_pck(lone, gt, skip_first=True)
    assert r["per_joint"]["PCK@0.5"][0] == 0.0  # 0 / 0 counts as a miss, as in the references


def test_visible_rule_x_strictly_positive():
    pred, gt = _video()
    pred[:, 0, 1] = [0.0, 0.0]  # exactly on the left edge
    assert not np.isnan(normalized_distances(pred, gt, visible_rule="x>=0")[0, 1])
    assert np.isnan(normalized_distances(pred, gt, visible_rule="x>0")[0, 1])


def test_accumulator_pools_frames_across_videos_per_joint():
    acc = PckAccumulator(num_joints=2, skip_first=True)
    gt = np.zeros((2, 2, 2))
    gt[:, :, 1] = [[0, 30], [0, 40]]  # normaliser 30
    hit = gt.copy()
    miss = gt.copy()
    miss[0, :, 1] += 20  # both joints 20 px off -> 0.67
    gt4 = np.concatenate([gt, gt[:, :, 1:], gt[:, :, 1:]], axis=2)
    miss4 = np.concatenate([miss, miss[:, :, 1:], miss[:, :, 1:]], axis=2)
    acc.add(hit, gt)  # 1 hit per joint
    acc.add(miss4, gt4)  # 3 misses per joint
    r = acc.result()
    assert r["PCK@0.5"] == pytest.approx(25.0)  # pooled 1/4, not the mean of per-video 100 and 0
    assert acc.counts().tolist() == [4, 4]
