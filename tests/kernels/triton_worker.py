"""Runs the Triton parity cases under the CPU interpreter; started by test_triton_topk.py in a subprocess.

TRITON_INTERPRET must be set before triton is imported, which a subprocess guarantees without touching the
rest of the test session. Prints one JSON line per case: {"id", "ok", "detail"}.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

os.environ["TRITON_INTERPRET"] = "1"

import torch  # noqa: E402
from kernel_parity import assert_parity, make_inputs, real_features  # noqa: E402

from corrlearn import kernels  # noqa: E402
from corrlearn.affinity import propagate_labels, topk_affinity, transfer  # noqa: E402

# id: (h, w, M, C, k, T, radius, shape, restrict, normalize, ties, dtype)
CASES = {
    "global_fp32": (3, 5, 2, 16, 4, 0.07, None, "circle", None, "topk", False, torch.float32),
    "circle_exempt_fp32": (5, 7, 2, 16, 5, 0.05, 2, "circle", [False, True], "topk", False, torch.float32),
    "square_all_fp32": (5, 6, 2, 16, 4, 1.0, 1, "square", None, "all", False, torch.float32),
    "k_over_window": (4, 5, 2, 16, 12, 0.07, 1.5, "circle", None, "topk", False, torch.float32),
    "ties_circle": (5, 5, 2, 16, 6, 0.5, 2.5, "circle", [True, False], "topk", True, torch.float32),
    "ties_global_all": (3, 4, 2, 16, 5, 1.0, None, "circle", None, "all", True, torch.float32),
    "fp16_circle": (5, 6, 2, 32, 4, 0.07, 2, "circle", [False, True], "topk", False, torch.float16),
    "bf16_square": (5, 6, 2, 32, 4, 0.07, 2, "square", None, "all", False, torch.bfloat16),
    "odd_channels": (3, 5, 1, 20, 3, 0.1, 1, "square", None, "topk", False, torch.float32),
    # several query tiles per row and several key tiles per frame / window row (BLOCK_Q 16, BLOCK_K 32 on CPU)
    "multi_tile_global": (5, 9, 2, 16, 6, 0.07, None, "circle", None, "all", False, torch.float32),
    "multi_tile_window": (3, 37, 2, 16, 5, 0.07, 20, "square", [True, False], "topk", True, torch.float32),
}


def run_case(case):
    h, w, m, c, k, t, radius, shape, restrict, norm, ties, dtype = case
    q, keys = make_inputs(h, w, m, c, seed=c + k, ties=ties, dtype=dtype)
    rs = torch.ones(m, dtype=torch.bool) if restrict is None else torch.tensor(restrict)
    args = dict(grid=(h, w), radius=radius, radius_shape=shape, restrict=rs, normalize=norm)
    ref = topk_affinity(q, keys, k, t, backend="torch", **args)
    got = topk_affinity(q, keys, k, t, backend="triton", **args)
    assert_parity(ref, got, q.float(), keys.float(), t, (h, w), radius, shape, rs, exact=ties)
    if ties:
        assert ((ref[0][:, 1:] == ref[0][:, :-1]) & (ref[1][:, 1:] >= 0)).any(), "no ties produced"
    labels = torch.rand(m, h * w, 3, generator=torch.Generator().manual_seed(2))
    fused = propagate_labels(q, keys, labels, k, t, backend="triton", **args)
    torch.testing.assert_close(fused, transfer(*ref, labels), atol=1e-5, rtol=0)


def run_real(davis_root):
    feats, _ = real_features(Path(davis_root), n=2, size=(48, 64))  # 6 x 8 grid of real resnet18 features
    grid = (6, 8)
    rs = torch.tensor([True])  # the radius applies to the single reference frame
    for settings in (dict(radius=3, radius_shape="circle"), dict(radius=None, radius_shape="circle")):
        ref = topk_affinity(feats[1], feats[:1], 5, 0.05, grid, restrict=rs, backend="torch", **settings)
        got = topk_affinity(feats[1], feats[:1], 5, 0.05, grid, restrict=rs, backend="triton", **settings)
        assert_parity(
            ref, got, feats[1], feats[:1], 0.05, grid, settings["radius"], "circle", rs, exact=False
        )


def main() -> None:
    assert kernels.triton_interpreted() and kernels.triton_available()
    selected = sys.argv[1:]
    for name, case in CASES.items():
        if selected and name not in selected:
            continue
        try:
            run_case(case)
            print(json.dumps({"id": name, "ok": True, "detail": ""}), flush=True)
        except Exception:
            print(json.dumps({"id": name, "ok": False, "detail": traceback.format_exc()[-3000:]}), flush=True)
    davis = os.environ.get("TRITON_WORKER_DAVIS")
    if davis:
        try:
            run_real(davis)
            print(json.dumps({"id": "real_davis", "ok": True, "detail": ""}), flush=True)
        except Exception:
            print(
                json.dumps({"id": "real_davis", "ok": False, "detail": traceback.format_exc()[-3000:]}),
                flush=True,
            )


if __name__ == "__main__":
    main()
