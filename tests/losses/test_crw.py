from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import fixed_batches, tiny_encoder, train_losses

from corrlearn.losses.crw import CRWObjective, patch_grid, stochastic_matrix, walk_loss


def _orthonormal_nodes(B=2, C=8, T=4, N=8):
    eye = torch.eye(C)[:N].t()  # (C, N): node n is the n-th basis vector
    return eye[None, :, None, :].expand(B, C, T, N).contiguous()


def test_walk_on_identical_features_returns_home():
    q = _orthonormal_nodes()
    loss, diags = walk_loss(q, temperature=0.05)
    assert float(loss) < 1e-6
    assert all(diags[f"acc {k}"] == 1.0 for k in range(1, 4))


def test_walk_on_indistinct_features_is_chance():
    q = F.normalize(torch.ones(1, 4, 3, 6), dim=1)  # every node the same: transitions uniform
    loss, _ = walk_loss(q, temperature=0.07)
    assert float(loss) == pytest.approx(math.log(6), rel=1e-5)


def test_walk_loss_is_lower_for_consistent_than_for_shuffled_frames():
    torch.manual_seed(0)
    base = F.normalize(torch.randn(2, 16, 1, 10), dim=1)
    same = base.expand(2, 16, 4, 10)
    shuffled = torch.cat(
        [base[..., torch.randperm(10)] + 0.8 * torch.randn(2, 16, 1, 10) for _ in range(4)], 2
    )
    assert float(walk_loss(same, 0.07)[0]) < float(walk_loss(F.normalize(shuffled, dim=1), 0.07)[0])


def test_walk_lengths_cover_every_round_trip():
    q = F.normalize(torch.randn(1, 4, 5, 3), dim=1)
    _, diags = walk_loss(q)
    assert sorted(k for k in diags if k.startswith("xent")) == [f"xent {k}" for k in range(1, 5)]
    _, diags = walk_loss(q, min_walk=2)  # the authors' code: lengths 2 .. T-1
    assert sorted(k for k in diags if k.startswith("xent")) == [f"xent {k}" for k in range(2, 5)]
    with pytest.raises(ValueError):
        walk_loss(q[:, :, :1])


def test_walk_loss_matches_explicit_palindrome():
    torch.manual_seed(1)
    q = F.normalize(torch.randn(1, 5, 3, 4, dtype=torch.float64), dim=1)
    A = [q[0, :, t].t() @ q[0, :, t + 1] for t in range(2)]
    P = [torch.softmax(a / 0.1, -1) for a in A]
    Q = [torch.softmax(a.t() / 0.1, -1) for a in A]
    walks = [P[0] @ Q[0], P[0] @ P[1] @ Q[1] @ Q[0]]
    expected = np.mean([float(-torch.log(torch.diagonal(w)).mean()) for w in walks])
    assert float(walk_loss(q, 0.1)[0]) == pytest.approx(expected, rel=1e-9)


def test_walk_loss_with_edge_dropout_is_finite_and_differentiable():
    torch.manual_seed(0)
    q = torch.randn(2, 8, 4, 12, requires_grad=True)
    loss, _ = walk_loss(F.normalize(q, dim=1), temperature=0.05, edge_dropout=0.5)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(q.grad).all()
    # dropping every edge of a row still leaves a distribution (all logits equal)
    s = stochastic_matrix(torch.randn(1, 3, 3), 0.07, edge_dropout=1.0)
    assert torch.allclose(s.sum(-1), torch.ones(1, 3))


def test_walk_loss_gradcheck():
    torch.manual_seed(0)
    q = torch.randn(1, 3, 3, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: walk_loss(F.normalize(x, dim=1), 0.5)[0], (q,))


def test_patch_grid_matches_slicing():
    x = torch.arange(2 * 3 * 96 * 128, dtype=torch.float32).view(2, 3, 96, 128)
    p = patch_grid(x, 64, 32)
    assert p.shape == (2, 2 * 3, 3, 64, 64)
    assert torch.equal(p[1, 4], x[1, :, 32:96, 32:96])  # row 1, column 1


@pytest.mark.parametrize("nodes", ["patches", "pixels"])
def test_objective_shapes(nodes):
    obj = CRWObjective(tiny_encoder(), nodes=nodes).eval()
    q = obj.embed(torch.rand(2, 3, 3, 96, 96))
    n = 4 if nodes == "patches" else 12 * 12
    assert q.shape == (2, 128, 3, n)
    assert torch.allclose(q.norm(dim=1), torch.ones(2, 3, n), atol=1e-5)
    out = obj(torch.rand(1, 3, 3, 96, 96))
    assert set(out) >= {"loss", "xent 1", "xent 2"}


@pytest.mark.slow
@pytest.mark.realdata
def test_crw_training_lowers_the_loss_on_real_frames(davis_train_root):
    from corrlearn.train.data import ClipDataset, discover_videos

    videos = discover_videos([str(davis_train_root)], ["bear", "boat", "bus", "elephant"])
    ds = ClipDataset(videos, "clip", clip_len=3, frame_gap=(1, 2), crop_size=64, crop_scale=(0.6, 0.9))
    batches = fixed_batches(ds, n=2, batch=2)
    torch.manual_seed(0)
    obj = CRWObjective(tiny_encoder(), temperature=0.07, edge_dropout=0.1, nodes="pixels")
    losses = train_losses(obj, batches, steps=20, lr=1e-3)
    assert all(math.isfinite(v) for v in losses)
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])
