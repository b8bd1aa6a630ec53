"""Shared helpers for the objective tests (not a test module)."""

from __future__ import annotations

import numpy as np
import torch

from corrlearn.models import ResNetEncoder
from corrlearn.models.resnet import BasicBlock, seeded_init_


def tiny_encoder(input_space: str = "rgb", seed: int = 0) -> ResNetEncoder:
    """A ResNet-10 (one block per stage) trunk: the real architecture family, cheap enough for CPU tests."""
    enc = ResNetEncoder(BasicBlock, (1, 1, 1, 1), stride=8, input_space=input_space)
    seeded_init_(enc, seed)
    return enc


def fixed_batches(dataset, n: int, batch: int, seed: int = 0):
    """``n`` fixed batches drawn from a ClipDataset (so a short run can overfit them)."""
    from corrlearn.train.data import collate

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        items = [(int(rng.integers(len(dataset))), int(rng.integers(1 << 30))) for _ in range(batch)]
        out.append(collate([dataset[i] for i in items]))
    return out


def to_float(batch):
    """uint8 images to [0, 1] floats; other tensors (PRP's rate indices) pass through."""
    if isinstance(batch, tuple):
        return tuple(to_float(b) for b in batch)
    return batch.float() / 255 if batch.dtype == torch.uint8 else batch


def train_losses(objective, batches, steps: int, lr: float = 1e-3, optim: str = "adam") -> list[float]:
    """Loss of each step of a short run cycling over ``batches``."""
    torch.manual_seed(0)
    params = [p for p in objective.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr) if optim == "adam" else torch.optim.SGD(params, lr=lr, momentum=0.9)
    objective.train()
    losses = []
    for s in range(steps):
        out = objective(to_float(batches[s % len(batches)]))
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
        losses.append(float(out["loss"].detach()))
    return losses
