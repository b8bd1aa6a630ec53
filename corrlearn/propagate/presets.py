"""Propagation protocols of the published methods, as data.

Every knob that moves DAVIS numbers is a field here, so a preset reproduces its codebase and a user can see
(and change) exactly what runs. Sources: ajabri/videowalk ``code/test.py`` and ``utils/__init__.py`` (CRW),
qianduoduolr/Spa-then-Temp ``vanilla_tracker.py`` and ``configs/test/res18_d8.py`` (STT),
facebookresearch/dino ``eval_video_segmentation.py`` (DINO), Liusifei/UVC and 594422814/ContrastCorr ``test.py``
and ``libs/test_utils.py``.

Remaining differences from each codebase's own test code, from reading it side by side with these presets
(read, not run, except CRW). *ties* only matter on exactly equal affinities; the rest can move numbers.

Nearest resizes (the first mask to the feature grid, the argmax back to the frame) sample each cell's centre as
PIL NEAREST does (``labels/resize.py``), as the STT, DINO, UVC and ContrastCorr code resize (2026-12-03; until
then torch's corner sampling, which moved DINO's J by -0.065 .. +0.033 per sequence). No peer samples
corners where a preset resizes: STT's own ``F.interpolate(mode="nearest")`` calls resize to the size the map
already has. ``tests/propagate/test_peer_parity.py`` re-derives the DINO, STT and UVC DAVIS loops from their code
and runs them beside the presets on the same features (6 blackswan frames at 240x427, where 427 -> 384 crops
and 54-cell grids exercise every resize): first grids identical, masks equal to <= 6 pixels of 102,480 per
frame (argmax near-ties in float rounding), against 33 grid cells and 1,270 .. 2,100 pixels per frame with the
corner sampling. The peers count label channels on the resized grid (its max id + 1), corrlearn on the full
mask: a difference only when the highest id covers no sampled cell.

CRW (``code/test.py``, ``utils/test_utils.py``), run side by side on the same weights: masks identical pixel for
pixel after frame 0 on car-shadow and motocross-jump once the trunk pads by reflection, which a converted CRW
checkpoint now sets by itself (``padding`` recorded by ``tools/convert_checkpoint.py``). No known difference left.

STT d8 (``vcl/models/trackers/vanilla_tracker.py``, ``configs/test/res18_d8.py`` + ``base_data.py``):

* context: STT's previous-frame window is ``frames[max(0, t - 20):t]`` *and* it prepends frame 0
  (``with_first``), so for t <= 20 frame 0 is in the context twice and its cells can take two top-k slots;
  corrlearn holds it once. In the parity test this is the one difference left: about 1,150 of 102,480 pixels
  per frame (frames 1-2, patch features, not an encoder's);
* first mask to the feature grid: ``pil_nearest_interpolate`` (PIL NEAREST): now equal;
* output: STT upsamples the soft labels bilinearly straight to the original frame size and takes min-max and
  argmax there; corrlearn does both at the working size, then nearest-resizes the ids. Identical when the
  working size is the frame size (DAVIS 480p, short side 480; the parity test); not measured at 240p frames
  upsampled to 480 (``benchmarks/dev_search.py``), where both ``stt`` and ``stt-bilinear`` differ alike;
* Lab: STT converts with its ``RGB2LAB`` pipeline step, corrlearn with kornia (both CIE Lab, D65, same
  (L - 50) / 50, a / 127, b / 127 normalisation); not compared numerically;
* void (255) in a DAVIS-2017 first mask: read through STT's dataset class (not re-read here); corrlearn
  treats void as background.

DINO (``eval_video_segmentation.py``):

* top-k: DINO zeroes every affinity below the k-th largest (``aff[aff < kth] = 0``), so keys tied with the
  k-th are all kept; corrlearn keeps exactly k, the lower index winning (*ties*). Measured beside DINO's own
  code on identical features with both resizes centre-sampled: car-shadow and drift-chicane equal pixel for
  pixel, blackswan 3 pixels (measured 2026-12-03);
* first mask: PIL NEAREST from the full-size mask straight to the patch grid: now equal;
* output: PIL NEAREST from the working size (832 wide for 854-wide frames) to the original: now equal;
* void: DINO's ``to_one_hot`` builds max id + 1 channels, so void (255) becomes a propagated label and can be
  written as 255 in the results; corrlearn propagates void as background and never writes it;
* encoder: DINO's ViT patch tokens (``corrlearn.models`` ViT); with a ResNet the preset reproduces the protocol,
  not DINO's numbers.

UVC (``test.py``, ``libs/test_utils.py``):

* encoder input: UVC feeds the *L channel repeated three times* (its ``gray_encoder``) of OpenCV's 8-bit Lab,
  normalised (x - 128) / 128; corrlearn's ``lab`` space feeds L, a, b from kornia as (L - 50) / 50, a / 127,
  b / 127. A converted UVC checkpoint therefore sees different input statistics;
* features: UVC reads layer4 of its ``res4s1`` ResNet-18 (512-d, stride 8); corrlearn's ResNets read layer3
  unless built with ``with_layer4=True`` (not reachable from the CLI);
* first mask and output: ``scipy.misc.imresize(..., "nearest")`` (PIL NEAREST): now equal;
* void: ``to_one_hot`` makes void a 256th label that is propagated (and frame 0 is written back with its
  void); corrlearn: background;
* top-k: all keys tied with the k-th kept (*ties*), as DINO;
* the affinity's softmax over all reference pixels happens inside UVC's model class (``libs/model.py``, not
  re-read here); the preset and the parity test follow ``protocols.md``.

ContrastCorr (``test.py``, ``libs/test_utils.py``): everything listed for UVC, except that its ``forward`` passes
the full Lab frames to the model (no gray repetition); the scale is a required ``-s`` argument of ``test.py``
(no default), so the 560 here comes from the paper's setting, not from the code; the mutual matching happens
inside its model class (not re-read here, nor re-derived in the parity test, which checks only its resizes).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from corrlearn.errors import CorrlearnError
from corrlearn.models.catalog import INPUT_SPACES

# the choices the affinity and label code accept (tests/propagate/test_presets.py ties them to those modules,
# which import torch; a preset is checked without it, before a command writes anything)
MODES = ("joint", "pairwise")
NORMALIZE_MODES = ("topk", "all")
RADIUS_SHAPES = ("circle", "square")
LABEL_DOWNSAMPLES = ("bilinear", "nearest")


@dataclass(frozen=True)
class Preset:
    """One label-propagation protocol.

    Input: frames are resized so the short side is ``short_side`` (None keeps the native size) and the long
    side is floored to a multiple of ``long_multiple``, or, when ``input_size`` (H, W) is set, to exactly that
    size whatever their aspect (JHMDB's 320x320); the encoder sees them in ``input_space``.
    Affinity: features are L2-normalised if ``l2_normalize``; scores are divided by ``temperature``; each query
    keeps its ``topk`` best keys, ``joint`` over the whole context or ``pairwise`` per context frame (then
    averaged, UVC style); ``normalize`` is "topk" (softmax over the kept) or "all" (softmax over all keys, kept
    values not renormalised). ``radius`` (feature cells, ``radius_shape`` circle/square) limits the keys of
    the previous frames, and of the first frame too if ``radius_on_first``. ``mutual`` applies ContrastCorr's
    mutual-matching reweighting (pairwise mode only).
    Context: the first frame plus the ``context`` most recent predictions; ``pad_with_first`` fills the
    context with copies of the first frame at the start of a video, as CRW's loader does.
    Labels: the first mask is downsampled to the feature grid with ``label_downsample`` (bilinear on one-hot
    maps, or nearest on ids); predictions are upsampled bilinearly, optionally min-max normalised per channel
    (``minmax``), then argmaxed.
    """

    name: str
    input_space: str = "rgb"
    short_side: int | None = None
    long_multiple: int = 1
    input_size: tuple[int, int] | None = None
    l2_normalize: bool = True
    temperature: float = 0.05
    topk: int = 10
    mode: str = "joint"
    normalize: str = "topk"
    radius: float | None = 12.0
    radius_shape: str = "circle"
    radius_on_first: bool = False
    mutual: bool = False
    context: int = 20
    pad_with_first: bool = False
    label_downsample: str = "bilinear"
    minmax: bool = False

    def __post_init__(self) -> None:
        """Refuse a field no protocol can run with (``--set topk=abc``), naming it, before any work."""
        problem = _field_problem(self)
        if problem:
            field, value, expected = problem
            raise CorrlearnError(f"preset {self.name!r}: {field}={value!r} is not valid; expected {expected}")

    def replace(self, **changes) -> Preset:
        """A copy with some fields changed (e.g. ``preset.replace(context=7)``)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_real(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _field_problem(p: Preset) -> tuple[str, object, str] | None:
    """(field, value, what was expected) of the first invalid field, or None."""
    checks = [
        ("name", isinstance(p.name, str) and p.name != "", "a name"),
        ("input_space", p.input_space in INPUT_SPACES, " or ".join(INPUT_SPACES)),
        ("short_side", p.short_side is None or (_is_int(p.short_side) and p.short_side >= 1), "none or >= 1"),
        ("long_multiple", _is_int(p.long_multiple) and p.long_multiple >= 1, "an integer >= 1"),
        (
            "input_size",
            p.input_size is None
            or (
                isinstance(p.input_size, (tuple, list))
                and len(p.input_size) == 2
                and all(_is_int(v) and v >= 1 for v in p.input_size)
            ),
            "none or (height, width)",
        ),
        ("temperature", _is_real(p.temperature) and p.temperature > 0, "a number > 0"),
        ("topk", _is_int(p.topk) and p.topk >= 1, "an integer >= 1"),
        ("mode", p.mode in MODES, " or ".join(MODES)),
        ("normalize", p.normalize in NORMALIZE_MODES, " or ".join(NORMALIZE_MODES)),
        ("radius", p.radius is None or (_is_real(p.radius) and p.radius > 0), "none or a number > 0"),
        ("radius_shape", p.radius_shape in RADIUS_SHAPES, " or ".join(RADIUS_SHAPES)),
        ("context", _is_int(p.context) and p.context >= 0, "an integer >= 0"),
        ("label_downsample", p.label_downsample in LABEL_DOWNSAMPLES, " or ".join(LABEL_DOWNSAMPLES)),
    ]
    checks += [
        (f, isinstance(getattr(p, f), bool), "true or false")
        for f in ("l2_normalize", "radius_on_first", "mutual", "pad_with_first", "minmax")
    ]
    for field, ok, expected in checks:
        if not ok:
            return field, getattr(p, field), expected
    return None


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        # CRW: README command (temperature 0.05; the code default is 0.07), joint top-10, disc radius 12 not
        # applied to the long-term memory (first frame), 20 previous frames with the first frame repeated to
        # fill the context at the start, bilinear label resizing, no min-max normalisation.
        Preset(
            name="crw",
            input_space="rgb",
            temperature=0.05,
            topk=10,
            radius=12.0,
            radius_shape="circle",
            radius_on_first=False,
            context=20,
            pad_with_first=True,
            label_downsample="bilinear",
            minmax=False,
        ),
        # STT d8: Lab input, temperature 0.07, joint top-10, square ±12 window on every frame including the
        # first, first + 20 previous, nearest label downsampling, per-channel min-max before argmax.
        Preset(
            name="stt",
            input_space="lab",
            short_side=480,
            temperature=0.07,
            topk=10,
            radius=12.0,
            radius_shape="square",
            radius_on_first=True,
            context=20,
            label_downsample="nearest",
            minmax=True,
        ),
        # DINO: temperature 0.1, top-5, square ±12 including the first frame, first + 7 previous, short side
        # 480 with the long side floored to a multiple of 64.
        Preset(
            name="dino",
            input_space="rgb",
            short_side=480,
            long_multiple=64,
            temperature=0.1,
            topk=5,
            radius=12.0,
            radius_shape="square",
            radius_on_first=True,
            context=7,
            label_downsample="nearest",
            minmax=True,
        ),
        # UVC: no L2 norm, temperature 1, each of first + 7 previous frames propagated alone with a softmax
        # over all its pixels and the top-5 kept unrenormalised, predictions averaged over the pairs.
        Preset(
            name="uvc",
            input_space="lab",
            short_side=480,
            long_multiple=64,
            l2_normalize=False,
            temperature=1.0,
            topk=5,
            mode="pairwise",
            normalize="all",
            radius=None,
            context=7,
            label_downsample="nearest",
            minmax=True,
        ),
        # ContrastCorr: UVC's protocol at short side 560 plus mutual matching of each pair's affinity.
        Preset(
            name="contrastcorr",
            input_space="lab",
            short_side=560,
            long_multiple=64,
            l2_normalize=False,
            temperature=1.0,
            topk=5,
            mode="pairwise",
            normalize="all",
            radius=None,
            mutual=True,
            context=7,
            label_downsample="nearest",
            minmax=True,
        ),
    )
}

# JHMDB pose propagation: both references resize every frame to 320x320 (aspect not kept).
PRESETS.update(
    {
        # CRW as its users run JHMDB: context 7 (first frame repeated to fill it); otherwise the crw preset.
        "crw-jhmdb": PRESETS["crw"].replace(name="crw-jhmdb", input_size=(320, 320), context=7),
        # STT/VFS (configs/test/res18_d8.py, test_cfg_jhmdb): first + 20 previous, top-10, temperature 0.07,
        # square neighbourhood ``neighbor_range=10`` i.e. +-5 cells (range // 2) on every frame including the
        # first, bilinear resizing of the label maps.
        "stt-jhmdb": PRESETS["stt"].replace(
            name="stt-jhmdb",
            short_side=None,
            input_size=(320, 320),
            context=20,
            topk=10,
            temperature=0.07,
            radius=5.0,
            radius_shape="square",
            radius_on_first=True,
            label_downsample="bilinear",
            minmax=False,
        ),
    }
)


# corrlearn's own protocol for masks (not a peer's): STT's, with the first mask downsampled bilinearly, so cells
# on an object's edge start with soft labels instead of a hard nearest-cell vote. Chosen on the DAVIS-2016
# *training* sequences (benchmarks/dev_search.py: better than stt on 10 of 10), then scored once on val.
# Re-checked there after nearest resizes moved to centre sampling (2026-12-03): still ahead, but only on 6 of
# 10, mean +0.006 J&F (it was +0.042 with the half-cell offset; results/davis2016-train_efficientnet-lite1_dev-
# search_centre-sampling.md); kept.
PRESETS["stt-bilinear"] = PRESETS["stt"].replace(name="stt-bilinear", label_downsample="bilinear")


def get_preset(name: str) -> Preset:
    """The named preset; raise :class:`CorrlearnError` listing the known ones otherwise."""
    if name not in PRESETS:
        raise CorrlearnError(f"unknown preset {name!r}; known presets: {', '.join(sorted(PRESETS))}")
    return PRESETS[name]
