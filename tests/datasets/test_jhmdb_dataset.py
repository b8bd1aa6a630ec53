"""JHMDB loader on a hand-made root in the official layout."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from scipy.io import savemat

from corrlearn.datasets.jhmdb import load_jhmdb, read_joints, read_split_file, split_videos
from corrlearn.errors import CorrlearnError


def _video(root: Path, cls: str, name: str, frames: int, annotated: int) -> np.ndarray:
    d = root / "Rename_Images" / cls / name
    d.mkdir(parents=True)
    for i in range(1, frames + 1):
        cv2.imwrite(str(d / f"{i:05d}.png"), np.full((24, 32, 3), i, np.uint8))
    pos = np.arange(2 * 15 * annotated, dtype=np.float64).reshape(2, 15, annotated) + 1  # 1-indexed
    m = root / "joint_positions" / cls / name
    m.mkdir(parents=True)
    savemat(str(m / "joint_positions.mat"), {"pos_img": pos, "scale": np.ones(annotated)})
    return pos


@pytest.fixture
def jhmdb_root(tmp_path: Path) -> Path:
    _video(tmp_path, "catch", "ball_1", 3, 3)
    _video(tmp_path, "catch", "ball_2", 2, 2)
    _video(tmp_path, "run", "fast_1", 4, 3)  # one frame more than annotated
    (tmp_path / "splits").mkdir()
    (tmp_path / "splits" / "catch_test_split1.txt").write_text("ball_1.avi 2\nball_2.avi 1\n")
    (tmp_path / "splits" / "run_test_split1.txt").write_text("fast_1.avi 2 \n\n")
    (tmp_path / "splits" / "run_test_split2.txt").write_text("fast_1.avi 1\n")
    return tmp_path


def test_split_lists_select_test_videos(jhmdb_root):
    assert split_videos(jhmdb_root / "splits", 1, "test") == ["catch/ball_1", "run/fast_1"]
    assert split_videos(jhmdb_root / "splits", 1, "train") == ["catch/ball_2"]
    assert split_videos(jhmdb_root / "splits", 2, "test") == []


def test_load_converts_to_zero_indexed_and_truncates_to_annotations(jhmdb_root):
    videos = load_jhmdb(jhmdb_root)
    assert [v.name for v in videos] == ["catch/ball_1", "run/fast_1"]
    ball = videos[0]
    assert len(ball) == 3 and ball.joints.shape == (2, 15, 3)
    assert (
        ball.joints[0, 0, 0] == 0.0 and ball.joints[1, 14, 2] == 90.0 - 1
    )  # pos_img - 1 (element 89 holds 90)
    assert [f.name for f in ball.frames] == ["00001.png", "00002.png", "00003.png"]
    fast = videos[1]
    assert len(fast) == 3 and fast.notes and "4 frames but 3 annotated" in fast.notes[0]


def test_list_file_mode(jhmdb_root):
    lst = jhmdb_root / "list.txt"
    lst.write_text("Rename_Images/run/fast_1 joint_positions/run/fast_1/joint_positions.mat\n")
    (v,) = load_jhmdb(jhmdb_root, list_file=lst)
    assert v.name == "run/fast_1" and v.joints.shape == (2, 15, 3)


def test_bad_inputs_name_the_file(jhmdb_root, tmp_path):
    bad = tmp_path / "bad.mat"
    bad.write_bytes(b"not a mat file")
    with pytest.raises(CorrlearnError, match="bad.mat"):
        read_joints(bad)
    other = tmp_path / "other.mat"
    savemat(str(other), {"x": np.zeros(3)})
    with pytest.raises(CorrlearnError, match="no 'pos_img'"):
        read_joints(other)
    split = tmp_path / "s_test_split1.txt"
    split.write_text("a.avi 7\n")
    with pytest.raises(CorrlearnError, match="s_test_split1.txt:1"):
        read_split_file(split)
    with pytest.raises(CorrlearnError, match="missing 'Rename_Images'"):
        load_jhmdb(tmp_path / "Rename_Images")
