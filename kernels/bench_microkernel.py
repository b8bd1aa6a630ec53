"""Standalone microbenchmarks of the numba kernel's building blocks (CPU).

    python kernels/bench_microkernel.py

1. The 4 x 2 register-blocked dot micro-kernel (``_dots``) against torch's GEMM on the block shapes the
   kernel uses: a 64-query tile x 512-key chunk (frames without a radius) and a 32-query tile x ~30-key row
   segment (radius-limited frames).
2. The two passes at DAVIS 480p scale (60 x 107 grid, C = 256, k = 10): one frame without a radius and
   20 frames with a radius-12 circle, with the GFLOP/s they reach on the pairs they actually score.
Numbers depend on what else runs on the machine; report them with the load average printed first.
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch

from corrlearn.kernels import numba_topk as nt


def best_of(fn, reps=5):
    fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    print(f"load average {os.getloadavg()}, torch threads {torch.get_num_threads()}")
    rng = np.random.default_rng(0)
    c = 256
    for t, n, calls in ((64, 512, 200), (32, 30, 5000)):
        qt = rng.standard_normal((t, c), dtype=np.float32)
        kmat = rng.standard_normal((n, c), dtype=np.float32)
        out = np.empty((t, n), np.float32)
        nt._dots(qt, kmat, 0, n, out, 0)
        assert np.allclose(out, qt @ kmat.T, atol=1e-3)
        flop = 2.0 * t * n * c * calls
        d = best_of(
            lambda qt=qt, kmat=kmat, n=n, out=out, calls=calls: [
                nt._dots(qt, kmat, 0, n, out, 0) for _ in range(calls)
            ],
            3,
        )
        tq, tk = torch.from_numpy(qt), torch.from_numpy(kmat)
        d2 = best_of(lambda tq=tq, tk=tk, calls=calls: [tq @ tk.T for _ in range(calls)], 3)
        print(
            f"block {t}x{n}x{c}: micro-kernel {flop / d / 1e9:6.1f} GFLOP/s, torch matmul {flop / d2 / 1e9:6.1f} GFLOP/s (1 thread each call)"
        )

    h, w, m = 60, 107, 21
    q = rng.standard_normal((h * w, c), dtype=np.float32)
    keys = rng.standard_normal((m, h * w, c), dtype=np.float32)
    nq, k = h * w, 10
    slots = np.arange(m)  # frame f is stored in keys[f]

    def state():
        return (
            np.full((nq, k), -np.inf, np.float32),
            np.full((nq, k), 1 << 62, np.int64),
            np.full(nq, -np.inf),
            np.zeros(nq),
        )

    d = best_of(lambda: nt._free_pass(q, keys, slots, np.array([0]), np.float32(20), False, *state()), 3)
    print(f"free pass, 1 frame: {d:.3f} s, {2 * nq * nq * c / d / 1e9:.1f} GFLOP/s")
    frames = np.arange(1, m)
    d = best_of(
        lambda: nt._window_pass(q, keys, slots, frames, h, w, 12.0, 0, np.float32(20), False, *state()), 3
    )
    # pairs actually scored: per tile and key row, the chord-narrowed segment times the tile's queries
    tiles = [(y0, x0) for y0 in range(0, h, nt.TILE_ROWS) for x0 in range(0, w, nt.TILE_COLS)]
    scored = 0
    for y0, x0 in tiles:
        y1, x1 = min(h, y0 + nt.TILE_ROWS), min(w, x0 + nt.TILE_COLS)
        for yk in range(max(0, y0 - 11), min(h, y1 + 11)):
            dmin = 0 if y0 <= yk < y1 else (y0 - yk if yk < y0 else yk - y1 + 1)
            cr = nt._col_reach(dmin, 11, 12.0, 0)
            if cr >= 0:
                scored += (min(w, x1 + cr) - max(0, x0 - cr)) * (y1 - y0) * (x1 - x0)
    flop = 2.0 * c * scored * len(frames)
    print(
        f"window pass, 20 frames radius 12: {d:.3f} s, {flop / d / 1e9:.1f} GFLOP/s on {scored / nq:.0f} keys/query"
    )


if __name__ == "__main__":
    main()
