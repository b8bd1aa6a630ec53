import pytest
import torch

from corrlearn import kernels
from corrlearn.affinity import propagate_labels, resolve_backend, topk_affinity, transfer


def test_auto_picks_numba_on_cpu_when_installed():
    expected = "numba" if kernels.numba_available() else "torch"
    assert resolve_backend("auto", torch.device("cpu")) == expected


def test_unknown_backend_is_rejected():
    with pytest.raises(ValueError, match="backend must be one of"):
        resolve_backend("cuda-magic", torch.device("cpu"))


@pytest.mark.skipif(not kernels._triton_imports(), reason="triton not installed")
def test_triton_on_cpu_without_interpreter_says_what_is_missing(monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    with pytest.raises(RuntimeError, match="needs CUDA tensors"):
        resolve_backend("triton", torch.device("cpu"))


def test_fused_equals_topk_then_transfer():
    torch.manual_seed(1)
    q, keys, labels = torch.randn(30, 8), torch.randn(3, 30, 8), torch.rand(3, 30, 4)
    kw = dict(grid=(5, 6), radius=2.5, radius_shape="circle", restrict=[False, True, True])
    w, i = topk_affinity(q, keys, 6, 0.2, **kw)
    ref = transfer(w, i, labels)
    for backend in ("torch", "auto"):
        assert torch.allclose(
            propagate_labels(q, keys, labels, 6, 0.2, backend=backend, **kw), ref, atol=1e-5
        )


def test_bad_arguments_are_reported():
    q, keys = torch.randn(30, 8), torch.randn(2, 30, 8)
    with pytest.raises(ValueError, match="channels"):
        topk_affinity(q, torch.randn(2, 30, 7), 3, 0.1)
    with pytest.raises(ValueError, match="a radius needs grid"):
        topk_affinity(q, keys, 3, 0.1, radius=2)
    with pytest.raises(ValueError, match="restrict has 1 entries for 2"):
        topk_affinity(q, keys, 3, 0.1, grid=(5, 6), radius=2, restrict=[True])
    with pytest.raises(ValueError, match="temperature"):
        topk_affinity(q, keys, 3, 0.0)
