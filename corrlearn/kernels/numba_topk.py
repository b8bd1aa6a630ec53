"""Fused top-k affinity on CPU with numba: tiles of query cells, a dot micro-kernel, running top-k buffers.

Why this shape: a per-query scalar dot loop is latency bound, so queries go in tiles that share a block of
keys, and each (tile x keys) score block comes from a register-blocked 4 x 2 dot micro-kernel (fastmath
reassociation lets LLVM vectorise it). Frames without a spatial limit are streamed in chunks of KEY_CHUNK
keys against tiles of FLAT_TILE consecutive queries. Radius-limited frames are scored per tile of
TILE_ROWS x TILE_COLS queries against, for each key row, only the contiguous columns inside the
neighbourhood's chord at the row distance nearest the tile: no dense (Nq x M*Nk) block and no mask over one
is ever formed. Every candidate goes through a threshold test against the query's current k-th best; the
rare winners are inserted into a sorted per-query buffer with the exact tie rule (higher score first, then
lower flat index), so the processing order does not matter. ``normalize="all"`` keeps a running logsumexp
per query. Memory: O(Nq * k) state plus O(threads * tile * chunk) scratch, independent of M.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

TILE_ROWS, TILE_COLS = 4, 8  # query tile (grid cells) against radius-limited frames
FLAT_TILE = 64  # consecutive query cells per tile against frames without a spatial limit
KEY_CHUNK = 512  # keys per score block for frames without a spatial limit

_CIRCLE, _SQUARE = 0, 1
_NORM_TOPK, _NORM_ALL = 0, 1

_FAST = {"reassoc", "contract", "nsz"}  # lets LLVM vectorise the dot reductions; no nnan/ninf (we use -inf)


@njit(fastmath=_FAST, cache=True, nogil=True)
def _dots(qt, kmat, row0, n, out, col0):
    """out[a, col0 + b] = <qt[a], kmat[row0 + b]> for b < n: a register-blocked 4 x 2 micro-kernel.

    Written by hand rather than np.dot because numba's BLAS (scipy's OpenBLAS) inside a prange loop
    oversubscribes threads and is not safe under numba's OpenMP layer.
    """
    t, c = qt.shape
    b = 0
    while b + 2 <= n:
        k0 = kmat[row0 + b]
        k1 = kmat[row0 + b + 1]
        a = 0
        while a + 4 <= t:
            q0 = qt[a]
            q1 = qt[a + 1]
            q2 = qt[a + 2]
            q3 = qt[a + 3]
            s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = np.float32(0.0)
            for i in range(c):
                x0 = k0[i]
                x1 = k1[i]
                s00 += q0[i] * x0
                s01 += q0[i] * x1
                s10 += q1[i] * x0
                s11 += q1[i] * x1
                s20 += q2[i] * x0
                s21 += q2[i] * x1
                s30 += q3[i] * x0
                s31 += q3[i] * x1
            out[a, col0 + b] = s00
            out[a, col0 + b + 1] = s01
            out[a + 1, col0 + b] = s10
            out[a + 1, col0 + b + 1] = s11
            out[a + 2, col0 + b] = s20
            out[a + 2, col0 + b + 1] = s21
            out[a + 3, col0 + b] = s30
            out[a + 3, col0 + b + 1] = s31
            a += 4
        while a < t:
            s0 = s1 = np.float32(0.0)
            for i in range(c):
                s0 += qt[a, i] * k0[i]
                s1 += qt[a, i] * k1[i]
            out[a, col0 + b] = s0
            out[a, col0 + b + 1] = s1
            a += 1
        b += 2
    while b < n:
        kr = kmat[row0 + b]
        for a in range(t):
            s0 = np.float32(0.0)
            for i in range(c):
                s0 += qt[a, i] * kr[i]
            out[a, col0 + b] = s0
        b += 1


@njit(cache=True, nogil=True)
def _col_reach(dmin: int, reach: int, radius: float, shape: int) -> int:
    """Largest |dx| inside the neighbourhood at row distance ``dmin`` (-1 if none)."""
    if shape == _SQUARE:
        return reach if dmin <= reach else -1
    r2 = radius * radius
    cr = reach
    while cr >= 0 and float(dmin * dmin + cr * cr) >= r2:
        cr -= 1
    return cr


@njit(inline="always")
def _push(bs, bi, r, s, idx):
    """Insert score ``s`` of flat index ``idx`` into row ``r`` of the descending top-k buffers; ties go to the
    smaller index. The caller has checked that it beats the last entry."""
    p = bs.shape[1] - 1
    while p > 0 and (s > bs[r, p - 1] or (s == bs[r, p - 1] and idx < bi[r, p - 1])):
        bs[r, p] = bs[r, p - 1]
        bi[r, p] = bi[r, p - 1]
        p -= 1
    bs[r, p] = s
    bi[r, p] = idx


@njit(inline="always")
def _outside(dy, dx, radius, r2, shape):
    """True when the offset (dy, dx) falls outside the neighbourhood: the reference's strict test
    dy^2 + dx^2 < radius^2 for a circle, |dy|, |dx| <= radius for a square."""
    if shape == _CIRCLE:
        return not float(dy * dy + dx * dx) < r2
    return abs(dy) > radius or abs(dx) > radius


@njit(cache=True, nogil=True)
def _scan_block(
    scores, n, cand_idx, cand_y, cand_x, masked, qy, qx, radius, shape, inv_t, bs, bi, k, want_lse, mx, se
):
    """Feed one (T, n) block of raw dot products into the per-query top-k buffers (and running logsumexp)."""
    t = scores.shape[0]
    r2 = radius * radius
    for a in range(t):
        thr_s = bs[a, k - 1]
        thr_i = bi[a, k - 1]
        if want_lse:
            # block max first, so exp() never overflows and each candidate costs one exp
            bmax = -np.inf
            for b in range(n):
                if masked and _outside(cand_y[b] - qy[a], cand_x[b] - qx[a], radius, r2, shape):
                    continue
                s = scores[a, b] * inv_t
                if s > bmax:
                    bmax = s
            if bmax > -np.inf:
                acc = 0.0
                for b in range(n):
                    if masked and _outside(cand_y[b] - qy[a], cand_x[b] - qx[a], radius, r2, shape):
                        continue
                    acc += math.exp(float(scores[a, b] * inv_t) - float(bmax))
                bm = float(bmax)
                if bm > mx[a]:
                    se[a] = se[a] * math.exp(mx[a] - bm) + acc
                    mx[a] = bm
                else:
                    se[a] += acc * math.exp(bm - mx[a])
        for b in range(n):
            s = scores[a, b] * inv_t  # float32 * float32, as the reference scales its float32 scores
            j = cand_idx[b]
            if s > thr_s or (s == thr_s and j < thr_i):
                if masked and _outside(cand_y[b] - qy[a], cand_x[b] - qx[a], radius, r2, shape):
                    continue
                _push(bs, bi, a, s, j)
                thr_s = bs[a, k - 1]
                thr_i = bi[a, k - 1]


@njit(cache=True, parallel=True, nogil=True)
def _free_pass(q, keys, slots, frames, inv_t, want_lse, bs, bi, mx, se):
    """Score every query against every cell of ``frames`` (no spatial limit): tiles of consecutive queries.

    ``frames`` are logical frame numbers (they make the flat indices); frame ``f`` is stored in ``keys[slots[f]]``.
    """
    nq, c = q.shape
    nk = keys.shape[1]
    k = bs.shape[1]
    n_tiles = (nq + FLAT_TILE - 1) // FLAT_TILE
    dummy = np.zeros(1, np.int64)
    for t in prange(n_tiles):
        q0 = t * FLAT_TILE
        nt = min(nq, q0 + FLAT_TILE) - q0
        qt = q[q0 : q0 + nt]
        sc = np.empty((nt, KEY_CHUNK), np.float32)
        cand = np.empty(KEY_CHUNK, np.int64)
        tbs = bs[q0 : q0 + nt]
        tbi = bi[q0 : q0 + nt]
        tmx = mx[q0 : q0 + nt]
        tse = se[q0 : q0 + nt]
        for f in frames:
            kf = keys[slots[f]]
            for s0 in range(0, nk, KEY_CHUNK):
                n = min(nk, s0 + KEY_CHUNK) - s0
                for b in range(n):
                    cand[b] = f * nk + s0 + b
                _dots(qt, kf, s0, n, sc, 0)
                _scan_block(
                    sc,
                    n,
                    cand,
                    dummy,
                    dummy,
                    False,
                    dummy,
                    dummy,
                    0.0,
                    0,
                    inv_t,
                    tbs,
                    tbi,
                    k,
                    want_lse,
                    tmx,
                    tse,
                )


@njit(fastmath=_FAST, cache=True, nogil=True)
def _dot(q, qi, kf, j):
    """<q[qi], kf[j]> in float32 (vectorised by the same fastmath flags as the micro-kernel)."""
    acc = np.float32(0.0)
    for i in range(q.shape[1]):
        acc += q[qi, i] * kf[j, i]
    return acc


@njit(inline="always")
def _order_key(b):
    """int32 whose order is the order of the bfloat16 value with bit pattern ``b`` (int16; NaN aside):
    negative values get their magnitude bits flipped, so one integer compare replaces a decode. The map is
    its own inverse: ``_order_key(key)`` gives back the bit pattern."""
    x = np.int32(b)
    return x ^ ((x >> 15) & 0x7FFF)


@njit(cache=True, nogil=True)
def _key_at_most(v, lut):
    """The largest order key whose bfloat16 value is <= ``v`` (float32)."""
    box = np.empty(1, np.float32)
    box[0] = v
    b = np.int16(np.int32(box.view(np.int32)[0] >> 16))  # truncation: |bf16| <= |v|
    key = _order_key(b)
    if lut[np.uint16(b)] > v:  # negative v: truncation moved up, step one bf16 value down
        key -= 1
    return key


#: Scores per chunk in the rescoring scans: a chunk whose largest key cannot matter is skipped after one
#: vectorised max, so the scalar code runs only on the few chunks that hold candidates.
RESCORE_CHUNK = 16


@njit(inline="always")
def _insert_key(top, v):
    """Insert ``v`` into the descending buffer ``top`` if it beats the last entry."""
    k = top.shape[0]
    if v > top[k - 1]:
        p = k - 1
        while p > 0 and v > top[p - 1]:
            top[p] = top[p - 1]
            p -= 1
        top[p] = v


@njit(cache=True, parallel=True, nogil=True)
def _rescore_pass(q, kf, f, approx_bits, lut, row0, margin, inv_t, bs, bi):
    """Exact top-k of rows ``row0 ..`` against one free frame from approximate (bf16 GEMM) scores.

    ``approx_bits`` holds the bf16 scores' bit patterns (int16), compared through :func:`_order_key` and
    decoded through ``lut`` only where a value is needed; ``approx[a, j]`` is within ``margin[a] / 2`` of
    the exact dot product <q[row0 + a], kf[j]>. A key can only be among the row's top k if its approximate
    score is at least the frame's k-th largest approximate score minus ``margin``, and at least the row's
    k-th exact score so far (from earlier frames, in ``bs``) minus ``margin``; exactly those keys (a
    superset: the threshold is rounded down to a bf16 value) are rescored in float32 and fed to the top-k
    buffers with the tie rule, so the result is the float32 one whatever the approximation's error within
    that bound.
    """
    rows, nk = approx_bits.shape
    k = bs.shape[1]
    nch = (nk + RESCORE_CHUNK - 1) // RESCORE_CHUNK
    lowest = np.int32(-(1 << 30))
    for a in prange(rows):
        qi = row0 + a
        row = approx_bits[a]
        cmax = np.empty(nch, np.int32)
        for ch in range(nch):
            cmax[ch] = lowest
        full = nk // RESCORE_CHUNK
        for ch in range(full):  # constant trip count: vectorised
            m = lowest
            for j in range(ch * RESCORE_CHUNK, ch * RESCORE_CHUNK + RESCORE_CHUNK):
                m = max(m, _order_key(row[j]))
            cmax[ch] = m
        for j in range(full * RESCORE_CHUNK, nk):
            cmax[nch - 1] = max(cmax[nch - 1], _order_key(row[j]))
        # the k-th largest chunk maximum bounds the row's k-th largest score from below: only chunks
        # reaching it can hold the k largest
        top = np.full(k, lowest, np.int32)  # order keys, descending
        for ch in range(nch):
            _insert_key(top, cmax[ch])
        low = top[k - 1]
        top[:] = lowest
        for ch in range(nch):
            if cmax[ch] >= low and cmax[ch] > top[k - 1]:
                j0 = ch * RESCORE_CHUNK
                for j in range(j0, min(nk, j0 + RESCORE_CHUNK)):
                    _insert_key(top, _order_key(row[j]))
        # a key can enter only if its score can reach this frame's k-th (approximate) score and the row's
        # k-th exact score so far (earlier frames), both less the error margin
        lim = -np.inf
        if top[k - 1] != lowest:  # else fewer than k keys in this frame
            kth = top[k - 1]
            lim = lut[np.uint16(np.int16(_order_key(kth)))] - margin[a]
        if bs[qi, k - 1] > -np.inf:
            lim = max(lim, bs[qi, k - 1] / inv_t - margin[a])
        thr = lowest if lim == -np.inf else _key_at_most(np.float32(lim), lut)
        thr_s = bs[qi, k - 1]
        thr_i = bi[qi, k - 1]
        for ch in range(nch):
            if cmax[ch] < thr:
                continue
            j0 = ch * RESCORE_CHUNK
            for j in range(j0, min(nk, j0 + RESCORE_CHUNK)):
                if _order_key(row[j]) >= thr:
                    s = _dot(q, qi, kf, j) * inv_t
                    idx = f * nk + j
                    if s > thr_s or (s == thr_s and idx < thr_i):
                        _push(bs, bi, qi, s, idx)
                        thr_s = bs[qi, k - 1]
                        thr_i = bi[qi, k - 1]


#: Rows of queries per bf16 GEMM block in the filtered free pass (block memory: rows x Nk x 6 bytes).
BF16_ROWS = 1024
#: Unit roundoff of bfloat16 (8 significant bits, round to nearest).
_U_BF16 = 2.0**-8
#: float32 value of every bfloat16 bit pattern (256 KiB): numba decodes the few bf16 scores it needs through it.
_BF16_LUT = (np.arange(1 << 16, dtype=np.uint32) << 16).view(np.float32)


def bf16_filter_default() -> bool:
    """On where torch has bf16 GEMM hardware (AVX512-BF16 / AMX); ``CORRLEARN_BF16_FILTER=0`` turns it off,
    ``=1`` forces it on. The filter changes speed only, never the result (see :func:`_free_pass_bf16`)."""
    import os

    import torch

    env = os.environ.get("CORRLEARN_BF16_FILTER", "")
    if env in ("0", "1"):
        return env == "1"
    return bool(getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)())


def _free_pass_bf16(query, keys, slots, frames, inv_t, bs, bi) -> None:
    """Free frames through oneDNN's bf16 GEMM (via torch) as a filter, then exact float32 rescoring.

    Error bound of one approximate score (inputs rounded to bf16: 2u relative per product; the fp32
    accumulation: C * 2^-24; the bf16 output: u), all relative to |q| |k| (Cauchy-Schwarz):
    |approx - exact| <= e = (3u + u^2 + C * 2^-23) |q| max|k|. A key whose exact score reaches the k-th
    exact score has an approximate one >= (k-th approximate) - 2e, so ``margin = 2e`` (doubled for safety)
    keeps every key that can enter the top k. The scores stay bf16 (no float32 copy): numba decodes them.
    """
    import torch

    nq, c = query.shape
    q_t = torch.from_numpy(query)
    q_bf = q_t.to(torch.bfloat16)
    q_norm = np.sqrt(np.einsum("ij,ij->i", query.astype(np.float64), query.astype(np.float64)))
    rel = 3 * _U_BF16 + _U_BF16**2 + c * 2.0**-23
    for f in frames:
        kf = keys[slots[f]]
        k_bf = torch.from_numpy(kf).to(torch.bfloat16)
        k_max = float(np.sqrt(np.max(np.einsum("ij,ij->i", kf.astype(np.float64), kf.astype(np.float64)))))
        # 2e, plus 1e-6 relative so the float32 rounding of the margin itself cannot cut a candidate
        margin_all = (2.0 * rel * (1 + 1e-6) * q_norm * k_max).astype(np.float32)
        for r0 in range(0, nq, BF16_ROWS):
            r1 = min(nq, r0 + BF16_ROWS)
            bits = (q_bf[r0:r1] @ k_bf.T).view(torch.int16).numpy()
            _rescore_pass(
                query, kf, np.int64(f), bits, _BF16_LUT, np.int64(r0), margin_all[r0:r1], inv_t, bs, bi
            )


@njit(cache=True, parallel=True, nogil=True)
def _window_pass(q, keys, slots, frames, h, w, radius, shape, inv_t, want_lse, bs, bi, mx, se):
    """Score queries against the cells of ``frames`` (logical numbers, stored in ``keys[slots[f]]``) inside
    their neighbourhood.

    Tiles are TILE_ROWS x TILE_COLS query cells. For each key row only the contiguous columns that some query
    of the tile can reach are scored (the neighbourhood's chord at the row distance nearest the tile), so a
    radius-12 circle costs about 690 keys per query for 4 x 8 tiles (441 lie inside the circle; a dense block
    would score all Nk = h * w cells of each frame).
    """
    c = q.shape[1]
    nk = keys.shape[1]
    k = bs.shape[1]
    reach = int(math.ceil(radius)) - 1 if shape == _CIRCLE else int(math.floor(radius))
    reach = max(reach, 0)
    tiles_y = (h + TILE_ROWS - 1) // TILE_ROWS
    tiles_x = (w + TILE_COLS - 1) // TILE_COLS
    cap = min(h, TILE_ROWS + 2 * reach) * min(w, TILE_COLS + 2 * reach)
    for t in prange(tiles_y * tiles_x):
        y0 = (t // tiles_x) * TILE_ROWS
        x0 = (t % tiles_x) * TILE_COLS
        y1 = min(h, y0 + TILE_ROWS)
        x1 = min(w, x0 + TILE_COLS)
        nt = (y1 - y0) * (x1 - x0)
        qidx = np.empty(nt, np.int64)
        qy = np.empty(nt, np.int64)
        qx = np.empty(nt, np.int64)
        a = 0
        for yy in range(y0, y1):
            for xx in range(x0, x1):
                qidx[a] = yy * w + xx
                qy[a] = yy
                qx[a] = xx
                a += 1
        # the tile's queries and running state, gathered so the micro-kernel sees contiguous rows
        qt = np.empty((nt, c), np.float32)
        tbs = np.empty((nt, k), np.float32)
        tbi = np.empty((nt, k), np.int64)
        tmx = np.empty(nt)
        tse = np.empty(nt)
        for a in range(nt):
            qt[a, :] = q[qidx[a], :]
            tbs[a, :] = bs[qidx[a], :]
            tbi[a, :] = bi[qidx[a], :]
            tmx[a] = mx[qidx[a]]
            tse[a] = se[qidx[a]]
        sc = np.empty((nt, cap), np.float32)
        cand = np.empty(cap, np.int64)
        cy = np.empty(cap, np.int64)
        cx = np.empty(cap, np.int64)
        for f in frames:
            kf = keys[slots[f]]
            n = 0
            for yk in range(max(0, y0 - reach), min(h, y1 + reach)):
                dmin = 0
                if yk < y0:
                    dmin = y0 - yk
                elif yk >= y1:
                    dmin = yk - (y1 - 1)
                cr = _col_reach(dmin, reach, radius, shape)
                if cr < 0:
                    continue
                xa = max(0, x0 - cr)
                xb = min(w, x1 + cr)
                _dots(qt, kf, yk * w + xa, xb - xa, sc, n)
                for xx in range(xa, xb):
                    cand[n] = f * nk + yk * w + xx
                    cy[n] = yk
                    cx[n] = xx
                    n += 1
            if n > 0:
                _scan_block(
                    sc, n, cand, cy, cx, True, qy, qx, radius, shape, inv_t, tbs, tbi, k, want_lse, tmx, tse
                )
        for a in range(nt):
            bs[qidx[a], :] = tbs[a, :]
            bi[qidx[a], :] = tbi[a, :]
            mx[qidx[a]] = tmx[a]
            se[qidx[a]] = tse[a]


@njit(cache=True, parallel=True, nogil=True)
def _finish(bs, bi, mx, se, normalize, labels, want_labels, slots, nk, out_w, out_i, out_l):
    """Softmax (over the selected, or over all candidates via the running logsumexp), empty slots, labels.

    Flat index ``f * nk + p`` reads its label from row ``slots[f] * nk + p`` of ``labels``.
    """
    nq, k = bs.shape
    for qi in prange(nq):
        top = float(bs[qi, 0])
        tot = 0.0
        for j in range(k):
            if bs[qi, j] > -np.inf and bs[qi, j] < np.inf:
                tot += math.exp(float(bs[qi, j]) - top)
        lse = mx[qi] + math.log(se[qi]) if se[qi] > 0.0 else -np.inf
        for j in range(k):
            s = bs[qi, j]
            if s > -np.inf and s < np.inf:
                wv = math.exp(float(s) - top) / tot if normalize == _NORM_TOPK else math.exp(float(s) - lse)
                w32 = np.float32(wv)
                out_w[qi, j] = w32
                out_i[qi, j] = bi[qi, j]
                if want_labels:
                    src = slots[bi[qi, j] // nk] * nk + bi[qi, j] % nk
                    for col in range(labels.shape[1]):
                        out_l[qi, col] += w32 * labels[src, col]
            else:
                out_w[qi, j] = 0.0
                out_i[qi, j] = -1


def run(
    query: np.ndarray,
    keys: np.ndarray,
    k: int,
    temperature: float,
    grid: tuple[int, int] | None,
    radius: float | None,
    radius_shape: str,
    restrict: np.ndarray,
    normalize: str,
    labels: np.ndarray | None = None,
    slots: np.ndarray | None = None,
    bf16_filter: bool | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Call the kernel on float32 C-contiguous arrays; returns (weights, indices, labels_out or None).

    ``slots`` (int64, one entry per logical reference frame) says which frame of ``keys`` (and block of
    ``labels`` rows) holds logical frame m; default ``arange(len(keys))``. Flat indices, and so the tie rule,
    follow the logical order: a ring buffer gives the same results as the stacked bank.

    ``bf16_filter`` (default: :func:`bf16_filter_default`) scores frames without a spatial limit
    with a bf16 GEMM and rescoring of the survivors in float32: the float32 result, faster (see
    :func:`_free_pass_bf16`). Only with ``normalize="topk"``: ``"all"`` needs every exact score.
    """
    nq = query.shape[0]
    h, w = grid if grid is not None else (0, 0)
    out_w = np.zeros((nq, k), np.float32)
    out_i = np.full((nq, k), -1, np.int64)
    want = labels is not None
    lab = labels if want else np.zeros((1, 1), np.float32)
    out_l = np.zeros((nq, lab.shape[1]) if want else (1, 1), np.float32)
    if nq == 0:
        return out_w, out_i, (out_l if want else None)
    inv_t = np.float32(1.0 / float(temperature))
    want_lse = normalize == "all"
    # per-query running state: top-k scores/indices (sorted) and the logsumexp over all candidates
    bs = np.full((nq, k), -np.inf, np.float32)
    bi = np.full((nq, k), np.int64(1) << 62, np.int64)
    mx = np.full(nq, -np.inf)
    se = np.zeros(nq)
    if slots is None:
        slots = np.arange(keys.shape[0], dtype=np.int64)
    m = slots.shape[0]
    nk = keys.shape[1]
    windowed = np.zeros(m, np.bool_) if radius is None else restrict.astype(np.bool_)
    free = np.flatnonzero(~windowed).astype(np.int64)
    limited = np.flatnonzero(windowed).astype(np.int64)
    if bf16_filter is None:
        bf16_filter = bf16_filter_default()
    if free.size and keys.shape[1]:
        if bf16_filter and not want_lse:
            _free_pass_bf16(query, keys, slots, free, inv_t, bs, bi)
        else:
            _free_pass(query, keys, slots, free, inv_t, want_lse, bs, bi, mx, se)
    if limited.size and keys.shape[1]:
        shape = np.int64(_CIRCLE if radius_shape == "circle" else _SQUARE)
        _window_pass(
            query,
            keys,
            slots,
            limited,
            np.int64(h),
            np.int64(w),
            np.float64(radius),
            shape,
            inv_t,
            want_lse,
            bs,
            bi,
            mx,
            se,
        )
    norm = np.int64(_NORM_TOPK if normalize == "topk" else _NORM_ALL)
    _finish(bs, bi, mx, se, norm, lab, want, slots, np.int64(max(nk, 1)), out_w, out_i, out_l)
    return out_w, out_i, (out_l if want else None)
