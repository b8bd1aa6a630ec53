import pytest
import torch

from corrlearn.errors import CorrlearnError
from corrlearn.threads import set_threads


def test_set_threads_sets_torch_and_numba_and_restores():
    numba = pytest.importorskip("numba")
    before_t, before_n = torch.get_num_threads(), numba.get_num_threads()
    try:
        set_threads(1)
        assert torch.get_num_threads() == 1 and numba.get_num_threads() == 1
    finally:
        torch.set_num_threads(before_t)
        numba.set_num_threads(before_n)


def test_zero_threads_is_a_clear_error():
    with pytest.raises(CorrlearnError, match="--threads must be >= 1"):
        set_threads(0)
