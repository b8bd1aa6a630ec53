"""Mask overlays: colours blended inside objects only, outlines drawn, void and background left alone."""

from __future__ import annotations

import numpy as np
import pytest

from corrlearn.errors import CorrlearnError
from corrlearn.io.masks import DAVIS_PALETTE, VOID_ID
from corrlearn.io.overlay import check_overlay_path, overlay


def test_overlay_blends_object_colour_inside_and_leaves_the_rest():
    frame = np.full((20, 30, 3), 100, np.uint8)
    ids = np.zeros((20, 30), np.uint8)
    ids[5:15, 5:15] = 1
    ids[0:3, 25:30] = VOID_ID
    out = overlay(frame, ids, alpha=0.5)
    red = np.array(DAVIS_PALETTE[3:6], np.float32)  # object 1's colour
    np.testing.assert_array_equal(out[10, 10], np.clip(0.5 * 100 + 0.5 * red, 0, 255).astype(np.uint8))
    np.testing.assert_array_equal(out[5, 5], red.astype(np.uint8))  # the outline, in the object's colour
    assert (out[18:, :] == 100).all() and (out[0:3, 25:30] == 100).all()  # background and void untouched


def test_overlay_path_must_be_a_video_container(tmp_path):
    check_overlay_path(tmp_path / "a.mp4")
    with pytest.raises(CorrlearnError, match=r"a\.gif: overlay must be \.mp4, \.mov, \.mkv"):
        check_overlay_path(tmp_path / "a.gif")
