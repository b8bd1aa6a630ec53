"""OTB loader: separators, frame-range quirks, multi-target sequences."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from corrlearn.datasets.otb import list_sequences, load_sequence, read_rects
from corrlearn.errors import CorrlearnError


def _seq(root: Path, name: str, frames: int, gt: dict[str, str], digits: int = 4) -> None:
    img = root / name / "img"
    img.mkdir(parents=True)
    for i in range(1, frames + 1):
        (img / f"{i:0{digits}d}.jpg").write_bytes(b"")  # the loader only lists paths
    for fname, text in gt.items():
        (root / name / fname).write_text(text)


def test_read_rects_accepts_comma_tab_space_and_nan(tmp_path):
    p = tmp_path / "g.txt"
    p.write_text("1,2,3,4\n5\t6\t7\t8\n9 10  11 12\nNaN,NaN,NaN,NaN\n\n")
    r = read_rects(p)
    assert r.shape == (4, 4)
    assert r[:3].tolist() == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
    assert np.isnan(r[3]).all()
    p.write_text("1,2,3\n")
    with pytest.raises(CorrlearnError, match="g.txt:1"):
        read_rects(p)


def test_frame_range_quirk_and_multi_target(tmp_path):
    box = "10,10,5,5\n"
    _seq(tmp_path, "David", 770, {"groundtruth_rect.txt": box * 471})
    _seq(
        tmp_path, "Jogging", 3, {"groundtruth_rect.1.txt": box * 3, "groundtruth_rect.2.txt": "1,1,2,2\n" * 3}
    )
    _seq(tmp_path, "Human4", 2, {"groundtruth_rect.2.txt": box * 2})
    _seq(tmp_path, "Board", 2, {"groundtruth_rect.txt": box * 2}, digits=5)
    _seq(tmp_path, "Bad", 5, {"groundtruth_rect.txt": box * 3})
    assert list_sequences(tmp_path) == ["Bad", "Board", "David", "Human4", "Jogging.1", "Jogging.2"]
    david = load_sequence(tmp_path, "David")
    assert len(david) == 471 and david.frames[0].name == "0300.jpg" and david.frames[-1].name == "0770.jpg"
    assert david.notes
    jog = load_sequence(tmp_path, "Jogging.2")
    assert jog.boxes[0].tolist() == [1, 1, 2, 2] and jog.gt_path.name == "groundtruth_rect.2.txt"
    assert len(load_sequence(tmp_path, "Human4")) == 2
    assert [f.name for f in load_sequence(tmp_path, "Board").frames] == ["00001.jpg", "00002.jpg"]
    with pytest.raises(CorrlearnError, match="3 boxes for 5 frames"):
        load_sequence(tmp_path, "Bad")
    with pytest.raises(CorrlearnError, match="not found"):
        load_sequence(tmp_path, "Nope")


@pytest.mark.parametrize("first", ["10,20,-125,40", "10,20,30,0", "NaN,NaN,NaN,NaN"])
def test_first_box_without_positive_size_names_file_and_line(tmp_path, first):
    from corrlearn.datasets.otb import first_box

    _seq(tmp_path, "Neg", 3, {"groundtruth_rect.txt": f"\n{first}\n1,1,5,5\n1,1,5,5\n"})
    seq = load_sequence(tmp_path, "Neg")
    with pytest.raises(CorrlearnError) as exc:
        first_box(seq)
    assert str(exc.value).startswith(f"{seq.gt_path}:2: the first box '{first}' needs a positive width")
    _seq(tmp_path, "Ok", 2, {"groundtruth_rect.txt": "1,1,5,5\n-1,1,0,5\n"})  # later rows may be invalid
    assert first_box(load_sequence(tmp_path, "Ok")).tolist() == [1, 1, 5, 5]
