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


def test_garbage_is_reported(tmp_path, capsys):
    torch.save({"state_dict": {"head.weight": torch.zeros(2)}}, tmp_path / "in.pth")
    assert convert_checkpoint.main([str(tmp_path / "in.pth"), str(tmp_path / "out.pth")]) == 2
    assert "no ResNet encoder keys" in capsys.readouterr().err
    assert not (tmp_path / "out.pth").exists()
