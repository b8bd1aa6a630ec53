from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from corrlearn.errors import CorrlearnError
from corrlearn.train.data import (
    ClipDataset,
    StepSampler,
    collate,
    discover_videos,
    random_box,
    read_sequence_list,
)


def _write_video(path, n=12, size=(48, 64)):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (size[1], size[0]))
    for i in range(n):
        w.write(np.full((*size, 3), i * 20, np.uint8))
    w.release()


def _write_frames(folder, n=6, size=(40, 56)):
    folder.mkdir(parents=True)
    for i in range(n):
        cv2.imwrite(str(folder / f"{i:05d}.jpg"), np.full((*size, 3), i * 30, np.uint8))


def test_discovers_frame_folders_and_video_files_in_any_layout(tmp_path):
    _write_frames(tmp_path / "a" / "seq1")
    _write_frames(tmp_path / "a" / "seq2")
    _write_frames(tmp_path / "a" / "Annotations" / "seq1")  # label PNGs of a VOS layout are not videos
    (tmp_path / "b" / "class_x").mkdir(parents=True)
    _write_video(tmp_path / "b" / "class_x" / "clip.avi")
    vids = discover_videos([str(tmp_path / "a"), str(tmp_path / "b")])
    assert [v.name for v in vids] == ["seq1", "seq2", "clip"]
    assert vids[0].frames is not None and len(vids[0].frames) == 6 and vids[2].frames is None
    assert [v.name for v in discover_videos([str(tmp_path)], ["seq2", "b/class_x/clip.avi"])] == [
        "seq2",
        "clip",
    ]
    with pytest.raises(CorrlearnError, match="sequences not found.*nope"):
        discover_videos([str(tmp_path)], ["nope"])
    with pytest.raises(CorrlearnError, match="does not exist"):
        discover_videos([str(tmp_path / "missing")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorrlearnError, match="no videos"):
        discover_videos([str(tmp_path / "empty")])


def test_video_file_clips(tmp_path):
    _write_video(tmp_path / "v.avi")
    ds = ClipDataset(
        discover_videos([str(tmp_path)]),
        "clip",
        3,
        (2, 2),
        crop_size=16,
        crop_scale=(1, 1),
        crop_ratio=(4 / 3, 4 / 3),
    )
    clip = ds[(0, 5)]
    assert clip.shape == (3, 3, 16, 16) and clip.dtype == torch.uint8
    levels = [int(f.float().mean()) for f in clip]  # frame i has grey level 20 i (MJPG is lossy)
    assert levels[1] - levels[0] == pytest.approx(40, abs=6) and levels[2] - levels[1] == pytest.approx(
        40, abs=6
    )


def test_sequences_file(tmp_path):
    p = tmp_path / "s.txt"
    p.write_text("# held out\nbear\n\n camel \n")
    assert read_sequence_list(str(p)) == ["bear", "camel"]
    with pytest.raises(CorrlearnError, match="not found"):
        read_sequence_list(str(tmp_path / "none.txt"))


def test_sampler_is_deterministic_resumable_and_splits_the_global_batch():
    full = list(StepSampler(5, 4, steps=6, seed=3))
    assert full == list(StepSampler(5, 4, steps=6, seed=3))
    assert full[8:] == list(StepSampler(5, 4, steps=6, seed=3, start_step=2))  # resume at step 2
    r0 = list(StepSampler(5, 4, steps=6, seed=3, rank=0, world=2))
    r1 = list(StepSampler(5, 4, steps=6, seed=3, rank=1, world=2))
    for s in range(6):  # per step, rank 0 holds the first half of the global batch, rank 1 the second
        assert r0[2 * s : 2 * s + 2] + r1[2 * s : 2 * s + 2] == full[4 * s : 4 * s + 4]
    # every epoch visits every video once
    assert sorted(i for i, _ in full[:5]) == list(range(5))
    assert list(StepSampler(5, 4, steps=6, seed=4)) != full
    with pytest.raises(CorrlearnError, match="not divisible"):
        StepSampler(5, 3, steps=1, seed=0, world=2)


def test_random_box_stays_inside():
    rng = np.random.default_rng(0)
    for _ in range(50):
        y, x, h, w = random_box(rng, 30, 50, (0.2, 1.0), (0.5, 2.0))
        assert 0 <= y and y + h <= 30 and 0 <= x and x + w <= 50


def test_random_box_varies_on_16_9_frames_with_the_crw_settings():
    # 427 x 240 (DAVIS 240p): torchvision's area-share rule found no box and returned the centred square
    rng = np.random.default_rng(0)
    boxes = [random_box(rng, 240, 427, (0.8, 0.95), (0.7, 1.3)) for _ in range(200)]
    assert all(0 <= y and y + h <= 240 and 0 <= x and x + w <= 427 for y, x, h, w in boxes)
    assert len({b[1] for b in boxes}) > 50  # positions spread along the width
    assert len({(b[2], b[3]) for b in boxes}) > 20  # sizes and aspects vary
    assert min(b[2] for b in boxes) >= 0.8**0.5 * 240 * 0.7 - 1  # still a large crop: area >= 0.8 of the fit


def _noise_video(folder, n=4, size=(240, 427), same=True):
    """Frames of random texture (identical frames when ``same``): crops can be located exactly."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
    for i in range(n):
        cv2.imwrite(str(folder / f"{i:05d}.png"), img if same else rng.integers(0, 256, (*size, 3), np.uint8))


def test_crw_clip_crops_differ_frame_to_frame_on_16_9_video(tmp_path):
    _noise_video(tmp_path / "v")
    ds = ClipDataset(discover_videos([str(tmp_path)]), "clip", 4, (1, 1), 64, (0.8, 0.95), (0.7, 1.3))
    for seed in range(5):
        clip = ds[(0, seed)]  # the frames are identical: any difference is the crop
        assert all(not torch.equal(clip[0], clip[t]) for t in range(1, 4))
    one = ClipDataset(discover_videos([str(tmp_path)]), "clip", 4, (1, 1), 64, independent_crops=False)
    clip = one[(0, 0)]
    assert all(torch.equal(clip[0], clip[t]) for t in range(1, 4))  # STT: one crop per clip


def _locate(patch: np.ndarray, image: np.ndarray) -> tuple[int, int] | None:
    """(y, x) where ``patch`` equals a window of ``image`` exactly, else None."""
    res = cv2.matchTemplate(image.astype(np.float32), patch.astype(np.float32), cv2.TM_SQDIFF)
    _, _, (x, y), _ = cv2.minMaxLoc(res)  # minimum of the squared difference
    h, w = patch.shape[:2]
    return (y, x) if np.array_equal(image[y : y + h, x : x + w], patch) else None


def test_contrastcorr_reference_lands_at_varying_positions_at_the_search_scale(tmp_path):
    _noise_video(tmp_path / "v")
    ds = ClipDataset(discover_videos([str(tmp_path)]), "pair", 2, (1, 2), 64, search_size=192)
    places = set()
    for seed in range(12):
        ref, search = (t.permute(1, 2, 0).numpy() for t in ds[(0, seed)])
        assert ref.shape == (64, 64, 3) and search.shape == (192, 192, 3)
        # the whole frame, resized by one factor (427 -> 192 wide, 240 -> 108 tall), zero padding below
        assert not search[108:].any() and search[:108].any()
        where = _locate(ref, search[:108])  # identical frames: the reference is a window of the search
        assert where is not None, f"seed {seed}: reference is not a same-scale window of the search"
        places.add(where)
    assert len(places) >= 8
    with pytest.raises(CorrlearnError, match="smaller than the 64px reference"):
        ClipDataset(discover_videos([str(tmp_path)]), "pair", 2, (1, 2), 64, search_size=96)[(0, 0)]


@pytest.mark.realdata
def test_modes_on_davis(davis_train_root):
    vids = discover_videos([str(davis_train_root)], ["dog-agility", "bear"])
    assert [v.name for v in vids] == ["bear", "dog-agility"]
    clip = ClipDataset(vids, "clip", 4, (1, 3), 64)
    a, b = clip[(1, 42)], clip[(1, 42)]
    assert a.shape == (4, 3, 64, 64) and torch.equal(a, b)  # a sample is a function of its seed
    assert not torch.equal(a, clip[(1, 43)])
    views = ClipDataset(vids, "views", 1, (1, 1), 48)[(0, 1)]
    assert views.shape == (2, 3, 48, 48)
    ref, search = ClipDataset(vids, "pair", 2, (1, 5), 64, search_size=160)[(0, 2)]
    assert ref.shape == (3, 64, 64) and search.shape == (3, 160, 160)
    batch = collate([ClipDataset(vids, "pair", 2, (1, 5), 64, search_size=160)[(i, i)] for i in range(2)])
    assert batch[0].shape == (2, 3, 64, 64) and batch[1].shape == (2, 3, 160, 160)
