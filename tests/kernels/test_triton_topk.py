"""Parity of the Triton kernel with the reference (corrlearn/kernels/triton_topk.py), under the interpreter.

The cases run in one subprocess with TRITON_INTERPRET=1 (tests/kernels/triton_worker.py) so the setting never
leaks into the rest of the session; shapes are tiny because the interpreter is slow. On a CUDA machine the
same worker logic is what the GPU check runs without the interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from corrlearn import kernels
from corrlearn.affinity import topk_affinity

HERE = Path(__file__).resolve().parent
triton_missing = not kernels._triton_imports()
CASE_IDS = [
    "global_fp32",
    "circle_exempt_fp32",
    "square_all_fp32",
    "k_over_window",
    "ties_circle",
    "ties_global_all",
    "fp16_circle",
    "bf16_square",
    "odd_channels",
    "multi_tile_global",
    "multi_tile_window",
]


@pytest.fixture(scope="module")
def worker_results(request):
    davis = None
    try:
        davis = str(request.getfixturevalue("davis_root"))
    except pytest.skip.Exception:
        pass
    env = dict(
        os.environ,
        TRITON_INTERPRET="1",
        PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    )
    if davis:
        env["TRITON_WORKER_DAVIS"] = davis
    proc = subprocess.run(
        [sys.executable, str(HERE / "triton_worker.py")], env=env, capture_output=True, text=True, timeout=900
    )
    results = {}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            rec = json.loads(line)
            results[rec["id"]] = rec
    if not results:
        pytest.fail(f"triton worker produced no results (exit {proc.returncode}): {proc.stderr[-3000:]}")
    return results, davis


@pytest.mark.slow
@pytest.mark.skipif(triton_missing, reason="triton is not installed")
@pytest.mark.parametrize("case", CASE_IDS)
def test_interpreted_kernel_matches_reference(worker_results, case):
    results, _ = worker_results
    assert case in results, f"case {case} did not run"
    assert results[case]["ok"], results[case]["detail"]


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.skipif(triton_missing, reason="triton is not installed")
def test_interpreted_kernel_on_real_davis_features(worker_results):
    results, davis = worker_results
    if davis is None:
        pytest.skip("real data not found")
    assert results["real_davis"]["ok"], results["real_davis"]["detail"]


def test_availability_is_honest_without_gpu_or_interpreter(monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    assert not kernels.triton_interpreted()
    assert kernels.triton_available() == (kernels._triton_imports() and torch.cuda.is_available())


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_requesting_triton_on_cpu_without_interpreter_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    q, k = torch.randn(6, 4), torch.randn(1, 6, 4)
    with pytest.raises(RuntimeError, match="triton"):
        topk_affinity(q, k, 2, 0.1, backend="triton")
