"""Contrastive random walk (Jabri, Owens & Efros, NeurIPS 2020).

Nodes are embeddings of a grid of patches (or of feature-map pixels) in every frame of a clip. Consecutive
frames are joined by row-stochastic transition matrices ``softmax(<q_t, q_{t+1}> / temperature)``; a walker
that goes forward ``k`` frames and comes back along the palindrome must return to its start node, which gives
a cross-entropy against the identity. Walks of every length ``k = min_walk .. T-1`` are averaged.

Differences from the authors' ``code/model.py`` (read, not copied):

* the authors' loop trains round trips of length 2 .. T-1; the default here is 1 .. T-1 (the paper's
  formulation, and what the task asked for); set ``min_walk=2`` for the code's behaviour;
* edge dropout draws independent masks for the forward and backward transitions (the authors' in-place
  masking lets the backward matrix inherit the forward mask); both are dropout on edges at the same rate;
* ``corrlearn train`` scales the patch grid with the crop (patch = crop / 4, stride = patch / 2), so every
  crop size gives the authors' 7 x 7 = 49 nodes (64 px patches at stride 32 on their 256 px crops); the
  same 64 px patches on 128 px CPU crops left 9 nodes, most walks solved in one step at init.
"""

from __future__ import annotations

import kornia.augmentation as K
import torch
import torch.nn.functional as F
from torch import nn

from corrlearn.models import Encoder

EPS = 1e-20


def stochastic_matrix(affinity: torch.Tensor, temperature: float, edge_dropout: float = 0.0) -> torch.Tensor:
    """Row-softmax of ``affinity / temperature``; with ``edge_dropout`` > 0 a random share of edges is cut."""
    if edge_dropout > 0:
        drop = torch.rand(affinity.shape, device=affinity.device) < edge_dropout
        affinity = affinity.masked_fill(drop, -1e20)
    return F.softmax(affinity / temperature, dim=-1)


def walk_loss(
    nodes: torch.Tensor,
    temperature: float = 0.07,
    edge_dropout: float = 0.0,
    min_walk: int = 1,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Palindrome cycle loss for L2-normalised node embeddings ``nodes`` of shape (B, C, T, N).

    Returns the mean over walk lengths of the cross-entropy of returning to the start node, and per-length
    diagnostics (``xent k``, ``acc k``).
    """
    B, _, T, N = nodes.shape
    if T < 2:
        raise ValueError("a random walk needs clips of at least 2 frames")
    aff = torch.einsum("bctn,bctm->btnm", nodes[:, :, :-1], nodes[:, :, 1:])
    fwd = [stochastic_matrix(aff[:, i], temperature, edge_dropout) for i in range(T - 1)]
    bwd = [stochastic_matrix(aff[:, i].transpose(-1, -2), temperature, edge_dropout) for i in range(T - 1)]
    target = torch.arange(N, device=nodes.device).repeat(B)
    losses, diags = [], {}
    there, back = None, None
    for k in range(1, T):
        # forward chain A_1..A_k and backward chain B_k..B_1, built incrementally
        there = fwd[k - 1] if there is None else there @ fwd[k - 1]
        back = bwd[k - 1] if back is None else bwd[k - 1] @ back
        if k < min_walk:
            continue
        cycle = there @ back
        logp = torch.log(cycle + EPS).flatten(0, -2)
        loss = F.nll_loss(logp, target)
        losses.append(loss)
        diags[f"xent {k}"] = float(loss.detach())
        diags[f"acc {k}"] = float((logp.argmax(-1) == target).float().mean())
    if not losses:
        raise ValueError(f"min_walk={min_walk} leaves no walk for clips of {T} frames")
    return torch.stack(losses).mean(), diags


def patch_grid(frames: torch.Tensor, size: int, stride: int) -> torch.Tensor:
    """(M, 3, H, W) -> (M, N, 3, size, size) overlapping patches in row-major grid order."""
    M, C, _, _ = frames.shape
    p = frames.unfold(2, size, stride).unfold(3, size, stride)  # (M, C, gh, gw, size, size)
    return p.permute(0, 2, 3, 1, 4, 5).reshape(M, -1, C, size, size)


class CRWObjective(nn.Module):
    """Encoder + linear head trained with the contrastive random walk.

    ``forward(clip)`` takes (B, T, 3, H, W) RGB in [0, 1] and returns a dict with ``loss`` and diagnostics.
    ``nodes="patches"`` follows CRW (64x64 patches at stride 32, each spatially jittered, encoded, mean
    pooled); ``nodes="pixels"`` uses every feature-map cell of the whole frame as a node.
    """

    input_space = "rgb"

    def __init__(
        self,
        encoder: Encoder,
        temperature: float = 0.07,
        edge_dropout: float = 0.1,
        feat_dropout: float = 0.0,
        nodes: str = "patches",
        patch_size: int = 64,
        patch_stride: int = 32,
        patch_jitter: tuple[float, float] = (0.7, 0.9),
        head_dim: int = 128,
        min_walk: int = 1,
    ):
        super().__init__()
        if nodes not in ("patches", "pixels"):
            raise ValueError(f"nodes must be 'patches' or 'pixels', got {nodes!r}")
        self.encoder = encoder
        self.head = nn.Linear(encoder.out_channels, head_dim)  # CRW's head_depth=0: one linear layer
        self.temperature, self.edge_dropout, self.min_walk = temperature, edge_dropout, min_walk
        self.featdrop = nn.Dropout(feat_dropout)
        self.nodes, self.patch_size, self.patch_stride = nodes, patch_size, patch_stride
        self.jitter = (
            K.RandomResizedCrop((patch_size, patch_size), scale=patch_jitter) if patch_jitter else None
        )

    def embed(self, clip: torch.Tensor) -> torch.Tensor:
        """(B, T, 3, H, W) -> L2-normalised node embeddings (B, D, T, N)."""
        B, T = clip.shape[:2]
        frames = clip.flatten(0, 1)
        if self.nodes == "patches":
            patches = patch_grid(frames, self.patch_size, self.patch_stride)  # (BT, N, 3, P, P)
            N = patches.shape[1]
            patches = patches.flatten(0, 1)
            if self.jitter is not None and self.training:
                patches = self.jitter(patches)
            feats = self.featdrop(self.encoder(patches)).mean(dim=(-2, -1))  # (BTN, C)
            feats = feats.view(B, T, N, -1)
        else:
            fmap = self.featdrop(self.encoder(frames))  # (BT, C, h, w)
            feats = fmap.flatten(2).transpose(1, 2).reshape(B, T, -1, fmap.shape[1])
        q = F.normalize(self.head(feats), dim=-1)  # (B, T, N, D)
        return q.permute(0, 3, 1, 2)

    def forward(self, clip: torch.Tensor) -> dict[str, torch.Tensor | float]:
        q = self.embed(clip)
        drop = self.edge_dropout if self.training else 0.0
        # products of stochastic matrices and log(p + 1e-20) need float32 even under AMP
        with torch.autocast(device_type=q.device.type, enabled=False):
            loss, diags = walk_loss(q.float(), self.temperature, drop, self.min_walk)
        return {"loss": loss, **diags}
