"""One place to set how many CPU threads corrlearn's compute uses (torch, the numba kernel, OpenCV)."""

from __future__ import annotations


def set_threads(n: int) -> None:
    """Use ``n`` threads for torch's intra-op pool and numba's parallel loops, and OpenCV single-threaded.

    On a machine whose cores are busy with other work, fewer threads are faster: every parallel region ends
    in a barrier that waits for the slowest (descheduled) thread; one thread per free core is the rule.
    """
    if n < 1:
        from corrlearn.errors import CorrlearnError

        raise CorrlearnError(f"--threads must be >= 1, got {n}")
    import os
    import sys

    import cv2
    import torch

    if "numba" not in sys.modules:
        # size numba's pool itself: set_num_threads alone leaves the surplus OpenMP workers spinning idle,
        # which cost ~0.7 CPU s per 480p frame on a busy 2-core machine (benchmarks/README.md)
        os.environ["NUMBA_NUM_THREADS"] = str(n)

    torch.set_num_threads(n)
    cv2.setNumThreads(1)  # resizes are small; OpenCV's own pool would only contend with torch and numba
    from corrlearn import kernels

    if kernels.numba_available():
        import numba

        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
