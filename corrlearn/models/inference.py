"""Running a frozen encoder fast at inference: memory layout and optional bf16, shared by propagation and DCF.

On CPU the convolutions run through oneDNN, which is fastest on channels-last (NHWC) tensors (about 1.3x on
a ResNet-18 at 480p, the same numbers to float32 rounding); ``precision="bf16"`` adds autocast to bfloat16
(float32 accumulation; features differ from float32 by about 1% relative), worth it on CPUs with
AVX512-BF16 / AMX. Outputs are always returned as float32.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # PRECISIONS and check_precision serve the CLI's help and checks, which run without torch
    import torch

PRECISIONS = ("fp32", "bf16")
#: ``--precision`` help, shared by `corrlearn propagate` and the `bench` runners.
PRECISION_HELP = "encoder arithmetic: fp32, or bf16 autocast (faster on CPUs with AVX512-BF16/AMX)"


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    return precision


def prepare_encoder(encoder: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """Move to ``device``, eval mode, and channels-last weights on CPU (in place, like ``.to``)."""
    import torch

    encoder = encoder.to(device).eval()
    if device.type == "cpu":
        encoder = encoder.to(memory_format=torch.channels_last)
    return encoder


def run_encoder(encoder: torch.nn.Module, x: torch.Tensor, precision: str = "fp32") -> torch.Tensor:
    """(N, C, h, w) float32 features of a (N, 3, H, W) float batch, channels-last on CPU."""
    import torch

    if x.device.type == "cpu":
        x = x.contiguous(memory_format=torch.channels_last)
    amp = (
        torch.autocast(x.device.type, dtype=torch.bfloat16)
        if check_precision(precision) == "bf16"
        else contextlib.nullcontext()
    )
    with torch.inference_mode(), amp:
        return encoder(x).float()
