"""OTB one-pass metrics in each toolkit's convention, against curves computed by hand.

Every expected value below is derived in the comments from the boxes (no toolkit code is run or copied).
Thresholds: success t = 0.05 i (i = 0..20, IoU > t), precision t = 0..50 px (error <= t).
"""

from __future__ import annotations

import numpy as np
import pytest

from corrlearn.metrics.otb import (
    OtbLengthWarning,
    align,
    dataset_scores,
    frame_center_errors,
    frame_ious,
    iou,
    precision_curve,
    sequence_scores,
    success_curve,
)

BOX = [10, 10, 20, 20]


def test_iou_hand_values():
    gt = np.array([BOX, BOX, BOX, BOX], float)
    pred = np.array([BOX, [14, 10, 20, 20], [40, 40, 20, 20], [20, 20, 20, 20]], float)
    # 16x20 / (800 - 320) = 2/3; disjoint 0; 10x10 / (800 - 100) = 1/7
    assert iou(gt, pred).tolist() == pytest.approx([1.0, 2 / 3, 0.0, 1 / 7])
    assert np.isnan(iou(np.zeros((1, 4)), np.zeros((1, 4))))[0]  # empty union: no threshold counts


def test_shift_by_20px_on_21_frames_issue_example():
    # w = 100: a +20 px shift gives IoU 80/120 = 2/3, above 14 thresholds (0 .. 0.65)
    gt = np.tile([[50.0, 50.0, 100.0, 50.0]], (21, 1))
    pred = gt + [20, 0, 0, 0]
    # otb / got10k score frame 1 as the ground truth: IoU 1 above 20 thresholds
    for protocol in ("otb", "got10k"):
        s = sequence_scores(gt, pred, protocol)
        assert s["auc"] == pytest.approx((20 + 20 * 14) / 441) == pytest.approx(0.680272, abs=1e-6)
        assert s["precision@20"] == 1.0  # error 20 <= 20
        assert s["precision_curve"][19] == pytest.approx(1 / 21)  # only frame 1 (error 0)
    s = sequence_scores(gt, pred, "pysot")
    assert s["auc"] == pytest.approx(14 / 21) == pytest.approx(0.666667, abs=1e-6)
    assert s["precision_curve"][19] == 0.0


# Four frames exercising frame 1 and the invalid-GT rules:
#   f0: GT BOX, pred x + 2 (IoU 18x20 / (800 - 360) = 9/11 = 0.818, error 2)
#   f1: GT w = 0 (x, y > 0), pred BOX
#   f2: GT x = -30 (its centre x = -30 + 9.5 < 0), pred x = -10
#   f3: GT BOX, pred x + 4 (IoU 2/3, error 4)
GT4 = np.array([BOX, [10, 10, 0, 20], [-30, 10, 20, 20], BOX], float)
PRED4 = np.array([[12, 10, 20, 20], BOX, [-10, 10, 20, 20], [14, 10, 20, 20]], float)


def test_invalid_ground_truth_otb():
    # f0 replaced by GT (IoU 1, error 0); f1 and f2 invalid (any value <= 0): IoU -1, error -1
    assert frame_ious(*align(GT4, PRED4, "otb"), "otb") == pytest.approx([1, -1, -1, 2 / 3])
    assert frame_center_errors(*align(GT4, PRED4, "otb"), "otb").tolist() == [0, -1, -1, 4]
    s = sequence_scores(GT4, PRED4, "otb")
    # success: 2 frames above i <= 13 (2/3 > 0.65), 1 above i = 14..19, none at 1
    assert s["auc"] == pytest.approx((14 * 2 + 6 * 1) / 84)
    # precision: -1 counts as a hit everywhere; f0 at 0, f3 from 4
    assert s["precision_curve"][:5] == pytest.approx([0.75, 0.75, 0.75, 0.75, 1.0])
    assert s["invalid_gt"] == 2 and s["norm_precision"] is None


def test_invalid_ground_truth_pysot():
    # f0 kept (9/11 -> above i <= 16); f1 IoU-invalid (w <= 0) but centre (9.5, 19.5) valid: error 10;
    # f2 IoU valid (w, h > 0): intersection 0 -> IoU 0; centre x < 0: error -1 (hit)
    assert frame_ious(*align(GT4, PRED4, "pysot"), "pysot") == pytest.approx([9 / 11, -1, 0, 2 / 3])
    assert frame_center_errors(*align(GT4, PRED4, "pysot"), "pysot").tolist() == [2, 10, -1, 4]
    s = sequence_scores(GT4, PRED4, "pysot")
    assert s["auc"] == pytest.approx((14 * 2 + 3 * 1) / 84)
    p = s["precision_curve"]
    assert [p[0], p[2], p[4], p[9], p[10]] == pytest.approx([0.25, 0.5, 0.75, 0.75, 1.0])


def test_no_invalid_rule_got10k():
    # f0 replaced; f1 zero-size GT: IoU 0, error 10; f2: IoU 0, error 20; f3: 2/3, 4
    assert frame_ious(*align(GT4, PRED4, "got10k"), "got10k") == pytest.approx([1, 0, 0, 2 / 3])
    s = sequence_scores(GT4, PRED4, "got10k")
    assert s["auc"] == pytest.approx((14 * 2 + 6 * 1) / 84)
    p = s["precision_curve"]
    assert [p[0], p[4], p[10], p[19], p[20]] == pytest.approx([0.25, 0.5, 0.75, 0.75, 1.0])
    # a NaN ground-truth row fails both metrics (no rule)
    gt = np.array([BOX, [np.nan] * 4], float)
    s = sequence_scores(gt, np.array([BOX, BOX], float), "got10k")
    assert s["success_curve"][0] == 0.5 and s["precision@20"] == 0.5
    assert sequence_scores(gt, np.array([BOX, BOX], float), "otb")["precision@20"] == 1.0  # -1: a hit


def test_otb_rounds_center_error_to_4_decimals():
    gt = np.array([BOX, [1, 1, 10, 10]], float)
    pred = np.array([BOX, [21.00004, 1, 10, 10]], float)  # error 20.00004 px
    assert sequence_scores(gt, pred, "otb")["precision@20"] == 1.0  # rounds to 20.0
    assert sequence_scores(gt, pred, "got10k")["precision@20"] == 0.5
    assert sequence_scores(gt, pred, "pysot")["precision@20"] == 0.5
    assert sequence_scores(gt, pred + [0.00006, 0, 0, 0], "otb")["precision@20"] == 0.5  # 20.0001


def test_otb_replaces_bad_predictions_with_the_previous_box():
    gt = np.tile(np.array([BOX], float), (5, 1))
    pred = np.array(
        [
            BOX,
            [14, 10, 20, 20],  # IoU 2/3, error 4
            [50, 50, 0, 0],  # w, h <= 0 -> previous box (x = 14) in otb
            [np.nan] * 4,  # all NaN -> previous box (already replaced: x = 14)
            [14, 10, np.nan, 20],  # one NaN, w not <= 0: the MATLAB test is false, scored as is (miss)
        ]
    )
    g, p = align(gt, pred, "otb")
    assert p[2].tolist() == p[3].tolist() == [14, 10, 20, 20]
    assert np.isnan(p[4, 2])
    assert frame_ious(g, p, "otb")[1:].tolist() == pytest.approx([2 / 3, 2 / 3, 2 / 3, np.nan], nan_ok=True)
    assert sequence_scores(gt, pred, "otb")["precision@20"] == pytest.approx(4 / 5)
    # got10k / pysot score those boxes as they are: misses (error 42.4 px / NaN)
    assert sequence_scores(gt, pred, "got10k")["precision@20"] == pytest.approx(2 / 5)
    # a GT row holding NaN keeps the bad prediction
    gt_nan = gt.copy()
    gt_nan[2] = np.nan
    assert align(gt_nan, pred, "otb")[1][2].tolist() == [50, 50, 0, 0]


def test_length_mismatch():
    gt = np.tile(np.array([BOX], float), (3, 1))
    longer = np.tile(np.array([BOX], float), (5, 1))
    for protocol in ("otb", "got10k"):
        with pytest.warns(OtbLengthWarning, match="5 predicted boxes for 3"):
            s = sequence_scores(gt, longer, protocol, where="x.txt")
        assert s["frames"] == 3 and s["predicted_frames"] == 5
        with pytest.warns(OtbLengthWarning):
            assert sequence_scores(gt, longer[:2], protocol)["frames"] == 2
    with pytest.raises(ValueError, match="x.txt: 5 predicted boxes for 3"):
        sequence_scores(gt, longer, "pysot", where="x.txt")


def test_normalized_precision_both_forms():
    # f1: error 6.1 px horizontally, GT 20 x 40: normalized error 6.1 / 20 = 0.305
    gt = np.array([[10, 10, 20, 40], [10, 10, 20, 40]], float)
    pred = np.array([[10, 10, 20, 40], [16.1, 10, 20, 40]], float)
    pysot = sequence_scores(gt, pred, "pysot")
    assert pysot["norm_precision"] == 0.5  # at 0.20: only f0
    assert pysot["norm_precision_curve"][31] == 1.0 and pysot["norm_precision_curve"][30] == 0.5
    got = sequence_scores(gt, pred, "got10k")
    # f0 within all 51 thresholds, f1 within 0.31 .. 0.50 (20 thresholds): mean = 71 / 102
    assert got["norm_precision"] == pytest.approx(71 / 102)
    # got10k (LaSOT form) drops NaN-GT rows; normalises by max(1, size)
    gt3 = np.vstack([gt, [np.nan] * 4])
    pred3 = np.vstack([pred, [1, 1, 1, 1]])
    assert sequence_scores(gt3, pred3, "got10k")["norm_precision"] == pytest.approx(71 / 102)
    tiny = np.array([[10, 10, 0.5, 0.5], [10, 10, 0.5, 0.5]], float)
    moved = tiny + [[0, 0, 0, 0], [0.415, 0, 0, 0]]  # 0.415 px / max(1, 0.5): within 0.42 .. 0.50
    assert sequence_scores(tiny, moved, "got10k")["norm_precision"] == pytest.approx((51 + 9) / 102)


def test_success_is_strict_and_public_curves_align_first():
    half = success_curve(np.array([BOX, BOX], float), np.array([BOX, [10, 10, 20, 10]], float))
    assert half[9] == 1.0 and half[10] == 0.5  # IoU exactly 0.5 is not > 0.5
    assert precision_curve(np.array([BOX], float), np.array([[90, 90, 5, 5]], float), "pysot")[50] == 0.0
    with pytest.raises(ValueError, match="unknown OTB protocol"):
        success_curve(np.array([BOX], float), np.array([BOX], float), "vot")


def test_dataset_score_averages_sequence_curves():
    a = sequence_scores(GT4, PRED4, "otb")
    b = sequence_scores(np.array([BOX], float), np.array([BOX], float), "otb")  # 1 frame: IoU 1
    d = dataset_scores({"a": a, "b": b})
    assert d["auc"] == pytest.approx((34 / 84 + 20 / 21) / 2)
    assert d["precision@20"] == pytest.approx(1.0) and d["protocol"] == "otb"
    p = dataset_scores({"a": sequence_scores(GT4, PRED4, "pysot")})
    assert p["norm_precision"] is not None
    with pytest.raises(ValueError, match="different protocols"):
        dataset_scores({"a": a, "p": sequence_scores(GT4, PRED4, "pysot")})
