"""One-pass evaluation (OPE) of box trackers, in the convention of one of three toolkits (``protocol``).

Boxes are (N, 4) x, y, w, h. All three toolkits compute the same IoU (their MATLAB-style ``+1`` pixel counting
cancels out: inclusive right edge ``x + w - 1``, intersection ``... + 1``) and the same centre error (centres
``x + (w - 1) / 2``), and all score a sequence by:

* success curve: for thresholds t = 0, 0.05, ..., 1 (21 values) the fraction of frames with IoU **>** t
  (strict: IoU = 0 never counts, the last point is 0); AUC = mean of the curve;
* precision curve: for thresholds 0, 1, ..., 50 px the fraction of frames with centre error **<=** t; the
  reported precision is the value at 20 px;
* a dataset score is the mean over sequences of the per-sequence curves.

They differ in the details below, read in their code and reproduced exactly here:

===================== ============================== ============================== ==============================
case                  ``otb`` (OTB toolkit, default) ``got10k`` (ExperimentOTB)     ``pysot`` (OPEBenchmark)
===================== ============================== ============================== ==============================
frame 1               replaced by the ground truth   replaced by the ground truth   the tracker's box is scored
invalid ground truth  any of x, y, w, h <= 0 (or     no rule: a zero-size GT box    IoU: w or h <= 0; precision:
                      NaN): IoU -1 (a miss), centre  gives IoU 0, a NaN one fails   centre x or y <= 0 (IoU /
                      error -1 (a hit everywhere)    both metrics                   error -1: miss / hit)
centre error          rounded to 4 decimals (the     exact                          exact
                      Python port; MATLAB does not)
bad prediction        w or h <= 0 (or all NaN) ->    scored as is (a miss)          scored as is (a miss)
                      previous frame's box, when
                      that GT row has no NaN
length mismatch       common frames, with a warning  common frames, with a warning  error (pysot crashes)
normalized precision  none (the toolkit has none)    LaSOT form: error / max(1, GT  at 0.20: centres / (GT w, h +
                                                     w, h), thresholds 0..0.5 (51), 1e-16), thresholds 0..0.5
                                                     score = mean of the curve;     step 0.01, centre <= 0 -> -1
                                                     NaN-GT rows dropped            (a hit), value at 0.20
===================== ============================== ============================== ==============================

The ``otb`` protocol is the MATLAB toolkit's ``calcSeqErrRobust`` (including its replacement of a prediction
with w or h <= 0 by the previous frame's box -- decided here because the MATLAB toolkit is the reference for
published OTB numbers; ``if`` on a vector is true only when all its entries are, so a prediction is replaced
when w <= 0 or h <= 0 or all four values are NaN, and the ground-truth row holds no NaN) plus the Python port's
(jwlim/tracker_benchmark) rounding of the centre error to 4 decimals, so 20.00004 px counts as within 20. The
port itself does not replace bad predictions; on result files without such boxes both agree exactly.
"""

from __future__ import annotations

import warnings

import numpy as np

PROTOCOLS = ("otb", "got10k", "pysot")
#: One line per protocol, for run records and plot titles.
PROTOCOL_LABELS = {
    "otb": "OTB toolkit convention",
    "got10k": "got10k toolkit convention",
    "pysot": "pysot convention",
}
SUCCESS_THRESHOLDS = np.linspace(0.0, 1.0, 21)
PRECISION_THRESHOLDS = np.arange(0, 51, dtype=np.float64)
PRECISION_AT = 20
#: pysot: normalized precision thresholds 0, 0.01, ..., 0.5, reported at index 20 (0.20).
PYSOT_NORM_THRESHOLDS = np.arange(0, 51) / 100
#: got10k (LaSOT experiment): 51 thresholds from 0 to 0.5, score = mean of the curve.
GOT10K_NORM_THRESHOLDS = np.linspace(0.0, 0.5, 51)


class OtbLengthWarning(UserWarning):
    """A result file with another number of boxes than the ground truth (common frames are scored)."""


def check_protocol(protocol: str) -> str:
    """``protocol`` if known, else ValueError naming the known ones."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown OTB protocol {protocol!r}; known: {', '.join(PROTOCOLS)}")
    return protocol


def _boxes(b: np.ndarray, what: str) -> np.ndarray:
    b = np.array(b, dtype=np.float64)  # a copy: the protocols edit predictions in place
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"{what} must be (N, 4) x, y, w, h; got shape {b.shape}")
    return b


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N,) intersection over union of paired x, y, w, h boxes, clipped to [0, 1]; NaN where undefined.

    An empty union (both boxes of zero size) or a NaN coordinate gives NaN, which no threshold counts.
    """
    a, b = _boxes(a, "a"), _boxes(b, "b")
    ix = np.maximum(np.minimum(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0)
    iy = np.maximum(np.minimum(a[:, 1] + a[:, 3], b[:, 1] + b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0)
    inter = ix * iy
    union = a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(union > 0, inter / np.where(union > 0, union, 1.0), np.nan)
    out[np.isnan(inter) | np.isnan(union)] = np.nan
    return np.clip(out, 0.0, 1.0)


def centers(b: np.ndarray) -> np.ndarray:
    """(N, 2) box centres ``x + (w - 1) / 2``, ``y + (h - 1) / 2`` (the toolkits' 1-indexed convention)."""
    b = _boxes(b, "boxes")
    return b[:, :2] + (b[:, 2:] - 1) / 2


def center_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N,) Euclidean distance between box centres (NaN if a coordinate is NaN)."""
    return np.hypot(*(centers(a) - centers(b)).T)


def align(gt: np.ndarray, pred: np.ndarray, protocol: str = "otb", where: str = "") -> tuple:
    """The boxes each toolkit actually scores: ``(gt, pred)`` after the length rule, frame-1 replacement and
    (``otb``) the replacement of bad predictions by the previous box. ``where`` names the file in messages."""
    check_protocol(protocol)
    gt, pred = _boxes(gt, "gt"), _boxes(pred, "pred")
    if len(gt) != len(pred):
        msg = f"{where or 'result'}: {len(pred)} predicted boxes for {len(gt)} ground-truth boxes"
        if protocol == "pysot":
            raise ValueError(msg + " (the pysot protocol scores equal lengths only)")
        n = min(len(gt), len(pred))
        warnings.warn(f"{msg}; scoring the first {n} frames, as {protocol} does", OtbLengthWarning, 2)
        gt, pred = gt[:n], pred[:n]
    if len(gt) == 0:
        raise ValueError(f"{where or 'result'}: no frames to score")
    if protocol == "otb":
        for i in range(1, len(pred)):
            r = pred[i]
            bad = r[2] <= 0 or r[3] <= 0 or bool(np.isnan(r).all())
            if bad and not np.isnan(gt[i]).any():
                pred[i] = pred[i - 1]
    if protocol in ("otb", "got10k"):
        pred[0] = gt[0]
    return gt, pred


def valid_iou_frames(gt: np.ndarray, protocol: str = "otb") -> np.ndarray:
    """(N,) False where the protocol marks the ground truth invalid for IoU (scored -1, a miss)."""
    gt = _boxes(gt, "gt")
    if protocol == "otb":
        return (gt > 0).all(1)  # NaN > 0 is False: a NaN row is invalid too
    if protocol == "pysot":
        return (gt[:, 2:] > 0).all(1)
    return np.ones(len(gt), bool)


def valid_center_frames(gt: np.ndarray, protocol: str = "otb") -> np.ndarray:
    """(N,) False where the protocol marks the ground truth invalid for precision (error -1, a hit)."""
    gt = _boxes(gt, "gt")
    if protocol == "pysot":
        return (centers(gt) > 0).all(1)
    return valid_iou_frames(gt, protocol)


def frame_ious(gt: np.ndarray, pred: np.ndarray, protocol: str = "otb") -> np.ndarray:
    """(N,) IoU per frame of already aligned boxes (see :func:`align`), -1 where the GT is invalid."""
    gt, pred = _boxes(gt, "gt"), _boxes(pred, "pred")
    ok = valid_iou_frames(gt, protocol)
    out = np.full(len(gt), -1.0)
    out[ok] = iou(gt[ok], pred[ok])
    return out


def frame_center_errors(gt: np.ndarray, pred: np.ndarray, protocol: str = "otb") -> np.ndarray:
    """(N,) centre error per frame of aligned boxes, -1 where the GT is invalid (``otb``: 4 decimals)."""
    gt, pred = _boxes(gt, "gt"), _boxes(pred, "pred")
    ok = valid_center_frames(gt, protocol)
    out = np.full(len(gt), -1.0)
    out[ok] = center_error(gt[ok], pred[ok])
    if protocol == "otb":
        # Python's round (correctly rounded decimal), as the port applies it to each error
        out = np.array([round(float(e), 4) for e in out])
    return out


def normalized_precision_curve(gt: np.ndarray, pred: np.ndarray, protocol: str) -> np.ndarray | None:
    """Normalized precision curve of aligned boxes in the protocol's own form, or None (``otb``)."""
    gt, pred = _boxes(gt, "gt"), _boxes(pred, "pred")
    if protocol == "pysot":
        wh = gt[:, 2:] + 1e-16
        gc, pc = centers(gt) / wh, centers(pred) / wh
        err = np.full(len(gt), -1.0)
        ok = (gc > 0).all(1)
        err[ok] = np.hypot(*(gc[ok] - pc[ok]).T)
        return (err[None, :] <= PYSOT_NORM_THRESHOLDS[:, None]).mean(1)
    if protocol == "got10k":
        keep = ~np.isnan(gt).any(1)
        gt, pred = gt[keep], pred[keep]
        err = np.hypot(*((centers(pred) - centers(gt)) / np.maximum(1.0, gt[:, 2:])).T)
        return (err[None, :] <= GOT10K_NORM_THRESHOLDS[:, None]).mean(1)
    return None


def normalized_precision_score(curve: np.ndarray | None, protocol: str) -> float | None:
    """pysot: the curve at 0.20; got10k: the mean of the curve; otb: None."""
    if curve is None:
        return None
    return float(curve[20]) if protocol == "pysot" else float(np.mean(curve))


def success_curve(gt: np.ndarray, pred: np.ndarray, protocol: str = "otb") -> np.ndarray:
    """Fraction of frames with IoU > t for each of the 21 thresholds (boxes aligned by the protocol)."""
    gt, pred = align(gt, pred, protocol)
    return _success(frame_ious(gt, pred, protocol))


def precision_curve(gt: np.ndarray, pred: np.ndarray, protocol: str = "otb") -> np.ndarray:
    """Fraction of frames with centre error <= t px, t = 0..50 (boxes aligned by the protocol)."""
    gt, pred = align(gt, pred, protocol)
    return _precision(frame_center_errors(gt, pred, protocol))


def _success(ious: np.ndarray) -> np.ndarray:
    return (ious[None, :] > SUCCESS_THRESHOLDS[:, None]).mean(1)


def _precision(err: np.ndarray) -> np.ndarray:
    return (err[None, :] <= PRECISION_THRESHOLDS[:, None]).mean(1)


def sequence_scores(gt: np.ndarray, pred: np.ndarray, protocol: str = "otb", where: str = "") -> dict:
    """Curves and summary numbers of one sequence under ``protocol``: auc, precision@20, success@0.5,
    mean IoU, the protocol's normalized precision (None for ``otb``)."""
    n_pred = len(_boxes(pred, "pred"))
    gt, pred = align(gt, pred, protocol, where)
    ious = frame_ious(gt, pred, protocol)
    succ = _success(ious)
    prec = _precision(frame_center_errors(gt, pred, protocol))
    norm = normalized_precision_curve(gt, pred, protocol)
    return {
        "protocol": protocol,
        "frames": int(len(ious)),
        "predicted_frames": int(n_pred),
        "invalid_gt": int((ious < 0).sum()),
        "auc": float(succ.mean()),
        "precision@20": float(prec[PRECISION_AT]),
        "success@0.5": float(succ[10]),
        "norm_precision": normalized_precision_score(norm, protocol),
        "mean_iou": float(np.nan_to_num(np.where(ious < 0, 0.0, ious)).mean()),
        "success_curve": succ.tolist(),
        "precision_curve": prec.tolist(),
        "norm_precision_curve": None if norm is None else norm.tolist(),
    }


def dataset_scores(per_sequence: dict[str, dict]) -> dict:
    """Mean over sequences of the per-sequence curves; scores read off them as each toolkit does."""
    if not per_sequence:
        raise ValueError("no sequences to average")
    protocols = {s.get("protocol", "otb") for s in per_sequence.values()}
    if len(protocols) != 1:
        raise ValueError(f"sequences scored under different protocols: {sorted(protocols)}")
    protocol = protocols.pop()
    succ = np.mean([s["success_curve"] for s in per_sequence.values()], axis=0)
    prec = np.mean([s["precision_curve"] for s in per_sequence.values()], axis=0)
    norm = None
    if protocol != "otb":
        norm = np.mean([s["norm_precision_curve"] for s in per_sequence.values()], axis=0)
    return {
        "protocol": protocol,
        "sequences": len(per_sequence),
        "auc": float(succ.mean()),
        "precision@20": float(prec[PRECISION_AT]),
        "success@0.5": float(succ[10]),
        "norm_precision": normalized_precision_score(norm, protocol),
        "success_curve": succ.tolist(),
        "precision_curve": prec.tolist(),
        "norm_precision_curve": None if norm is None else norm.tolist(),
        "success_thresholds": SUCCESS_THRESHOLDS.tolist(),
        "precision_thresholds": PRECISION_THRESHOLDS.tolist(),
    }
