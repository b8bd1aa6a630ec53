"""The DCF tracker's box geometry: centre conventions and cropping."""

from __future__ import annotations

import numpy as np

from corrlearn.tracking.boxes import center_to_rect, crop_square, rect_to_center


def test_center_round_trip_uses_dcfnet_convention():
    c, s = rect_to_center(np.array([11.0, 21.0, 10.0, 6.0]))
    assert c.tolist() == [15.0, 23.0] and s.tolist() == [10.0, 6.0]  # x + w/2 - 1
    assert center_to_rect(c, s).tolist() == [11.0, 21.0, 10.0, 6.0]


def test_crop_square_maps_window_corners_and_fills_outside():
    img = np.zeros((50, 60, 3), np.uint8)
    img[10, 20] = 255
    # window 8 wide centred at (24, 14): corners x 20..28 map to 0..8, a pure shift
    crop = crop_square(img, np.array([24.0, 14.0]), np.array([8.0, 8.0]), 9, (1, 2, 3))
    assert crop[0, 0].tolist() == [255, 255, 255] and crop[1:, 1:].max() == 0
    out = crop_square(img, np.array([-100.0, -100.0]), np.array([8.0, 8.0]), 5, (1, 2, 3))
    assert (out == np.array([1, 2, 3])).all()
