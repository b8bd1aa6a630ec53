"""ContrastCorr (Wang et al., AAAI 2021): intra- and inter-video transformation consistency.

One training pair per video: a reference crop of frame ``t`` at a random position and the whole frame
``t + gap`` at the same scale as the search (``ClipDataset`` mode ``"pair"``, after the authors'
``libs/loader_trackingnet.py``). The
reference's features are tracked into the search frame (soft-argmax of their affinity, as in UVC/ContrastCorr's
patch-level tracking) and the target crop, the positive of the reference, is cut out there with a
differentiable bilinear crop. Then:

* intra-video transformation: the target's colour is reconstructed from the reference's colour through their
  affinity (softmax over reference pixels); L1 against the target's real colour;
* colour switch: the reference reconstructed back from the target through the transposed affinity;
* self reconstruction: the reference from itself with the diagonal masked out;
* inter-video transformation: every target pixel attends to the reference pixels of *every* video in the
  batch (other videos are negatives); its reconstruction must agree with the intra-video one (consistency
  term) and its attention mass must stay in its own video (sparsity term, L1 of the in-video mass to 1);
* cycle consistency: coordinates carried target -> reference -> target must come back (the "coord switch").

Simplifications, stated plainly:

* the authors reconstruct features of a frozen, separately pre-trained colour auto-encoder and decode them;
  we reconstruct the Lab colour itself, sub-sampled to the feature grid (as CorrFlow/MAST/STT do), so no
  extra pre-trained network is needed;
* the concentration regulariser of UVC (weight 0.3 in the authors' script) and the warm-up stage with random
  crops are omitted; tracking is used from the first step;
* the cycle term's weight defaults to 0.1 (the authors' script ships it at 0, i.e. off);
* features are L2-normalised per cell before every affinity and the default temperature is 0.07 (the
  recipe's config); the authors' temperature 1 on raw features suits their from-scratch ResNet, but an
  ImageNet trunk's cells have norms of 70-80, where softmax(raw / 1) is one-hot (max probability 0.997);
* channel dropout (CorrFlow's, on the authors' Lab input) is applied only to encoders whose input is free
  (``fixed_input`` False); an ImageNet RGB trunk would see inputs unlike any it was trained on.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from corrlearn.models import Encoder
from corrlearn.models.normalize import normalize_input


def affinity(ref: torch.Tensor, tar: torch.Tensor) -> torch.Tensor:
    """Raw dot-product affinity (B, Nref, Ntar) between feature maps (B, C, h, w)."""
    return torch.einsum("bcn,bcm->bnm", ref.flatten(2), tar.flatten(2))


def transform(aff_norm: torch.Tensor, source: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Carry ``source`` (B, L, Nsrc) through column-stochastic ``aff_norm`` (B, Nsrc, Ndst) -> (B, L, *size)."""
    out = torch.bmm(source, aff_norm)
    return out.view(out.shape[0], out.shape[1], *size)


def grid_coords(h: int, w: int, device=None, dtype=None) -> torch.Tensor:
    """(h*w, 2) cell-centre coordinates (x, y) of an h x w grid in row-major order."""
    ys, xs = torch.meshgrid(
        torch.arange(h, device=device, dtype=dtype),
        torch.arange(w, device=device, dtype=dtype),
        indexing="ij",
    )
    return torch.stack([xs.flatten(), ys.flatten()], dim=-1)


def track_centre(ref: torch.Tensor, search: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Patch-level tracking: where the reference crop sits in the search frame, in search-grid cells (B, 2).

    Each reference pixel's soft-argmax location in the search frame; the patch centre is their mean.
    """
    aff = F.softmax(affinity(ref, search) / temperature, dim=2)  # over search pixels
    coords = grid_coords(*search.shape[-2:], device=search.device, dtype=search.dtype)
    return (aff @ coords).mean(dim=1)


def crop_at(
    maps: torch.Tensor, centre: torch.Tensor, size: tuple[int, int], scale: float = 1.0
) -> torch.Tensor:
    """Bilinear crop of ``size`` cells around ``centre`` (cells of a grid ``scale`` times coarser than maps)."""
    B, _, H, W = maps.shape
    h, w = size
    c = centre * scale + (scale - 1) / 2  # cell centre -> pixel centre of the finer grid
    half = torch.tensor([w * scale, h * scale], device=maps.device, dtype=maps.dtype) / 2
    hi = torch.tensor([W, H], device=maps.device, dtype=maps.dtype) - half - 0.5
    c = torch.minimum(torch.maximum(c, half - 0.5), hi)  # keep the crop inside the frame
    oy = (torch.arange(h * int(scale), device=maps.device, dtype=maps.dtype) + 0.5) - h * scale / 2
    ox = (torch.arange(w * int(scale), device=maps.device, dtype=maps.dtype) + 0.5) - w * scale / 2
    # pixel index -> [-1, 1] for align_corners=False
    gy = (c[:, 1, None] + oy[None] + 0.5) / H * 2 - 1
    gx = (c[:, 0, None] + ox[None] + 0.5) / W * 2 - 1
    grid = torch.stack(torch.broadcast_tensors(gx[:, None, :], gy[:, :, None]), dim=-1)
    return F.grid_sample(maps, grid, mode="bilinear", align_corners=False)


def inter_video_transform(
    tar: torch.Tensor, ref: torch.Tensor, colour_ref: torch.Tensor, temperature: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Reconstruct every target pixel from the reference pixels of all videos in the batch.

    tar (B, C, h, w), ref (B, C, h', w'), colour_ref (B, L, h', w'). Returns the estimate (B, L, h, w) and the
    in-video attention mass (B, h*w) of each target pixel (1 when all of it stays in its own video).
    """
    B, C, h, w = tar.shape
    Nr = ref.shape[-2] * ref.shape[-1]
    t = tar.flatten(2).transpose(1, 2).reshape(-1, C)  # (B*N, C)
    r = ref.flatten(2).transpose(1, 2).reshape(-1, C)  # (B*Nr, C)
    att = F.softmax(t @ r.t() / temperature, dim=-1)  # (B*N, B*Nr)
    col = colour_ref.flatten(2).transpose(1, 2).reshape(B * Nr, -1)
    est = (att @ col).view(B, h * w, -1).transpose(1, 2).reshape(B, -1, h, w)
    own = att.view(B, h * w, B, Nr).sum(-1)  # mass per video
    in_video = torch.diagonal(own, dim1=0, dim2=2).transpose(0, 1)  # (B, N)
    return est, in_video


def sparsity_loss(in_video_mass: torch.Tensor) -> torch.Tensor:
    """L1 distance of each target pixel's in-video attention mass to 1."""
    return (1 - in_video_mass).abs().mean()


def cycle_loss(aff: torch.Tensor, temperature: float, size: tuple[int, int]) -> torch.Tensor:
    """Coordinates of the target grid carried target -> reference -> target must return (L1, in cells)."""
    to_ref = F.softmax(aff.transpose(1, 2) / temperature, dim=2)  # target pixel -> reference pixels
    to_tar = F.softmax(aff / temperature, dim=2)  # reference pixel -> target pixels
    coords = grid_coords(*size, device=aff.device, dtype=aff.dtype)
    back = to_ref @ (to_tar @ coords)
    return (back - coords).abs().mean()


class ContrastCorrObjective(nn.Module):
    """ContrastCorr training objective around an encoder.

    ``forward(batch)`` takes ``(ref, search)``: ``ref`` (B, 3, P, P) crops of frame t and ``search``
    (B, 3, S, S) frames t + gap (S > P), RGB in [0, 1]. Returns a dict with ``loss`` and its terms.
    """

    input_space = "rgb"

    def __init__(
        self,
        encoder: Encoder,
        temperature: float = 0.07,
        channel_dropout: float = 0.7,
        weights: dict[str, float] | None = None,
    ):
        super().__init__()
        self.encoder = encoder
        self.temperature = temperature
        self.channel_dropout = channel_dropout
        self.weights = {
            "intra": 1.0,
            "colour_switch": 0.1,
            "self": 1.0,
            "consistency": 1.0,
            "sparsity": 1.0,
            "cycle": 0.1,
        }
        self.weights.update(weights or {})

    def _encode(self, ref: torch.Tensor, search: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a = self.encoder.normalize(ref)
        b = self.encoder.normalize(search)
        drop = self.channel_dropout if not getattr(self.encoder, "fixed_input", False) else 0.0
        if self.training and drop > 0 and torch.rand(()) < drop:
            # CorrFlow-style channel dropout, the same channels dropped in both frames of each pair
            n = int(torch.randint(1, 3, ()))
            keep = torch.ones(3, device=a.device, dtype=a.dtype)
            keep[torch.randperm(3)[:n]] = 0
            keep = keep * 3 / (3 - n)
            a, b = a * keep.view(1, 3, 1, 1), b * keep.view(1, 3, 1, 1)
        # unit-norm cells: the temperature then means the same for any trunk (see the module docstring)
        return F.normalize(self.encoder.features(a), dim=1), F.normalize(self.encoder.features(b), dim=1)

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor | float]:
        ref, search = batch
        f_ref, f_search = self._encode(ref, search)
        with torch.autocast(device_type=ref.device.type, enabled=False):  # affinities in float32 under AMP
            return self._losses(ref.float(), search.float(), f_ref.float(), f_search.float())

    def _losses(self, ref, search, f_ref, f_search) -> dict:
        size = f_ref.shape[-2:]
        scale = ref.shape[-1] / size[-1]
        with torch.no_grad():
            centre = track_centre(f_ref, f_search, self.temperature)
        f_tar = crop_at(f_search, centre, size)
        lab_ref = _lab_grid(ref, size)
        lab_tar = _lab_grid(crop_at(search, centre, size, scale=scale), size)

        aff = affinity(f_ref, f_tar)  # (B, Nref, Ntar)
        flat_ref, flat_tar = lab_ref.flatten(2), lab_tar.flatten(2)
        fwd = F.softmax(aff / self.temperature, dim=1)  # each target pixel: weights over reference pixels
        intra = transform(fwd, flat_ref, size)
        terms = {"intra": F.l1_loss(intra, lab_tar)}
        bwd = F.softmax(aff / self.temperature, dim=2).transpose(1, 2)  # each reference pixel over targets
        terms["colour_switch"] = F.l1_loss(transform(bwd, flat_tar, size), lab_ref)
        self_aff = affinity(f_ref, f_ref)
        eye = torch.eye(self_aff.shape[-1], dtype=torch.bool, device=self_aff.device)
        self_aff = self_aff.masked_fill(eye, float("-inf"))
        terms["self"] = F.l1_loss(
            transform(F.softmax(self_aff / self.temperature, dim=1), flat_ref, size), lab_ref
        )
        inter, in_video = inter_video_transform(f_tar, f_ref, lab_ref, self.temperature)
        terms["consistency"] = F.l1_loss(inter, intra)
        terms["sparsity"] = sparsity_loss(in_video)
        terms["cycle"] = cycle_loss(aff, self.temperature, tuple(size))
        loss = sum(self.weights[k] * v for k, v in terms.items() if self.weights[k] != 0)
        return {"loss": loss, **{k: float(v.detach()) for k, v in terms.items()}}


def lab_normalized(rgb: torch.Tensor) -> torch.Tensor:
    """RGB in [0, 1] (B, 3, H, W) -> Lab normalised as the Lab encoders expect: (L - 50) / 50, a / 127, b / 127."""
    return normalize_input(rgb.clamp(0, 1), "lab")


def _lab_grid(rgb: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Normalised Lab (L/50-1, a/127, b/127) area-averaged onto the feature grid."""
    return F.adaptive_avg_pool2d(lab_normalized(rgb), size)
