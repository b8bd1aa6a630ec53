"""Keypoints <-> label maps, in the two published JHMDB conventions.

Coordinates are (2, J) arrays ``[x; y]`` in pixels of the *original* frame, 0-indexed (JHMDB's ``pos_img``
minus 1). A decoded joint that has no mass at all is returned as (-1, -1), which the PCK code treats as
"not predicted" (both reference evaluations do the same).

``"crw"`` (ajabri/videowalk ``data/jhmdb.py``, ``utils/test_utils.py::process_pose``, ``eval/eval_pck.py``):
    frames are resized to 320x320; each joint becomes a Gaussian of sigma 0.5 *feature cells* drawn directly
    on the stride-8 grid (40x40) at ``x * 320 / W / 8``; a background channel (1 where no joint has mass) comes
    first. A prediction (1 + J, h, w) is decoded on the grid: per joint, the top-3 cells' weighted mean of
    cell indices, mapped back as ``cell / grid * frame_size`` (no half-cell offset, as CRW does; the
    encoding uses the same mapping, so a perfect propagation decodes to within the Gaussian's rounding).
``"stt"`` (VFS and qianduoduolr/Spa-then-Temp ``datasets/jhmdb_dataset.py``, ``trackers/vanilla_tracker.py``):
    each joint is a Gaussian of sigma 4 *pixels* at the original resolution, no background channel; the map
    is resized bilinearly (align_corners=False) to the feature grid; a prediction (J, h, w) is resized
    bilinearly back to full resolution and decoded by the top-5 pixels' weighted mean.

Both draw Gaussians with the stacked-hourglass window used by the references: the window starts at
``trunc(p - 3 sigma)``, is ``6 sigma + 1`` wide and peaks ``floor((6 sigma + 1) / 2)`` cells in, i.e. the peak
sits at round(p) for sigma 0.5 and at floor(p) for sigma 4; values are exp(-d^2 / 2 sigma^2) (peak 1).
Because ``int`` truncates toward zero, a joint closer than 3 sigma to the top/left border gets its peak one
cell further in (e.g. p = 0.2 -> 1 for sigma 0.5); this is the references' behaviour, kept on purpose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from corrlearn.errors import CorrlearnError


@dataclass(frozen=True)
class KeypointConvention:
    """How joints become label maps and predictions become joints.

    ``sigma`` is in feature cells when ``on_grid`` (drawn on the feature grid), else in original pixels (drawn
    at full resolution, then downsampled); ``background`` adds a first channel that is 1 where no joint has
    mass; ``topk`` cells (``on_grid``) or pixels (full resolution) are averaged when decoding.
    """

    name: str
    sigma: float
    on_grid: bool
    background: bool
    topk: int


CONVENTIONS: dict[str, KeypointConvention] = {
    "crw": KeypointConvention("crw", sigma=0.5, on_grid=True, background=True, topk=3),
    "stt": KeypointConvention("stt", sigma=4.0, on_grid=False, background=False, topk=5),
}


def get_convention(name: str) -> KeypointConvention:
    """The named convention, or :class:`CorrlearnError` listing the known ones."""
    if name not in CONVENTIONS:
        raise CorrlearnError(f"unknown keypoint convention {name!r}; known: {', '.join(sorted(CONVENTIONS))}")
    return CONVENTIONS[name]


def draw_gaussian(canvas: np.ndarray, x: float, y: float, sigma: float) -> np.ndarray:
    """Write (not add) an unnormalised Gaussian peaked at about (x, y) into ``canvas`` (h, w), in place.

    Uses the hourglass window described in the module docstring; a window entirely outside the canvas
    leaves it untouched.
    """
    h, w = canvas.shape
    size = int(6 * sigma + 1)
    half = (6 * sigma + 1) // 2
    ul_x, ul_y = int(x - 3 * sigma), int(y - 3 * sigma)  # int() truncates toward zero, as the references
    br_x, br_y = int(x + 3 * sigma + 1), int(y + 3 * sigma + 1)
    if ul_x >= w or ul_y >= h or br_x < 0 or br_y < 0:
        return canvas
    # the window is [ul, br) clipped to the canvas and to the kernel's own extent
    x0, x1 = max(0, ul_x), min(br_x, w, ul_x + size)
    y0, y1 = max(0, ul_y), min(br_y, h, ul_y + size)
    if x1 <= x0 or y1 <= y0:
        return canvas
    gx = np.arange(x0, x1, dtype=np.float64) - ul_x - half
    gy = np.arange(y0, y1, dtype=np.float64) - ul_y - half
    g = np.exp(-(gy[:, None] ** 2 + gx[None, :] ** 2) / (2 * sigma**2))
    canvas[y0:y1, x0:x1] = g
    return canvas


def _check_joints(joints: np.ndarray) -> np.ndarray:
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 2 or joints.shape[0] != 2:
        raise ValueError(f"joints must be (2, J) [x; y], got shape {joints.shape}")
    return joints


def encode(
    joints: np.ndarray,
    frame_size: tuple[int, int],
    grid: tuple[int, int],
    convention: str | KeypointConvention,
) -> torch.Tensor:
    """Label maps on the feature grid for the first frame: (J [+1 background], h, w) float32.

    ``frame_size`` is the original (H, W); ``grid`` the feature grid (h, w) of the resized input.
    """
    conv = get_convention(convention) if isinstance(convention, str) else convention
    joints = _check_joints(joints)
    (H, W), (h, w) = frame_size, grid
    J = joints.shape[1]
    if conv.on_grid:
        maps = np.zeros((J, h, w), dtype=np.float64)
        # the input is resized to the grid's aspect, so original px -> cells is a per-axis scale
        for j in range(J):
            draw_gaussian(maps[j], joints[0, j] * w / W, joints[1, j] * h / H, conv.sigma)
        out = torch.from_numpy(maps).float()
    else:
        full = np.zeros((J, H, W), dtype=np.float64)
        for j in range(J):
            draw_gaussian(full[j], joints[0, j], joints[1, j], conv.sigma)
        out = F.interpolate(
            torch.from_numpy(full).float()[None], size=(h, w), mode="bilinear", align_corners=False
        )[0]
    if conv.background:
        bg = (out.sum(0, keepdim=True) == 0).float()
        out = torch.cat([bg, out], 0)
    return out


def _topk_mean(flat: torch.Tensor, width: int, k: int) -> torch.Tensor:
    """(J, N) scores -> (2, J) weighted mean of the top-k positions' (x, y); -1 for channels with no mass."""
    k = min(k, flat.shape[1])
    vals, idx = torch.topk(flat, k, dim=1)
    total = vals.sum(1, keepdim=True)
    wts = vals / total.clamp_min(torch.finfo(vals.dtype).tiny)
    xs, ys = (idx % width).to(vals.dtype), (idx // width).to(vals.dtype)
    coords = torch.stack([(xs * wts).sum(1), (ys * wts).sum(1)], 0)
    coords[:, flat.sum(1) == 0] = -1
    return coords


def decode(
    pred: torch.Tensor, frame_size: tuple[int, int], convention: str | KeypointConvention
) -> np.ndarray:
    """Soft label maps on the feature grid -> (2, J) joint coordinates in original pixels (float64).

    ``pred`` is (J [+1 background], h, w), as :func:`encode` produced for the first frame; the background
    channel, if the convention has one, is dropped before decoding.
    """
    conv = get_convention(convention) if isinstance(convention, str) else convention
    pred = torch.as_tensor(pred).detach().float().cpu()
    if pred.dim() != 3:
        raise ValueError(f"pred must be (L, h, w), got {tuple(pred.shape)}")
    if conv.background:
        pred = pred[1:]
    (H, W), (h, w) = frame_size, pred.shape[1:]
    if conv.on_grid:
        coords = _topk_mean(pred.reshape(pred.shape[0], -1), w, conv.topk).double()
        hit = coords[0] >= 0
        coords[0, hit] = coords[0, hit] / w * W
        coords[1, hit] = coords[1, hit] / h * H
    else:
        full = F.interpolate(pred[None], size=(H, W), mode="bilinear", align_corners=False)[0]
        coords = _topk_mean(full.reshape(full.shape[0], -1), W, conv.topk).double()
    return coords.numpy()


def grid_for(input_size: tuple[int, int], stride: int = 8) -> tuple[int, int]:
    """Feature grid of an input of ``input_size`` (H, W) at ``stride`` (the encoder rounds up)."""
    return math.ceil(input_size[0] / stride), math.ceil(input_size[1] / stride)


@dataclass(frozen=True)
class KeypointPreset:
    """A complete JHMDB keypoint-propagation protocol: label convention, input size, propagation preset.

    Frames are resized (aspect not kept) to ``input_size`` (H, W) before the encoder, as both references do;
    ``propagation`` is a :class:`corrlearn.propagate.presets.Preset` (temperature, top-k, radius, context).
    ``skip_first_frame`` is the PCK rule the method's paper used (CRW/UVC skip frame 0, STT/VFS keep it).
    """

    name: str
    convention: str
    input_size: tuple[int, int]
    propagation: object  # corrlearn.propagate.presets.Preset
    skip_first_frame: bool

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "convention": self.convention,
            "input_size": list(self.input_size),
            "skip_first_frame": self.skip_first_frame,
            "propagation": self.propagation.to_dict(),
        }


def _keypoint_presets() -> dict[str, KeypointPreset]:
    from corrlearn.propagate.presets import get_preset

    return {
        # CRW as its users run JHMDB: RGB 320x320, context 7 (first frame repeated to fill it), top-10,
        # temperature 0.05, disc radius 12 not applied to the first frame; PCK without frame 0.
        "crw": KeypointPreset(
            name="crw",
            convention="crw",
            input_size=(320, 320),
            propagation=get_preset("crw").replace(name="crw-jhmdb", short_side=None, context=7),
            skip_first_frame=True,
        ),
        # STT/VFS (configs/test/res18_d8.py, test_cfg_jhmdb): Lab 320x320, first + 20 previous, top-10,
        # temperature 0.07, square neighbourhood ``neighbor_range=10`` i.e. +-5 cells (range // 2) on every
        # frame including the first, bilinear resizing of the one-hot maps; PCK with frame 0.
        "stt": KeypointPreset(
            name="stt",
            convention="stt",
            input_size=(320, 320),
            propagation=get_preset("stt").replace(
                name="stt-jhmdb",
                short_side=None,
                context=20,
                topk=10,
                temperature=0.07,
                radius=5.0,
                radius_shape="square",
                radius_on_first=True,
                label_downsample="bilinear",
                minmax=False,
            ),
            skip_first_frame=False,
        ),
    }


def get_keypoint_preset(name: str) -> KeypointPreset:
    """The named JHMDB preset ("crw" or "stt"), or :class:`CorrlearnError`."""
    presets = _keypoint_presets()
    if name not in presets:
        raise CorrlearnError(f"unknown keypoint preset {name!r}; known: {', '.join(sorted(presets))}")
    return presets[name]
