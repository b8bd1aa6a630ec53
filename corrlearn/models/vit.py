"""Vision Transformers as dense encoders: DINO's ViT-S/B with patch 8 or 16, last-block patch tokens as a map.

DINO's video-segmentation evaluation (Caron et al., ICCV 2021, ``eval_video_segmentation.py``) takes the output of
the last block after the final LayerNorm, drops the class token and reshapes the patch tokens to a
(dim, H/patch, W/patch) map; the ``dino`` preset L2-normalises it. The stride is the patch size. Position
embeddings, learnt for 224x224 inputs, are resized bicubically to the input's patch grid with the scale factor
DINO uses (grid + 0.1) / sqrt(N), so converted official weights give DINO's own features.

State-dict names follow DINO's ``vision_transformer.py`` (``cls_token``, ``pos_embed``, ``patch_embed.proj``,
``blocks.N.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}``, ``norm``), so its backbone checkpoints load as
they are; the classification head is not part of the encoder.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import nn

from corrlearn.models.catalog import VIT_CONFIGS, VitConfig
from corrlearn.models.encoder import Encoder


def vit_name_for(state: Mapping[str, torch.Tensor]) -> str | None:
    """The :data:`VIT_CONFIGS` name whose width and patch size ``patch_embed.proj.weight`` has
    ((dim, 3, patch, patch): 384 -> ViT-S, 768 -> ViT-B), or None when the state dict is no such ViT."""
    weight = state.get("patch_embed.proj.weight")
    if not isinstance(weight, torch.Tensor) or weight.ndim != 4 or weight.shape[-1] != weight.shape[-2]:
        return None
    dim, patch = int(weight.shape[0]), int(weight.shape[-1])
    for name, cfg in VIT_CONFIGS.items():
        if (cfg.embed_dim, cfg.patch_size) == (dim, patch):
            return name
    return None


class _PatchEmbed(nn.Module):
    def __init__(self, patch_size: int, dim: int):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)


class _Attention(nn.Module):
    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)  # softmax(q k^T / sqrt(head_dim)) v
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class _Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class _Block(nn.Module):
    def __init__(self, dim: int, num_heads: int, mlp_ratio: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = _Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = _Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class VitEncoder(Encoder):
    """RGB images in [0, 1] -> (B, embed_dim, ceil(H/patch), ceil(W/patch)) patch-token features."""

    def __init__(self, config: VitConfig, input_space: str = "rgb"):
        super().__init__()
        self.config = config
        self.stride = config.patch_size
        self.out_channels = config.embed_dim
        self.input_space = input_space
        dim = config.embed_dim
        grid = config.pretrain_size // config.patch_size
        self.patch_embed = _PatchEmbed(config.patch_size, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, grid * grid + 1, dim))
        self.blocks = nn.ModuleList(
            _Block(dim, config.num_heads, config.mlp_ratio) for _ in range(config.depth)
        )
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def position_embedding(self, rows: int, cols: int) -> torch.Tensor:
        """(1, 1 + rows*cols, dim) position embedding for a rows x cols patch grid."""
        n = self.pos_embed.shape[1] - 1
        side = int(math.sqrt(n))
        if rows == side and cols == side:
            return self.pos_embed
        cls_pos, patch_pos = self.pos_embed[:, :1], self.pos_embed[:, 1:]
        grid = patch_pos.reshape(1, side, side, -1).permute(0, 3, 1, 2)
        # DINO's factor (grid + 0.1) / side: the sampling positions, not only the size, must match its own code
        grid = F.interpolate(
            grid, scale_factor=((rows + 0.1) / side, (cols + 0.1) / side), mode="bicubic", align_corners=False
        )
        if grid.shape[-2:] != (rows, cols):  # pragma: no cover - guards the +0.1 rounding argument
            raise RuntimeError(f"position grid {tuple(grid.shape[-2:])} != {(rows, cols)}")
        return torch.cat([cls_pos, grid.flatten(2).transpose(1, 2)], dim=1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Patch-token map of a normalised input (ImageNet statistics, as DINO trained)."""
        p = self.stride
        h, w = x.shape[-2:]
        # pad to whole patches so the map is ceil(H/p) x ceil(W/p), like the CNN encoders' contract
        x = F.pad(x, (0, (-w) % p, 0, (-h) % p))
        tokens = self.patch_embed(x)
        b, dim, rows, cols = tokens.shape
        tokens = tokens.flatten(2).transpose(1, 2)
        tokens = torch.cat([self.cls_token.expand(b, -1, -1), tokens], dim=1)
        tokens = tokens + self.position_embedding(rows, cols).to(tokens.dtype)
        for block in self.blocks:
            tokens = block(tokens)
        tokens = self.norm(tokens)[:, 1:]
        return tokens.transpose(1, 2).reshape(b, dim, rows, cols)


def seeded_vit_init_(model: VitEncoder, seed: int) -> VitEncoder:
    """DINO's initialisation (truncated normal std 0.02 for linear layers and embeddings), from one generator."""
    gen = torch.Generator().manual_seed(seed)

    def trunc_normal(t: torch.Tensor) -> None:
        with torch.no_grad():
            t.copy_(torch.fmod(torch.randn(t.shape, generator=gen), 2.0) * 0.02)

    for module in model.modules():
        if isinstance(module, nn.Linear):
            trunc_normal(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
    trunc_normal(model.pos_embed)
    trunc_normal(model.cls_token)
    return model


#: Prefixes of DINO's checkpoints: released backbones are bare; full training checkpoints hold
#: ``teacher`` / ``student`` with ``module.`` (DDP) and ``backbone.`` (MultiCropWrapper) in front.
DINO_PREFIXES = ("module.backbone.", "backbone.", "module.", "")


def convert_dino_state_dict(obj: object, key: str = "teacher") -> dict[str, torch.Tensor]:
    """Backbone tensors of an official DINO checkpoint (bare, or a full one's ``key`` branch), heads dropped."""
    if isinstance(obj, dict) and isinstance(obj.get(key), dict):
        obj = obj[key]
    if not isinstance(obj, dict):
        raise ValueError("DINO checkpoint holds no state dict")
    out: dict[str, torch.Tensor] = {}
    for name, value in obj.items():
        for prefix in DINO_PREFIXES:
            if name.startswith(prefix):
                rest = name[len(prefix) :]
                if rest.split(".")[0] in {"cls_token", "pos_embed", "patch_embed", "blocks", "norm"}:
                    out[rest] = value
                break
    return out
