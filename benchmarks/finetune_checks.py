"""Init-time checks of the training pipeline on real DAVIS-2016 training frames (printed, no result file).

Crop variety of the random-resized-crop rule on 427 x 240 frames (the replaced torchvision-style rule beside
``random_box``), ContrastCorr's tracking softmax (raw features at T = 1 vs unit cells at 0.07), CRW patch-node
counts and round-trip accuracy at init, STT's per-term weighted gradient norms at init (local weight 1000 vs 50;
global term with teacher = init). Encoder: efficientnet-lite1-hc (ImageNet). Figures:
benchmarks/results/training_heldout-selection.md.

    OMP_NUM_THREADS=1 python benchmarks/finetune_checks.py [--data ../shared/data/davis2016-train-240p]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corrlearn import models  # noqa: E402
from corrlearn.losses.contrastcorr import affinity  # noqa: E402
from corrlearn.losses.crw import CRWObjective  # noqa: E402
from corrlearn.losses.stt import STTTemporalObjective  # noqa: E402
from corrlearn.train.data import ClipDataset, collate, discover_videos, random_box  # noqa: E402
from corrlearn.train.splits import DAVIS2016_TRAIN  # noqa: E402


def old_box(rng, H, W, scale, ratio):
    """The rule random_box replaced: torchvision's area share of the frame, 10 tries, then a centred square."""
    area = H * W
    for _ in range(10):
        a = area * rng.uniform(*scale)
        r = math.exp(rng.uniform(math.log(ratio[0]), math.log(ratio[1])))
        w, h = int(round(math.sqrt(a * r))), int(round(math.sqrt(a / r)))
        if 0 < w <= W and 0 < h <= H:
            return int(rng.integers(0, H - h + 1)), int(rng.integers(0, W - w + 1)), h, w
    s = min(H, W)
    return (H - s) // 2, (W - s) // 2, s, s


def crops() -> None:
    centred = (0, 93, 240, 240)
    for name, sc in (("crw", (0.8, 0.95)), ("contrastcorr", (0.8, 1.0)), ("stt", (0.6, 1.0))):
        rng = np.random.default_rng(0)
        o = np.mean([old_box(rng, 240, 427, sc, (0.7, 1.3)) == centred for _ in range(20000)])
        n = [random_box(rng, 240, 427, sc, (0.7, 1.3)) for _ in range(20000)]
        print(
            f"crop {name} scale {sc}: old centred-square share {o:.3f}; "
            f"new centred {np.mean([b == centred for b in n]):.3f}, distinct boxes {len(set(n))}"
        )


def contrastcorr_and_crw(vids, enc) -> None:
    ds = ClipDataset(vids, "pair", 2, (1, 10), 96, search_size=240)
    ref, search = collate([ds[(i * 3, 7 + i)] for i in range(4)])
    with torch.no_grad():
        fr, fs = enc(ref.float() / 255), enc(search.float() / 255)
    unit = (F.normalize(fr, dim=1), F.normalize(fs, dim=1))
    for label, (a, b), t in (("raw, T=1", (fr, fs), 1.0), ("unit, T=0.07", unit, 0.07)):
        p = F.softmax(affinity(a, b) / t, dim=2)
        ent = -(p * p.clamp_min(1e-12).log()).sum(-1)
        print(
            f"contrastcorr {label}: cell norm {fr.norm(dim=1).mean():.1f}, "
            f"max prob {p.max(-1).values.mean():.3f}, entropy {ent.mean():.3f} nats"
        )
    clip_ds = ClipDataset(vids, "clip", 4, (1, 4), 128, (0.8, 0.95))
    clips = collate([clip_ds[(i * 2, 11 + i)] for i in range(4)]).float() / 255
    for ps, st in ((64, 32), (32, 16)):
        torch.manual_seed(0)
        obj = CRWObjective(enc, patch_size=ps, patch_stride=st).eval()
        with torch.no_grad():
            out = obj(clips)
        n = ((128 - ps) // st + 1) ** 2
        print(
            f"crw patches {ps}/{st}: {n} nodes, "
            + ", ".join(f"acc {k} {out[f'acc {k}']:.2f}" for k in (1, 2, 3))
        )


def stt_gradients(vids) -> None:
    ds = ClipDataset(vids, "clip", 3, (1, 10), 128, (0.6, 1.0), independent_crops=False)
    batch = collate([ds[(i, 100 + i)] for i in range(4)]).float() / 255
    for w_local in (1000.0, 50.0):
        enc = models.create("efficientnet-lite1-hc", 8, "lab", seed=0)
        teacher = models.create("efficientnet-lite1-hc", 8, "lab", seed=0)
        obj = STTTemporalObjective(enc, teacher, weights={"local_distill": w_local}).train()
        for m in obj.modules():  # frozen BatchNorm, as the fine-tuning configs
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.eval()
        params = [p for p in enc.parameters() if p.requires_grad]
        res = {}
        for k in ("rec_fine", "rec_coarse", "local_distill", "global_distill"):
            saved = dict(obj.weights)
            obj.weights.update({t: (saved[t] if t == k else 0.0) for t in saved})
            torch.manual_seed(1)  # the same dropped Lab channel for every term
            o = obj(batch)
            g = torch.autograd.grad(o["loss"], params, allow_unused=True)
            res[k] = (float(o[k]), float(torch.sqrt(sum((x**2).sum() for x in g if x is not None))))
            obj.weights.update(saved)
        print(
            f"stt, local weight {w_local}: "
            + ", ".join(f"{k} value {v:.4g} weighted grad {n:.3g}" for k, (v, n) in res.items())
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="../shared/data/davis2016-train-240p")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    crops()
    vids = discover_videos([args.data], list(DAVIS2016_TRAIN))
    enc = models.create("efficientnet-lite1-hc", 8, "rgb", seed=0).eval()
    contrastcorr_and_crw(vids, enc)
    stt_gradients(vids)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
