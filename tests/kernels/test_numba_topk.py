"""Parity of the numba CPU kernel with the reference top-k affinity (corrlearn/kernels/numba_topk.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from kernel_parity import assert_parity, make_inputs

from corrlearn import kernels
from corrlearn.affinity import propagate_labels, resolve_backend, topk_affinity, transfer

pytestmark = pytest.mark.skipif(not kernels.numba_available(), reason="numba is not installed")

# (h, w, M, C, k, T, radius, shape, restrict, normalize)
CASES = [
    (5, 7, 1, 16, 4, 0.07, None, "circle", None, "topk"),
    (9, 13, 3, 32, 10, 0.05, 3, "circle", [False, True, True], "topk"),
    (9, 13, 3, 32, 10, 0.05, 3, "circle", [False, True, True], "all"),
    (11, 7, 2, 24, 5, 0.1, 2, "square", None, "topk"),
    (11, 7, 2, 24, 5, 1.0, 2, "square", [True, False], "all"),
    (7, 9, 4, 16, 30, 0.07, 1.5, "circle", None, "topk"),  # k > window: -1 slots
    (7, 9, 4, 16, 30, 0.07, 1.5, "circle", None, "all"),
    (6, 5, 21, 8, 10, 0.07, 2.5, "circle", [False] + [True] * 20, "topk"),
    (13, 17, 5, 64, 10, 0.07, 12, "circle", [False] + [True] * 4, "topk"),  # radius covers the grid
    (3, 3, 2, 8, 4, 0.07, 0.5, "circle", None, "topk"),  # only the own cell
    (3, 3, 2, 8, 4, 0.07, 0, "square", [True, True], "topk"),  # square 0 = own cell
    (4, 6, 2, 8, 4, 0.07, 0, "circle", [True, False], "all"),  # circle 0 = nothing in frame 0
    (9, 11, 2, 16, 7, 0.07, None, "circle", None, "all"),
    (30, 41, 4, 64, 10, 0.05, 12, "circle", [False, True, True, True], "topk"),  # several key chunks
]


def _run(case, ties, seed, backend):
    h, w, m, c, k, t, radius, shape, restrict, norm = case
    q, keys = make_inputs(h, w, m, c, seed, ties=ties)
    rs = torch.ones(m, dtype=torch.bool) if restrict is None else torch.tensor(restrict)
    args = dict(grid=(h, w), radius=radius, radius_shape=shape, restrict=rs, normalize=norm)
    ref = topk_affinity(q, keys, k, t, backend="torch", **args)
    got = topk_affinity(q, keys, k, t, backend=backend, **args)
    return q, keys, t, args, ref, got


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_random_features_match_reference(case):
    q, keys, t, args, ref, got = _run(case, False, seed=len(str(case)), backend="numba")
    assert_parity(
        ref, got, q, keys, t, args["grid"], args["radius"], args["radius_shape"], args["restrict"], False
    )


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_exact_ties_follow_lower_index_rule(case):
    # features in {-1, 0, 1}: scores are small integers / T, so most candidates tie and order is the tie rule
    q, keys, t, args, ref, got = _run(case, True, seed=7, backend="numba")
    ties = (ref[0][:, 1:] == ref[0][:, :-1]) & (ref[1][:, 1:] >= 0)
    assert ties.any(), "the input was meant to produce ties"
    assert_parity(
        ref, got, q, keys, t, args["grid"], args["radius"], args["radius_shape"], args["restrict"], True
    )


def test_empty_slots_are_minus_one_with_zero_weight():
    q, keys = make_inputs(4, 5, 1, 8, 0)
    w, i = topk_affinity(q, keys, 9, 0.1, (4, 5), 1.0, "circle", None, backend="numba")  # only the own cell
    assert (i[:, 0] == torch.arange(20)).all()
    assert (i[:, 1:] == -1).all() and (w[:, 1:] == 0).all()
    assert torch.allclose(w[:, 0], torch.ones(20))


@pytest.mark.parametrize("norm", ["topk", "all"])
@pytest.mark.parametrize("radius", [None, 3])
def test_fused_labels_match_transfer_of_reference(norm, radius):
    h, w, m = 10, 12, 3
    q, keys = make_inputs(h, w, m, 32, 3)
    labels = torch.rand(m, h * w, 4, generator=torch.Generator().manual_seed(1))
    rs = torch.tensor([False, True, True])
    ref = transfer(*topk_affinity(q, keys, 10, 0.07, (h, w), radius, "circle", rs, norm), labels)
    got = propagate_labels(q, keys, labels, 10, 0.07, (h, w), radius, "circle", rs, norm, backend="numba")
    assert got.dtype == torch.float32 and got.shape == (h * w, 4)
    torch.testing.assert_close(got, ref, atol=1e-5, rtol=0)
    # flat (M * Nk, L) labels and a non-contiguous query view give the same result
    flat = propagate_labels(
        q.T.contiguous().T,
        keys,
        labels.reshape(-1, 4),
        10,
        0.07,
        (h, w),
        radius,
        "circle",
        rs,
        norm,
        backend="numba",
    )
    torch.testing.assert_close(flat, got, atol=0, rtol=0)


def test_half_precision_inputs_are_scored_in_float32():
    q, keys = make_inputs(6, 7, 2, 16, 5, dtype=torch.float16)
    ref = topk_affinity(q, keys, 5, 0.07, (6, 7), 2, "square", None, backend="torch")
    got = topk_affinity(q, keys, 5, 0.07, (6, 7), 2, "square", None, backend="numba")
    assert_parity(
        ref, got, q.float(), keys.float(), 0.07, (6, 7), 2, "square", torch.ones(2, dtype=torch.bool), False
    )


def test_auto_backend_takes_numba_on_cpu():
    assert resolve_backend("auto", torch.device("cpu")) == "numba"


def test_realistic_davis_scale_case():
    # DAVIS 480p grid with CRW settings, three reference frames (first one exempt from the radius)
    h, w, m = 60, 107, 3
    q, keys = make_inputs(h, w, m, 256, 11)
    rs = torch.tensor([False, True, True])
    ref = topk_affinity(q, keys, 10, 0.05, (h, w), 12, "circle", rs, backend="torch")
    got = topk_affinity(q, keys, 10, 0.05, (h, w), 12, "circle", rs, backend="numba")
    assert_parity(ref, got, q, keys, 0.05, (h, w), 12, "circle", rs, False)


@pytest.mark.realdata
@pytest.mark.parametrize(
    "settings",
    [
        dict(
            k=10, temperature=0.05, radius=12, radius_shape="circle", restrict=[False, True], normalize="topk"
        ),
        dict(
            k=10, temperature=0.07, radius=4, radius_shape="square", restrict=[True, True], normalize="topk"
        ),
        dict(k=5, temperature=1.0, radius=None, radius_shape="circle", restrict=None, normalize="all"),
    ],
    ids=["crw", "stt", "uvc"],
)
def test_real_davis_features_match_reference(davis_features, settings):
    feats, grid = davis_features
    query, keys = feats[2], feats[:2]
    ref = topk_affinity(query, keys, grid=grid, backend="torch", **settings)
    got = topk_affinity(query, keys, grid=grid, backend="numba", **settings)
    rs = (
        torch.ones(2, dtype=torch.bool)
        if settings["restrict"] is None
        else torch.tensor(settings["restrict"])
    )
    assert_parity(
        ref,
        got,
        query,
        keys,
        settings["temperature"],
        grid,
        settings["radius"],
        settings["radius_shape"],
        rs,
        False,
    )
    assert (got[1] >= 0).all()


@pytest.mark.slow
def test_compiled_kernel_is_reused_from_the_disk_cache(tmp_path):
    # a fresh process with an empty cache compiles and saves; a second one must load every function from disk
    code = textwrap.dedent(
        """
        import torch
        from corrlearn.affinity import topk_affinity
        from corrlearn.kernels import numba_topk as nt
        q = torch.randn(12, 8); k = torch.randn(2, 12, 8)
        topk_affinity(q, k, 3, 0.1, (3, 4), 1.5, "circle", [False, True], "all", backend="numba")
        fns = [nt._free_pass, nt._window_pass, nt._finish]
        print(sum(sum(f.stats.cache_hits.values()) for f in fns), sum(sum(f.stats.cache_misses.values()) for f in fns))
        """
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    runs = [
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
        for _ in "ab"
    ]
    for r in runs:
        assert r.returncode == 0, r.stderr[-2000:]
    first = [int(x) for x in runs[0].stdout.split()]
    second = [int(x) for x in runs[1].stdout.split()]
    assert first[1] == 3, f"first run should compile all three entry points, got {first}"
    assert second == [3, 0], f"second run should load all three from the cache, got {second}"


@pytest.mark.parametrize("backend", ["numba", "torch"])
@pytest.mark.parametrize("ties", [False, True])
def test_slots_equal_the_stacked_bank(backend, ties):
    # a ring store of 4 frames read in a rotated order with one slot repeated (padding), against the
    # frames stacked in that order: the same labels, flat indices and tie rule follow the logical order
    h, w, c, k = 9, 11, 16, 6
    q, store = make_inputs(h, w, 4, c, seed=3, ties=ties)
    labels = torch.rand(4, h * w, 3)
    slots = [0, 2, 3, 0, 1]
    restrict = [False, True, True, True, True]
    args = dict(grid=(h, w), radius=3, restrict=restrict, backend=backend)
    stacked = propagate_labels(q, store[slots], labels[slots], k, 0.07, **args)
    ring = propagate_labels(q, store, labels, k, 0.07, slots=slots, **args)
    torch.testing.assert_close(ring, stacked, rtol=0, atol=0)


def test_slots_outside_the_store_are_an_error():
    q, store = make_inputs(3, 4, 2, 8, seed=0)
    with pytest.raises(ValueError, match="slots"):
        propagate_labels(q, store, torch.rand(2, 12, 2), 3, 0.1, slots=[0, 2])


@pytest.mark.parametrize("bf16", [False, True], ids=["fp32-micro-kernel", "bf16-filter"])
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("case", [CASES[0], CASES[1], CASES[12], CASES[13]], ids=["c0", "c1", "c12", "c13"])
def test_both_free_frame_paths_match_reference(case, ties, bf16):
    # frames without a radius go through the float32 micro-kernel or the bf16 GEMM filter + float32 rescoring;
    # both must give the reference's selection (the filter's margin is what keeps bf16 from changing it)
    from corrlearn.kernels import numba_topk

    h, w, m, c, k, t, radius, shape, restrict, norm = case
    q, keys = make_inputs(h, w, m, c, seed=11, ties=ties)
    rs = torch.ones(m, dtype=torch.bool) if restrict is None else torch.tensor(restrict)
    args = dict(grid=(h, w), radius=radius, radius_shape=shape, restrict=rs, normalize=norm)
    ref = topk_affinity(q, keys, k, t, backend="torch", **args)
    gw, gi, _ = numba_topk.run(
        q.numpy(), keys.numpy(), k, t, (h, w), radius, shape, rs.numpy(), norm, bf16_filter=bf16
    )
    got = (torch.from_numpy(gw), torch.from_numpy(gi))
    assert_parity(ref, got, q, keys, t, (h, w), radius, shape, rs, ties)


def test_bf16_filter_keeps_float32_order_under_large_rounding_error():
    # unnormalised keys (x, x - d) against q = (1, -1): exact scores d in [0.1, 0.23], but bf16 rounds
    # x ~ 100 to steps of 0.5, so bf16 scores are noise; only the error margin (here > every gap) keeps the
    # float32 selection
    g = torch.Generator().manual_seed(5)
    x = 100 + 10 * torch.rand(64, generator=g)
    d = 0.1 + 0.002 * torch.randperm(64, generator=g).float()
    keys = torch.stack([x, x - d], dim=1)[None]
    q = torch.tensor([[1.0, -1.0]])
    ref = _bf16_filter_matches_reference(q, keys)
    approx = (q.bfloat16() @ keys[0].bfloat16().T).float()[0]
    assert set(approx.topk(10).indices.tolist()) != set(ref[1][0].tolist()), "bf16 alone must mis-rank"


def test_bf16_filter_across_frames_keeps_float32_order():
    # the filter also prunes a frame by the k-th exact score of earlier frames; with bf16 scores that are
    # noise (as above) and the true top 10 in the last of four frames, pruning must still keep all of them
    g = torch.Generator().manual_seed(6)
    x = 100 + 10 * torch.rand(4, 16, generator=g)
    d = 0.1 + 0.002 * torch.randperm(64, generator=g).float().sort().values.reshape(4, 16)
    keys = torch.stack([x, x - d], dim=2)  # frame f holds scores d[f]: increasing with f
    q = torch.tensor([[1.0, -1.0], [-1.0, 1.0]])  # the second query ranks the frames the other way round
    ref = _bf16_filter_matches_reference(q, keys)
    assert set(ref[1][0].tolist()) <= set(range(48, 64))  # the first query's best keys are all in frame 3


def _bf16_filter_matches_reference(q, keys, k=10, t=0.5):
    """Run the bf16-filtered kernel without a radius; assert the reference's selection; return the reference."""
    from corrlearn.kernels import numba_topk

    ref = topk_affinity(q, keys, k, t, backend="torch")
    no_radius = np.zeros(keys.shape[0], np.uint8)
    gw, gi, _ = numba_topk.run(
        q.numpy(), keys.numpy(), k, t, None, None, "circle", no_radius, "topk", bf16_filter=True
    )
    assert torch.equal(torch.from_numpy(gi), ref[1])
    torch.testing.assert_close(torch.from_numpy(gw), ref[0], atol=1e-5, rtol=0)
    return ref
