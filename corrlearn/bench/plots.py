"""Line plots rendered with OpenCV (no matplotlib dependency): OTB success / precision curves, PCK curves."""

from __future__ import annotations

import os

import cv2
import numpy as np

#: Distinct BGR colours for successive curves.
COLORS = [(180, 119, 31), (14, 127, 255), (44, 160, 44), (40, 39, 214), (189, 103, 148), (75, 86, 140)]


def line_plot(
    path: str | os.PathLike,
    curves: dict[str, tuple[np.ndarray, np.ndarray]],
    title: str,
    xlabel: str,
    ylabel: str,
    xlim: tuple[float, float],
    ylim: tuple[float, float] = (0.0, 1.0),
    size: tuple[int, int] = (640, 480),
    subtitle: str = "",
) -> None:
    """Draw ``curves`` ({legend: (x, y)}) on axes with ticks and a legend; write a PNG atomically.

    ``subtitle`` (a second, smaller title line) says what the numbers are, e.g. the dataset and convention."""
    from corrlearn.io.atomic import atomic_path

    w, h = size
    left, right, top, bottom = 70, 20, 58 if subtitle else 40, 55
    img = np.full((h, w, 3), 255, np.uint8)
    pw, ph = w - left - right, h - top - bottom

    def to_px(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        px = left + (np.asarray(x, float) - xlim[0]) / (xlim[1] - xlim[0]) * pw
        py = top + ph - (np.asarray(y, float) - ylim[0]) / (ylim[1] - ylim[0]) * ph
        return np.stack([px, py], 1)

    font, black, grey = cv2.FONT_HERSHEY_SIMPLEX, (0, 0, 0), (220, 220, 220)
    for i in range(6):  # grid and ticks: 5 intervals per axis
        fx = xlim[0] + i * (xlim[1] - xlim[0]) / 5
        fy = ylim[0] + i * (ylim[1] - ylim[0]) / 5
        (gx, _), (_, gy) = to_px([fx], [ylim[0]])[0], to_px([xlim[0]], [fy])[0]
        cv2.line(img, (int(gx), top), (int(gx), top + ph), grey, 1)
        cv2.line(img, (left, int(gy)), (left + pw, int(gy)), grey, 1)
        cv2.putText(img, f"{fx:g}", (int(gx) - 10, top + ph + 18), font, 0.45, black, 1, cv2.LINE_AA)
        cv2.putText(img, f"{fy:.1f}", (left - 35, int(gy) + 5), font, 0.45, black, 1, cv2.LINE_AA)
    cv2.rectangle(img, (left, top), (left + pw, top + ph), black, 1)
    cv2.putText(img, title, (left, 25), font, 0.6, black, 1, cv2.LINE_AA)
    if subtitle:
        cv2.putText(img, subtitle, (left, 46), font, 0.45, black, 1, cv2.LINE_AA)
    cv2.putText(img, xlabel, (left + pw // 2 - 60, h - 12), font, 0.5, black, 1, cv2.LINE_AA)
    ylab = np.full((20, ph), 255, np.uint8)
    cv2.putText(ylab, ylabel, (ph // 2 - 60, 15), font, 0.5, 0, 1, cv2.LINE_AA)
    img[top : top + ph, 5:25] = cv2.rotate(ylab, cv2.ROTATE_90_COUNTERCLOCKWISE)[:, :, None]
    for i, (label, (x, y)) in enumerate(curves.items()):
        color = COLORS[i % len(COLORS)]
        pts = np.round(to_px(x, y)).astype(np.int32)
        cv2.polylines(img, [pts], False, color, 2, cv2.LINE_AA)
        ly = top + ph - 15 - 20 * (len(curves) - 1 - i)
        cv2.line(img, (left + pw - 230, ly - 4), (left + pw - 205, ly - 4), color, 2)
        cv2.putText(img, label, (left + pw - 200, ly), font, 0.45, black, 1, cv2.LINE_AA)
    with atomic_path(path) as tmp:
        if not cv2.imwrite(str(tmp), img):
            raise OSError(f"{path}: could not write PNG")


def otb_plots(out_dir: str | os.PathLike, results: dict[str, dict], subtitle: str = "") -> list[str]:
    """success.png and precision.png (and norm_precision.png when the protocol defines one) for
    {tracker: dataset_scores(...)}; legends carry AUC / P@20 / NP; ``subtitle`` names dataset and protocol."""
    from corrlearn.metrics.otb import (
        GOT10K_NORM_THRESHOLDS,
        PRECISION_THRESHOLDS,
        PYSOT_NORM_THRESHOLDS,
        SUCCESS_THRESHOLDS,
    )

    out_dir = os.fspath(out_dir)
    succ = {
        f"{k} [{v['auc']:.3f}]": (SUCCESS_THRESHOLDS, np.asarray(v["success_curve"]))
        for k, v in results.items()
    }
    prec = {
        f"{k} [{v['precision@20']:.3f}]": (PRECISION_THRESHOLDS, np.asarray(v["precision_curve"]))
        for k, v in results.items()
    }
    paths = [os.path.join(out_dir, "success.png"), os.path.join(out_dir, "precision.png")]
    line_plot(
        paths[0],
        succ,
        "Success plots of OPE",
        "Overlap threshold",
        "Success rate",
        (0.0, 1.0),
        subtitle=subtitle,
    )
    line_plot(
        paths[1],
        prec,
        "Precision plots of OPE",
        "Location error threshold (px)",
        "Precision",
        (0.0, 50.0),
        subtitle=subtitle,
    )
    with_norm = {k: v for k, v in results.items() if v.get("norm_precision_curve") is not None}
    if with_norm:
        protocol = next(iter(with_norm.values()))["protocol"]
        thr = PYSOT_NORM_THRESHOLDS if protocol == "pysot" else GOT10K_NORM_THRESHOLDS
        what = "at 0.20" if protocol == "pysot" else "mean of curve"
        norm = {
            f"{k} [{v['norm_precision']:.3f}]": (thr, np.asarray(v["norm_precision_curve"]))
            for k, v in with_norm.items()
        }
        paths.append(os.path.join(out_dir, "norm_precision.png"))
        line_plot(
            paths[2],
            norm,
            f"Normalized precision plots of OPE ({what})",
            "Normalized location error threshold",
            "Normalized precision",
            (0.0, 0.5),
            subtitle=subtitle,
        )
    return paths


def pck_plot(path: str | os.PathLike, results: dict[str, dict], alphas: tuple[float, ...]) -> None:
    """PCK (fraction) against alpha for {method: pck result dict}."""
    curves = {
        f"{k} [@0.1 {v[f'PCK@{alphas[0]:g}']:.1f}]": (
            np.asarray(alphas),
            np.asarray([v[f"PCK@{a:g}"] for a in alphas]) / 100,
        )
        for k, v in results.items()
    }
    line_plot(path, curves, "PCK on JHMDB", "alpha", "PCK", (0.0, max(alphas)))
