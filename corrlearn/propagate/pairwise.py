"""Pairwise propagation (UVC / ContrastCorr): each context frame carries labels to the query on its own."""

from __future__ import annotations

import torch

from corrlearn.affinity import propagate_labels
from corrlearn.propagate.presets import Preset


def mutual_affinity(query: torch.Tensor, keys: torch.Tensor, temperature: float) -> torch.Tensor:
    """ContrastCorr's mutual matching on one pair: P * (P / rowmax P) * (P / colmax P), where P is the
    softmax over the reference cells of the scores. Materialises the (Nq, Nk) pair affinity."""
    p = torch.softmax((query.float() @ keys.float().T) / temperature, dim=1)
    return p * (p / p.amax(dim=1, keepdim=True)) * (p / p.amax(dim=0, keepdim=True))


def pairwise_propagate(
    query: torch.Tensor,
    keys: torch.Tensor,
    labels: torch.Tensor,
    preset: Preset,
    grid: tuple[int, int],
    restricted: bool,
    backend: str,
) -> torch.Tensor:
    """(Nq, L) labels carried from one reference frame (keys (Nk, C), labels (Nk, L)) to the query."""
    if preset.mutual:
        aff = mutual_affinity(query, keys, preset.temperature)
        vals, idx = torch.topk(aff, min(preset.topk, aff.shape[1]), dim=1)
        return torch.einsum("qk,qkl->ql", vals, labels.float()[idx])
    return propagate_labels(
        query,
        keys[None],
        labels[None],
        preset.topk,
        preset.temperature,
        grid=grid,
        radius=preset.radius if restricted else None,
        radius_shape=preset.radius_shape,
        normalize=preset.normalize,
        backend=backend,
    )
