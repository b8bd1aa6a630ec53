"""Fast backends of :mod:`corrlearn.affinity`: a numba CPU kernel and a Triton GPU kernel.

Both follow the reference semantics in :mod:`corrlearn.affinity.reference` exactly; design notes and
standalone microbenchmarks live in the top-level ``kernels/`` folder of the repository.
"""

from __future__ import annotations

import importlib.util
import os


def numba_available() -> bool:
    return False  # replaced when the numba kernel lands


def triton_available() -> bool:
    return False  # replaced when the Triton kernel lands


def triton_interpreted() -> bool:
    return os.environ.get("TRITON_INTERPRET", "") == "1"


def topk_affinity(backend, query, keys, k, temperature, grid, radius, radius_shape, restrict, normalize):
    raise RuntimeError(f"backend {backend!r} is not implemented yet")


def propagate_labels(backend, query, keys, labels, k, temperature, grid, radius, radius_shape, restrict, normalize):
    raise RuntimeError(f"backend {backend!r} is not implemented yet")


_ = importlib.util
