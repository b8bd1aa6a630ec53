"""Benchmark plots: PNGs of the requested size with each curve drawn in its own colour."""

from __future__ import annotations

import cv2
import numpy as np

from corrlearn.bench.plots import COLORS, line_plot


def test_line_plot_draws_each_curve(tmp_path):
    x = np.linspace(0, 1, 21)
    line_plot(
        tmp_path / "p.png",
        {"rising": (x, x), "flat": (x, np.full_like(x, 0.25))},
        "title",
        "x",
        "y",
        (0.0, 1.0),
        size=(320, 240),
    )
    img = cv2.imread(str(tmp_path / "p.png"))
    assert img.shape == (240, 320, 3)
    for color in COLORS[:2]:
        assert (img == color).all(axis=2).sum() > 50, color
    assert not (img == COLORS[2]).all(axis=2).any()  # only two curves
