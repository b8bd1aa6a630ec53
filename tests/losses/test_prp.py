"""PRP (playback-rate perception): motion attention, weighted reconstruction, rate sampling, training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from helpers import tiny_encoder

from corrlearn.datasets.davis import frames_root
from corrlearn.losses.prp import PRPObjective, motion_attention, weighted_mse


def test_static_frames_give_uniform_attention():
    f = torch.rand(2, 3, 16, 24)
    att = motion_attention(f, f, f, stride=8)
    assert att.shape == (2, 1, 16, 24)
    assert torch.equal(att, torch.ones_like(att))


def test_attention_follows_the_moving_square():
    frames = torch.zeros(3, 1, 3, 32, 32)
    for t, x in enumerate((0, 8, 16)):  # a bright square moving right by one feature cell per frame
        frames[t, 0, :, 8:16, x : x + 8] = 1.0
    att = motion_attention(frames[0], frames[1], frames[2], stride=8)[0, 0]
    # coarse (8x8) differences in the square's row: 1, 2, 1 -> activation 0.5, 1, 0.5; rows above and below 0.
    # Pixel (12, 12) sits 1/16 cell past the centre of coarse cell (1, 1) in both directions, so bilinear
    # upsampling gives 15/16 * (15/16 * 1 + 1/16 * 0.5) + 1/16 * 0, and the weight is 1 + that.
    assert math.isclose(float(att[12, 12]), 1 + 15 / 16 * (15 / 16 + 0.5 / 16), rel_tol=1e-6)
    assert float(att[12, 12]) > float(att[12, 4]) > float(att[28, 28])
    assert float(att[28, 28]) == 1.0
    assert float(att.min()) >= 1.0 and float(att.max()) <= 2.0 + 1e-6


def test_weighted_mse_by_hand():
    pred = torch.zeros(1, 2, 1, 2)
    target = torch.tensor([[[[1.0, 2.0]], [[0.0, 2.0]]]])  # squared errors: pixel 0 -> 1, pixel 1 -> 8
    weight = torch.tensor([[[[1.0, 3.0]]]])
    # (1*1 + 3*8) / ((1 + 3) * 2 channels)
    assert math.isclose(float(weighted_mse(pred, target, weight)), 25 / 8)
    assert math.isclose(float(weighted_mse(pred, target, torch.ones_like(weight))), 9 / 4)


def test_objective_outputs_and_gradients():
    torch.manual_seed(0)
    obj = PRPObjective(tiny_encoder(), rates=(2, 4, 8), hidden=16)
    clip, mids = torch.rand(2, 3, 3, 40, 48), torch.rand(2, 2, 3, 40, 48)
    rate = torch.tensor([0, 2])
    out = obj((clip, mids, rate))
    assert set(out) == {"loss", "cls", "gen", "acc"}
    assert math.isclose(float(out["loss"].detach()), out["cls"] + out["gen"], rel_tol=1e-5)
    assert obj.slow_motion(clip, obj.features(clip)).shape == mids.shape
    out["loss"].backward()
    assert obj.encoder.conv1.weight.grad.abs().sum() > 0  # both heads train the shared backbone
    assert obj.classifier.weight.grad.abs().sum() > 0 and obj.decoder[0].weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match=">= 2"):
        PRPObjective(tiny_encoder(), rates=(1, 2))


def test_middle_frame_prediction_starts_from_the_neighbours_mean():
    obj = PRPObjective(tiny_encoder(), hidden=8)
    torch.nn.init.zeros_(obj.decoder[2].weight)
    torch.nn.init.zeros_(obj.decoder[2].bias)
    clip = torch.rand(1, 2, 3, 16, 16)
    pred = obj.slow_motion(clip, obj.features(clip))
    assert torch.allclose(pred[0, 0], 0.5 * (clip[0, 0] + clip[0, 1]))


@pytest.mark.realdata
def test_rate_sampling_on_real_video(davis_train_root):
    from corrlearn.train.data import ClipDataset, discover_videos

    videos = discover_videos([str(frames_root(davis_train_root, "240p"))], ["bear"])
    ds = ClipDataset(
        videos,
        "rates",
        clip_len=3,
        frame_gap=(1, 1),
        crop_size=48,
        crop_scale=(1.0, 1.0),
        crop_ratio=(1.0, 1.0),
        rates=(2, 4),
    )
    seen = set()
    for seed in range(12):
        clip, mids, r = ds[(0, seed)]
        assert clip.shape == (3, 3, 48, 48) and mids.shape == (2, 3, 48, 48) and clip.dtype == torch.uint8
        seen.add(int(r))
        # a middle frame lies between its neighbours in time: closer to their mean than the neighbours are
        c, m = clip.float(), mids.float()
        assert (m[0] - 0.5 * (c[0] + c[1])).abs().mean() <= (c[0] - c[1]).abs().mean() + 1e-3
    assert seen == {0, 1}
    with pytest.raises(ValueError, match="even frame intervals"):
        ClipDataset(videos, "rates", 3, (1, 1), 48, rates=(3,))


@pytest.mark.slow
@pytest.mark.realdata
def test_prp_training_lowers_the_loss_on_real_frames(davis_train_root):
    from helpers import fixed_batches, train_losses

    from corrlearn.train.data import ClipDataset, discover_videos

    videos = discover_videos([str(frames_root(davis_train_root, "240p"))], ["bear", "boat", "dance-jump"])
    ds = ClipDataset(
        videos, "rates", clip_len=3, frame_gap=(1, 1), crop_size=64, crop_scale=(0.6, 0.9), rates=(2, 4, 8)
    )
    batches = fixed_batches(ds, n=2, batch=3)
    torch.manual_seed(0)
    obj = PRPObjective(tiny_encoder(), hidden=32)
    losses = train_losses(obj, batches, steps=25, lr=1e-3)
    assert all(math.isfinite(v) for v in losses)
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])
