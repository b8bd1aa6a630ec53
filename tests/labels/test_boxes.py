"""Boxes as labels: box <-> mask, and the box codec's rules."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from corrlearn.errors import CorrlearnError
from corrlearn.labels import BoxCodec, Geometry, mask_to_rect, rect_to_mask
from corrlearn.propagate import get_preset


def test_mask_and_rect_agree():
    m = np.zeros((20, 30), bool)
    m[5:9, 10:17] = True  # rows 5..8, cols 10..16
    r = mask_to_rect(m)
    assert r.tolist() == [11, 6, 7, 4]
    assert (rect_to_mask(r, m.shape) == m).all()
    assert mask_to_rect(np.zeros((3, 3), bool)) is None


def test_box_codec_keeps_the_previous_box_when_no_pixel_is_target():
    codec, rules = BoxCodec(), get_preset("crw")
    geo = Geometry((40, 48), (40, 48), (5, 6))
    box = np.array([9.0, 9.0, 16.0, 16.0])
    labels = codec.encode(box, geo, rules)
    assert labels.shape == (2, 5, 6)
    previous = np.array([1.0, 2.0, 3.0, 4.0])
    background = torch.zeros(2, 5, 6)
    background[0] = 1
    assert codec.decode(background, geo, rules, previous).tolist() == previous.tolist()
    # the target channel winning in cells (1..2, 1..2) gives the box of those cells at the frame's size
    target = background.clone()
    target[1, 1:3, 1:3] = 2
    out = codec.decode(target, geo, rules, previous)
    assert out[2] > 0 and out[3] > 0 and out.tolist() != previous.tolist()
    assert codec.first(box, geo, rules).tolist() == box.tolist()


def test_box_codec_rejects_a_box_outside_the_frame():
    with pytest.raises(CorrlearnError, match="covers no pixel"):
        BoxCodec().check(np.array([500.0, 500.0, 10.0, 10.0]), (40, 48))
    with pytest.raises(CorrlearnError, match="4 finite numbers"):
        BoxCodec().check(np.array([1.0, 2.0, 3.0]), (40, 48))
