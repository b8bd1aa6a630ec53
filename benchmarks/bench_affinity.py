"""Affinity + top-k at DAVIS 480p scale: reference, naive dense, numba, Triton (GPU), FAISS, KeOps side by side.

    python benchmarks/bench_affinity.py [--frames 1 5 21] [--repeats 3] [--out results.json]

Inputs: Nq = 60 x 107 = 6420 query cells, C = 256, L2-normalised random features, k = 10, temperature 0.05;
"radius12" = circle of radius 12 cells with the first reference frame exempt (CRW), "global" = no radius.
For each method: median wall time over ``--repeats`` runs (after one warm-up that also compiles), the peak
memory it added (RSS sampled every 2 ms on CPU, torch.cuda.max_memory_allocated on GPU), the useful GFLOP/s
(2 * C * candidate pairs a query really needs / time) and that as a share of this machine's measured GEMM
rate, and the fraction of output indices equal to the reference's. FAISS (IndexFlatIP) and KeOps (argKmin)
have no spatial restriction, so they only run in the global setting; they are skipped when not installed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import threading
import time

import torch

from corrlearn.affinity import topk_affinity
from corrlearn.affinity.window import within_radius

H, W, C, K, TEMP, RADIUS = 60, 107, 256, 10, 0.05, 12.0


class PeakRSS:
    """Peak resident memory above the level at entry, sampled by a background thread."""

    def __enter__(self):
        self.base = self.peak = self._rss()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(0.002)

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self._rss())
        self.added = self.peak - self.base


def gemm_rate(device: str) -> float:
    """Measured float32 GEMM GFLOP/s (2048 x 8192 x 256, the shape class of the affinity) on this device."""
    a = torch.randn(2048, C, device=device)
    b = torch.randn(8192, C, device=device)
    for _ in range(2):
        a @ b.T
    times = []
    for _ in range(5):
        _sync(device)
        t = time.perf_counter()
        a @ b.T
        _sync(device)
        times.append(time.perf_counter() - t)
    return 2 * 2048 * 8192 * C / statistics.median(times) / 1e9


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def outside_mask(grid, radius):
    """(Nk, Nk) True where key cell is outside the query cell's circle; built once per video by peer code."""
    h, w = grid
    cell = torch.arange(h * w, dtype=torch.int32)
    dy = (cell // w)[None, :] - (cell // w)[:, None]
    dx = (cell % w)[None, :] - (cell % w)[:, None]
    return ~within_radius(dy, dx, radius, "circle")


def dense_topk(q, keys, k, temperature, outside, restrict):
    """What the peer code does: the full (Nq, M*Nk) affinity, a dense mask for the radius, torch.topk."""
    m, nk, c = keys.shape
    scores = (q @ keys.reshape(-1, c).T) * (1.0 / temperature)
    if outside is not None:
        view = scores.view(-1, m, nk)
        for f in restrict.nonzero().flatten().tolist():
            view[:, f].masked_fill_(outside, float("-inf"))
    vals, idx = scores.topk(k, dim=1)
    return torch.softmax(vals, dim=1), idx


def faiss_topk(q, keys, k, temperature):
    import faiss

    faiss.omp_set_num_threads(torch.get_num_threads())
    index = faiss.IndexFlatIP(keys.shape[-1])
    index.add(keys.reshape(-1, keys.shape[-1]).numpy())
    vals, idx = index.search(q.numpy(), k)
    return torch.softmax(torch.from_numpy(vals) / temperature, dim=1), torch.from_numpy(idx)


def keops_topk(q, keys, k, temperature):
    from pykeops.torch import LazyTensor

    flat = keys.reshape(-1, keys.shape[-1])
    scores = LazyTensor(q[:, None, :].contiguous()) | LazyTensor(flat[None, :, :].contiguous())
    idx = (-scores).argKmin(k, dim=1)
    vals = (q[:, None, :] * flat[idx]).sum(-1) / temperature
    return torch.softmax(vals, dim=1), idx


def candidates(m, restrict, radius) -> int:
    """Candidate (query, key) pairs the semantics require: all of free frames, the neighbourhood otherwise."""
    nk = H * W
    if radius is None:
        return H * W * m * nk
    cell = torch.arange(nk)
    per_frame = 0
    for y0 in range(0, H, 20):  # exact count, in row blocks to bound memory
        qc = cell[y0 * W : min(H, y0 + 20) * W]
        inside = within_radius(
            (cell // W)[None, :] - (qc // W)[:, None],
            (cell % W)[None, :] - (qc % W)[:, None],
            radius,
            "circle",
        )
        per_frame += int(inside.sum())
    n_free = int((~restrict).sum())
    return n_free * H * W * nk + (m - n_free) * per_frame


def build_methods(q, keys, restrict, radius, has_cuda):
    """name -> (device, zero-argument callable returning (weights, indices))."""
    common = dict(grid=(H, W), radius=radius, radius_shape="circle", restrict=restrict)
    outside = outside_mask((H, W), radius) if radius is not None and bool(restrict.any()) else None
    methods = {
        "reference": ("cpu", lambda: topk_affinity(q, keys, K, TEMP, backend="torch", **common)),
        "dense": ("cpu", lambda: dense_topk(q, keys, K, TEMP, outside, restrict)),
        "numba": ("cpu", lambda: topk_affinity(q, keys, K, TEMP, backend="numba", **common)),
    }
    if has_cuda:
        qg, kg = q.cuda(), keys.cuda()
        outside_g = None if outside is None else outside.cuda()
        methods["triton"] = ("cuda", lambda: topk_affinity(qg, kg, K, TEMP, backend="triton", **common))
        methods["dense-cuda"] = ("cuda", lambda: dense_topk(qg, kg, K, TEMP, outside_g, restrict))
    if radius is None:
        methods["faiss"] = ("cpu", lambda: faiss_topk(q, keys, K, TEMP))
        # KeOps' CPU backend runs at ~0.3 GFLOP/s here (63 s for M=1): time it at M=1 only
        if keys.shape[0] == 1:
            methods["keops"] = ("cpu", lambda: keops_topk(q, keys, K, TEMP))
    return methods


# methods whose first call compiles or loads caches; KeOps is left out (its compiled formula is cached on disk
# after the first run, and a second full call costs another minute on this CPU)
WARM = ("numba", "triton", "faiss")


def time_method(fn, repeats, device, warm):
    if warm:
        fn()  # compiles numba/triton/keops or loads their caches
    times, peak = [], 0
    for _ in range(repeats):
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()
            base = torch.cuda.memory_allocated()
        _sync(device)
        with PeakRSS() as mem:
            t = time.perf_counter()
            out = fn()
            _sync(device)
            times.append(time.perf_counter() - t)
        peak = max(peak, (torch.cuda.max_memory_allocated() - base) if device == "cuda" else mem.added)
    return statistics.median(times), peak, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, nargs="+", default=[1, 5, 21])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--skip", nargs="*", default=[], help="methods to leave out (reference, dense, numba, ...)"
    )
    ap.add_argument("--out", default=None, help="also write the rows as JSON here")
    args = ap.parse_args()
    torch.manual_seed(0)
    cpu_model = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next(
        (ln.split(":", 1)[1].strip() for ln in cpu_model.splitlines() if ln.startswith("Model name")), "?"
    )
    print(
        f"machine: {platform.machine()} {model}, {os.cpu_count()} cpus, torch threads {torch.get_num_threads()}"
    )
    rates = {"cpu": gemm_rate("cpu")}
    has_cuda = torch.cuda.is_available()
    if has_cuda:
        rates["cuda"] = gemm_rate("cuda")
        print(f"gpu: {torch.cuda.get_device_name()}")
    print("GEMM GFLOP/s: " + ", ".join(f"{d} {r:.1f}" for d, r in rates.items()), flush=True)
    rows = []
    for m in args.frames:
        q = torch.nn.functional.normalize(torch.randn(H * W, C), dim=1)
        keys = torch.nn.functional.normalize(torch.randn(m, H * W, C), dim=2)
        restrict = torch.tensor([False] + [True] * (m - 1))
        for setting, radius in (("radius12", RADIUS), ("global", None)):
            pairs = candidates(m, restrict, radius)
            methods = build_methods(q, keys, restrict, radius, has_cuda)
            ref_idx = None
            for name, (device, fn) in methods.items():
                if name in args.skip:
                    continue
                try:
                    reps = 1 if name == "keops" else args.repeats
                    med, peak, (_, idx) = time_method(fn, reps, device, name in WARM)
                except Exception as e:  # an optional library missing or failing to build: report, go on
                    print(
                        f"M={m:2d} {setting:8s} {name:10s} skipped: {type(e).__name__}: {str(e).splitlines()[0][:120]}"
                    )
                    rows.append(
                        dict(frames=m, setting=setting, method=name, skipped=f"{type(e).__name__}: {e}"[:200])
                    )
                    continue
                idx = idx.cpu()
                if name == "reference":
                    ref_idx = idx
                match = float((idx == ref_idx).float().mean()) if ref_idx is not None else math.nan
                gflops = 2 * C * pairs / med / 1e9
                row = dict(
                    frames=m,
                    setting=setting,
                    method=name,
                    device=device,
                    median_s=med,
                    peak_mib=peak / 2**20,
                    useful_gflops=gflops,
                    gemm_share=gflops / rates[device],
                    index_match=match,
                )
                rows.append(row)
                print(
                    f"M={m:2d} {setting:8s} {name:10s} {med:8.3f} s  peak {peak / 2**20:8.1f} MiB  "
                    f"{gflops:7.1f} GFLOP/s ({100 * gflops / rates[device]:5.1f}% of GEMM)  idx match {match:.4f}",
                    flush=True,
                )
    print(
        "\n| M | setting | method | device | median s | peak MiB | useful GFLOP/s | % of GEMM | index match |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "skipped" in r:
            print(
                f"| {r['frames']} | {r['setting']} | {r['method']} | | skipped: {r['skipped'][:60]} | | | | |"
            )
            continue
        print(
            f"| {r['frames']} | {r['setting']} | {r['method']} | {r['device']} | {r['median_s']:.3f} | "
            f"{r['peak_mib']:.0f} | {r['useful_gflops']:.1f} | {100 * r['gemm_share']:.0f} | {r['index_match']:.4f} |"
        )
    if args.out:
        with open(args.out + ".tmp", "w") as f:
            json.dump(dict(machine=model, gemm_gflops=rates, rows=rows), f, indent=1)
        os.replace(args.out + ".tmp", args.out)


if __name__ == "__main__":
    main()
