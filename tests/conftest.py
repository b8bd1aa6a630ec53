"""Shared fixtures. Real data is read in place from ../shared/data (or $CORRLEARN_DATA)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corrlearn.datasets.davis import frames_root

REPO = Path(__file__).resolve().parents[1]

try:  # imported before any test can set NUMBA_NUM_THREADS, so numba's pool is sized from the machine's cores
    import numba
except ImportError:  # pragma: no cover - numba is a core dependency
    numba = None


@pytest.fixture(autouse=True)
def _thread_counts_restored():
    """Put back torch's and numba's thread counts after each test.

    Commands run in-process (``main([... "--threads", "1"])``) set them for the whole process, and every later
    test would then run on one core (the whole-sequence propagation test took 5 min instead of 45 s).
    """
    import torch

    torch_threads = torch.get_num_threads()
    numba_threads = numba.get_num_threads() if numba is not None else None
    env = os.environ.get("NUMBA_NUM_THREADS")
    yield
    if env is None:
        os.environ.pop("NUMBA_NUM_THREADS", None)
    else:
        os.environ["NUMBA_NUM_THREADS"] = env
    if numba is not None and numba.get_num_threads() != numba_threads:
        numba.set_num_threads(numba_threads)
    if torch.get_num_threads() != torch_threads:  # after numba's: its pool start can reset torch's count
        torch.set_num_threads(torch_threads)


def data_root() -> Path:
    """Where the shared benchmark data lives: $CORRLEARN_DATA, else ../shared/data beside the checkout."""
    env = os.environ.get("CORRLEARN_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def davis_root() -> Path:
    """DAVIS-2016 val root; tests that use it are skipped, with the reason, when it is absent."""
    root = data_root() / "davis2016-val"
    if not frames_root(root).is_dir():
        pytest.skip(f"real data not found: {root} (set CORRLEARN_DATA to the folder holding davis2016-val)")
    return root


def _shared(name: str, probe: str) -> Path:
    """``data_root() / name``, skipping the test (with the reason) when ``probe`` is not in it."""
    root = data_root() / name
    if not (root / probe).exists():
        pytest.skip(f"real data not found: {root / probe} (set CORRLEARN_DATA to the folder holding {name})")
    return root


@pytest.fixture(scope="session")
def otb_root() -> Path:
    """The 8 real OTB-2015 sequences (Couple, Crossing, Diving, Football1, Jogging, MotorRolling, Skiing, Toy)."""
    return _shared("otb2015", "Toy/groundtruth_rect.txt")


@pytest.fixture(scope="session")
def jhmdb_root() -> Path:
    """One real JHMDB video in the official layout, plus the split-1 list files."""
    return _shared("jhmdb", "Rename_Images")


@pytest.fixture(scope="session")
def davis2017_fragments() -> Path:
    """Real DAVIS-2017 palette annotations (tennis: ids 1, 2 and 255 void; bear) and meta/davis.json."""
    return _shared("davis2017-fragments", "meta/davis.json")


@pytest.fixture(scope="session")
def davis_train_root() -> Path:
    """The 30 DAVIS-2016 training sequences at 240p (unlabeled video for training tests); skipped when absent."""
    root = data_root() / "davis2016-train-240p"
    if not frames_root(root, "240p").is_dir():
        pytest.skip(
            f"real data not found: {root} (set CORRLEARN_DATA to the folder holding davis2016-train-240p)"
        )
    return root


@pytest.fixture
def unwritable_dir(tmp_path) -> Path:
    """A folder in which nothing can be created: read-only by mode, or (as root, who ignores modes) /sys."""
    if os.geteuid() != 0:
        d = tmp_path / "read-only"
        d.mkdir()
        d.chmod(0o555)
        yield d
        d.chmod(0o755)
        return
    d = Path("/sys")
    try:  # sysfs refuses new files even to root
        (d / "corrlearn-write-probe").touch()
    except OSError:
        yield d
        return
    pytest.skip("no unwritable location on this machine (running as root and /sys accepts files)")
