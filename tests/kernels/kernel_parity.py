"""Helpers shared by the kernel parity tests: input generators, real features and the parity assertion.

A plain module (not conftest.py) so that ``from kernel_parity import ...`` can never pick up another
folder's conftest; the triton worker subprocess imports it too.
"""

from __future__ import annotations

import numpy as np
import torch

from corrlearn.affinity import propagate_labels, topk_affinity, transfer, within_radius
from corrlearn.datasets.davis import frames_dir


def make_inputs(h, w, m, c, seed, ties=False, dtype=torch.float32):
    """Query (h*w, C) and keys (M, h*w, C). ``ties``: small integers, so many scores tie exactly."""
    g = torch.Generator().manual_seed(seed)
    if ties:
        q = torch.randint(-1, 2, (h * w, c), generator=g).float()
        k = torch.randint(-1, 2, (m, h * w, c), generator=g).float()
    else:
        q = torch.nn.functional.normalize(torch.randn(h * w, c, generator=g), dim=1)
        k = torch.nn.functional.normalize(torch.randn(m, h * w, c, generator=g), dim=2)
    return q.to(dtype), k.to(dtype)


def assert_parity(ref, got, query, keys, temperature, grid, radius, radius_shape, restrict, exact, atol=1e-5):
    """Same indices as the reference and weights within ``atol``.

    ``exact``: every index must match (integer-valued features, where every backend computes every score
    exactly, so the tie rule is what decides). Otherwise a different summation order may reorder two scores
    that agree to float32 rounding; such swaps are accepted only when the float64 scores of both candidates
    agree to 1e-5 and the kernel's candidate is a legal one, and must stay rare.
    """
    rw, ri = ref
    gw, gi = got
    assert gw.dtype == torch.float32 and gi.dtype == torch.int64
    assert gw.shape == rw.shape and gi.shape == ri.shape
    torch.testing.assert_close(gw, rw, atol=atol, rtol=0)
    mism = ri != gi
    if exact:
        assert not mism.any(), f"{int(mism.sum())} indices differ, first at {mism.nonzero()[0].tolist()}"
        return
    assert int(mism.sum()) <= max(2, ri.numel() // 500), f"{int(mism.sum())} of {ri.numel()} indices differ"
    if not mism.any():
        return
    rows, cols = mism.nonzero(as_tuple=True)
    a, b = ri[rows, cols], gi[rows, cols]
    assert (a >= 0).all() and (b >= 0).all(), "a filled slot became empty (or the reverse)"
    nk = keys.shape[1]
    flat = keys.double().reshape(-1, keys.shape[-1])
    q64 = query.double()[rows]
    sa = (q64 * flat[a]).sum(1) / temperature
    sb = (q64 * flat[b]).sum(1) / temperature
    assert torch.allclose(sa, sb, atol=1e-5, rtol=0), "indices differ beyond a float32 near-tie"
    if radius is not None:
        h, w = grid
        f, p = b // nk, b % nk
        inside = within_radius(p // w - rows // w, p % w - rows % w, radius, radius_shape)
        assert (inside | ~restrict[f]).all(), "kernel picked a key outside the neighbourhood"


def real_features(davis_root, seq="bmx-trees", n=3, size=(120, 216)):
    """L2-normalised resnet18 layer3 features (n, h*w, C) of the first n frames of a DAVIS sequence."""
    from PIL import Image

    from corrlearn.models import create

    folder = frames_dir(davis_root, seq)
    frames = []
    for i in range(n):
        img = Image.open(folder / f"{i:05d}.jpg").convert("RGB").resize((size[1], size[0]), Image.BILINEAR)
        frames.append(torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1).float() / 255.0)
    enc = create("resnet18", seed=0)
    with torch.no_grad():
        feats = enc(torch.stack(frames))
    n_, c, h, w = feats.shape
    feats = torch.nn.functional.normalize(feats, dim=1)
    return feats.permute(0, 2, 3, 1).reshape(n_, h * w, c).contiguous(), (h, w)


# id: (h, w, M, C, k, T, radius, shape, restrict, normalize, ties, dtype)
TRITON_CASES = {
    "global_fp32": (3, 5, 2, 16, 4, 0.07, None, "circle", None, "topk", False, torch.float32),
    "circle_exempt_fp32": (5, 7, 2, 16, 5, 0.05, 2, "circle", [False, True], "topk", False, torch.float32),
    "square_all_fp32": (5, 6, 2, 16, 4, 1.0, 1, "square", None, "all", False, torch.float32),
    "k_over_window": (4, 5, 2, 16, 12, 0.07, 1.5, "circle", None, "topk", False, torch.float32),
    "ties_circle": (5, 5, 2, 16, 6, 0.5, 2.5, "circle", [True, False], "topk", True, torch.float32),
    "ties_global_all": (3, 4, 2, 16, 5, 1.0, None, "circle", None, "all", True, torch.float32),
    "fp16_circle": (5, 6, 2, 32, 4, 0.07, 2, "circle", [False, True], "topk", False, torch.float16),
    "bf16_square": (5, 6, 2, 32, 4, 0.07, 2, "square", None, "all", False, torch.bfloat16),
    "odd_channels": (3, 5, 1, 20, 3, 0.1, 1, "square", None, "topk", False, torch.float32),
    # several query tiles per row and several key tiles per frame / window row (BLOCK_Q 16, BLOCK_K 32 on CPU)
    "multi_tile_global": (5, 9, 2, 16, 6, 0.07, None, "circle", None, "all", False, torch.float32),
    "multi_tile_window": (3, 37, 2, 16, 5, 0.07, 20, "square", [True, False], "topk", True, torch.float32),
}


def run_triton_case(case, device="cpu"):
    """One Triton parity case (tensors on ``device``: CPU under the interpreter, or CUDA)."""
    h, w, m, c, k, t, radius, shape, restrict, norm, ties, dtype = case
    q, keys = make_inputs(h, w, m, c, seed=c + k, ties=ties, dtype=dtype)
    rs = torch.ones(m, dtype=torch.bool) if restrict is None else torch.tensor(restrict)
    args = dict(grid=(h, w), radius=radius, radius_shape=shape, restrict=rs, normalize=norm)
    ref = topk_affinity(q, keys, k, t, backend="torch", **args)
    got = topk_affinity(q.to(device), keys.to(device), k, t, backend="triton", **args)
    got = (got[0].cpu(), got[1].cpu())
    assert_parity(ref, got, q.float(), keys.float(), t, (h, w), radius, shape, rs, exact=ties)
    if ties:
        assert ((ref[0][:, 1:] == ref[0][:, :-1]) & (ref[1][:, 1:] >= 0)).any(), "no ties produced"
    labels = torch.rand(m, h * w, 3, generator=torch.Generator().manual_seed(2))
    fused = propagate_labels(q.to(device), keys.to(device), labels.to(device), k, t, backend="triton", **args)
    torch.testing.assert_close(fused.cpu(), transfer(*ref, labels), atol=1e-5, rtol=0)
