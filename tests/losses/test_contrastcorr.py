from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from helpers import fixed_batches, tiny_encoder, train_losses

from corrlearn.losses.contrastcorr import (
    ContrastCorrObjective,
    affinity,
    crop_at,
    cycle_loss,
    grid_coords,
    inter_video_transform,
    sparsity_loss,
    track_centre,
    transform,
)


def _video_features(B=3, C=12, h=2, w=2, scale=30.0):
    """Each video's features live in their own channel block: cross-video affinities are zero."""
    f = torch.zeros(B, C, h, w)
    per = C // B
    for b in range(B):
        f[b, b * per : (b + 1) * per] = torch.rand(per, h, w) + 0.5
    return f * scale


def test_sparsity_is_zero_when_mass_stays_in_video():
    f = _video_features()
    _, in_video = inter_video_transform(f, f, torch.rand(3, 2, 2, 2))
    assert torch.allclose(in_video, torch.ones_like(in_video), atol=1e-6)
    assert float(sparsity_loss(in_video)) < 1e-6
    assert float(sparsity_loss(torch.ones(4, 7))) == 0.0


def test_sparsity_of_indistinguishable_videos():
    f = torch.ones(4, 5, 2, 3)  # all pixels of all videos identical: mass spreads evenly over 4 videos
    _, in_video = inter_video_transform(f, f, torch.rand(4, 1, 2, 3))
    assert torch.allclose(in_video, torch.full_like(in_video, 0.25))
    assert float(sparsity_loss(in_video)) == pytest.approx(0.75)


def test_inter_video_equals_intra_video_for_one_video():
    torch.manual_seed(0)
    ref, tar, col = torch.randn(1, 6, 3, 3), torch.randn(1, 6, 3, 3), torch.rand(1, 2, 3, 3)
    inter, in_video = inter_video_transform(tar, ref, col)
    intra = transform(torch.softmax(affinity(ref, tar), dim=1), col.flatten(2), (3, 3))
    assert torch.allclose(inter, intra, atol=1e-6)
    assert torch.allclose(in_video, torch.ones(1, 9))


def test_inter_video_gradcheck():
    torch.manual_seed(0)
    args = (
        torch.randn(2, 3, 2, 2, dtype=torch.float64, requires_grad=True),
        torch.randn(2, 3, 2, 2, dtype=torch.float64, requires_grad=True),
        torch.rand(2, 2, 2, 2, dtype=torch.float64),
    )

    def f(t, r, c):
        est, mass = inter_video_transform(t, r, c)
        return est.sum() + sparsity_loss(mass)

    assert torch.autograd.gradcheck(f, args)


def test_cycle_loss_zero_for_one_to_one_matching_and_positive_otherwise():
    eye = 50.0 * torch.eye(12)[None]
    assert float(cycle_loss(eye, 1.0, (3, 4))) < 1e-6
    assert float(cycle_loss(torch.zeros(1, 12, 12), 1.0, (3, 4))) > 0.5
    a = torch.randn(1, 6, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: cycle_loss(x, 1.0, (2, 3)), (a,))


def test_crop_at_integer_centre_matches_slicing():
    x = torch.arange(2 * 3 * 10 * 12, dtype=torch.float32).view(2, 3, 10, 12)
    # a 4x4 crop centred between cells 4 and 5 (centre 4.5) starts at cell 3
    out = crop_at(x, torch.tensor([[5.5, 4.5], [1.5, 1.5]]), (4, 4))
    assert torch.allclose(out[0], x[0, :, 3:7, 4:8])
    assert torch.allclose(out[1], x[1, :, 0:4, 0:4])
    # the centre is clamped so the crop stays inside the frame
    assert torch.allclose(crop_at(x, torch.tensor([[-9.0, 99.0]] * 2), (4, 4))[0], x[0, :, 6:10, 0:4])
    # scale: cells of a 2x coarser grid
    assert torch.allclose(crop_at(x, torch.tensor([[2.5, 2.0]] * 2), (2, 2), scale=2.0)[0], x[0, :, 3:7, 4:8])


def test_track_centre_finds_the_reference_in_the_search_frame():
    torch.manual_seed(0)
    search = torch.randn(1, 32, 8, 10) * 3
    ref = search[:, :, 2:6, 5:9].clone()
    centre = track_centre(ref, search)
    assert torch.allclose(centre, torch.tensor([[6.5, 3.5]]), atol=0.3)
    assert torch.equal(grid_coords(2, 3, dtype=torch.float32)[4], torch.tensor([1.0, 1.0]))


def test_objective_terms_and_backward():
    torch.manual_seed(0)
    obj = ContrastCorrObjective(tiny_encoder()).train()
    out = obj((torch.rand(2, 3, 64, 64), torch.rand(2, 3, 96, 96)))
    assert {"intra", "colour_switch", "self", "consistency", "sparsity", "cycle"} <= set(out)
    out["loss"].backward()
    assert all(torch.isfinite(p.grad).all() for p in obj.parameters() if p.grad is not None)


class _Recorder(torch.nn.Module):
    """An ImageNet-style encoder stub (fixed RGB input) that records what it is fed."""

    fixed_input, stride, input_space = True, 8, "rgb"

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 8, stride=8)
        self.seen: list[torch.Tensor] = []

    def normalize(self, x):
        return x

    def features(self, x):
        self.seen.append(x.detach().clone())
        return self.conv(x)


def test_no_channel_dropout_on_a_fixed_input_rgb_trunk():
    enc = _Recorder()
    obj = ContrastCorrObjective(enc).train()
    torch.manual_seed(0)
    ref, search = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 48, 48)
    for _ in range(10):
        enc.seen.clear()
        obj((ref, search))
        assert torch.equal(enc.seen[0], ref) and torch.equal(enc.seen[1], search)
    lab = ContrastCorrObjective(tiny_encoder("lab"), channel_dropout=1.0)
    assert lab.channel_dropout == 1.0  # free-input encoders keep CorrFlow's dropout


def test_objective_is_invariant_to_the_feature_norm():
    # an ImageNet trunk's cells have norms of 70-80: softmax(raw / 1) saturated; unit cells do not care
    torch.manual_seed(0)
    enc = _Recorder()
    obj = ContrastCorrObjective(enc).eval()
    batch = (torch.rand(2, 3, 32, 32), torch.rand(2, 3, 48, 48))
    small = obj(batch)
    with torch.no_grad():
        enc.conv.weight.mul_(100.0)
        enc.conv.bias.mul_(100.0)
    big = obj(batch)
    for k in ("intra", "colour_switch", "self", "consistency", "sparsity", "cycle"):
        assert big[k] == pytest.approx(small[k], rel=1e-4, abs=1e-6), k
    assert obj.temperature == 0.07


@pytest.mark.slow
@pytest.mark.realdata
def test_contrastcorr_training_lowers_the_loss_on_real_frames(davis_train_root):
    from corrlearn.train.data import ClipDataset, discover_videos

    videos = discover_videos([str(davis_train_root)], ["bear", "boat", "bus", "elephant"])
    ds = ClipDataset(videos, "pair", 2, (1, 3), crop_size=64, search_size=160)
    batches = fixed_batches(ds, n=2, batch=4)
    torch.manual_seed(0)
    obj = ContrastCorrObjective(tiny_encoder(), channel_dropout=0.0)
    losses = train_losses(obj, batches, steps=20, lr=1e-3)
    assert all(math.isfinite(v) for v in losses)
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])
