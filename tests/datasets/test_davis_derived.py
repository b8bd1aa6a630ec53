"""DAVIS sequences as the other benchmarks' layouts (corrlearn.datasets.davis_derived).

The JHMDB and DAVIS-2017 fixtures are exercised end to end in tests/bench/test_bench_jhmdb.py and
tests/bench/test_davis2017.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from corrlearn.datasets.davis import annotation_dir, frames_dir
from corrlearn.datasets.davis_derived import davis_as_otb
from corrlearn.datasets.otb import load_sequence
from corrlearn.errors import CorrlearnError
from corrlearn.io.masks import VOID_ID, write_mask


def test_otb_boxes_cover_all_objects_without_void_and_empty_masks_give_zeros(tmp_path):
    davis, out = tmp_path / "DAVIS", tmp_path / "otb"
    frames_dir(davis, "toy").mkdir(parents=True)
    ids = np.zeros((3, 12, 20), np.uint8)
    ids[0, 2:5, 3:9] = 1  # rows 2-4, columns 3-8
    ids[0, 7, 15] = 2  # a second object widens the box to column 15, row 7
    ids[0, 10:12, 0:2] = VOID_ID  # void never counts
    ids[1, 9, 19] = 1  # one pixel in the bottom-right corner
    ids[2, 0:3, 0:3] = VOID_ID  # only void: an empty frame
    for t in range(3):
        Image.new("RGB", (20, 12)).save(frames_dir(davis, "toy") / f"{t:05d}.jpg")
        write_mask(annotation_dir(davis, "toy") / f"{t:05d}.png", ids[t])
    seq = davis_as_otb(davis, "toy", out)
    want = np.array([[4, 3, 13, 6], [20, 10, 1, 1], [0, 0, 0, 0]], np.float64)  # 1-indexed x, y, w, h
    np.testing.assert_array_equal(seq.boxes, want)
    loaded = load_sequence(out, "toy")
    np.testing.assert_array_equal(loaded.boxes, want)
    assert [f.resolve() for f in loaded.frames] == sorted(
        p.resolve() for p in frames_dir(davis, "toy").glob("*.jpg")
    )
    with pytest.raises(CorrlearnError, match="no DAVIS sequence 'nope'"):
        davis_as_otb(davis, "nope", out)


@pytest.mark.realdata
def test_davis_sequence_as_otb(davis_root, tmp_path):
    seq = davis_as_otb(davis_root, "blackswan", tmp_path, max_frames=10)
    loaded = load_sequence(tmp_path, "blackswan")
    assert len(loaded) == 10 and np.allclose(loaded.boxes, seq.boxes, atol=1e-3)
    assert loaded.frames[0].resolve().parent == frames_dir(davis_root, "blackswan").resolve()
    # 1-indexed boxes enclose the mask: width and height are positive and inside the 854x480 frame
    b = loaded.boxes
    assert (b[:, 2] > 0).all() and (b[:, 0] >= 1).all() and (b[:, 0] + b[:, 2] <= 855).all()
