"""Spatial neighbourhoods on a feature grid: which key cells a query cell may attend to."""

from __future__ import annotations

import torch

RADIUS_SHAPES = ("circle", "square")


def within_radius(dy: torch.Tensor, dx: torch.Tensor, radius: float, shape: str) -> torch.Tensor:
    """True where the offset (dy, dx) in feature cells lies inside the neighbourhood.

    ``circle``: Euclidean distance strictly below ``radius`` (CRW's ``MaskedAttention``).
    ``square``: ``|dy| <= radius`` and ``|dx| <= radius`` (STT's and DINO's ±radius window).
    """
    if shape == "circle":
        return (dy * dy + dx * dx).to(torch.float64) < float(radius) ** 2
    if shape == "square":
        return (dy.abs() <= radius) & (dx.abs() <= radius)
    raise ValueError(f"radius_shape must be one of {RADIUS_SHAPES}, got {shape!r}")


def row_reach(radius: float, shape: str) -> int:
    """Largest |dy| any neighbourhood of this radius and shape contains."""
    import math

    if shape == "circle":
        return max(math.ceil(radius) - 1, 0)
    return math.floor(radius)
