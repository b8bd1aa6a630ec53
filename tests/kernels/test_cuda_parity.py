"""Kernel parity on a CUDA device: Triton (compiled, not interpreted) and the reference on the GPU.

Skipped, with the reason, on machines without CUDA; ``benchmarks/gpu_check.sh`` runs this file first on a GPU.
The same cases as the interpreter run (kernel_parity.TRITON_CASES), plus a DAVIS-scale case where the float
accumulation orders of cuBLAS / Triton / CPU BLAS differ.
"""

from __future__ import annotations

import pytest
import torch
from kernel_parity import TRITON_CASES, assert_parity, make_inputs, run_triton_case

from corrlearn import kernels
from corrlearn.affinity import propagate_labels, topk_affinity, transfer

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.mark.skipif(not kernels._triton_imports(), reason="triton is not installed")
@pytest.mark.parametrize("case", list(TRITON_CASES))
def test_compiled_triton_matches_reference(case):
    run_triton_case(TRITON_CASES[case], device="cuda")


@pytest.mark.parametrize("radius", [None, 12.0])
def test_reference_on_cuda_matches_cpu_at_davis_scale(radius):
    h, w, m = 60, 107, 5
    q, keys = make_inputs(h, w, m, 256, seed=1)
    rs = torch.tensor([False] + [True] * (m - 1))
    args = dict(grid=(h, w), radius=radius, restrict=rs)
    ref = topk_affinity(q, keys, 10, 0.05, backend="torch", **args)
    got = topk_affinity(q.cuda(), keys.cuda(), 10, 0.05, backend="torch", **args)
    assert_parity(ref, (got[0].cpu(), got[1].cpu()), q, keys, 0.05, (h, w), radius, "circle", rs, False)


@pytest.mark.skipif(not kernels._triton_imports(), reason="triton is not installed")
@pytest.mark.parametrize("radius", [None, 12.0])
def test_triton_at_davis_scale(radius):
    h, w, m = 60, 107, 21
    q, keys = make_inputs(h, w, m, 256, seed=2)
    rs = torch.tensor([False] + [True] * (m - 1))
    args = dict(grid=(h, w), radius=radius, restrict=rs)
    ref = topk_affinity(q, keys, 10, 0.05, backend="torch", **args)
    got = topk_affinity(q.cuda(), keys.cuda(), 10, 0.05, backend="triton", **args)
    assert_parity(ref, (got[0].cpu(), got[1].cpu()), q, keys, 0.05, (h, w), radius, "circle", rs, False)
    labels = torch.rand(m, h * w, 2)
    fused = propagate_labels(q.cuda(), keys.cuda(), labels.cuda(), 10, 0.05, backend="triton", **args)
    torch.testing.assert_close(fused.cpu(), transfer(*ref, labels), atol=1e-5, rtol=0)
