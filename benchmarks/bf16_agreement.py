"""How far bf16 moves the top-k on real DAVIS features: index agreement with float32, and the near-ties.

    python benchmarks/bf16_agreement.py [--seq car-shadow] [--frames 0 20] [--out r.json]

Features of two frames of a DAVIS-2016 sequence (default encoder, 480p, L2-normalised, as the ``crw`` preset),
the later frame as query, the earlier as the one reference frame; k = 10, temperature 0.05, global and
radius 12. Compared with the float32 reference (backend="torch"):

* ``numba-bf16-filter``: bf16 GEMM filter + float32 rescoring (corrlearn's bf16 path; exact by design),
* ``bf16-scores``: top-k of bf16 scores (the plain oneDNN bf16 approach),
* ``bf16-features``: float32 affinity on features extracted under bf16 autocast.

For every slot whose index differs, the float32 score gap between the two candidates is recorded (how "near"
the tie was), reported as quantiles.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from corrlearn import models
from corrlearn.affinity import topk_affinity
from corrlearn.datasets.davis import frames_dir
from corrlearn.io.frames import open_frames
from corrlearn.kernels import numba_topk
from corrlearn.propagate import get_preset
from corrlearn.propagate.engine import FeatureExtractor

REPO = Path(__file__).resolve().parents[1]
K, TEMP = 10, 0.05


def agreement(ref_idx, idx, q, keys) -> dict:
    """Fraction of equal slots and the float32 score gaps (in units of 1/T) where they differ."""
    same = ref_idx == idx
    flat = keys.reshape(-1, keys.shape[-1])
    rows, cols = (~same).nonzero(as_tuple=True)
    a, b = ref_idx[rows, cols], idx[rows, cols]
    ok = (a >= 0) & (b >= 0)
    gaps = ((q[rows[ok]] * flat[a[ok]]).sum(1) - (q[rows[ok]] * flat[b[ok]]).sum(1)).abs() / TEMP
    qs = torch.quantile(gaps, torch.tensor([0.5, 0.9, 1.0])).tolist() if gaps.numel() else [0.0, 0.0, 0.0]
    same_set = np.mean([set(r.tolist()) == set(s.tolist()) for r, s in zip(ref_idx, idx, strict=True)])
    return {
        "slot_agreement": float(same.float().mean()),
        "same_set_rows": float(same_set),
        "gap_quantiles_50_90_100": [round(x, 5) for x in qs],
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--davis", default=str(REPO.parent / "shared/data/davis2016-val"))
    ap.add_argument("--seq", default="car-shadow")
    ap.add_argument("--frames", type=int, nargs=2, default=[0, 20])
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    frames = open_frames(frames_dir(Path(args.davis), args.seq))
    imgs = [frames.read(i) for i in args.frames]
    preset = get_preset("crw")
    enc = models.create("resnet18")
    f32 = FeatureExtractor(enc, preset).many(imgs)
    fbf = FeatureExtractor(enc, preset, precision="bf16").many(imgs)
    c, h, w = f32.shape[1:]
    to_rows = lambda f: f.reshape(c, h * w).T.contiguous()  # noqa: E731
    q, keys = to_rows(f32[1]), to_rows(f32[0])[None]
    qb, kb = to_rows(fbf[1]), to_rows(fbf[0])[None]
    result = {"sequence": args.seq, "frames": args.frames, "grid": [h, w], "settings": {}}
    for name, radius in (("global", None), ("radius12", 12.0)):
        common = dict(grid=(h, w), radius=radius, restrict=torch.tensor([True]))
        _, ref = topk_affinity(q, keys, K, TEMP, backend="torch", **common)
        _, filt, _ = numba_topk.run(
            q.numpy(),
            keys.numpy(),
            K,
            TEMP,
            (h, w),
            radius,
            "circle",
            np.ones(1, np.uint8),
            "topk",
            bf16_filter=True,
        )
        scores = (q.bfloat16() @ keys[0].bfloat16().T).float()
        if radius is not None:
            cell = torch.arange(h * w)
            dy = (cell // w)[None, :] - (cell // w)[:, None]
            dx = (cell % w)[None, :] - (cell % w)[:, None]
            scores = scores.masked_fill((dy * dy + dx * dx).double() >= radius**2, float("-inf"))
        bf_scores = scores.topk(K, dim=1).indices
        _, bf_feat = topk_affinity(qb, kb, K, TEMP, backend="torch", **common)
        result["settings"][name] = {
            "numba-bf16-filter": agreement(ref, torch.from_numpy(filt), q, keys),
            "bf16-scores": agreement(ref, bf_scores, q, keys),
            "bf16-features": agreement(ref, bf_feat, q, keys),
        }
    print(json.dumps(result, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
