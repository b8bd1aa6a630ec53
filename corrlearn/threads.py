"""One thread plan for corrlearn's CPU compute: torch (OpenMP / oneDNN), the numba kernel and OpenCV.

The plan, chosen by measurement on the 2-core development machine (benchmarks/README.md, "Thread plan"):

- **OpenMP waits passively** (``OMP_WAIT_POLICY=PASSIVE``, set before torch loads, unless the user set it):
  torch and the numba kernel each run their own OpenMP pool (two libgomp copies in one process); by default
  an idle pool's threads spin after every parallel region, so the encoder's pool burns the cores the numba
  kernel is working on and the other way round. Passive waiting costs a futex wake per parallel region.
- **Freed memory stays in the process** (glibc ``mallopt``): the encoder's activations (tens of MiB) were
  returned to the kernel after every layer and faulted back in zeroed on the next frame, about 60,000 page
  faults and 0.2 s of system time per 480p frame.
- **One thread count** for torch's intra-op pool and numba's loops (``--threads``, default all cores), and
  OpenCV single-threaded (its resizes are small; a third pool would only contend).

``CORRLEARN_THREAD_PLAN=off`` leaves all of this to the libraries' defaults (for measuring them). The plan
in effect is recorded in every profile (:mod:`corrlearn.profiling`).
"""

from __future__ import annotations

import os
import sys

from corrlearn import profiling

#: Environment the plan sets (when unset) before torch and numba load their OpenMP runtimes.
PLAN_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}
#: glibc mallopt parameters (M_MMAP_THRESHOLD = -3, M_TRIM_THRESHOLD = -1): serve blocks up to 1 GiB from
#: the heap and never give its top back, so freed activations are reused instead of re-faulted.
_MALLOPT = ((-3, 1 << 30), (-1, 1 << 30))
_KEEP_MEMORY: bool | None = None


def plan_enabled() -> bool:
    """False when ``CORRLEARN_THREAD_PLAN=off``: every library keeps its own defaults."""
    return os.environ.get("CORRLEARN_THREAD_PLAN", "").lower() not in ("off", "0", "none")


def early_plan() -> None:
    """The part of the plan that must come before torch loads: OpenMP's wait policy (a user's setting wins).

    Called by the CLI first thing; a library user calls it before importing torch (later it changes only
    pools not yet started).
    """
    if plan_enabled():
        for key, value in PLAN_ENV.items():
            os.environ.setdefault(key, value)


def keep_freed_memory() -> bool:
    """Make glibc keep freed large blocks for reuse (see the module notes); False where that is not glibc."""
    global _KEEP_MEMORY
    if _KEEP_MEMORY is None:
        _KEEP_MEMORY = False
        if sys.platform.startswith("linux"):
            import ctypes

            try:
                libc = ctypes.CDLL("libc.so.6")
                _KEEP_MEMORY = all(libc.mallopt(param, value) == 1 for param, value in _MALLOPT)
            except (OSError, AttributeError):  # musl and others: no mallopt, nothing to tune
                _KEEP_MEMORY = False
    return _KEEP_MEMORY


def set_threads(n: int) -> None:
    """Use ``n`` threads for torch's intra-op pool and numba's parallel loops, and OpenCV single-threaded.

    On a machine whose cores are busy with other work, fewer threads are faster: every parallel region ends
    in a barrier that waits for the slowest (descheduled) thread; one thread per free core is the rule.
    """
    if n < 1:
        from corrlearn.errors import CorrlearnError

        raise CorrlearnError(f"--threads must be >= 1, got {n}")
    import cv2
    import torch

    if "numba" not in sys.modules:
        # size numba's pool itself: set_num_threads alone leaves the surplus OpenMP workers spinning idle,
        # which cost ~0.7 CPU s per 480p frame on a busy 2-core machine (benchmarks/README.md)
        os.environ["NUMBA_NUM_THREADS"] = str(n)

    cv2.setNumThreads(1)  # resizes are small; OpenCV's own pool would only contend with torch and numba
    from corrlearn import kernels

    if kernels.numba_available():
        import numba

        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    # torch last: numba's first set_num_threads launches its OpenMP pool, which resets the OpenMP thread count
    # torch shares to NUMBA_NUM_THREADS when numba was imported before (the first run of a process recorded 2)
    torch.set_num_threads(n)


def apply_plan(threads: int | None = None, pipeline: bool = False) -> dict:
    """Apply the thread plan for a propagation run and record it for profiles; returns what was applied.

    ``threads`` = None keeps torch's count (all cores unless ``OMP_NUM_THREADS`` says otherwise) and gives
    numba the same; ``pipeline`` only names the plan (the engine runs the second thread).
    """
    enabled = plan_enabled()
    if enabled:
        early_plan()
        keep_freed_memory()
    import torch

    if threads is not None or enabled:
        set_threads(threads if threads is not None else torch.get_num_threads())
    plan = {
        "name": ("library defaults" if not enabled else "passive-omp+keep-memory")
        + f", {torch.get_num_threads()} thread{'s' if torch.get_num_threads() > 1 else ''}"
        + (", pipelined" if pipeline else ""),
        "enabled": enabled,
        "torch_threads": torch.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "keep_freed_memory": bool(_KEEP_MEMORY),
        "pipeline": pipeline,
    }
    from corrlearn import kernels

    if kernels.numba_available():
        import numba

        plan["numba_threads"] = numba.get_num_threads()
    profiling.set_info("thread_plan", plan)
    return plan
