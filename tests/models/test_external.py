"""A user's encoder through ``models.create``: factory specs, entry points, declarations, checks, provenance."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch

from corrlearn import models
from corrlearn.errors import CorrlearnError
from corrlearn.models.checkpoint import file_sha256
from corrlearn.models.external import UserEncoder, state_sha256
from corrlearn.models.normalize import normalize_input

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "user_encoder.py"

NETS = """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, stride=8, channels=5):
        super().__init__()
        self.stride = stride
        self.conv = nn.Conv2d(3, channels, stride, stride)

    def forward(self, x):
        return self.conv(x)


def plain():
    return Net()


def no_stride():
    net = Net()
    del net.stride
    return net


def wrong_stride():
    net = Net(stride=4)
    net.conv = nn.Conv2d(3, 5, 8, 8)  # says 4, computes 8
    return net


def flat():
    class Flat(Net):
        def forward(self, x):
            return self.conv(x).flatten(2)
    return Flat()


def raises():
    raise RuntimeError("no GPU here")


def not_a_module():
    return 3


def lab():
    net = Net()
    net.input_space, net.mean, net.std = "lab", (50.0, 0.0, 0.0), (25.0, 100.0, 100.0)
    return net


def takes_stride(stride=8):
    return Net(stride=stride)


def nan():
    net = Net()
    torch.nn.init.constant_(net.conv.weight, float("nan"))
    return net
"""


@pytest.fixture()
def nets(tmp_path: Path) -> Path:
    path = tmp_path / "nets.py"
    path.write_text(NETS)
    return path


def test_file_factory_declaring_only_stride_reads_imagenet_rgb(nets):
    enc = models.create(f"{nets}:plain")
    assert isinstance(enc, UserEncoder) and enc.stride == 8 and enc.input_space == "rgb"
    x = torch.rand(1, 3, 32, 48)
    assert torch.equal(enc.normalize(x), normalize_input(x, "rgb"))
    assert torch.allclose(enc(x), enc.module(normalize_input(x, "rgb")))
    assert enc.out_channels == 5 and not enc.training


def test_module_factory_on_sys_path_and_declared_lab(nets, monkeypatch):
    monkeypatch.syspath_prepend(str(nets.parent))
    enc = models.create("nets:lab")
    assert enc.input_space == "lab" and enc.mean == (50.0, 0.0, 0.0) and enc.std == (25.0, 100.0, 100.0)
    import kornia.color

    x = torch.rand(1, 3, 16, 16)
    want = (kornia.color.rgb_to_lab(x) - torch.tensor([50.0, 0, 0]).view(1, 3, 1, 1)) / torch.tensor(
        [25.0, 100, 100]
    ).view(1, 3, 1, 1)
    assert torch.allclose(enc.normalize(x), want)
    assert models.is_external("nets:lab") and not models.is_external("resnet18")


def test_odd_sizes_are_padded_to_the_ceil_grid(nets):
    enc = models.create(f"{nets}:plain")
    x = torch.rand(2, 3, 19, 30)
    out = enc(x)
    assert out.shape == (2, 5, 3, 4)
    padded = torch.nn.functional.pad(normalize_input(x, "rgb"), (0, 2, 0, 5))
    assert torch.allclose(out, enc.module(padded))


@pytest.mark.parametrize(
    "factory, message",
    [
        ("no_stride", "declares no stride"),
        ("wrong_stride", r"2x3x23x13 input gave \(2, 5, 3, 2\), not \(2, C, 6, 4\) as stride 4 implies"),
        ("flat", r"is not a \(B, C, h, w\) tensor"),
        ("raises", "raised RuntimeError: no GPU here"),
        ("not_a_module", "returned int, not a torch.nn.Module"),
        ("nan", "NaN or inf"),
        ("missing", "has no attribute 'missing'"),
    ],
)
def test_bad_factories_are_one_line_errors_naming_the_factory(nets, factory, message):
    with pytest.raises(CorrlearnError, match=message) as info:
        models.create(f"{nets}:{factory}")
    assert f"{nets}:{factory}" in str(info.value) and "\n" not in str(info.value)


def test_bad_specs(tmp_path):
    with pytest.raises(CorrlearnError, match="not found"):
        models.create(f"{tmp_path}/none.py:build")
    with pytest.raises(CorrlearnError, match="cannot import no_such_pkg_xyz"):
        models.create("no_such_pkg_xyz.nets:build")
    broken = tmp_path / "broken.py"
    broken.write_text("raise ImportError('needs torchvision')\n")
    with pytest.raises(
        CorrlearnError, match="importing .*broken.py failed \\(ImportError: needs torchvision\\)"
    ):
        models.create(f"{broken}:build")


def test_stride_option(nets):
    assert models.create(f"{nets}:no_stride", stride=8).stride == 8  # the command line declares it
    assert models.create(f"{nets}:takes_stride", stride=4).stride == 4  # passed to a factory that takes it
    with pytest.raises(CorrlearnError, match="declares stride 8, but stride 4 was asked for"):
        models.create(f"{nets}:plain", stride=4)


def test_provenance_hashes_source_and_weights(nets, tmp_path):
    a, b = models.create(f"{nets}:plain"), models.create(f"{nets}:plain")
    pa = models.provenance(a)
    assert pa["factory"] == f"{nets}:plain" and pa["source_file"] == "nets.py"
    assert pa["source_sha256"] == file_sha256(nets)
    assert pa["weights_from"] == "factory state" and pa["weights_sha256"] == state_sha256(a)
    assert models.provenance(b)["weights_sha256"] == pa["weights_sha256"]  # seeded: the same init
    assert models.provenance(models.create(f"{nets}:plain", seed=1))["weights_sha256"] != pa["weights_sha256"]
    assert models.provenance(models.create("resnet18")) is None
    # --weights a factory does not take: loaded into the module strictly
    torch.save(models.create(f"{nets}:plain", seed=7).module.state_dict(), tmp_path / "w.pth")
    c = models.create(f"{nets}:plain", weights=tmp_path / "w.pth")
    assert torch.equal(c.module.conv.weight, models.create(f"{nets}:plain", seed=7).module.conv.weight)
    assert models.provenance(c)["weights_sha256"] == file_sha256(tmp_path / "w.pth")
    torch.save({"other.weight": torch.zeros(1)}, tmp_path / "bad.pth")
    with pytest.raises(CorrlearnError, match="checkpoint does not fit encoder factory"):
        models.create(f"{nets}:plain", weights=tmp_path / "bad.pth")


def test_entry_point_names_are_models(tmp_path, monkeypatch):
    pkg = tmp_path / "site"
    (pkg / "mynets").mkdir(parents=True)
    (pkg / "mynets" / "__init__.py").write_text(textwrap.dedent(NETS))
    info = pkg / "mynets-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mynets\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[corrlearn.encoders]\nmy-net = mynets:plain\n")
    monkeypatch.syspath_prepend(str(pkg))
    assert "my-net" in models.available()
    enc = models.create("my-net")
    assert enc.stride == 8 and models.provenance(enc)["name"] == "my-net"
    assert models.provenance(enc)["factory"] == "mynets:plain"


@pytest.mark.parametrize("factory, channels", [("resnet18_s8", 256), ("patch_vit_s8", 96)])
def test_worked_example_encoders(factory, channels):
    enc = models.create(f"{EXAMPLE}:{factory}")
    out = enc(torch.rand(1, 3, 60, 84))
    assert out.shape == (1, channels, 8, 11)
    if factory == "patch_vit_s8":
        assert enc.mean == (0.5, 0.5, 0.5)


def test_worked_example_loads_torchvision_style_weights(tmp_path):
    # corrlearn's resnet18 uses torchvision's key names: its layer1-3 fit the example's module exactly
    ref = models.create("resnet18", with_layer4=True, seed=3)
    torch.save(ref.state_dict(), tmp_path / "r18.pth")
    enc = models.create(f"{EXAMPLE}:resnet18_s8", weights=tmp_path / "r18.pth")
    x = torch.rand(1, 3, 64, 96)
    assert torch.allclose(enc(x), models.create("resnet18", weights=tmp_path / "r18.pth")(x), atol=1e-5)
