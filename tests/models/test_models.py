import pytest
import torch

from corrlearn import models
from corrlearn.errors import CorrlearnError


@pytest.mark.parametrize("name, channels", [("resnet18", 256), ("resnet50", 1024)])
@pytest.mark.parametrize("stride", [8, 4])
def test_feature_stride_and_channels(name, channels, stride):
    enc = models.create(name, stride=stride)
    out = enc(torch.rand(1, 3, 64, 96))
    assert out.shape == (1, channels, 64 // stride, 96 // stride)


def test_torchvision_key_layout():
    keys = list(models.create("resnet18", with_layer4=True).state_dict())
    assert keys[:5] == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var"]
    assert "layer1.0.conv1.weight" in keys and "layer2.0.downsample.0.weight" in keys
    assert "layer4.1.bn2.bias" in keys and not any(k.startswith("fc.") for k in keys)
    r50 = models.create("resnet50").state_dict()
    assert r50["layer3.5.conv3.weight"].shape == (1024, 256, 1, 1)


def test_default_initialisation_is_fixed_by_seed():
    a, b = models.create("resnet18"), models.create("resnet18")
    torch.manual_seed(123)  # the global RNG must not matter
    c = models.create("resnet18")
    for k, v in a.state_dict().items():
        assert torch.equal(v, b.state_dict()[k]) and torch.equal(v, c.state_dict()[k])
    d = models.create("resnet18", seed=1)
    assert not torch.equal(a.conv1.weight, d.conv1.weight)


def test_lab_and_rgb_inputs_differ():
    x = torch.rand(1, 3, 32, 32)
    rgb, lab = models.create("resnet18", input_space="rgb"), models.create("resnet18", input_space="lab")
    assert not torch.allclose(rgb(x), lab(x))


def test_weights_roundtrip_and_full_resnet_checkpoint(tmp_path):
    full = models.create("resnet18", with_layer4=True, seed=5)
    sd = full.state_dict()
    sd["fc.weight"] = torch.zeros(1000, 512)
    torch.save({"model": sd, "step": 3}, tmp_path / "w.pth")
    enc = models.create("resnet18", weights=tmp_path / "w.pth")
    assert torch.equal(enc.conv1.weight, full.conv1.weight)
    ignored = models.load_weights(models.create("resnet18"), tmp_path / "w.pth")
    assert "fc.weight" in ignored and any(k.startswith("layer4.") for k in ignored)


def test_wrong_checkpoint_is_named(tmp_path):
    torch.save(models.create("resnet50").state_dict(), tmp_path / "r50.pth")
    with pytest.raises(CorrlearnError, match=r"r50.pth: checkpoint does not fit resnet18: .*wrong shape"):
        models.create("resnet18", weights=tmp_path / "r50.pth")
    with pytest.raises(CorrlearnError, match="checkpoint file not found"):
        models.create("resnet18", weights=tmp_path / "none.pth")
    with pytest.raises(CorrlearnError, match="unknown model 'vgg'"):
        models.create("vgg")


def test_unsafe_pickle_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"model": Evil()}, tmp_path / "evil.pth")
    with pytest.raises(CorrlearnError, match="cannot be loaded safely"):
        models.create("resnet18", weights=tmp_path / "evil.pth")


def test_architecture_is_read_from_the_weights_when_not_named(tmp_path):
    assert models.model_for_weights(None) == models.DEFAULT_MODEL == "efficientnet-lite1-hc"
    torch.save(
        models.create("resnet50").state_dict(), tmp_path / "r50.pth"
    )  # a converted checkpoint: keys only
    torch.save({"model": models.create("resnet18").state_dict()}, tmp_path / "r18.pth")
    lite = models.create("efficientnet-lite0").state_dict()
    torch.save({"model": lite, "model_name": "efficientnet-lite0"}, tmp_path / "ft.pt")  # corrlearn train's
    assert models.model_for_weights(tmp_path / "r50.pth") == "resnet50"
    assert models.model_for_weights(tmp_path / "r18.pth") == "resnet18"
    assert models.model_for_weights(tmp_path / "ft.pt") == "efficientnet-lite0"
