"""Sparse top-k affinity between a query frame and reference frames, and label transfer through it.

Shapes and dtypes
-----------------
``query``   (Nq, C) features of the target frame, Nq = h * w cells in row-major order, any float dtype.
``keys``    (M, Nk, C) features of M reference frames on the same grid (Nk = h * w when a radius is used).
``labels``  (M, Nk, L) or (M * Nk, L) soft labels of the reference cells.
Returns ``weights`` (Nq, k) float32 and ``indices`` (Nq, k) int64 into the flattened keys
(``m * Nk + p``); -1 marks an empty slot (fewer than k candidates), whose weight is 0.

Every backend follows the semantics written out in :mod:`corrlearn.affinity.reference` (selection, tie-breaking
by lower flat index, ordering, normalisation). ``backend="auto"`` takes the fused numba kernel for CPU tensors
and the Triton kernel for CUDA tensors when they are installed, else the PyTorch reference.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from corrlearn.affinity.reference import DEFAULT_BLOCK_BYTES, topk_affinity_reference
from corrlearn.affinity.window import RADIUS_SHAPES, within_radius

BACKENDS = ("auto", "torch", "numba", "triton")
NORMALIZE_MODES = ("topk", "all")


def _check(
    query: torch.Tensor,
    keys: torch.Tensor,
    k: int,
    temperature: float,
    grid: tuple[int, int] | None,
    radius: float | None,
    radius_shape: str,
    restrict: Sequence[bool] | torch.Tensor | None,
    normalize: str,
) -> torch.Tensor:
    if query.dim() != 2 or keys.dim() != 3:
        raise ValueError(
            f"query must be (Nq, C) and keys (M, Nk, C); got {tuple(query.shape)} and {tuple(keys.shape)}"
        )
    if query.shape[1] != keys.shape[2]:
        raise ValueError(f"query has {query.shape[1]} channels but keys have {keys.shape[2]}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if normalize not in NORMALIZE_MODES:
        raise ValueError(f"normalize must be one of {NORMALIZE_MODES}, got {normalize!r}")
    m = keys.shape[0]
    if restrict is None:
        restrict_t = torch.ones(m, dtype=torch.bool)
    else:
        restrict_t = torch.as_tensor(restrict, dtype=torch.bool).flatten().cpu()
        if restrict_t.numel() != m:
            raise ValueError(f"restrict has {restrict_t.numel()} entries for {m} reference frames")
    if radius is not None:
        if radius_shape not in RADIUS_SHAPES:
            raise ValueError(f"radius_shape must be one of {RADIUS_SHAPES}, got {radius_shape!r}")
        if grid is None:
            raise ValueError("a radius needs grid=(h, w)")
        h, w = grid
        if query.shape[0] != h * w or keys.shape[1] != h * w:
            raise ValueError(
                f"grid {grid} does not match {query.shape[0]} queries / {keys.shape[1]} keys per frame"
            )
    return restrict_t


def resolve_backend(backend: str, device: torch.device) -> str:
    """Pick the concrete backend; raise a clear error if the requested one cannot run here."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    from corrlearn import kernels

    if backend == "auto":
        if device.type == "cuda" and kernels.triton_available():
            return "triton"
        if device.type == "cpu" and kernels.numba_available():
            return "numba"
        return "torch"
    if backend == "numba":
        if not kernels.numba_available():
            raise RuntimeError("backend 'numba' requested but numba is not installed (pip install numba)")
        if device.type != "cpu":
            raise RuntimeError("backend 'numba' runs on CPU tensors only; use 'triton' or 'torch' for CUDA")
    if backend == "triton":
        if not kernels._triton_imports():
            raise RuntimeError("backend 'triton' requested but triton is not installed (pip install triton)")
        if device.type != "cuda" and not kernels.triton_interpreted():
            raise RuntimeError(
                "backend 'triton' needs CUDA tensors (or TRITON_INTERPRET=1 for the CPU interpreter)"
            )
    return backend


def topk_affinity(
    query: torch.Tensor,
    keys: torch.Tensor,
    k: int,
    temperature: float,
    grid: tuple[int, int] | None = None,
    radius: float | None = None,
    radius_shape: str = "circle",
    restrict: Sequence[bool] | torch.Tensor | None = None,
    normalize: str = "topk",
    backend: str = "torch",
    max_block_bytes: int = DEFAULT_BLOCK_BYTES,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sparse top-k affinity of each query cell over the cells of M reference frames.

    ``radius`` (feature cells) limits the candidates of every frame whose ``restrict`` entry is True
    (default: all frames) to a ``radius_shape`` neighbourhood of the query's own cell. Returns
    ``(weights, indices)`` as described in the module docstring. The default backend is the reference;
    pass ``backend="auto"`` for the fastest one available.
    """
    restrict_t = _check(query, keys, k, temperature, grid, radius, radius_shape, restrict, normalize)
    chosen = resolve_backend(backend, query.device)
    if chosen == "torch":
        return topk_affinity_reference(
            query, keys, k, temperature, grid, radius, radius_shape, restrict_t, normalize, max_block_bytes
        )
    from corrlearn import kernels

    return kernels.topk_affinity(
        chosen, query, keys, k, temperature, grid, radius, radius_shape, restrict_t, normalize
    )


def transfer(weights: torch.Tensor, indices: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Weighted sum of reference labels: out[q] = sum_j weights[q, j] * labels[indices[q, j]] -> (Nq, L)."""
    flat = labels.reshape(-1, labels.shape[-1]).float()
    safe = indices.clamp_min(0)
    w = torch.where(indices >= 0, weights, torch.zeros_like(weights))
    return torch.einsum("qk,qkl->ql", w, flat[safe])


def propagate_labels(
    query: torch.Tensor,
    keys: torch.Tensor,
    labels: torch.Tensor,
    k: int,
    temperature: float,
    grid: tuple[int, int] | None = None,
    radius: float | None = None,
    radius_shape: str = "circle",
    restrict: Sequence[bool] | torch.Tensor | None = None,
    normalize: str = "topk",
    backend: str = "auto",
    slots: Sequence[int] | torch.Tensor | None = None,
) -> torch.Tensor:
    """Fused affinity + top-k + label transfer: (Nq, L) soft labels of the query cells.

    Equal to ``transfer(*topk_affinity(...), labels)``; the fast backends never hold more than (Nq, k) of the
    affinity. ``slots`` lets ``keys``/``labels`` be a store of S frames (a ring buffer) of which reference
    frame m is ``keys[slots[m]]`` (a slot may repeat): the result equals passing the frames stacked in that
    order, without the copy on the numba backend.
    """
    nk = keys.shape[1]
    if labels.reshape(-1, labels.shape[-1]).shape[0] != keys.shape[0] * nk:
        raise ValueError(f"labels {tuple(labels.shape)} do not match keys {tuple(keys.shape)}")
    slots_t = None
    if slots is not None:
        slots_t = torch.as_tensor(slots, dtype=torch.int64).flatten().cpu()
        if slots_t.numel() and not (0 <= int(slots_t.min()) and int(slots_t.max()) < keys.shape[0]):
            raise ValueError(f"slots {slots_t.tolist()} index outside the {keys.shape[0]} stored frames")
    # validate against the logical bank's shape (M = len(slots) frames)
    logical = keys if slots_t is None else keys[:1].expand(slots_t.numel(), *keys.shape[1:])
    restrict_t = _check(query, logical, k, temperature, grid, radius, radius_shape, restrict, normalize)
    chosen = resolve_backend(backend, query.device)
    if chosen == "torch" and slots_t is not None:
        from corrlearn.kernels import _gather_slots

        keys, labels = _gather_slots(keys, labels, slots_t)
    if chosen == "torch":
        w, i = topk_affinity_reference(
            query, keys, k, temperature, grid, radius, radius_shape, restrict_t, normalize
        )
        return transfer(w, i, labels)
    from corrlearn import kernels

    return kernels.propagate_labels(
        chosen,
        query,
        keys,
        labels,
        k,
        temperature,
        grid,
        radius,
        radius_shape,
        restrict_t,
        normalize,
        slots_t,
    )


def load_kernels(backend: str = "auto", device: torch.device | str = "cpu") -> None:
    """Load (or compile) every kernel ``backend`` runs on ``device`` by calling it on a tiny problem.

    The numba kernels otherwise load from their disk cache inside the first real call; the profiler calls
    this first so that start-up and per-frame affinity are timed apart. Results of later calls are unchanged.
    """
    device = torch.device(device)
    gen = torch.Generator().manual_seed(0)
    h, w, c = 2, 3, 16
    query = torch.randn(h * w, c, generator=gen).to(device)
    keys = torch.randn(2, h * w, c, generator=gen).to(device)
    labels = torch.rand(2, h * w, 2, generator=gen).to(device)
    for normalize in NORMALIZE_MODES:  # "all" takes the exact free pass, "topk" the bf16 filter where on
        propagate_labels(
            query, keys, labels, 2, 0.1, grid=(h, w), radius=1.0, restrict=[False, True],
            normalize=normalize, backend=backend, slots=[1, 0],
        )  # fmt: skip


__all__ = [
    "BACKENDS",
    "NORMALIZE_MODES",
    "RADIUS_SHAPES",
    "load_kernels",
    "propagate_labels",
    "resolve_backend",
    "topk_affinity",
    "transfer",
    "within_radius",
]
