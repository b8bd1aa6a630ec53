"""Compile the Triton top-k kernel ahead of time for a CUDA target, without a GPU.

    python kernels/aot_compile_check.py [--arch 90]

Catches compiled-mode errors (which the CPU interpreter does not see: constexpr rules, type unification of
loop-carried values, dot shapes) on machines without a GPU, and reports register/shared-memory use per variant.
It does not run the kernel, so it says nothing about results or speed.
"""

from __future__ import annotations

import argparse
import itertools

import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource

from corrlearn.kernels.triton_topk import _topk_kernel

SIGNATURE = {
    "q_ptr": "*fp32",
    "k_ptr": "*fp32",
    "restrict_ptr": "*i8",
    "lab_ptr": "*fp32",
    "w_ptr": "*fp32",
    "i_ptr": "*i64",
    "out_ptr": "*fp32",
    "nq": "i32",
    "M": "i32",
    "NK": "i32",
    "C": "i32",
    "L": "i32",
    "h": "i32",
    "w": "i32",
    "inv_t": "fp32",
    "reach": "i32",
    "circle_max_d2": "i32",
    "square_r": "i32",
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", type=int, default=90)
    args = ap.parse_args()
    target = GPUTarget("cuda", args.arch, 32)
    for dtype, windowed, norm_all, labels in itertools.product(
        ("fp32", "fp16", "bf16"), (True, False), (False, True), (False, True)
    ):
        sig = dict(SIGNATURE, q_ptr=f"*{dtype}", k_ptr=f"*{dtype}")
        const = dict(
            WINDOWED=windowed,
            CIRCLE=True,
            NORM_ALL=norm_all,
            WANT_LABELS=labels,
            K=10,
            KP=16,
            BLOCK_Q=32,
            BLOCK_K=64,
            BLOCK_C=64,
            BLOCK_L=4,
            IEEE=dtype == "fp32",
            UPCAST=False,
        )
        for name in const:
            sig[name] = "constexpr"
        src = ASTSource(_topk_kernel, sig, constexprs={(list(sig).index(n),): v for n, v in const.items()})
        kern = triton.compile(src, target=target)
        md = kern.metadata
        print(
            f"{dtype} windowed={windowed} all={norm_all} labels={labels}: ok, shared {md.shared} B, "
            f"cubin {len(kern.asm['cubin'])} B"
        )


if __name__ == "__main__":
    main()
