"""The reference against brute force written independently from its definition."""

import pytest
import torch

from corrlearn.affinity import topk_affinity


def _brute(q, keys, k, t, grid, radius, shape, restrict, normalize):
    m, nk, c = keys.shape
    scores = (q.double() @ keys.reshape(-1, c).double().T) / t
    if radius is not None:
        h, w = grid
        ys, xs = torch.arange(h).repeat_interleave(w), torch.arange(w).repeat(h)
        dy, dx = ys[None, :] - ys[:, None], xs[None, :] - xs[:, None]
        inside = (
            (dy**2 + dx**2 < radius**2) if shape == "circle" else (dy.abs() <= radius) & (dx.abs() <= radius)
        )
        blocked = torch.cat([(~inside) & bool(r) for r in restrict], dim=1)
        scores = scores.masked_fill(blocked, float("-inf"))
    rows_w, rows_i = [], []
    for row in scores:
        order = sorted(range(row.numel()), key=lambda j: (-row[j].item(), j))[:k]
        vals = row[order]
        ok = torch.isfinite(vals)
        if normalize == "topk":
            wts = torch.softmax(vals.masked_fill(~ok, float("-inf")), 0)
        else:
            wts = torch.exp(vals - torch.logsumexp(row, 0))
        rows_w.append(torch.where(ok, wts, torch.zeros_like(wts)).nan_to_num(0.0))
        rows_i.append(torch.tensor([j if o else -1 for j, o in zip(order, ok.tolist(), strict=True)]))
    return torch.stack(rows_w).float(), torch.stack(rows_i)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(
    "radius, shape, restrict",
    [
        (None, "circle", None),
        (1.5, "circle", [False, True]),
        (2, "square", [True, True]),
        (0.5, "circle", [True, True]),
    ],
)
@pytest.mark.parametrize("normalize", ["topk", "all"])
def test_matches_brute_force(seed, radius, shape, restrict, normalize):
    g = torch.Generator().manual_seed(seed)
    h, w, k = 4, 5, 7
    q = torch.randint(-2, 3, (h * w, 3), generator=g).float()  # integer features: exact ties everywhere
    keys = torch.randint(-2, 3, (2, h * w, 3), generator=g).float()
    restrict = restrict or [True, True]
    got_w, got_i = topk_affinity(
        q,
        keys,
        k,
        0.5,
        grid=(h, w),
        radius=radius,
        radius_shape=shape,
        restrict=restrict,
        normalize=normalize,
        max_block_bytes=256,
    )
    exp_w, exp_i = _brute(q, keys, k, 0.5, (h, w), radius, shape, restrict, normalize)
    assert torch.equal(got_i, exp_i)
    assert torch.allclose(got_w, exp_w, atol=1e-6)
