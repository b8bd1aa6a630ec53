import json
import sys
from pathlib import Path

import pytest
import torch

from corrlearn import models

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import convert_checkpoint  # noqa: E402


def _reference():
    return models.create("resnet18", with_layer4=True, seed=7).state_dict()


def _crw_format(sd):
    # videowalk's scratch encoder: convs wrapped as Sequential(ReflectionPad, Conv) -> "convN.1.weight"
    out = {}
    for k, v in sd.items():
        k2 = k.replace("conv1.weight", "conv1.1.weight").replace("conv2.weight", "conv2.1.weight")
        out[f"encoder.model.{k2}"] = v
    out["selfsim_fc.0.weight"] = torch.zeros(128, 512)
    return {"model": out, "optimizer": {}, "epoch": 3}


@pytest.mark.parametrize(
    "source, wrap",
    [
        ("crw", _crw_format),
        (
            "stt",
            lambda sd: {
                "state_dict": {
                    **{f"backbone.{k}": v for k, v in sd.items()},
                    **{f"backbone_t.{k}": v * 0 for k, v in sd.items()},
                }
            },
        ),
        ("uvc", lambda sd: {"state_dict": {f"module.gray_encoder.{k}": v for k, v in sd.items()}}),
        (
            "moco",
            lambda sd: {
                "state_dict": {
                    **{f"module.encoder_q.{k}": v for k, v in sd.items()},
                    **{f"module.encoder_k.{k}": v * 0 for k, v in sd.items()},
                    "module.encoder_q.fc.0.weight": torch.zeros(2048, 512),
                }
            },
        ),
    ],
)
@pytest.mark.parametrize("explicit", [True, False])
def test_formats_convert_and_load(tmp_path, source, wrap, explicit):
    ref = _reference()
    torch.save(wrap(ref), tmp_path / "in.pth")
    argv = [str(tmp_path / "in.pth"), str(tmp_path / "out.pth")] + (["--source", source] if explicit else [])
    assert convert_checkpoint.main(argv) == 0
    enc = models.create("resnet18", weights=tmp_path / "out.pth")
    for k, v in enc.state_dict().items():
        assert torch.equal(v, ref[k]), k
    want = "reflect" if source == "crw" else "zeros"  # CRW's network pads by reflection, the others by zeros
    assert torch.load(tmp_path / "out.pth", weights_only=True)["padding"] == want == enc.padding


def test_crw_checkpoint_gives_reflection_padded_features(tmp_path):
    """A converted CRW-layout checkpoint builds a trunk whose every padded conv reflects: the stem's output
    equals a convolution of the reflection-padded input, and the features differ from zero padding only near
    the border (the receptive field reaches the border up to ~10 cells in)."""
    import torch.nn.functional as F

    ref = _reference()
    torch.save(_crw_format(ref), tmp_path / "in.pth")
    assert convert_checkpoint.main([str(tmp_path / "in.pth"), str(tmp_path / "crw.pth")]) == 0
    crw = models.create("resnet18", weights=tmp_path / "crw.pth")
    zeros = models.create("resnet18", weights=tmp_path / "crw.pth", padding="zeros")  # explicit wins
    assert crw.padding == "reflect" and zeros.padding == "zeros"
    padded = [m for m in crw.modules() if isinstance(m, torch.nn.Conv2d) and sum(m.padding) > 0]
    assert len(padded) == 1 + 2 * 6 and all(m.padding_mode == "reflect" for m in padded)  # stem + 3x3s
    x = torch.rand(1, 3, 200, 232, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        xn = crw.normalize(x)
        by_hand = F.conv2d(F.pad(xn, (3, 3, 3, 3), mode="reflect"), crw.conv1.weight, stride=2)
        assert torch.allclose(crw.conv1(xn), by_hand, atol=1e-5)
        assert not torch.allclose(zeros.conv1(xn), by_hand, atol=1e-3)
        fr, fz = crw(x), zeros(x)  # 25 x 29 cells
    cos = F.cosine_similarity(fr, fz, dim=1)[0]
    assert cos[12, 14] > 0.9999  # the centre, > 10 cells from every border: identical
    assert cos[0].mean() < 0.999  # the border row: the padding shows


def test_garbage_is_reported(tmp_path, capsys):
    torch.save({"state_dict": {"head.weight": torch.zeros(2)}}, tmp_path / "in.pth")
    assert convert_checkpoint.main([str(tmp_path / "in.pth"), str(tmp_path / "out.pth")]) == 2
    assert "no ResNet encoder keys" in capsys.readouterr().err
    assert not (tmp_path / "out.pth").exists()


# ------------------------------------------------------------------------------------------------ DINO
def _dino_backbone(name="vit-s16", seed=5):
    """A ViT in DINO's official key layout with random weights (as dino_deitsmall16_pretrain.pth is laid out)."""
    enc = models.create(name, stride=None, seed=seed)
    return enc, {k: v.clone() for k, v in enc.state_dict().items()}


def _features(enc, x):
    with torch.no_grad():
        return enc(x)


@pytest.mark.parametrize("name", ["vit-s16", "vit-s8"])
@pytest.mark.parametrize("explicit", [True, False])
def test_released_dino_backbone_converts_to_the_vit_of_its_shape(tmp_path, name, explicit):
    ref, state = _dino_backbone(name)
    assert {
        "cls_token",
        "pos_embed",
        "patch_embed.proj.weight",
        "blocks.11.mlp.fc2.bias",
        "norm.weight",
    } <= set(state)
    torch.save(state, tmp_path / "dino.pth")
    argv = [str(tmp_path / "dino.pth"), str(tmp_path / "out.pth")] + (
        ["--source", "dino"] if explicit else []
    )
    assert convert_checkpoint.main(argv) == 0
    saved = torch.load(tmp_path / "out.pth", weights_only=True)
    assert saved["converted_from"] == "dino" and saved["model_name"] == name and "padding" not in saved
    assert models.model_for_weights(tmp_path / "out.pth") == name  # what propagate --weights uses
    enc = models.create(name, stride=None, weights=tmp_path / "out.pth")
    x = torch.rand(1, 3, 50, 70, generator=torch.Generator().manual_seed(1))
    patch = ref.stride
    feats = _features(enc, x)
    assert feats.shape == (1, 384, -(-50 // patch), -(-70 // patch))
    assert torch.equal(feats, _features(ref, x))


def test_full_dino_training_checkpoint_gives_the_teachers_backbone(tmp_path):
    import argparse

    ref, state = _dino_backbone()
    full = {
        "teacher": {
            **{f"backbone.{k}": v for k, v in state.items()},
            "head.mlp.0.weight": torch.zeros(2048, 384),
            "head.last_layer.weight_g": torch.ones(65536, 1),
        },
        "student": {f"module.backbone.{k}": v + 1 for k, v in state.items()},
        "optimizer": {"state": {}, "param_groups": []},
        "epoch": 100,
        "args": argparse.Namespace(arch="vit_small", patch_size=16, out_dim=65536),  # as DINO's main saves it
    }
    torch.save(full, tmp_path / "full.pth")
    assert convert_checkpoint.main([str(tmp_path / "full.pth"), str(tmp_path / "out.pth")]) == 0
    saved = torch.load(tmp_path / "out.pth", weights_only=True)
    assert set(saved["model"]) == set(state) and saved["model_name"] == "vit-s16"
    enc = models.create(
        models.model_for_weights(tmp_path / "out.pth"), stride=None, weights=tmp_path / "out.pth"
    )
    x = torch.rand(1, 3, 64, 48, generator=torch.Generator().manual_seed(2))
    assert torch.equal(_features(enc, x), _features(ref, x))  # the teacher, not the student (+1)


def test_vit_width_and_patch_pick_the_model():
    from corrlearn.models.vit import vit_name_for

    def shaped(dim, patch):
        return {"patch_embed.proj.weight": torch.empty(dim, 3, patch, patch)}

    assert [vit_name_for(shaped(d, p)) for d, p in ((384, 16), (384, 8), (768, 16), (768, 8))] == [
        "vit-s16",
        "vit-s8",
        "vit-b16",
        "vit-b8",
    ]
    assert (
        vit_name_for(shaped(192, 16)) is None
        and vit_name_for({"conv1.weight": torch.empty(64, 3, 7, 7)}) is None
    )


def _one_line_error(capsys, argv):
    assert convert_checkpoint.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("convert_checkpoint: error: ")
    return err[0]


def test_wrong_files_for_dino_are_one_line_errors(tmp_path, capsys):
    out = tmp_path / "out.pth"
    torch.save({"state_dict": {f"backbone.{k}": v for k, v in _reference().items()}}, tmp_path / "resnet.pth")
    err = _one_line_error(capsys, [str(tmp_path / "resnet.pth"), str(out), "--source", "dino"])
    assert "no DINO ViT backbone found" in err and "cls_token, pos_embed, patch_embed.proj.weight" in err
    # a ViT-Tiny (192 wide) is DINO's layout but no corrlearn architecture
    _, state = _dino_backbone()
    tiny = {k: v[..., :192] if v.shape[-1] == 384 else v for k, v in state.items()}
    tiny["patch_embed.proj.weight"] = torch.zeros(192, 3, 16, 16)
    torch.save(tiny, tmp_path / "tiny.pth")
    err = _one_line_error(capsys, [str(tmp_path / "tiny.pth"), str(out)])
    assert "patch_embed.proj.weight (192, 3, 16, 16): no corrlearn ViT of that width" in err
    # a DINO file forced into the wrong architecture is refused by the load check
    torch.save(state, tmp_path / "dino.pth")
    err = _one_line_error(capsys, [str(tmp_path / "dino.pth"), str(out), "--model", "vit-s8"])
    assert "does not fit vit-s8" in err and "wrong shape" in err
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    assert "cannot be loaded safely" in _one_line_error(capsys, [str(tmp_path / "junk.pth"), str(out)])
    assert not out.exists()


def test_converted_dino_checkpoint_drives_propagate_by_itself(tmp_path):
    from corrlearn.cli import main
    from corrlearn.io.masks import read_mask
    from tests.synthetic import write_clip

    _, state = _dino_backbone()
    torch.save({"teacher": {f"backbone.{k}": v for k, v in state.items()}}, tmp_path / "full.pth")
    assert convert_checkpoint.main([str(tmp_path / "full.pth"), str(tmp_path / "vit.pth")]) == 0
    clip, first, _ = write_clip(tmp_path, n=3, size=(48, 64))
    argv = ["propagate", str(clip), "--mask", str(first), "--out", str(tmp_path / "masks")]
    assert main([*argv, "--weights", str(tmp_path / "vit.pth"), "--preset", "dino", "--quiet"]) == 0
    record = json.loads((tmp_path / "masks" / "corrlearn-run.json").read_text())
    assert record["config"]["model"] == "vit-s16" and record["config"]["stride"] == 16
    assert read_mask(tmp_path / "masks" / "00002.png").ids.shape == (48, 64)
