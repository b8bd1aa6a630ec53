"""Spatial-then-temporal self-supervised learning (Li & Liu, CVPR 2023).

Stage 1, :class:`MoCoObjective`: contrastive spatial learning on still frames. Two augmented views of one
frame; a query encoder and a momentum (EMA) key encoder, each followed by an MLP projection of the pooled
features; InfoNCE against the positive key and a queue of past keys (MoCo v2 recipe: temperature 0.2,
momentum 0.999, 2-layer MLP, 128-d).

Stage 2, :class:`STTTemporalObjective`: temporal reconstructive learning in Lab. One of the a/b channels is
dropped from every frame of a clip (the same channel, input rescaled by 3/2) and the target frame's dropped
channel is reconstructed from the reference frames' through a *local* (windowed) correlation, at two strides
(a fine level at stride 4 with radius 12 cells and a coarse level at stride 8 with radius 6 cells: the same
48-pixel window). Two distillation terms keep the spatial knowledge:

* global correlation distillation: the coarse student's full (non-local) correlation must match the frozen
  stage-1 teacher's correlation of the same level, both computed the same way (L2-normalised cells,
  temperature 0.07, no 1/sqrt(C)), so the term is exactly 0 while the student equals its teacher;
* local correlation distillation: the coarse level's windowed correlation must match the fine level's,
  pooled 2x2 over queries and keys, on the queries whose coarse correlation is uncertain (the 70 % with the
  highest entropy, as the authors' ``T=0.7``).

Default weights: reconstruction 1 per level (inside which the smooth-L1 is taken on values scaled by 20) and
global distillation 50, as the authors' ``configs/train/train.py``; local distillation 50 instead of their
1000 (below).

Where this differs from the authors' ``vcl/models/trackers/framework.py`` (read, not copied):

* our trunk has stride 8 at layer3; the fine level reads layer1 (stride 4), the coarse level layer3
  (stride 8), and global distillation also uses layer3, the features used for propagation (an
  EfficientNet-Lite trunk: the end of stage 2 and its output, ``Encoder.levels``);
* an encoder whose weights fix its input to RGB (an ImageNet trunk, ``fixed_input``) sees the frame with the
  dropped Lab channel set to neutral and converted back to RGB, instead of the rescaled Lab image;
* the fine correlation is pooled by *summing* over the 2x2 key cells (mass preserving) so that the pooled
  target is a distribution like the student's; the authors' average pooling leaves it with mass 1/4;
* the entropy that selects queries is that of the coarse windowed correlation itself (the authors compute it
  from a separate mmcv ``Correlation`` of the same features);
* teacher and student correlations of the global term are both L2-normalised before the temperature 0.07,
  as propagation does (the authors' flag ``norm`` defaults to False, which with temperature 0.07 on raw
  features yields near one-hot targets; comparing a raw/sqrt(C) student with a normalised teacher made the
  term non-zero at step 0 and pulled a fine-tuned trunk away from its start);
* the teacher reads the student's own input when it is the same kind of encoder (fine-tuning with
  ``teacher="init"``), so student = teacher gives identical correlations; a teacher of another input space
  (an RGB stage-1 model beside a Lab student) reads the full-colour frame;
* local distillation weighs 50, not 1000: on an ImageNet EfficientNet-Lite1 at init, 1000 made its weighted
  gradient 13x the reconstruction terms' (50.2 against 3.8 and 3.3), so the thin stage-2 map (24 channels;
  the authors' fine level is ResNet-50 layer2, 512) dictated the propagated stage-5 features;
* the windowed correlation is computed as a dense masked matrix (memory O((hw)^2) per clip): fine for the
  256x256 crops of the recipe on a GPU, and for the small crops used on CPU.
"""

from __future__ import annotations

import copy

import kornia.color
import torch
import torch.nn.functional as F
from torch import nn

from corrlearn.losses.contrastcorr import lab_normalized
from corrlearn.models import Encoder

# ---------------------------------------------------------------------------------------------- stage 1


def info_nce(q: torch.Tensor, k: torch.Tensor, queue: torch.Tensor, temperature: float) -> torch.Tensor:
    """InfoNCE of queries (B, D) against positives (B, D) and negatives ``queue`` (K, D); all L2-normalised."""
    pos = (q * k).sum(-1, keepdim=True)
    neg = q @ queue.t()
    logits = torch.cat([pos, neg], dim=1) / temperature
    return F.cross_entropy(logits, torch.zeros(q.shape[0], dtype=torch.long, device=q.device))


class _Projector(nn.Module):
    """Global average pooling + MoCo v2's 2-layer MLP."""

    def __init__(self, cin: int, dim: int):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(cin, cin), nn.ReLU(inplace=True), nn.Linear(cin, dim))

    def forward(self, fmap: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.mlp(fmap.mean(dim=(-2, -1))), dim=-1)


class MoCoObjective(nn.Module):
    """STT stage 1: momentum contrast on still frames.

    ``forward(views)`` takes (B, 2, 3, H, W): two augmented views of one frame per sample. Keys of all
    processes are gathered before they enter the queue (MoCo's ``concat_all_gather``), so the queue is the
    same on every rank. Shuffle-BN is not implemented; BatchNorm statistics are per process.
    """

    input_space = "rgb"

    def __init__(
        self,
        encoder: Encoder,
        dim: int = 128,
        queue_size: int = 16384,
        momentum: float = 0.999,
        temperature: float = 0.2,
    ):
        super().__init__()
        self.encoder = encoder
        self.projector = _Projector(encoder.out_channels, dim)
        self.key_encoder = copy.deepcopy(encoder)
        self.key_projector = copy.deepcopy(self.projector)
        for p in list(self.key_encoder.parameters()) + list(self.key_projector.parameters()):
            p.requires_grad_(False)
        self.momentum, self.temperature = momentum, temperature
        self.register_buffer("queue", F.normalize(torch.randn(queue_size, dim), dim=1))
        self.register_buffer("queue_ptr", torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def _momentum_update(self) -> None:
        pairs = zip(
            list(self.encoder.parameters()) + list(self.projector.parameters()),
            list(self.key_encoder.parameters()) + list(self.key_projector.parameters()),
            strict=True,
        )
        for q, k in pairs:
            k.mul_(self.momentum).add_(q.detach(), alpha=1 - self.momentum)

    @torch.no_grad()
    def _enqueue(self, keys: torch.Tensor) -> None:
        from corrlearn.distributed import all_gather_cat

        keys = all_gather_cat(keys)
        K, n = self.queue.shape[0], keys.shape[0]
        ptr = int(self.queue_ptr)
        idx = (torch.arange(n, device=keys.device) + ptr) % K
        self.queue[idx] = keys[:K]
        self.queue_ptr.fill_((ptr + n) % K)

    def forward(self, views: torch.Tensor) -> dict[str, torch.Tensor | float]:
        q = self.projector(self.encoder(views[:, 0]))
        with torch.no_grad():
            if self.training:
                self._momentum_update()
            k = self.key_projector(self.key_encoder(views[:, 1]))
        loss = info_nce(q, k, self.queue.clone().detach(), self.temperature)
        with torch.no_grad():
            acc = float(((q * k).sum(-1) > (q @ self.queue.t()).max(-1).values).float().mean())
        if self.training:
            self._enqueue(k)
        return {"loss": loss, "acc": acc}


# ---------------------------------------------------------------------------------------------- stage 2


def window_mask(h: int, w: int, radius: int, device=None) -> torch.Tensor:
    """(h*w, h*w) boolean mask: key within a (2r+1)^2 square window of the query (STT's ``make_mask``)."""
    ys, xs = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij")
    ys, xs = ys.flatten(), xs.flatten()
    return ((ys[:, None] - ys[None]).abs() <= radius) & ((xs[:, None] - xs[None]).abs() <= radius)


def correlation(
    tar: torch.Tensor,
    refs: torch.Tensor,
    radius: int | None = None,
    temperature: float = 1.0,
    scaling: bool = True,
    normalize: bool = False,
) -> torch.Tensor:
    """Softmax correlation of target (B, C, h, w) against references (B, R, C, h, w) -> (B, h*w, R*h*w).

    Scaled by 1/sqrt(C) when ``scaling`` (attention-style), restricted to a square window of ``radius``
    cells when given, softmax jointly over all reference pixels.
    """
    B, R, C, h, w = refs.shape
    t = tar.flatten(2).transpose(1, 2)  # (B, N, C)
    r = refs.flatten(3).transpose(2, 3)  # (B, R, M, C)
    if normalize:
        t, r = F.normalize(t, dim=-1), F.normalize(r, dim=-1)
    corr = torch.einsum("bnc,brmc->bnrm", t, r) / temperature
    if scaling:
        corr = corr / C**0.5
    if radius is not None:
        mask = window_mask(h, w, radius, tar.device)
        corr = corr.masked_fill(~mask[None, :, None, :], float("-inf"))
    return F.softmax(corr.flatten(2), dim=-1)


def reconstruct(corr: torch.Tensor, ref_values: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Carry reference values (B, R, L, h, w) through ``corr`` (B, h*w, R*h*w) -> (B, L, *size)."""
    B, R, L = ref_values.shape[:3]
    v = ref_values.flatten(3).permute(0, 1, 3, 2).reshape(B, -1, L)  # (B, R*M, L)
    return (corr @ v).transpose(1, 2).reshape(B, L, *size)


def pool_correlation(corr: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Coarsen a single-reference correlation (B, h*w, h*w) on an (h, w) grid by 2 in both query and key.

    Queries are averaged over 2x2 cells, keys summed (so each row stays a distribution).
    """
    B = corr.shape[0]
    h, w = size
    c = corr.reshape(B * h * w, 1, h, w)
    c = F.avg_pool2d(c, 2) * 4  # keys: sum over 2x2
    c = c.reshape(B, h, w, -1).permute(0, 3, 1, 2)  # (B, M', h, w)
    c = F.avg_pool2d(c, 2)  # queries: mean over 2x2
    return c.flatten(2).transpose(1, 2)  # (B, N', M')


def entropy_weight(corr: torch.Tensor, keep: float = 0.7) -> torch.Tensor:
    """Per-query weight (B, N): 1 on the ``keep`` share of queries with the highest correlation entropy."""
    ent = -(corr * torch.log(corr.clamp_min(1e-12))).sum(-1)
    k = max(1, int(ent.shape[-1] * keep))
    thr = ent.sort(dim=-1, descending=True).values[:, k - 1 : k]
    return (ent >= thr).float()


def local_distillation(student: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Weighted MSE between correlations (B, N, M); ``weight`` (B, N) selects queries."""
    err = ((student - target) ** 2).mean(-1)
    return (err * weight).sum() / weight.sum().clamp_min(1.0)


def global_distillation(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """MSE between the student's and the teacher's global correlations (B, N, M)."""
    return F.mse_loss(student, teacher)


def drop_lab_channel_rgb(rgb: torch.Tensor, ch: int) -> torch.Tensor:
    """RGB in [0, 1] (N, 3, H, W) with Lab channel ``ch`` (1 = a, 2 = b) set to neutral, back in RGB [0, 1]."""
    lab = kornia.color.rgb_to_lab(rgb.clamp(0, 1))
    keep = torch.ones(3, device=rgb.device, dtype=rgb.dtype)
    keep[ch] = 0
    return kornia.color.lab_to_rgb(lab * keep.view(1, 3, 1, 1), clip=True)


class STTTemporalObjective(nn.Module):
    """STT stage 2: Lab channel reconstruction at two strides + global and local correlation distillation.

    ``forward(clip)`` takes (B, T, 3, H, W) RGB in [0, 1]; frames 0..T-2 are references, T-1 the target.
    ``teacher`` is the frozen stage-1 encoder (None disables global distillation).
    """

    input_space = "lab"

    def __init__(
        self,
        encoder: Encoder,
        teacher: Encoder | None = None,
        radius: tuple[int, int] = (12, 6),
        rec_scale: float = 20.0,
        entropy_keep: float = 0.7,
        teacher_temperature: float = 0.07,
        weights: dict[str, float] | None = None,
    ):
        super().__init__()
        if encoder.stride != 8:
            raise ValueError(
                "STT's two-level objective expects a stride-8 encoder (levels at strides 4 and 8)"
            )
        self.encoder = encoder
        self.teacher = teacher
        if teacher is not None:
            teacher.eval()
            for p in teacher.parameters():
                p.requires_grad_(False)
        self.radius, self.rec_scale = radius, rec_scale
        self.entropy_keep, self.teacher_temperature = entropy_keep, teacher_temperature
        self.weights = {"rec_fine": 1.0, "rec_coarse": 1.0, "local_distill": 50.0, "global_distill": 50.0}
        self.weights.update(weights or {})

    def train(self, mode: bool = True):
        super().train(mode)
        if self.teacher is not None:
            self.teacher.eval()  # frozen: BN statistics of the teacher never move
        return self

    def forward(self, clip: torch.Tensor) -> dict[str, torch.Tensor | float]:
        B, T, _, H, W = clip.shape
        lab = lab_normalized(clip.flatten(0, 1)).view(B, T, 3, H, W)
        ch = int(torch.randint(1, 3, ()))  # drop a or b (same channel in every frame)
        keep = torch.ones(3, device=clip.device, dtype=clip.dtype)
        keep[ch] = 0
        if getattr(self.encoder, "fixed_input", False):
            # an ImageNet trunk reads RGB: it sees the frame with the chroma channel removed, back in RGB
            x = self.encoder.normalize(drop_lab_channel_rgb(clip.flatten(0, 1), ch))
        else:
            x = (lab * keep.view(1, 1, 3, 1, 1) * 1.5).flatten(0, 1)
        fine, coarse = self.encoder.levels(x)
        teacher_coarse = None
        if self.teacher is not None:
            with torch.no_grad():
                t_in = (
                    x if self._teacher_reads_student_input() else self.teacher.normalize(clip.flatten(0, 1))
                )
                teacher_coarse = self.teacher.levels(t_in)[1].float().view(B, T, -1, *coarse.shape[-2:])
        with torch.autocast(device_type=clip.device.type, enabled=False):  # correlations in float32 under AMP
            return self._losses(
                clip,
                lab,
                ch,
                fine.float().view(B, T, *fine.shape[1:]),
                coarse.float().view(B, T, *coarse.shape[1:]),
                teacher_coarse,
            )

    def _teacher_reads_student_input(self) -> bool:
        t, s = self.teacher, self.encoder
        return type(t) is type(s) and t.input_space == s.input_space

    def _losses(
        self, clip, lab, ch: int, fine: torch.Tensor, coarse: torch.Tensor, teacher_coarse=None
    ) -> dict:
        B, T, _, H, W = clip.shape

        terms: dict[str, torch.Tensor] = {}
        corrs = []
        target_ch = lab[:, -1, ch : ch + 1]
        for name, feats, radius in (
            ("rec_fine", fine, self.radius[0]),
            ("rec_coarse", coarse, self.radius[1]),
        ):
            h, w = feats.shape[-2:]
            s = H // h
            corr = correlation(feats[:, -1], feats[:, :-1], radius=radius)
            ref_vals = lab[:, :-1, ch : ch + 1, ::s, ::s][..., :h, :w]
            est = F.interpolate(
                reconstruct(corr, ref_vals, (h, w)), size=(H, W), mode="bilinear", align_corners=False
            )
            terms[name] = F.smooth_l1_loss(est * self.rec_scale, target_ch * self.rec_scale)
            corrs.append((corr, (h, w)))

        (c_fine, size_fine), (c_coarse, size_coarse) = corrs
        M_f, M_c = size_fine[0] * size_fine[1], size_coarse[0] * size_coarse[1]
        if size_fine == (2 * size_coarse[0], 2 * size_coarse[1]):
            pooled = pool_correlation(c_fine[..., :M_f], size_fine).detach()
            student = c_coarse[..., :M_c]
            weight = entropy_weight(student.detach(), self.entropy_keep)
            terms["local_distill"] = local_distillation(student, pooled, weight)

        if teacher_coarse is not None:
            # one definition on both sides: identical features give identical correlations (loss exactly 0)
            opts = dict(radius=None, temperature=self.teacher_temperature, scaling=False, normalize=True)
            c_global = correlation(coarse[:, -1], coarse[:, :-1], **opts)
            with torch.no_grad():
                c_teacher = correlation(teacher_coarse[:, -1], teacher_coarse[:, :-1], **opts)
            terms["global_distill"] = global_distillation(c_global, c_teacher)

        loss = sum(self.weights[k] * v for k, v in terms.items())
        return {"loss": loss, **{k: float(v.detach()) for k, v in terms.items()}}
