"""Shared fixtures. Real data is read in place from ../shared/data (or $CORRLEARN_DATA)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def data_root() -> Path:
    """Where the shared benchmark data lives: $CORRLEARN_DATA, else ../shared/data beside the checkout."""
    env = os.environ.get("CORRLEARN_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def davis_root() -> Path:
    """DAVIS-2016 val root; tests that use it are skipped, with the reason, when it is absent."""
    root = data_root() / "davis2016-val"
    if not (root / "JPEGImages" / "480p").is_dir():
        pytest.skip(f"real data not found: {root} (set CORRLEARN_DATA to the folder holding davis2016-val)")
    return root


@pytest.fixture(scope="session")
def davis_train_root() -> Path:
    """The 30 DAVIS-2016 training sequences at 240p (unlabeled video for training tests); skipped when absent."""
    root = data_root() / "davis2016-train-240p"
    if not (root / "JPEGImages" / "240p").is_dir():
        pytest.skip(
            f"real data not found: {root} (set CORRLEARN_DATA to the folder holding davis2016-train-240p)"
        )
    return root
