"""Where propagation runs: ``--device`` and ``--backend`` checked once, for every command, before it writes.

A device or backend that cannot run here used to surface as a traceback deep inside the first frame, after the
run record was written (so the corrected rerun was refused as "another configuration"); every command that
propagates calls :func:`check_runtime` before it creates anything.
"""

from __future__ import annotations

from corrlearn.errors import CorrlearnError

DEVICE_HELP = "cpu, cuda or cuda:N"


def check_device(device: str):
    """The ``torch.device`` that ``--device`` names; :class:`CorrlearnError` if it is none or not usable here."""
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise CorrlearnError(f"--device {device!r}: not a device; expected {DEVICE_HELP}") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise CorrlearnError(f"--device {device}: CUDA is not available (torch sees no CUDA device)")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise CorrlearnError(
                f"--device {device}: there are only {torch.cuda.device_count()} CUDA devices (cuda:0 ..)"
            )
    elif dev.type != "cpu":
        raise CorrlearnError(f"--device {device}: corrlearn runs on {DEVICE_HELP}, not {dev.type}")
    return dev


def check_runtime(device: str, backend: str = "auto") -> str:
    """Check ``--device`` and ``--backend`` together; return the backend that will run (auto resolved)."""
    from corrlearn.affinity import resolve_backend

    dev = check_device(device)
    try:
        return resolve_backend(backend, dev)
    except (ValueError, RuntimeError) as exc:
        raise CorrlearnError(f"--backend {backend}: {exc}") from None


def announce_compile(backend: str, quiet: bool = False) -> bool:
    """Say once, before the stall, that the numba kernels compile on this first run (their cache is cold).

    Returns whether it said so. The compile takes about 15 s on a 2-core machine and happens on the second
    frame, which otherwise looks like a hang.
    """
    if quiet or backend != "numba":
        return False
    from corrlearn import kernels

    if not kernels.numba_cache_cold():
        return False
    print("compiling kernels (once)...", flush=True)
    return True
