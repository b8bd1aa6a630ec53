"""Keypoints as labels: joints <-> label maps, in the two published JHMDB conventions.

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

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from corrlearn.errors import CorrlearnError
from corrlearn.labels.codec import Geometry, LabelRules


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


def first_frame_prediction(
    joints: np.ndarray,
    frame_size: tuple[int, int],
    grid: tuple[int, int],
    convention: str | KeypointConvention,
) -> np.ndarray:
    """Frame 0's "prediction" as the references write it: the given label maps decoded.

    CRW decodes the grid maps; STT writes the full-resolution maps as frame 0's prediction, so they are
    decoded at full resolution (top-5 pixels).
    """
    conv = get_convention(convention) if isinstance(convention, str) else convention
    joints = _check_joints(joints)
    if conv.on_grid:
        return decode(encode(joints, frame_size, grid, conv), frame_size, conv)
    full = np.zeros((joints.shape[1], *frame_size))
    for j in range(joints.shape[1]):
        draw_gaussian(full[j], joints[0, j], joints[1, j], conv.sigma)
    return _topk_mean(torch.from_numpy(full).reshape(joints.shape[1], -1), frame_size[1], conv.topk).numpy()


class KeypointCodec:
    """(2, J) first-frame joints [x; y] in original pixels in; (2, J) decoded joints out (-1 where lost).

    The convention ("crw" or "stt") fixes how joints are drawn and decoded; a preset's dense-label fields
    (``label_downsample``, ``minmax``) do not apply to keypoints.
    """

    name = "keypoints"

    def __init__(self, convention: str | KeypointConvention = "crw"):
        self.convention = get_convention(convention) if isinstance(convention, str) else convention

    def check(self, annotation: np.ndarray, frame_size: tuple[int, int]) -> None:
        try:
            _check_joints(annotation)
        except ValueError as exc:
            raise CorrlearnError(str(exc)) from None

    def encode(self, annotation: np.ndarray, geo: Geometry, rules: LabelRules) -> torch.Tensor:
        return encode(annotation, geo.frame_size, geo.grid, self.convention)

    def first(self, annotation: np.ndarray, geo: Geometry, rules: LabelRules) -> np.ndarray:
        return first_frame_prediction(annotation, geo.frame_size, geo.grid, self.convention)

    def decode(
        self, soft: torch.Tensor, geo: Geometry, rules: LabelRules, previous: np.ndarray
    ) -> np.ndarray:
        return decode(soft, geo.frame_size, self.convention)
