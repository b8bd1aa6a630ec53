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
from kernel_parity import TRITON_CASES as CASES  # noqa: E402
from kernel_parity import assert_parity, real_features, run_triton_case  # noqa: E402

from corrlearn import kernels  # noqa: E402
from corrlearn.affinity import topk_affinity  # noqa: E402


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
            run_triton_case(case)
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
