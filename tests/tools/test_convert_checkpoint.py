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
