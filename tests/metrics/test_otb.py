"""OTB one-pass metrics against hand-computed curves."""

from __future__ import annotations

import numpy as np
import pytest

from corrlearn.metrics.otb import (
    dataset_scores,
    frame_ious,
    iou,
    precision_curve,
    sequence_scores,
    success_curve,
)

GT = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 0, 0]], float)
PRED = np.array([[0, 0, 10, 10], [5, 0, 10, 10], [20, 20, 10, 10], [3, 3, 5, 5]], float)


def test_iou_hand_values():
    assert iou(GT[:3], PRED[:3]).tolist() == pytest.approx([1.0, 1 / 3, 0.0])
    assert frame_ious(GT, PRED)[3] == -1.0  # invalid ground truth


def test_success_curve_is_strict_and_keeps_invalid_frames():
    curve = success_curve(GT, PRED)
    assert len(curve) == 21
    # frame 1 (IoU 1) counts below t = 1; frame 2 (1/3) for t <= 0.30; frame 3 (0) never; frame 4 invalid never
    expect = np.array([0.5] * 7 + [0.25] * 13 + [0.0])
    assert curve == pytest.approx(expect)
    assert sequence_scores(GT, PRED)["auc"] == pytest.approx((7 * 0.5 + 13 * 0.25) / 21)
    half = success_curve(np.array([[0, 0, 10, 10.0]]), np.array([[0, 0, 10, 5.0]]))  # IoU exactly 0.5
    assert half[9] == 1.0 and half[10] == 0.0


def test_precision_counts_invalid_ground_truth_as_toolkits_do():
    # centre errors 0, 5, sqrt(800) = 28.3, invalid
    hit = precision_curve(GT, PRED)
    assert len(hit) == 51
    assert hit[0] == 0.5 and hit[5] == 0.75 and hit[20] == 0.75 and hit[29] == 1.0
    miss = precision_curve(GT, PRED, invalid_precision="miss")
    assert miss[20] == 0.5 and miss[29] == 0.75
    s = sequence_scores(GT, PRED)
    assert s["precision@20"] == 0.75 and s["invalid_gt"] == 1 and s["frames"] == 4


def test_dataset_score_averages_sequences():
    a = sequence_scores(GT, PRED)
    b = sequence_scores(GT[:1], PRED[:1])  # perfect one-frame sequence: success 1 below t = 1
    d = dataset_scores({"a": a, "b": b})
    assert d["auc"] == pytest.approx((a["auc"] + 20 / 21) / 2)
    assert d["precision@20"] == pytest.approx((0.75 + 1.0) / 2)
    with pytest.raises(ValueError):
        success_curve(GT, PRED[:2])
