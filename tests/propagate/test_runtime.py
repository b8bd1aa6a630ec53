"""``--device`` / ``--backend`` checked once, before any work: what cannot run here is one line."""

import pytest
import torch

from corrlearn.errors import CorrlearnError
from corrlearn.propagate.runtime import check_device, check_runtime


@pytest.mark.parametrize(
    "device, words",
    [
        ("foo", "--device 'foo': not a device; expected cpu, cuda or cuda:N"),
        ("mps", "--device mps: corrlearn runs on cpu, cuda or cuda:N, not mps"),
        ("meta", "not meta"),
        ("cuda:99", "--device cuda:99: "),
    ],
)
def test_devices_that_cannot_run_here(device, words):
    with pytest.raises(CorrlearnError) as exc:
        check_device(device)
    assert words in str(exc.value)


def test_cpu_is_a_device_and_auto_resolves():
    assert check_device("cpu") == torch.device("cpu")
    assert check_runtime("cpu", "auto") in ("numba", "torch")
    assert check_runtime("cpu", "torch") == "torch"


@pytest.mark.parametrize("backend, words", [("foo", "must be one of"), ("triton", "backend 'triton'")])
def test_backends_that_cannot_run_on_cpu(backend, words):
    with pytest.raises(CorrlearnError) as exc:
        check_runtime("cpu", backend)
    assert str(exc.value).startswith(f"--backend {backend}: ") and words in str(exc.value)
