from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import fixed_batches, tiny_encoder, train_losses

from corrlearn.losses.stt import (
    MoCoObjective,
    STTTemporalObjective,
    correlation,
    entropy_weight,
    global_distillation,
    info_nce,
    local_distillation,
    pool_correlation,
    reconstruct,
    window_mask,
)

# ------------------------------------------------------------------------------------------ stage 1


def test_info_nce_small_for_separated_positive_and_gradcheck():
    q = F.normalize(torch.eye(4)[:2], dim=1)
    queue = F.normalize(torch.eye(4)[2:], dim=1)
    assert float(info_nce(q, q, queue, 0.05)) < 1e-6
    assert float(info_nce(q, q[[1, 0]], queue, 0.05)) == pytest.approx(math.log(3), rel=1e-5)  # all tie
    assert float(info_nce(q, q[[1, 0]], torch.cat([queue, q]), 0.05)) > 10  # a negative matches: large
    args = tuple(
        F.normalize(torch.randn(n, 5, dtype=torch.float64), dim=1).requires_grad_() for n in (3, 3, 6)
    )
    assert torch.autograd.gradcheck(lambda a, b, c: info_nce(a, b, c, 0.2), args)


def test_moco_queue_and_momentum_update():
    torch.manual_seed(0)
    obj = MoCoObjective(tiny_encoder(), queue_size=8, momentum=0.5).train()
    key_before = [p.clone() for p in obj.key_encoder.parameters()]
    with torch.no_grad():
        for p in obj.encoder.parameters():
            p.add_(1.0)  # move the query encoder: the key encoder must follow halfway
    out = obj(torch.rand(3, 2, 3, 32, 32))
    assert math.isfinite(float(out["loss"].detach()))
    assert int(obj.queue_ptr) == 3
    assert torch.allclose(obj.queue.norm(dim=1), torch.ones(8), atol=1e-5)
    for kb, k in zip(key_before, obj.key_encoder.parameters(), strict=True):
        assert torch.allclose(k, kb + 0.5, atol=1e-5)
    assert all(not p.requires_grad for p in obj.key_encoder.parameters())
    obj(torch.rand(6, 2, 3, 32, 32))
    assert int(obj.queue_ptr) == (3 + 6) % 8  # wraps around


# ------------------------------------------------------------------------------------------ stage 2


def test_window_mask_is_a_square():
    m = window_mask(5, 5, 1)
    assert m.shape == (25, 25)
    assert int(m[12].sum()) == 9 and int(m[0].sum()) == 4
    assert bool(m[12, 6]) and not bool(m[12, 2])


def test_correlation_is_a_distribution_inside_the_window():
    torch.manual_seed(0)
    tar, refs = torch.randn(2, 8, 5, 6), torch.randn(2, 2, 8, 5, 6)
    c = correlation(tar, refs, radius=1)
    assert c.shape == (2, 30, 60)
    assert torch.allclose(c.sum(-1), torch.ones(2, 30), atol=1e-6)
    outside = ~window_mask(5, 6, 1).repeat(1, 2)
    assert float(c[:, outside].abs().max()) == 0.0


def test_reconstruct_with_identity_correlation_copies_the_reference():
    vals = torch.rand(1, 1, 2, 3, 4)
    out = reconstruct(torch.eye(12)[None], vals, (3, 4))
    assert torch.allclose(out, vals[:, 0])


def test_correlation_and_reconstruction_gradcheck():
    torch.manual_seed(0)
    tar = torch.randn(1, 3, 3, 3, dtype=torch.float64, requires_grad=True)
    refs = torch.randn(1, 1, 3, 3, 3, dtype=torch.float64, requires_grad=True)
    vals = torch.rand(1, 1, 1, 3, 3, dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda t, r: reconstruct(correlation(t, r, radius=1), vals, (3, 3)), (tar, refs)
    )


def test_distillation_losses_are_zero_when_student_equals_teacher():
    torch.manual_seed(0)
    fine = correlation(torch.randn(2, 4, 8, 8), torch.randn(2, 1, 4, 8, 8), radius=3)
    pooled = pool_correlation(fine, (8, 8))
    assert pooled.shape == (2, 16, 16)
    assert torch.allclose(pooled.sum(-1), torch.ones(2, 16), atol=1e-5)  # still distributions
    w = entropy_weight(pooled)
    assert float(local_distillation(pooled.clone(), pooled, w)) == 0.0
    assert float(global_distillation(pooled.clone(), pooled)) == 0.0
    other = torch.softmax(torch.randn(2, 16, 16), -1)
    assert float(local_distillation(other, pooled, torch.ones(2, 16))) > 0


def test_pool_correlation_of_a_smooth_shift():
    # fine correlation that maps each cell to itself: pooled, each coarse cell maps to itself
    fine = torch.eye(16).view(1, 16, 16)
    assert torch.allclose(pool_correlation(fine, (4, 4)), torch.eye(4)[None])


def test_entropy_weight_keeps_the_most_uncertain_queries():
    peaked = torch.tensor([1.0, 0, 0, 0])
    flat = torch.full((4,), 0.25)
    mid = torch.tensor([0.5, 0.5, 0, 0])
    corr = torch.stack([peaked, flat, mid, peaked, flat, mid, peaked, peaked, mid, flat])[None]
    w = entropy_weight(corr, keep=0.6)
    assert w.shape == (1, 10)
    assert w[0].tolist() == [0, 1, 1, 0, 1, 1, 0, 0, 1, 1]


def test_temporal_objective_terms_and_frozen_teacher():
    torch.manual_seed(0)
    teacher = tiny_encoder(seed=1)
    before = {k: v.clone() for k, v in teacher.state_dict().items()}
    obj = STTTemporalObjective(tiny_encoder("lab"), teacher).train()
    assert not teacher.training
    out = obj(torch.rand(2, 2, 3, 64, 64))
    assert {"rec_fine", "rec_coarse", "local_distill", "global_distill"} <= set(out)
    out["loss"].backward()
    assert all(p.grad is None for p in teacher.parameters())
    assert all(torch.equal(before[k], v) for k, v in teacher.state_dict().items())  # BN stats untouched
    no_teacher = STTTemporalObjective(tiny_encoder("lab"), None)
    assert "global_distill" not in no_teacher(torch.rand(1, 2, 3, 32, 32))


def test_default_weights_are_the_authors_but_a_lighter_local_term():
    obj = STTTemporalObjective(tiny_encoder("lab"))
    # the authors' local weight 1000 made the local term's gradient 13x the reconstruction's (module docstring)
    assert obj.weights == {
        "rec_fine": 1.0,
        "rec_coarse": 1.0,
        "local_distill": 50.0,
        "global_distill": 50.0,
    }
    assert obj.rec_scale == 20.0 and obj.radius == (12, 6) and obj.entropy_keep == 0.7


@pytest.mark.parametrize("input_space", ["rgb", "lab"])
def test_global_distillation_is_exactly_zero_while_the_student_is_its_teacher(input_space):
    # fine-tuning with teacher="init": a frozen copy of the student's initial weights
    torch.manual_seed(0)
    student = tiny_encoder(input_space, seed=3)
    teacher = tiny_encoder(input_space, seed=3)
    obj = STTTemporalObjective(student, teacher).eval()  # eval: BN statistics identical on both sides
    out = obj(torch.rand(2, 3, 3, 64, 64))
    assert out["global_distill"] == 0.0
    other = STTTemporalObjective(tiny_encoder(input_space, seed=3), tiny_encoder(input_space, seed=4)).eval()
    assert other(torch.rand(2, 3, 3, 64, 64))["global_distill"] > 0  # a different teacher is felt


def test_global_distillation_is_zero_at_init_for_an_imagenet_style_fixed_input_trunk():
    from corrlearn import models

    student = models.create("efficientnet-lite0", 8, "lab", weights=None, seed=0)
    teacher = models.create("efficientnet-lite0", 8, "lab", weights=None, seed=0)
    obj = STTTemporalObjective(student, teacher).eval()
    torch.manual_seed(0)
    assert obj(torch.rand(1, 2, 3, 64, 64))["global_distill"] == 0.0


@pytest.mark.slow
@pytest.mark.realdata
def test_stt_temporal_training_lowers_the_loss_on_real_frames(davis_train_root):
    from corrlearn.train.data import ClipDataset, discover_videos

    videos = discover_videos([str(davis_train_root)], ["bear", "boat", "bus", "elephant"])
    ds = ClipDataset(videos, "clip", 2, (1, 3), crop_size=64, crop_scale=(0.6, 1.0), independent_crops=False)
    batches = fixed_batches(ds, n=2, batch=2)
    torch.manual_seed(0)
    obj = STTTemporalObjective(tiny_encoder("lab"), tiny_encoder(seed=1))
    losses = train_losses(obj, batches, steps=20, lr=1e-3)
    assert all(math.isfinite(v) for v in losses)
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])


@pytest.mark.slow
@pytest.mark.realdata
def test_moco_training_lowers_the_loss_on_real_frames(davis_root):
    from corrlearn.train.data import ClipDataset, discover_videos

    # still frames of val sequences (a loss check, not model selection): 30 steps lower the loss by 27 %;
    # on the training sequences tried (bear, boat, bus, elephant / flamingo, tennis) by only 15-18 %
    videos = discover_videos([str(davis_root)], ["dog", "camel", "cows", "blackswan"])
    ds = ClipDataset(videos, "views", 1, (1, 1), crop_size=48, crop_scale=(0.3, 1.0))
    batches = fixed_batches(ds, n=2, batch=8)
    torch.manual_seed(0)
    obj = MoCoObjective(tiny_encoder(), queue_size=64, momentum=0.9)
    losses = train_losses(obj, batches, steps=30, lr=0.03, optim="sgd")
    assert all(math.isfinite(v) for v in losses)
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])
