"""The reference implementation of sparse top-k affinity: plain PyTorch, the definition of correctness.

Semantics (shared by every backend, see :func:`corrlearn.affinity.topk_affinity`):

* score[q, j] = <query[q], keys.flat[j]> / temperature, computed in float32, where the flat key index is
  ``j = m * Nk + p`` for reference frame ``m`` and cell ``p = y * w + x``.
* With a radius, keys of a *restricted* frame outside the query cell's neighbourhood are not candidates.
* The k candidates with the highest score are selected; equal scores are broken by the lower flat index.
  Output columns are ordered by descending score, then ascending index.
* If fewer than k candidates exist the remaining slots hold index -1 and weight 0.
* ``normalize="topk"``: weights are the softmax of the selected scores (CRW, STT, DINO).
  ``normalize="all"``: weights are the softmax over *all* candidates, of which the selected are kept without
  renormalisation (UVC / ContrastCorr).

Memory: queries are processed in blocks so that no more than ``max_block_bytes`` (default 64 MiB) of scores
exist at once, plus a few same-sized temporaries; with a radius, queries go in square tiles and restricted
frames only contribute the key cells within reach of a ``tile`` x ``tile`` block of query cells (the block's
scores are (tile^2) x (free frames * Nk + restricted frames * window) floats).
"""

from __future__ import annotations

import torch

from corrlearn.affinity.window import row_reach, within_radius

DEFAULT_BLOCK_BYTES = 64 << 20


def _order(vals: torch.Tensor, cols: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Sort each row by score descending, then column ascending."""
    by_col = torch.sort(cols, dim=1).indices
    vals, cols = torch.gather(vals, 1, by_col), torch.gather(cols, 1, by_col)
    by_val = torch.sort(vals, dim=1, descending=True, stable=True).indices
    return torch.gather(vals, 1, by_val), torch.gather(cols, 1, by_val)


def _select_topk(scores: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-k per row with ties broken by lower column; rows sorted by (score desc, column asc)."""
    kk = min(k, scores.shape[1])
    vals, cols = torch.topk(scores, kk, dim=1, sorted=True)
    thr = vals[:, -1:]
    # torch.topk picks arbitrarily among scores equal to the k-th; redo only the rows where that matters
    tied = (scores == thr).sum(dim=1) > (vals == thr).sum(dim=1)
    if tied.any():
        rows = tied.nonzero().flatten()
        sub, sub_thr = scores[rows], thr[rows]
        above = sub > sub_thr
        equal = sub == sub_thr
        need = kk - above.sum(dim=1, keepdim=True)
        chosen = above | (equal & (torch.cumsum(equal, dim=1) <= need))
        sub_cols = chosen.nonzero()[:, 1].view(-1, kk)
        cols = cols.clone()
        vals = vals.clone()
        cols[rows] = sub_cols
        vals[rows] = torch.gather(sub, 1, sub_cols)
    return _order(vals, cols)


def _finish(
    top_scores: torch.Tensor, top_idx: torch.Tensor, k: int, normalize: str, lse: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor]:
    valid = torch.isfinite(top_scores)
    if normalize == "topk":
        weights = torch.softmax(top_scores.masked_fill(~valid, float("-inf")), dim=1)
    else:
        weights = torch.exp(top_scores - lse[:, None])
    weights = torch.where(valid, weights, torch.zeros_like(weights)).nan_to_num(0.0)
    idx = torch.where(valid, top_idx, torch.full_like(top_idx, -1))
    if weights.shape[1] < k:
        pad = k - weights.shape[1]
        weights = torch.nn.functional.pad(weights, (0, pad), value=0.0)
        idx = torch.nn.functional.pad(idx, (0, pad), value=-1)
    return weights, idx


def topk_affinity_reference(
    query: torch.Tensor,
    keys: torch.Tensor,
    k: int,
    temperature: float,
    grid: tuple[int, int] | None = None,
    radius: float | None = None,
    radius_shape: str = "circle",
    restrict: torch.Tensor | None = None,
    normalize: str = "topk",
    max_block_bytes: int = DEFAULT_BLOCK_BYTES,
    tile: int = 16,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Reference top-k affinity; arguments as :func:`corrlearn.affinity.topk_affinity` (already validated)."""
    nq, c = query.shape
    m, nk, _ = keys.shape
    q32 = query.float()
    k32 = keys.float().reshape(m * nk, c)
    inv_t = 1.0 / float(temperature)
    dev = query.device
    out_w = torch.empty(nq, k, dtype=torch.float32, device=dev)
    out_i = torch.empty(nq, k, dtype=torch.int64, device=dev)

    if radius is None:
        rows_per_block = max(1, max_block_bytes // (4 * m * nk))
        for s in range(0, nq, rows_per_block):
            scores = (q32[s : s + rows_per_block] @ k32.T) * inv_t
            lse = torch.logsumexp(scores, dim=1) if normalize == "all" else None
            ts, ti = _select_topk(scores, k)
            out_w[s : s + rows_per_block], out_i[s : s + rows_per_block] = _finish(ts, ti, k, normalize, lse)
        return out_w, out_i

    h, w = grid
    reach = row_reach(radius, radius_shape)
    restrict = restrict.to(dev)
    free_parts = [f * nk + torch.arange(nk, device=dev) for f in (~restrict).nonzero().flatten().tolist()]
    restricted = restrict.nonzero().flatten().tolist()
    cells = torch.arange(nk, device=dev).view(h, w)
    for y0 in range(0, h, tile):
        for x0 in range(0, w, tile):
            y1, x1 = min(h, y0 + tile), min(w, x0 + tile)
            q_cells = cells[y0:y1, x0:x1].flatten()
            # candidates: every cell of unrestricted frames, the tile's window of restricted ones
            window = cells[max(0, y0 - reach) : y1 + reach, max(0, x0 - reach) : x1 + reach].flatten()
            parts = free_parts + [f * nk + window for f in restricted]
            cand = torch.sort(torch.cat(parts)).values
            scores = (q32[q_cells] @ k32[cand].T) * inv_t
            key_cell = cand % nk
            inside = within_radius(
                (key_cell // w)[None, :] - (q_cells // w)[:, None],
                (key_cell % w)[None, :] - (q_cells % w)[:, None],
                radius,
                radius_shape,
            )
            scores = scores.masked_fill(restrict[cand // nk][None, :] & ~inside, float("-inf"))
            lse = torch.logsumexp(scores, dim=1) if normalize == "all" else None
            ts, ti = _select_topk(scores, k)
            out_w[q_cells], out_i[q_cells] = _finish(ts, cand[ti], k, normalize, lse)
    return out_w, out_i
