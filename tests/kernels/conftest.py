"""Fixtures of the kernel tests (helpers live in kernel_parity.py)."""

from __future__ import annotations

import pytest
from kernel_parity import real_features


@pytest.fixture(scope="session")
def davis_features(davis_root):
    """L2-normalised resnet18 features of three real DAVIS frames (downscaled), and their grid."""
    return real_features(davis_root)
