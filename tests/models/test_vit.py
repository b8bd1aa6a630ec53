"""DINO ViT encoders: shapes, DINO's key layout, checkpoint conversion, position-embedding resizing."""

from __future__ import annotations

import math

import pytest
import torch

from corrlearn.models.vit import VIT_CONFIGS, VitEncoder, convert_dino_state_dict, seeded_vit_init_


def _small(name: str = "vit-s16", seed: int = 0) -> VitEncoder:
    return seeded_vit_init_(VitEncoder(VIT_CONFIGS[name]), seed).eval()


@pytest.mark.parametrize("name", sorted(VIT_CONFIGS))
def test_patch_token_map_shape(name):
    cfg = VIT_CONFIGS[name]
    enc = _small(name)
    with torch.no_grad():
        out = enc(torch.rand(1, 3, 40, 72))  # not whole patches: padded up, like the CNNs' ceil contract
    p = cfg.patch_size
    assert enc.stride == p and enc.out_channels == cfg.embed_dim
    assert out.shape == (1, cfg.embed_dim, math.ceil(40 / p), math.ceil(72 / p))
    assert torch.isfinite(out).all()


def test_dino_key_layout():
    keys = list(_small("vit-s16").state_dict())
    assert keys[:4] == ["cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias"]
    for name in [
        "blocks.0.norm1.weight",
        "blocks.0.attn.qkv.weight",
        "blocks.11.mlp.fc2.bias",
        "norm.weight",
    ]:
        assert name in keys
    sd = _small("vit-b8").state_dict()
    assert sd["pos_embed"].shape == (1, 28 * 28 + 1, 768)
    assert sd["blocks.0.attn.qkv.weight"].shape == (3 * 768, 768)


def test_attention_is_scaled_dot_product():
    enc = _small()
    attn = enc.blocks[0].attn
    x = torch.randn(2, 5, 384)
    q, k, v = attn.qkv(x).reshape(2, 5, 3, 6, 64).permute(2, 0, 3, 1, 4)
    manual = torch.softmax(q @ k.transpose(-1, -2) / 8.0, dim=-1) @ v
    expected = attn.proj(manual.transpose(1, 2).reshape(2, 5, 384))
    assert torch.allclose(attn(x), expected, atol=1e-5)


def test_position_embedding_resizing():
    enc = _small()
    assert enc.position_embedding(14, 14) is enc.pos_embed
    with torch.no_grad():
        enc.pos_embed[:, 1:] = 0.25  # bicubic resizing keeps a constant field constant
        pe = enc.position_embedding(10, 23)
    assert pe.shape == (1, 1 + 10 * 23, 384)
    assert torch.allclose(pe[:, 1:], torch.full_like(pe[:, 1:], 0.25), atol=1e-6)
    assert torch.equal(pe[:, 0], enc.pos_embed[:, 0])


def test_features_depend_on_position():
    enc = _small()
    img = torch.rand(1, 1, 1, 1).expand(1, 3, 32, 32).clone()  # flat image: tokens differ only by position
    with torch.no_grad():
        out = enc(img)
    assert not torch.allclose(out[..., 0, 0], out[..., 1, 1])


def test_official_dino_checkpoints_convert(tmp_path):
    ref = _small(seed=3)
    backbone = ref.state_dict()
    full = {
        "teacher": {
            **{f"backbone.{k}": v for k, v in backbone.items()},
            "head.mlp.0.weight": torch.zeros(2, 2),
        },
        "student": {f"module.backbone.{k}": v + 1 for k, v in backbone.items()},
        "epoch": 100,
    }
    torch.save(full, tmp_path / "dino_full.pth")
    loaded = torch.load(tmp_path / "dino_full.pth", weights_only=True)
    teacher = convert_dino_state_dict(loaded)
    assert set(teacher) == set(backbone)
    enc = VitEncoder(VIT_CONFIGS["vit-s16"])
    enc.load_state_dict(teacher, strict=True)
    x = torch.rand(1, 3, 48, 64)
    with torch.no_grad():
        assert torch.equal(enc.eval()(x), ref(x))
    student = convert_dino_state_dict(loaded, key="student")
    assert torch.equal(student["cls_token"], backbone["cls_token"] + 1)
    bare = convert_dino_state_dict(backbone)  # released backbone files are bare state dicts
    assert set(bare) == set(backbone)


def test_registered_and_created_by_name(tmp_path):
    from corrlearn import models
    from corrlearn.errors import CorrlearnError

    assert {"vit-s16", "vit-s8", "vit-b16", "vit-b8"} <= set(models.available())
    enc = models.create("vit-s16", stride=None, seed=3)
    assert enc.stride == 16 and not enc.training
    with torch.no_grad():
        assert enc(torch.rand(1, 3, 64, 80)).shape == (1, 384, 4, 5)
    with pytest.raises(CorrlearnError, match="vit-s16 has a fixed stride of 16"):
        models.create("vit-s16", stride=8)
    # converted DINO weights load strictly by name
    torch.save(
        convert_dino_state_dict({"teacher": {f"backbone.{k}": v for k, v in enc.state_dict().items()}}),
        tmp_path / "dino.pth",
    )
    again = models.create("vit-s16", stride=16, weights=tmp_path / "dino.pth", seed=9)
    assert torch.equal(again.pos_embed, enc.pos_embed)
    with pytest.raises(ValueError, match="already registered"):
        models.register("vit-s16", lambda **kw: enc)
