"""Playback-rate perception (PRP; Yao, Liu, Luo, Zhou & Ye, CVPR 2020, arXiv 2006.11476), for a 2D encoder.

A clip is sampled from a video at one of several frame intervals ("fast-forward" rates). One shared backbone
feeds two heads trained jointly:

* **discriminative**: classify the interval from the clip (cross-entropy over the rates);
* **generative**: reconstruct the skipped frames (slow motion) — here the frame halfway between each pair of
  consecutive sampled frames — with a squared error weighted by a motion-attention map, so that moving regions,
  where the rate is visible, dominate the reconstruction.

Motion attention, as the paper builds it from frame differences: the absolute difference of the target to its
two neighbours, averaged over colour, is downsampled to the feature grid (average pooling by the encoder
stride), passed through an activation (divided by its per-frame maximum, into [0, 1]) and upsampled back
bilinearly; the weight of a pixel is ``1 + attention`` so static regions still count.

Differences from the paper, which trains 3D CNNs (C3D, R3D, R(2+1)D) for action recognition:

* the backbone is corrlearn's 2D encoder applied to every frame; the heads are light temporal modules on its
  features (a temporal convolution over pooled frame features for the rate; a per-pair convolutional decoder
  with pixel shuffle for the missing frame), so PRP-trained encoders are scored by the correspondence benchmarks;
* the generative target is the middle skipped frame of each gap, predicted as the mean of its neighbours plus
  a learnt residual, rather than every skipped frame of a 3D deconvolution; rates therefore start at 2
  (default ``(2, 4, 8)``; the paper's discriminative rates are 1, 2, 4, 8);
* the paper's motion attention comes from the discriminative branch's activations on frame differences; here it
  is computed directly from the frame differences, which is the input that branch sees.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import nn

DEFAULT_RATES = (2, 4, 8)
EPS = 1e-6


def motion_attention(prev: torch.Tensor, mid: torch.Tensor, nxt: torch.Tensor, stride: int) -> torch.Tensor:
    """(N, 1, H, W) weights ``1 + a`` with ``a`` in [0, 1] from frames (N, 3, H, W) around a skipped frame."""
    diff = ((mid - prev).abs() + (nxt - mid).abs()).mean(dim=1, keepdim=True)
    coarse = F.avg_pool2d(diff, stride, ceil_mode=True)
    coarse = coarse / coarse.amax(dim=(-2, -1), keepdim=True).clamp_min(EPS)
    fine = F.interpolate(coarse, size=diff.shape[-2:], mode="bilinear", align_corners=False)
    return 1.0 + fine


def weighted_mse(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Sum of ``weight * (pred - target)^2`` over pixels and channels, divided by the weights' total."""
    err = (pred - target).pow(2).sum(dim=1, keepdim=True)  # over channels
    return (weight * err).sum() / (weight.sum() * pred.shape[1])


class PRPObjective(nn.Module):
    """Encoder + rate classifier + slow-motion decoder trained with the PRP losses.

    ``forward(batch)`` takes ``(clip, mids, rate)``: ``clip`` (B, T, 3, H, W) RGB in [0, 1] sampled every
    ``rates[rate[b]]`` frames, ``mids`` (B, T-1, 3, H, W) the frames halfway between consecutive clip frames,
    ``rate`` (B,) int64 indices into ``rates``. Returns ``loss`` and the diagnostics ``cls``, ``gen``, ``acc``.
    """

    input_space = "rgb"

    def __init__(
        self,
        encoder: nn.Module,
        rates: tuple[int, ...] = DEFAULT_RATES,
        hidden: int = 128,
        weights: Mapping[str, float] | None = None,
    ):
        super().__init__()
        if min(rates) < 2:
            raise ValueError("PRP rates must be >= 2: the generative head needs a skipped frame")
        self.encoder, self.rates = encoder, tuple(rates)
        self.weights = {"cls": 1.0, "gen": 1.0, **(weights or {})}
        stride = encoder.stride
        self.reduce = nn.Conv2d(encoder.out_channels, hidden, 1)
        self.temporal = nn.Conv1d(hidden, hidden, kernel_size=2)  # consecutive-frame dynamics
        self.classifier = nn.Linear(hidden, len(rates))
        self.decoder = nn.Sequential(
            nn.Conv2d(2 * hidden, hidden, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, 3 * stride * stride, 1),
            nn.PixelShuffle(stride),
        )

    def features(self, clip: torch.Tensor) -> torch.Tensor:
        """(B, T, 3, H, W) -> (B, T, hidden, h, w) reduced encoder features."""
        b, t = clip.shape[:2]
        f = F.relu(self.reduce(self.encoder(clip.flatten(0, 1))))
        return f.unflatten(0, (b, t))

    def rate_logits(self, feats: torch.Tensor) -> torch.Tensor:
        pooled = feats.mean(dim=(-2, -1)).transpose(1, 2)  # (B, hidden, T)
        return self.classifier(F.relu(self.temporal(pooled)).mean(dim=-1))

    def slow_motion(self, clip: torch.Tensor, feats: torch.Tensor) -> torch.Tensor:
        """Predicted middle frames (B, T-1, 3, H, W): neighbours' mean plus a decoded residual."""
        b, t, _, h, w = clip.shape
        pair = torch.cat([feats[:, :-1], feats[:, 1:]], dim=2).flatten(0, 1)
        residual = self.decoder(pair)[..., :h, :w]
        base = 0.5 * (clip[:, :-1] + clip[:, 1:]).flatten(0, 1)
        return (base + residual).unflatten(0, (b, t - 1))

    def forward(self, batch) -> dict:
        clip, mids, rate = batch
        if clip.shape[1] < 2 or mids.shape[1] != clip.shape[1] - 1:
            raise ValueError(
                f"PRP needs T >= 2 clip frames and T-1 middle frames, got {clip.shape} / {mids.shape}"
            )
        feats = self.features(clip)
        logits = self.rate_logits(feats)
        cls = F.cross_entropy(logits, rate)
        pred = self.slow_motion(clip, feats)
        attention = motion_attention(
            clip[:, :-1].flatten(0, 1), mids.flatten(0, 1), clip[:, 1:].flatten(0, 1), self.encoder.stride
        )
        gen = weighted_mse(pred.flatten(0, 1), mids.flatten(0, 1), attention)
        loss = self.weights["cls"] * cls + self.weights["gen"] * gen
        acc = (logits.argmax(dim=1) == rate).float().mean()
        return {"loss": loss, "cls": float(cls.detach()), "gen": float(gen.detach()), "acc": float(acc)}
