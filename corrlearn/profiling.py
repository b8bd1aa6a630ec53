"""Per-stage times of one run with the facts that make them comparable: the source of every speed figure.

A :class:`Profile` made active with :func:`session` collects the seconds spent in each of :data:`STAGES`;
the library marks its stages with ``with profiling.stage(name):``, which is a shared do-nothing context
(no clock read, no device sync) while no profile is active, so the hooks cost nothing in normal runs.
:func:`report` adds what a time means nothing without: thread settings (torch, numba, OpenCV, the OpenMP
/ MKL environment and corrlearn's own plan, :func:`set_info`), the CPU model and its bf16 / AMX flags, the
load, peak RSS, CPU seconds, page faults and context switches, and the fp32 and bf16 GEMM rates measured
in the same process (:func:`gemm_rate`, K = 256, the affinity's shape class), so a time can be normalised
to a reference GEMM rate (:data:`REFERENCE_GFLOPS`).

Stages run on two threads with ``--pipeline`` (decode / resize / encoder beside affinity / label decode):
their seconds are then busy time per stage and add up to more than the wall time.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import platform
import resource
import statistics
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

#: Stages in the order a run meets them; the first three are start-up.
STAGES = (
    "import",
    "model build",
    "kernel load",
    "decode",
    "resize/normalise",
    "encoder",
    "affinity",
    "label decode",
    "mask write",
)
STARTUP = STAGES[:3]
#: fp32 GEMM rate (GFLOP/s) a time is normalised to: the quiet development machine (96-118 measured).
REFERENCE_GFLOPS = 110.0
#: GEMM measured for the rates: (2048 x 256) @ (256 x 8192), the shape class of the affinity (K = C = 256).
GEMM_SHAPE = (2048, 8192, 256)
#: CPU flags that decide which fast paths a machine can take.
CPU_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8")
#: Environment variables that change how the thread pools and the allocator behave.
ENV_VARS = (
    "OMP_NUM_THREADS",
    "OMP_WAIT_POLICY",
    "OMP_PROC_BIND",
    "GOMP_SPINCOUNT",
    "KMP_BLOCKTIME",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "NUMBA_THREADING_LAYER",
    "DNNL_MAX_CPU_ISA",
    "ONEDNN_MAX_CPU_ISA",
    "MALLOC_ARENA_MAX",
    "MALLOC_MMAP_THRESHOLD_",
    "MALLOC_TRIM_THRESHOLD_",
    "CORRLEARN_BF16_FILTER",
)

_NULL = contextlib.nullcontext()
_ACTIVE: Profile | None = None
_INFO: dict[str, Any] = {}


class Profile:
    """Seconds and calls per stage, added from any thread; created and made active by :func:`session`."""

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(STAGES, 0.0)
        self.calls = dict.fromkeys(STAGES, 0)
        # process-wide CPU seconds (user, sys) and minor page faults during each stage: with stages in
        # sequence, the spinning of an idle thread pool shows up in the stage it spins through
        self.usage = {name: [0.0, 0.0, 0] for name in STAGES}
        self.started = time.perf_counter()
        self.wall: float | None = None  # seconds the session lasted, set when it ends
        self.before = 0.0  # seconds the process ran before the session began
        self.done: set[str] = set()  # one-off work already done in this process (kernel load)
        self._lock = threading.Lock()

    def add(self, name: str, seconds: float, calls: int = 1, usage: tuple | None = None) -> None:
        with self._lock:
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds
            self.calls[name] = self.calls.get(name, 0) + calls
            acc = self.usage.setdefault(name, [0.0, 0.0, 0])
            for i, v in enumerate(usage or ()):
                acc[i] += v

    @contextlib.contextmanager
    def stage(self, name: str, device: Any = None) -> Iterator[None]:
        """Time the block as ``name``; on a CUDA ``device`` its queued work is waited for at both ends."""
        sync = _cuda_sync(device)
        sync()
        r0, t = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        try:
            yield
        finally:
            sync()
            dt, r1 = time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF)
            use = (r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime, r1.ru_minflt - r0.ru_minflt)
            self.add(name, dt, usage=use)

    def timed_iter(self, name: str, items: Iterable) -> Iterator:
        """The items of ``items``, the time each takes to produce added to ``name`` (e.g. frame decode)."""
        it = iter(items)
        while True:
            t = time.perf_counter()
            try:
                item = next(it)
            except StopIteration:
                return
            self.add(name, time.perf_counter() - t)
            yield item


def _cuda_sync(device: Any):
    if device is not None and str(device).startswith("cuda"):
        import torch

        return torch.cuda.synchronize
    return lambda: None


def active() -> Profile | None:
    """The profile being collected, or None (then every hook is a no-op)."""
    return _ACTIVE


def stage(name: str, device: Any = None) -> contextlib.AbstractContextManager:
    """``with stage("encoder"):`` times the block into the active profile; a shared no-op when none is."""
    if _ACTIVE is None:
        return _NULL
    return _ACTIVE.stage(name, device)


def set_info(key: str, value: Any) -> None:
    """Record a setting every report shows (e.g. ``"thread_plan"`` from :mod:`corrlearn.threads`)."""
    _INFO[key] = value


@contextlib.contextmanager
def session(preload: Iterable[str] = ()) -> Iterator[Profile]:
    """Make a fresh :class:`Profile` active for the block.

    Start-up before it counts as ``import``, and so does importing ``preload`` (module names; those not
    installed are skipped): a command that imports torch lazily would otherwise hide that in its first stage.
    """
    global _ACTIVE
    prof = Profile()
    prof.before = process_age() or 0.0  # start-up before the session: part of the wall time, not inside it
    prof.add("import", prof.before)
    previous, _ACTIVE = _ACTIVE, prof
    try:
        with prof.stage("import"):
            for name in preload:
                with contextlib.suppress(ImportError):
                    importlib.import_module(name)
        yield prof
    finally:
        _ACTIVE = previous
        prof.wall = time.perf_counter() - prof.started


def process_age() -> float | None:
    """Seconds since this process started (Linux ``/proc``; 10 ms resolution), None elsewhere."""
    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None


def cpu_info() -> dict[str, Any]:
    """CPU model, logical CPUs, the :data:`CPU_FLAGS` it has, and torch's own view of its ISA."""
    model, flags = platform.processor() or platform.machine(), set()
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name":
                    model = value.strip()
                elif key == "flags":
                    flags = set(value.split())
                    break
    info: dict[str, Any] = {
        "model": model,
        "logical_cpus": os.cpu_count(),
        "affinity_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "flags": {f: f in flags for f in CPU_FLAGS},
    }
    if "torch" in sys.modules:
        import torch

        info["torch_cpu_capability"] = torch.backends.cpu.get_cpu_capability()
        info["torch_bf16_hardware"] = bool(getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)())
    return info


def thread_settings() -> dict[str, Any]:
    """The thread counts in effect now: torch intra / inter-op, numba (count, layer), OpenCV, environment."""
    out: dict[str, Any] = {}
    if "torch" in sys.modules:
        import torch

        out["torch"] = {
            "intra_op": torch.get_num_threads(),
            "inter_op": torch.get_num_interop_threads(),
            "backend": "OpenMP" if torch.backends.openmp.is_available() else "native",
        }
    if "numba" in sys.modules:
        import numba

        try:
            layer = numba.threading_layer()
        except ValueError:  # no parallel region has run yet
            layer = None
        out["numba"] = {
            "threads": numba.get_num_threads(),
            "pool": numba.config.NUMBA_NUM_THREADS,
            "layer": layer,
            "layer_requested": numba.config.THREADING_LAYER,
        }
    if "cv2" in sys.modules:
        import cv2

        out["opencv"] = {"threads": cv2.getNumThreads()}
    out["env"] = {k: os.environ[k] for k in ENV_VARS if k in os.environ}
    return out


def resources() -> dict[str, Any]:
    """This process so far: peak RSS, CPU seconds, page faults, context switches."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "peak_rss_mib": round(r.ru_maxrss / 1024, 1),  # KiB on Linux
        "user_s": round(r.ru_utime, 2),
        "sys_s": round(r.ru_stime, 2),
        "minor_page_faults": r.ru_minflt,
        "major_page_faults": r.ru_majflt,
        "voluntary_switches": r.ru_nvcsw,
        "involuntary_switches": r.ru_nivcsw,
    }


def gemm_rate(
    device: str = "cpu", dtype: Any = None, repeats: int = 5, warmup: int = 2, budget_s: float | None = None
) -> float:
    """Measured GEMM GFLOP/s of :data:`GEMM_SHAPE` (the affinity's shape class) here, median of ``repeats``.

    With ``budget_s``, timing stops early once that many seconds are spent (at least one timed call), and a
    first call slower than 0.25 s counts as a sample: a GEMM that slow (bf16 without bf16 hardware) has no
    set-up cost worth discarding.
    """
    import torch

    dtype = torch.float32 if dtype is None else dtype
    m, n, c = GEMM_SHAPE
    a = torch.randn(m, c, device=device).to(dtype)
    b = torch.randn(n, c, device=device).to(dtype)
    sync = _cuda_sync(device)

    def timed() -> float:
        sync()
        t = time.perf_counter()
        a @ b.T
        sync()
        return time.perf_counter() - t

    times: list[float] = []
    for _ in range(warmup):
        first = timed()
        if budget_s is not None and first > 0.25:
            times.append(first)
            break
    spent = sum(times)
    while len(times) < repeats and (budget_s is None or not times or spent < budget_s):
        times.append(timed())
        spent += times[-1]
    return 2 * m * n * c / statistics.median(times) / 1e9


def report(prof: Profile, frames: int | None = None, device: str = "cpu", gemm: bool = True) -> dict:
    """Everything about a finished :func:`session`: stages, per-frame and GEMM-normalised times, the machine.

    ``frames`` defaults to the masks written. The GEMM rates are measured now (about a second each), after
    the work, with the run's thread settings.
    """
    import torch

    wall = (prof.wall if prof.wall is not None else time.perf_counter() - prof.started) + prof.before
    if frames is None:  # the masks written, else the frames labels were decoded for (+ the annotated one)
        frames = prof.calls["mask write"] or (
            prof.calls["label decode"] + 1 if prof.calls["label decode"] else 0
        )
    rates = {}
    if gemm:
        dev = "cuda" if str(device).startswith("cuda") else "cpu"
        rates = {
            "fp32": round(gemm_rate(dev, torch.float32, repeats=5, warmup=2, budget_s=1.0), 1),
            "bf16": round(gemm_rate(dev, torch.bfloat16, repeats=5, warmup=2, budget_s=1.0), 1),
        }
    stages = {
        name: {
            "seconds": round(prof.seconds[name], 4),
            "calls": prof.calls[name],
            "per_frame_s": round(prof.seconds[name] / frames, 4) if frames and name not in STARTUP else None,
            "user_s": round(prof.usage[name][0], 3),
            "sys_s": round(prof.usage[name][1], 3),
            "minor_page_faults": prof.usage[name][2],
        }
        for name in prof.seconds
    }
    startup = sum(prof.seconds[s] for s in STARTUP)
    out = {
        "wall_s": round(wall, 3),
        "startup_s": round(startup, 3),
        "frames": frames,
        "s_per_frame": round(wall / frames, 4) if frames else None,
        "s_per_frame_after_startup": round((wall - startup) / frames, 4) if frames else None,
        "stages": stages,
        "unaccounted_s": round(wall - sum(prof.seconds.values()), 3),
        "gemm_gflops": rates,
        "reference_gflops": REFERENCE_GFLOPS,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "resources": resources(),
        "threads": thread_settings(),
        "cpu": cpu_info(),
        "versions": _versions(),
        **_INFO,
    }
    if rates.get("fp32") and frames:
        # what the same work would take on a machine whose fp32 GEMM runs at the reference rate
        scale = rates["fp32"] / REFERENCE_GFLOPS
        out["s_per_frame_at_reference_gemm"] = round(wall / frames * scale, 4)
    return out


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("torch", "numba", "cv2"):
        mod = sys.modules.get(name)
        if mod is not None:
            out[name] = getattr(mod, "__version__", "?")
    return out


def format_table(rep: dict) -> str:
    """The report as a short text table: one row per stage, then threads, machine and GEMM rates."""
    frames = rep["frames"] or 0
    wall = rep["wall_s"] or 1.0
    head = f"{'stage':<18}{'seconds':>9}{'calls':>7}{'ms/frame':>10}{'share':>7}{'user s':>8}{'sys s':>7}"
    lines = [head + f"{'faults':>9}"]
    for name, s in rep["stages"].items():
        per = f"{1000 * s['per_frame_s']:.1f}" if s["per_frame_s"] is not None else ""
        lines.append(
            f"{name:<18}{s['seconds']:>9.3f}{s['calls']:>7}{per:>10}{100 * s['seconds'] / wall:>6.0f}%"
            f"{s['user_s']:>8.2f}{s['sys_s']:>7.2f}{s['minor_page_faults']:>9}"
        )
    lines.append(f"{'other':<18}{rep['unaccounted_s']:>9.3f}")
    per_frame = f"{rep['s_per_frame']:.3f} s/frame" if frames else "no frames"
    lines.append(f"{'total wall':<18}{rep['wall_s']:>9.3f}  {frames} frames, {per_frame}")
    r, g = rep["resources"], rep["gemm_gflops"]
    lines.append(
        f"cpu {r['user_s']:.1f} s user, {r['sys_s']:.1f} s sys; peak RSS {r['peak_rss_mib']:.0f} MiB; "
        f"{r['minor_page_faults']} minor faults; {r['involuntary_switches']} involuntary switches"
    )
    if g:
        norm = rep.get("s_per_frame_at_reference_gemm")
        at_ref = f"; {norm:.3f} s/frame at {rep['reference_gflops']:.0f} GFLOP/s" if norm else ""
        lines.append(f"GEMM K=256: fp32 {g['fp32']:.1f}, bf16 {g['bf16']:.1f} GFLOP/s{at_ref}")
    t = rep["threads"]
    parts = []
    if "torch" in t:
        parts.append(f"torch {t['torch']['intra_op']}/{t['torch']['inter_op']} (intra/inter)")
    if "numba" in t:
        parts.append(f"numba {t['numba']['threads']} of {t['numba']['pool']} ({t['numba']['layer']})")
    if "opencv" in t:
        parts.append(f"opencv {t['opencv']['threads']}")
    plan = rep.get("thread_plan")
    lines.append("threads: " + ", ".join(parts) + (f"; plan {plan['name']}" if plan else ""))
    if t["env"]:
        lines.append("env: " + " ".join(f"{k}={v}" for k, v in t["env"].items()))
    c = rep["cpu"]
    flags = ",".join(f for f, on in c["flags"].items() if on) or "none of " + ",".join(CPU_FLAGS)
    lines.append(f"cpu: {c['model']}, {c['logical_cpus']} cpus, flags {flags}; load {rep['load_average']}")
    return "\n".join(lines)
