"""Affinity + top-k at DAVIS 480p scale: reference, naive dense, numba, Triton (GPU), FAISS, KeOps side by side.

    python benchmarks/bench_affinity.py [--frames 1 5 21] [--repeats 3] [--out results.json]

Methods: ``reference`` (backend="torch"), ``dense`` (peer code's full fp32 matmul + mask + topk),
``dense-bf16`` (the same in bf16: the plain "oneDNN bf16" approach, approximate), ``numba-fp32`` (the fused
kernel, float32 micro-kernel everywhere), ``numba`` (the default: frames without a radius through the bf16
GEMM filter + float32 rescoring, float32 results), ``faiss``, ``keops`` and on CUDA ``triton`` and
``dense-cuda``. Two roofline rows per setting: the time a K = 256 GEMM would need for the useful FLOP at the
fp32 and at the bf16 rate, both measured in the same run (``roofline-fp32``/``roofline-bf16``: a 2048 x 8192
x 256 product timed in every round). Repeats go round-robin over the methods, so load changes on a shared
machine hit all of them alike; ``% of roofline`` = roofline time / method time.

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
from corrlearn.profiling import GEMM_SHAPE, gemm_rate

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


assert GEMM_SHAPE[2] == C  # the roofline probe is the profiler's GEMM (corrlearn.profiling.gemm_rate)


def gemm_call(dtype: torch.dtype):
    """A zero-argument GEMM of GEMM_SHAPE, timed beside the methods as the roofline probe."""
    a = torch.randn(GEMM_SHAPE[0], C).to(dtype)
    b = torch.randn(GEMM_SHAPE[1], C).to(dtype)
    return lambda: a @ b.T


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
    """What the peer code does: the full (Nq, M*Nk) affinity, a dense mask for the radius, torch.topk.

    bf16 inputs give bf16 scores (torch's CPU matmul has no float32 output for them): the approximate path.
    """
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


def numba_direct(q, keys, restrict, radius, bf16_filter):
    """The numba kernel with its free-frame path chosen explicitly."""
    from corrlearn.kernels import numba_topk

    w, i, _ = numba_topk.run(
        q.numpy(),
        keys.numpy(),
        K,
        TEMP,
        (H, W),
        radius,
        "circle",
        restrict.numpy(),
        "topk",
        None,
        None,
        bf16_filter,
    )
    return torch.from_numpy(w), torch.from_numpy(i)


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
    qb, kb = q.bfloat16(), keys.bfloat16()
    methods = {
        "reference": ("cpu", lambda: topk_affinity(q, keys, K, TEMP, backend="torch", **common)),
        "dense": ("cpu", lambda: dense_topk(q, keys, K, TEMP, outside, restrict)),
        "dense-bf16": ("cpu", lambda: dense_topk(qb, kb, K, TEMP, outside, restrict)),
        "numba-fp32": ("cpu", lambda: numba_direct(q, keys, restrict, radius, bf16_filter=False)),
        "numba": ("cpu", lambda: topk_affinity(q, keys, K, TEMP, backend="numba", **common)),
    }
    if has_cuda:
        qg, kg = q.cuda(), keys.cuda()
        outside_g = None if outside is None else outside.cuda()
        methods["triton"] = ("cuda", lambda: topk_affinity(qg, kg, K, TEMP, backend="triton", **common))
        methods["reference-cuda"] = (
            "cuda",
            lambda: topk_affinity(qg, kg, K, TEMP, backend="torch", **common),
        )
        methods["dense-cuda"] = ("cuda", lambda: dense_topk(qg, kg, K, TEMP, outside_g, restrict))
    if radius is None:
        methods["faiss"] = ("cpu", lambda: faiss_topk(q, keys, K, TEMP))
        # KeOps' CPU backend runs at ~0.3 GFLOP/s here (63 s for M=1): time it at M=1 only
        if keys.shape[0] == 1:
            methods["keops"] = ("cpu", lambda: keops_topk(q, keys, K, TEMP))
    return methods


# methods whose first call compiles or loads caches; KeOps is left out (its compiled formula is cached on disk
# after the first run, and a second full call costs another minute on this CPU)
WARM = ("numba", "numba-fp32", "triton", "faiss")
#: methods timed once per setting at M >= 21 (tens of seconds a call on a 2-core CPU)
SLOW = ("reference", "dense", "dense-bf16", "keops")


def time_once(fn, device):
    """(seconds, peak bytes added, output) of one call."""
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    _sync(device)
    with PeakRSS() as mem:
        t = time.perf_counter()
        out = fn()
        _sync(device)
        dt = time.perf_counter() - t
    peak = (torch.cuda.max_memory_allocated() - base) if device == "cuda" else mem.added
    return dt, peak, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, nargs="+", default=[1, 5, 21])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--skip", nargs="*", default=[], help="methods to leave out (reference, dense, numba, ...)"
    )
    ap.add_argument("--out", default=None, help="also write the rows as JSON here")
    ap.add_argument("--grid", type=int, nargs=2, default=None, help="feature grid h w (default 60 107, 480p)")
    args = ap.parse_args()
    global H, W
    if args.grid:
        H, W = args.grid
    torch.manual_seed(0)
    cpu_model = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next(
        (ln.split(":", 1)[1].strip() for ln in cpu_model.splitlines() if ln.startswith("Model name")), "?"
    )
    print(
        f"machine: {platform.machine()} {model}, {os.cpu_count()} cpus, torch threads {torch.get_num_threads()},"
        f" load average at start {os.getloadavg()[0]:.1f}"
    )
    has_cuda = torch.cuda.is_available()
    cuda_rate = None
    if has_cuda:
        cuda_rate = gemm_rate("cuda")
        print(f"gpu: {torch.cuda.get_device_name()}, GEMM fp32 {cuda_rate:.1f} GFLOP/s")
    probes = {"roofline-fp32": gemm_call(torch.float32), "roofline-bf16": gemm_call(torch.bfloat16)}
    gemm_flop = 2 * GEMM_SHAPE[0] * GEMM_SHAPE[1] * C
    rows = []
    for m in args.frames:
        q = torch.nn.functional.normalize(torch.randn(H * W, C), dim=1)
        keys = torch.nn.functional.normalize(torch.randn(m, H * W, C), dim=2)
        restrict = torch.tensor([False] + [True] * (m - 1))
        for setting, radius in (("radius12", RADIUS), ("global", None)):
            pairs = candidates(m, restrict, radius)
            flop = 2 * C * pairs
            methods = {
                n: v
                for n, v in build_methods(q, keys, restrict, radius, has_cuda).items()
                if n not in args.skip
            }
            times = {n: [] for n in [*probes, *methods]}
            peaks, outs, failed = {}, {}, {}
            for name, (_device, fn) in methods.items():
                if name in WARM:
                    try:
                        fn()  # compiles numba/triton or loads their caches
                    except Exception as e:  # an optional library missing or failing: report, go on
                        failed[name] = f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
            for rep in range(args.repeats):
                for name, fn in probes.items():
                    fn()
                    times[name].append(time_once(fn, "cpu")[0])
                for name, (device, fn) in methods.items():
                    if name in failed or (rep > 0 and (name == "keops" or (m >= 21 and name in SLOW))):
                        continue
                    try:
                        dt, peak, out = time_once(fn, device)
                    except Exception as e:
                        failed[name] = f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
                        continue
                    times[name].append(dt)
                    peaks[name] = max(peaks.get(name, 0), peak)
                    outs[name] = out[1].cpu()
            rate = {n: gemm_flop / statistics.median(times[n]) / 1e9 for n in probes}
            roof = {n: flop / (rate[n] * 1e9) for n in probes}
            for name, r in rate.items():
                rows.append(
                    dict(
                        frames=m,
                        setting=setting,
                        method=name,
                        device="cpu",
                        median_s=roof[name],
                        gemm_gflops=r,
                        peak_mib=0.0,
                        useful_gflops=flop / roof[name] / 1e9,
                        share_fp32_roofline=roof["roofline-fp32"] / roof[name],
                        share_bf16_roofline=roof["roofline-bf16"] / roof[name],
                        index_match=math.nan,
                    )
                )
            ref_idx = outs.get("reference", outs.get("reference-cuda"))
            for name, (device, _) in methods.items():
                if name in failed:
                    print(f"M={m:2d} {setting:8s} {name:10s} skipped: {failed[name]}")
                    rows.append(dict(frames=m, setting=setting, method=name, skipped=failed[name]))
                    continue
                med = statistics.median(times[name])
                match = float((outs[name] == ref_idx).float().mean()) if ref_idx is not None else math.nan
                row = dict(
                    frames=m,
                    setting=setting,
                    method=name,
                    device=device,
                    median_s=med,
                    runs=len(times[name]),
                    peak_mib=peaks[name] / 2**20,
                    useful_gflops=flop / med / 1e9,
                    share_fp32_roofline=roof["roofline-fp32"] / med if device == "cpu" else math.nan,
                    share_bf16_roofline=roof["roofline-bf16"] / med if device == "cpu" else math.nan,
                    index_match=match,
                )
                if device == "cuda":
                    row["share_gpu_gemm"] = flop / med / 1e9 / cuda_rate
                rows.append(row)
            for r in rows[-(len(probes) + len(methods)) :]:
                if "skipped" not in r:
                    print(
                        f"M={m:2d} {setting:8s} {r['method']:14s} {r['median_s']:8.3f} s  "
                        f"{r['useful_gflops']:7.1f} GFLOP/s  fp32-roof {100 * r['share_fp32_roofline']:5.1f}%  "
                        f"bf16-roof {100 * r['share_bf16_roofline']:5.1f}%  idx {r['index_match']:.4f}",
                        flush=True,
                    )
    print(markdown_table(rows))
    if args.out:
        with open(args.out + ".tmp", "w") as f:
            json.dump(dict(machine=model, cuda_gemm_gflops=cuda_rate, rows=rows), f, indent=1)
        os.replace(args.out + ".tmp", args.out)


def _pct(v: float) -> str:
    return "" if math.isnan(v) else f"{100 * v:.0f}"


def markdown_table(rows: list[dict]) -> str:
    """The rows as the side-by-side table of benchmarks/README.md."""
    lines = [
        "| M | setting | method | device | median s | peak MiB | useful GFLOP/s | % of fp32 roofline "
        "| % of bf16 roofline | index match |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "skipped" in r:
            lines.append(
                f"| {r['frames']} | {r['setting']} | {r['method']} | | skipped: {r['skipped'][:60]} |||||"
            )
            continue
        match = "" if math.isnan(r["index_match"]) else f"{r['index_match']:.4f}"
        lines.append(
            f"| {r['frames']} | {r['setting']} | {r['method']} | {r['device']} | {r['median_s']:.3f} | "
            f"{r['peak_mib']:.0f} | {r['useful_gflops']:.1f} | {_pct(r['share_fp32_roofline'])} | "
            f"{_pct(r['share_bf16_roofline'])} | {match} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
