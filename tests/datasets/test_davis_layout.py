"""The DAVIS folder layout helpers on a hand-made root."""

from __future__ import annotations

from pathlib import Path

import pytest

from corrlearn.datasets.davis import (
    annotation_dir,
    frames_dir,
    gt_frame_names,
    is_davis_root,
    list_sequences,
    read_sequence_list,
    sequence_list_path,
)
from corrlearn.errors import CorrlearnError


def test_paths_follow_the_official_layout(tmp_path):
    assert frames_dir(tmp_path, "bear") == tmp_path / "JPEGImages" / "480p" / "bear"
    assert frames_dir(tmp_path, "bear", "240p") == tmp_path / "JPEGImages" / "240p" / "bear"
    assert annotation_dir(tmp_path, "bear") == tmp_path / "Annotations" / "480p" / "bear"
    assert sequence_list_path(tmp_path, 2017) == tmp_path / "ImageSets" / "2017" / "val.txt"


def test_sequences_and_frame_names(tmp_path):
    assert not is_davis_root(tmp_path)
    with pytest.raises(CorrlearnError, match="not a DAVIS root"):
        list_sequences(tmp_path)
    with pytest.raises(CorrlearnError, match=r"ImageSets/2016/val.txt: sequence list not found"):
        read_sequence_list(tmp_path)
    for seq in ("cows", "bear", ".cache"):
        frames_dir(tmp_path, seq).mkdir(parents=True)
    sequence_list_path(tmp_path).parent.mkdir(parents=True)
    sequence_list_path(tmp_path).write_text("cows\n\nbear\n")
    assert is_davis_root(tmp_path)
    assert list_sequences(tmp_path) == ["bear", "cows"]
    assert read_sequence_list(tmp_path) == ["cows", "bear"]
    with pytest.raises(CorrlearnError, match="annotation folder for sequence 'bear' not found"):
        gt_frame_names(tmp_path, "bear")
    ann = annotation_dir(tmp_path, "bear")
    ann.mkdir(parents=True)
    with pytest.raises(CorrlearnError, match="no annotation PNGs"):
        gt_frame_names(tmp_path, "bear")
    for name in ("00001.png", "00000.png", ".00002.png", "notes.txt"):
        Path(ann / name).write_bytes(b"")
    assert gt_frame_names(tmp_path, "bear") == ["00000", "00001"]
