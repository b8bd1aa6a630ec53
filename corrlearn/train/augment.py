"""Photometric augmentation on the device (kornia), after the workers have cropped and resized.

Random draws use torch's global RNG, whose state is checkpointed, so a resumed run draws the same values.
"""

from __future__ import annotations

import kornia.augmentation as K
import torch
from torch import nn


class DeviceAugment(nn.Module):
    """uint8 batches -> float RGB in [0, 1] with flips and colour jitter.

    Accepts a (B, T, 3, H, W) clip tensor (one flip per clip, jitter per frame) or a tuple of image tensors
    ((B, 3, H, W) pairs, or PRP's (B, T, ...) clips) that share one flip per sample; non-uint8 members of the
    tuple (PRP's rate indices) pass through untouched. ``strong=True`` is the MoCo v2 recipe (jitter with p=0.8, grayscale
    p=0.2, blur p=0.5) applied to each view independently.
    """

    def __init__(self, color_jitter: float = 0.0, flip: bool = True, strong: bool = False):
        super().__init__()
        self.flip = flip
        self.jitter: nn.Module | None = None
        if strong:
            self.jitter = K.AugmentationSequential(
                K.ColorJiggle(color_jitter, color_jitter, color_jitter, 0.1, p=0.8),
                K.RandomGrayscale(p=0.2),
                K.RandomGaussianBlur((23, 23), (0.1, 2.0), p=0.5),
            )
        elif color_jitter > 0:
            self.jitter = K.ColorJiggle(color_jitter, color_jitter, color_jitter, 0.0, p=1.0)

    def _flip_mask(self, n: int, device) -> torch.Tensor:
        return torch.rand(n, device=device) < 0.5

    def forward(self, batch):
        if isinstance(batch, (tuple, list)):
            images = [i for i, b in enumerate(batch) if b.dtype == torch.uint8]
            xs = list(batch)
            for i in images:
                xs[i] = batch[i].float() / 255
            if self.flip:
                m = self._flip_mask(batch[0].shape[0], batch[0].device)
                for i in images:
                    xs[i] = torch.where(m.view(-1, *[1] * (xs[i].ndim - 1)), xs[i].flip(-1), xs[i])
            if self.jitter is not None:
                for i in images:
                    x = xs[i]
                    xs[i] = self.jitter(x.flatten(0, x.ndim - 4)).clamp(0, 1).view_as(x)
            return tuple(xs)
        x = batch.float() / 255
        B, T = x.shape[:2]
        if self.flip:
            m = self._flip_mask(B, x.device).view(-1, 1, 1, 1, 1)
            x = torch.where(m, x.flip(-1), x)
        if self.jitter is not None:
            x = self.jitter(x.flatten(0, 1)).clamp(0, 1).view_as(x)
        return x
