"""Fused top-k affinity on GPU with Triton (also runs under the CPU interpreter, TRITON_INTERPRET=1).

One program owns a tile of BLOCK_Q query cells (a segment of one grid row, or of the flat query list when
there is no radius). It streams BLOCK_K-key tiles of every reference frame through ``tl.dot`` (fp32
accumulation; fp32 inputs use IEEE precision, never TF32, so indices match the reference), keeps the running
top-k of each query on chip as a (BLOCK_Q, KP) register tile, and merges each key tile into it with K rounds
of max-extraction; ties go to the lower flat index through a second min-reduction over indices. Restricted
frames are iterated only over the key rows/columns the tile's neighbourhood can reach (loop bounds from the
tile's row and columns), the exact circle/square test masks the rest of those rows. ``normalize="all"``
keeps a running (max, sum-exp) pair per query. The epilogue writes weights/indices, or gathers the k label
rows and writes the weighted sum directly, so the affinity never exists beyond (Nq, k).
"""

from __future__ import annotations

import math

import torch
import triton
import triton.language as tl

BIG: tl.constexpr = tl.constexpr(2**62)  # index of an empty slot: loses every tie


@triton.jit
def _merge(bs, bi, s, pidx, col, K: tl.constexpr):
    """Top-K of (running buffer bs/bi) united with (tile scores s at flat indices pidx), sorted."""
    kth = tl.max(tl.where(col[None, :] == K - 1, bs, float("-inf")), axis=1)
    tmax = tl.max(s, axis=1)
    if tl.max((tmax >= kth).to(tl.int32), axis=0) > 0:
        new_s = tl.full(bs.shape, float("-inf"), tl.float32)
        new_i = tl.full(bi.shape, BIG, tl.int64)
        for r in tl.static_range(K):
            bmax = tl.max(bs, axis=1)
            bidx = tl.min(tl.where(bs == bmax[:, None], bi, BIG), axis=1)
            smax = tl.max(s, axis=1)
            sidx = tl.min(tl.where(s == smax[:, None], pidx, BIG), axis=1)
            take = (smax > bmax) | ((smax == bmax) & (sidx < bidx))
            ps = tl.where(take, smax, bmax)
            pi = tl.where(take, sidx, bidx)
            new_s = tl.where(col[None, :] == r, ps[:, None], new_s)
            new_i = tl.where(col[None, :] == r, pi[:, None], new_i)
            s = tl.where(take[:, None] & (pidx == sidx[:, None]), float("-inf"), s)
            bs = tl.where((~take)[:, None] & (bi == bidx[:, None]), float("-inf"), bs)
        bs = new_s
        bi = new_i
    return bs, bi


@triton.jit
def _lse_update(mx, se, s):
    """Running logsumexp over the finite scores of a tile."""
    tmax = tl.max(s, axis=1)
    m_new = tl.maximum(mx, tmax)
    safe = tl.where(m_new == float("-inf"), 0.0, m_new)
    scale = tl.where(mx == float("-inf"), 0.0, tl.exp(mx - safe))
    part = tl.sum(tl.where(s == float("-inf"), 0.0, tl.exp(s - safe[:, None])), axis=1)
    return m_new, se * scale + part


@triton.jit
def _scores(
    q_ptr,
    k_ptr,
    qrow,
    qmask,
    krow,
    kmask,
    C,
    inv_t,
    BLOCK_Q: tl.constexpr,
    BLOCK_K: tl.constexpr,
    BLOCK_C: tl.constexpr,
    IEEE: tl.constexpr,
    UPCAST: tl.constexpr,
):
    """(BLOCK_Q, BLOCK_K) float32 scores <q, k> * inv_t; rows/cols outside the masks are -inf."""
    acc = tl.zeros((BLOCK_Q, BLOCK_K), tl.float32)
    cc = tl.arange(0, BLOCK_C)
    for c0 in range(0, C, BLOCK_C):
        cm = (c0 + cc) < C
        a = tl.load(
            q_ptr + qrow[:, None] * C + (c0 + cc)[None, :], mask=qmask[:, None] & cm[None, :], other=0.0
        )
        b = tl.load(
            k_ptr + krow[:, None] * C + (c0 + cc)[None, :], mask=kmask[:, None] & cm[None, :], other=0.0
        )
        if UPCAST:
            acc += tl.dot(a.to(tl.float32), tl.trans(b.to(tl.float32)), input_precision="ieee")
        elif IEEE:
            acc += tl.dot(a, tl.trans(b), input_precision="ieee")
        else:
            acc += tl.dot(a, tl.trans(b))
    s = acc * inv_t
    return tl.where(qmask[:, None] & kmask[None, :], s, float("-inf"))


@triton.jit
def _whole_frame(
    q_ptr,
    k_ptr,
    qrow,
    qmask,
    base,
    NK,
    C,
    inv_t,
    bs,
    bi,
    mx,
    se,
    col,
    NORM_ALL: tl.constexpr,
    K: tl.constexpr,
    BLOCK_Q: tl.constexpr,
    BLOCK_K: tl.constexpr,
    BLOCK_C: tl.constexpr,
    IEEE: tl.constexpr,
    UPCAST: tl.constexpr,
):
    """Merge every cell of one reference frame (no spatial limit) into the running state."""
    rk = tl.arange(0, BLOCK_K)
    for p0 in range(0, NK, BLOCK_K):
        p = (p0 + rk).to(tl.int64)
        kmask = p < NK
        s = _scores(
            q_ptr, k_ptr, qrow, qmask, base + p, kmask, C, inv_t, BLOCK_Q, BLOCK_K, BLOCK_C, IEEE, UPCAST
        )
        if NORM_ALL:
            mx, se = _lse_update(mx, se, s)
        bs, bi = _merge(bs, bi, s, (base + p)[None, :], col, K)
    return bs, bi, mx, se


@triton.jit
def _topk_kernel(
    q_ptr,
    k_ptr,
    restrict_ptr,
    lab_ptr,
    w_ptr,
    i_ptr,
    out_ptr,
    nq,
    M,
    NK,
    C,
    L,
    h,
    w,
    inv_t,
    reach,
    circle_max_d2,
    square_r,
    WINDOWED: tl.constexpr,
    CIRCLE: tl.constexpr,
    NORM_ALL: tl.constexpr,
    WANT_LABELS: tl.constexpr,
    K: tl.constexpr,
    KP: tl.constexpr,
    BLOCK_Q: tl.constexpr,
    BLOCK_K: tl.constexpr,
    BLOCK_C: tl.constexpr,
    BLOCK_L: tl.constexpr,
    IEEE: tl.constexpr,
    UPCAST: tl.constexpr,
):
    pid = tl.program_id(0)
    tiles_x = tl.cdiv(w, BLOCK_Q)
    y = pid // tiles_x
    x0 = (pid % tiles_x) * BLOCK_Q
    rq = tl.arange(0, BLOCK_Q)
    qx = x0 + rq
    qmask = (qx < w) & (y * w + qx < nq)
    qrow = (y * w + qx).to(tl.int64)
    col = tl.arange(0, KP)
    bs = tl.full((BLOCK_Q, KP), float("-inf"), tl.float32)
    bi = tl.full((BLOCK_Q, KP), BIG, tl.int64)
    mx = tl.full((BLOCK_Q,), float("-inf"), tl.float32)
    se = tl.zeros((BLOCK_Q,), tl.float32)
    rk = tl.arange(0, BLOCK_K)
    for f in range(M):
        base = tl.cast(f, tl.int64) * NK
        # WINDOWED is a compile-time flag: without a radius no frame is restricted and restrict_ptr is not read
        restricted = False
        if WINDOWED:
            restricted = tl.load(restrict_ptr + f) != 0
        if restricted:
            y_lo = tl.maximum(y - reach, 0)
            y_hi = tl.minimum(y + reach + 1, h)
            x_lo = tl.maximum(x0 - reach, 0)
            x_hi = tl.minimum(x0 + BLOCK_Q + reach, w)
            for yk in range(y_lo, y_hi):
                for xs in range(x_lo, x_hi, BLOCK_K):
                    kx = xs + rk
                    kmask = kx < x_hi
                    p = (yk * w + kx).to(tl.int64)
                    s = _scores(
                        q_ptr,
                        k_ptr,
                        qrow,
                        qmask,
                        base + p,
                        kmask,
                        C,
                        inv_t,
                        BLOCK_Q,
                        BLOCK_K,
                        BLOCK_C,
                        IEEE,
                        UPCAST,
                    )
                    dy = yk - y
                    dx = kx[None, :] - qx[:, None]
                    if CIRCLE:
                        inside = (dy * dy + dx * dx) <= circle_max_d2
                    else:
                        inside = (dy <= square_r) & (dy >= -square_r) & (dx <= square_r) & (dx >= -square_r)
                    s = tl.where(inside, s, float("-inf"))
                    if NORM_ALL:
                        mx, se = _lse_update(mx, se, s)
                    bs, bi = _merge(bs, bi, s, (base + p)[None, :], col, K)
        else:
            bs, bi, mx, se = _whole_frame(
                q_ptr,
                k_ptr,
                qrow,
                qmask,
                base,
                NK,
                C,
                inv_t,
                bs,
                bi,
                mx,
                se,
                col,
                NORM_ALL,
                K,
                BLOCK_Q,
                BLOCK_K,
                BLOCK_C,
                IEEE,
                UPCAST,
            )

    valid = (bs > float("-inf")) & (bs < float("inf")) & (col[None, :] < K)
    if NORM_ALL:
        has = se > 0
        lse = tl.where(has, mx + tl.log(tl.where(has, se, 1.0)), 0.0)
        wts = tl.where(valid, tl.exp(tl.where(valid, bs, 0.0) - lse[:, None]), 0.0)
    else:
        top = tl.max(bs, axis=1)
        safe = tl.where(top == float("-inf"), 0.0, top)
        e = tl.where(valid, tl.exp(bs - safe[:, None]), 0.0)
        tot = tl.sum(e, axis=1)
        wts = e / tl.where(tot > 0, tot, 1.0)[:, None]
    idx = tl.where(valid, bi, -1)
    if WANT_LABELS:
        rl = tl.arange(0, BLOCK_L)
        acc = tl.zeros((BLOCK_Q, BLOCK_L), tl.float32)
        for j in tl.static_range(K):
            ij = tl.sum(tl.where(col[None, :] == j, idx, 0), axis=1)
            wj = tl.sum(tl.where(col[None, :] == j, wts, 0.0), axis=1)
            lm = (ij >= 0)[:, None] & (rl < L)[None, :] & qmask[:, None]
            lab = tl.load(lab_ptr + tl.maximum(ij, 0)[:, None] * L + rl[None, :], mask=lm, other=0.0)
            acc += wj[:, None] * lab
        tl.store(out_ptr + qrow[:, None] * L + rl[None, :], acc, mask=qmask[:, None] & (rl < L)[None, :])
    else:
        om = qmask[:, None] & (col < K)[None, :]
        tl.store(w_ptr + qrow[:, None] * K + col[None, :], wts, mask=om)
        tl.store(i_ptr + qrow[:, None] * K + col[None, :], idx, mask=om)


def _next_pow2(n: int) -> int:
    return 1 << max(0, (int(n) - 1).bit_length())


def run(query, keys, k, temperature, grid, radius, radius_shape, restrict, normalize, labels=None):
    """(weights, indices, labels_out or None) by the Triton kernel; arguments validated by corrlearn.affinity."""
    dev = query.device
    nq, c = query.shape
    m, nk, _ = keys.shape
    dtype = (
        query.dtype
        if query.dtype == keys.dtype and query.dtype in (torch.float16, torch.bfloat16)
        else torch.float32
    )
    q = query.detach().to(dtype).contiguous()
    kk = keys.detach().to(dtype).contiguous()
    rs = restrict.to(device=dev, dtype=torch.int8).contiguous()
    windowed = radius is not None
    if windowed:
        h, w = grid
        circle = radius_shape == "circle"
        reach = max(math.ceil(radius) - 1, 0) if circle else math.floor(radius)
        # the reference compares float64(dy^2 + dx^2) < radius^2: for integers that is d2 <= ceil(r^2) - 1
        circle_max_d2 = math.ceil(float(radius) ** 2) - 1
        square_r = math.floor(radius)
    else:
        h, w = 1, max(nq, 1)  # one "row" holding every query: tiles of consecutive cells
        circle, reach, circle_max_d2, square_r = True, 0, 0, 0
    out_w = torch.zeros(nq, k, dtype=torch.float32, device=dev)
    out_i = torch.full((nq, k), -1, dtype=torch.int64, device=dev)
    want = labels is not None
    if want:
        lab = labels.reshape(-1, labels.shape[-1]).detach().to(device=dev, dtype=torch.float32).contiguous()
        n_lab = lab.shape[1]
        out_l = torch.zeros(nq, n_lab, dtype=torch.float32, device=dev)
    else:
        lab, n_lab, out_l = out_w, 1, out_w
    if nq == 0:
        return out_w, out_i, (out_l if want else None)
    block_q = 16 if dev.type == "cpu" else 32
    block_k = 32 if dev.type == "cpu" else 64
    block_c = min(64, max(16, _next_pow2(c)))
    grid_ = (h * triton.cdiv(w, block_q),)
    _topk_kernel[grid_](
        q,
        kk,
        rs,
        lab,
        out_w,
        out_i,
        out_l,
        nq,
        m,
        nk,
        c,
        n_lab,
        h,
        w,
        float(1.0 / float(temperature)),
        reach,
        circle_max_d2,
        square_r,
        WINDOWED=windowed,
        CIRCLE=circle,
        NORM_ALL=normalize == "all",
        WANT_LABELS=want,
        K=k,
        KP=max(2, _next_pow2(k)),
        BLOCK_Q=block_q,
        BLOCK_K=block_k,
        BLOCK_C=block_c,
        BLOCK_L=max(2, _next_pow2(n_lab)),
        IEEE=dtype == torch.float32,
        # triton 3.9's interpreter computes bf16 tl.dot wrongly (checked against torch); bf16 -> fp32 is exact
        UPCAST=dtype == torch.bfloat16 and dev.type == "cpu",
    )
    return out_w, out_i, (out_l if want else None)
