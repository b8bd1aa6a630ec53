"""One-pass evaluation (OPE) of box trackers, as the OTB toolkit and pysot compute it.

Boxes are (N, 4) x, y, w, h (continuous; the +1 of MATLAB pixel counting is not used, as in pysot).

* success curve: for thresholds t = 0, 0.05, ..., 1 (21 values) the fraction of frames with IoU **>** t
  (strict, so IoU = 0 never counts and the curve's last point is 0 unless IoU > 1); AUC = mean of the curve;
* precision curve: for thresholds 0, 1, ..., 50 px the fraction of frames with centre error **<=** t;
  the reported precision is the value at 20 px;
* frames whose ground-truth box is invalid (w <= 0, h <= 0 or not finite) stay in the denominator: their IoU
  is -1 (a miss at every threshold); their centre error is -1, which the toolkits count as a *hit* at every
  threshold (``invalid_precision="hit"``, the default, reproduces that); ``"miss"`` counts them as misses;
* dataset scores are means over sequences of the per-sequence curves (pysot's OPEBenchmark).
"""

from __future__ import annotations

import numpy as np

SUCCESS_THRESHOLDS = np.linspace(0.0, 1.0, 21)
PRECISION_THRESHOLDS = np.arange(0, 51, dtype=np.float64)
PRECISION_AT = 20


def _boxes(b: np.ndarray, what: str) -> np.ndarray:
    b = np.asarray(b, dtype=np.float64)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"{what} must be (N, 4) x, y, w, h; got shape {b.shape}")
    return b


def valid_boxes(gt: np.ndarray) -> np.ndarray:
    """(N,) True where the box is finite with positive width and height."""
    gt = _boxes(gt, "gt")
    return np.isfinite(gt).all(1) & (gt[:, 2] > 0) & (gt[:, 3] > 0)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N,) intersection over union of paired x, y, w, h boxes (0 when the union is empty)."""
    a, b = _boxes(a, "a"), _boxes(b, "b")
    ix = np.clip(np.minimum(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, 1] + a[:, 3], b[:, 1] + b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None)
    inter = ix * iy
    union = a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(union > 0, inter / union, 0.0)
    return np.clip(out, 0.0, 1.0)


def center_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N,) Euclidean distance between box centres."""
    a, b = _boxes(a, "a"), _boxes(b, "b")
    return np.hypot(
        a[:, 0] + a[:, 2] / 2 - b[:, 0] - b[:, 2] / 2, a[:, 1] + a[:, 3] / 2 - b[:, 1] - b[:, 3] / 2
    )


def _check_pair(gt: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    gt, pred = _boxes(gt, "gt"), _boxes(pred, "pred")
    if len(gt) != len(pred):
        raise ValueError(f"{len(pred)} predicted boxes for {len(gt)} ground-truth boxes")
    return gt, pred


def frame_ious(gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """(N,) IoU per frame, -1 where the ground truth is invalid; a non-finite prediction scores 0."""
    gt, pred = _check_pair(gt, pred)
    ok = valid_boxes(gt)
    out = np.full(len(gt), -1.0)
    p = np.nan_to_num(pred[ok], nan=0.0, posinf=0.0, neginf=0.0)
    out[ok] = iou(gt[ok], p)
    return out


def frame_center_errors(gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """(N,) centre error per frame, -1 where the ground truth is invalid, inf for a non-finite prediction."""
    gt, pred = _check_pair(gt, pred)
    ok = valid_boxes(gt)
    out = np.full(len(gt), -1.0)
    err = center_error(gt[ok], pred[ok])
    out[ok] = np.where(np.isfinite(err), err, np.inf)
    return out


def success_curve(
    gt: np.ndarray, pred: np.ndarray, thresholds: np.ndarray = SUCCESS_THRESHOLDS
) -> np.ndarray:
    """Fraction of frames with IoU > t, for each threshold; invalid-GT frames count as misses."""
    ious = frame_ious(gt, pred)
    return (ious[None, :] > np.asarray(thresholds)[:, None]).mean(1)


def precision_curve(
    gt: np.ndarray,
    pred: np.ndarray,
    thresholds: np.ndarray = PRECISION_THRESHOLDS,
    invalid_precision: str = "hit",
) -> np.ndarray:
    """Fraction of frames with centre error <= t; invalid-GT frames are hits (toolkit) or misses."""
    if invalid_precision not in ("hit", "miss"):
        raise ValueError(f"invalid_precision must be 'hit' or 'miss', got {invalid_precision!r}")
    err = frame_center_errors(gt, pred)
    if invalid_precision == "miss":
        err = np.where(err < 0, np.inf, err)
    return (err[None, :] <= np.asarray(thresholds)[:, None]).mean(1)


def sequence_scores(gt: np.ndarray, pred: np.ndarray, invalid_precision: str = "hit") -> dict:
    """Curves and summary numbers of one sequence: auc, precision@20, success@0.5, mean IoU."""
    succ = success_curve(gt, pred)
    prec = precision_curve(gt, pred, invalid_precision=invalid_precision)
    ious = frame_ious(gt, pred)
    return {
        "frames": int(len(ious)),
        "invalid_gt": int((ious < 0).sum()),
        "auc": float(succ.mean()),
        "precision@20": float(prec[PRECISION_AT]),
        "success@0.5": float(succ[10]),
        "mean_iou": float(np.where(ious < 0, 0.0, ious).mean()),
        "success_curve": succ.tolist(),
        "precision_curve": prec.tolist(),
    }


def dataset_scores(per_sequence: dict[str, dict]) -> dict:
    """Mean over sequences of the per-sequence curves; ``auc`` and ``precision@20`` read off them."""
    if not per_sequence:
        raise ValueError("no sequences to average")
    succ = np.mean([s["success_curve"] for s in per_sequence.values()], axis=0)
    prec = np.mean([s["precision_curve"] for s in per_sequence.values()], axis=0)
    return {
        "sequences": len(per_sequence),
        "auc": float(succ.mean()),
        "precision@20": float(prec[PRECISION_AT]),
        "success@0.5": float(succ[10]),
        "success_curve": succ.tolist(),
        "precision_curve": prec.tolist(),
        "success_thresholds": SUCCESS_THRESHOLDS.tolist(),
        "precision_thresholds": PRECISION_THRESHOLDS.tolist(),
    }
