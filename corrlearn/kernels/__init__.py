"""Fast backends of :mod:`corrlearn.affinity`: a numba CPU kernel and a Triton GPU kernel.

Both follow the reference semantics in :mod:`corrlearn.affinity.reference` exactly; design notes and
standalone microbenchmarks live in the top-level ``kernels/`` folder of the repository. Arguments arrive
validated by :mod:`corrlearn.affinity` (``restrict`` is a CPU bool tensor of length M).
"""

from __future__ import annotations

import functools
import importlib.util
import os

import torch


@functools.lru_cache(maxsize=1)
def numba_available() -> bool:
    """True when numba imports (the CPU kernel compiles lazily on first use, cached on disk)."""
    if importlib.util.find_spec("numba") is None:
        return False
    try:
        import numba  # noqa: F401
    except Exception:
        return False
    return True


def numba_cache_cold() -> bool:
    """True when the numba kernel has no compiled code on disk for its current source, so the first call
    compiles it (about 15 s); False when it is cached, or when numba's cache cannot be read (then nothing is
    said rather than something wrong)."""
    if not numba_available():
        return False
    try:
        from numba.core.registry import CPUDispatcher

        from corrlearn.kernels import numba_topk

        caches = [
            d._cache
            for d in vars(numba_topk).values()
            if isinstance(d, CPUDispatcher) and hasattr(d._cache, "_cache_file")
        ]
        # an index that does not match the source's stamp loads as empty: an edited kernel recompiles too
        return any(not c._cache_file._load_index() for c in caches)
    except Exception:  # numba's cache internals (FunctionCache) moved: stay quiet
        return False


@functools.lru_cache(maxsize=1)
def _triton_imports() -> bool:
    """True when triton and triton.language import (whether or not anything can run them here)."""
    if importlib.util.find_spec("triton") is None:
        return False
    try:
        import triton  # noqa: F401
        import triton.language  # noqa: F401
    except Exception:
        return False
    return True


def triton_interpreted() -> bool:
    """True when the Triton interpreter is on (``TRITON_INTERPRET=1``, set before triton is imported)."""
    return os.environ.get("TRITON_INTERPRET", "") == "1"


def triton_available() -> bool:
    """True when triton imports and it can run here: a CUDA device, or the CPU interpreter."""
    return _triton_imports() and (triton_interpreted() or torch.cuda.is_available())


def _labels_2d(labels: torch.Tensor) -> torch.Tensor:
    return labels.reshape(-1, labels.shape[-1])


def _numba(
    query, keys, k, temperature, grid, radius, radius_shape, restrict, normalize, labels=None, slots=None
):
    from corrlearn.kernels import numba_topk

    # one float32/int64 signature keeps numba to a single compiled specialisation
    q = query.detach().to("cpu", torch.float32).contiguous().numpy()
    kk = keys.detach().to("cpu", torch.float32).contiguous().numpy()
    lab = (
        None if labels is None else _labels_2d(labels).detach().to("cpu", torch.float32).contiguous().numpy()
    )
    rs = restrict.detach().cpu().numpy().astype("uint8")
    sl = None if slots is None else slots.detach().to("cpu", torch.int64).contiguous().numpy()
    w, i, out = numba_topk.run(q, kk, k, temperature, grid, radius, radius_shape, rs, normalize, lab, sl)
    return torch.from_numpy(w), torch.from_numpy(i), (None if out is None else torch.from_numpy(out))


def _triton(
    query, keys, k, temperature, grid, radius, radius_shape, restrict, normalize, labels=None, slots=None
):
    from corrlearn.kernels import triton_topk

    if slots is not None:  # the Triton kernel reads frames in order: gather them (cheap on a GPU)
        keys, labels = _gather_slots(keys, labels, slots)
    return triton_topk.run(
        query, keys, k, temperature, grid, radius, radius_shape, restrict, normalize, labels
    )


def _gather_slots(keys, labels, slots):
    """keys (S, Nk, C) and labels (S * Nk, L) or (S, Nk, L) of the stored frames, in logical order."""
    idx = slots.to(keys.device, torch.int64)
    keys = keys.index_select(0, idx)
    if labels is not None:
        labels = labels.reshape(-1, keys.shape[1], labels.shape[-1]).index_select(0, idx.to(labels.device))
    return keys, labels


def _dispatch(backend: str):
    if backend == "numba":
        return _numba
    if backend == "triton":
        return _triton
    raise RuntimeError(f"backend {backend!r} is not a kernel backend (expected 'numba' or 'triton')")


def topk_affinity(backend, query, keys, k, temperature, grid, radius, radius_shape, restrict, normalize):
    """(weights (Nq, k) float32, indices (Nq, k) int64) on the query's device, by the named kernel."""
    w, i, _ = _dispatch(backend)(query, keys, k, temperature, grid, radius, radius_shape, restrict, normalize)
    return w.to(query.device), i.to(query.device)


def propagate_labels(
    backend, query, keys, labels, k, temperature, grid, radius, radius_shape, restrict, normalize, slots=None
):
    """(Nq, L) float32 soft labels, fused: the affinity never exists beyond (Nq, k).

    ``slots``: keys[slots[m]] (and the matching labels) hold logical reference frame m (see
    :func:`corrlearn.affinity.propagate_labels`).
    """
    _, _, out = _dispatch(backend)(
        query, keys, k, temperature, grid, radius, radius_shape, restrict, normalize, labels, slots
    )
    return out.to(query.device)
