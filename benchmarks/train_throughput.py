"""Training throughput (clips/s) of each objective: forward + backward + optimiser step (CPU, or CUDA + AMP).

Synthetic uint8 clips go through the same path as in ``corrlearn train`` (device augmentation, objective,
Adam step); data loading is excluded (it runs in DataLoader workers, in parallel). Sizes are stated in the
output. Usage::

    python benchmarks/train_throughput.py [--crop 128] [--batch 2] [--steps 3] [--threads N] [--json out.json]
    python benchmarks/train_throughput.py --device cuda --amp --crop 256 --batch 32 --steps 5

``--amp`` is the trainer's mixed precision (float16 autocast + GradScaler, CUDA only), as ``corrlearn train``
uses on a GPU.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import torch

from corrlearn import models
from corrlearn.losses import ContrastCorrObjective, CRWObjective, MoCoObjective, STTTemporalObjective
from corrlearn.train.augment import DeviceAugment


def cases(crop: int, batch: int):
    """(name, objective factory, batch factory, what one sample is)."""
    u8 = lambda *s: torch.randint(0, 256, s, dtype=torch.uint8)  # noqa: E731
    search = crop * 3 // 2
    return [
        (
            "crw (patches 64/32)",
            lambda: CRWObjective(models.create("resnet18")),
            lambda: u8(batch, 4, 3, crop, crop),
            f"4 frames {crop}x{crop}, 64px patches at stride 32",
        ),
        (
            "crw (pixels)",
            lambda: CRWObjective(models.create("resnet18"), nodes="pixels"),
            lambda: u8(batch, 4, 3, crop, crop),
            f"4 frames {crop}x{crop}, feature-pixel nodes",
        ),
        (
            "contrastcorr",
            lambda: ContrastCorrObjective(models.create("resnet18")),
            lambda: (u8(batch, 3, crop, crop), u8(batch, 3, search, search)),
            f"reference {crop}x{crop} + search {search}x{search}",
        ),
        (
            "stt-spatial (MoCo)",
            lambda: MoCoObjective(models.create("resnet18"), queue_size=4096),
            lambda: u8(batch, 2, 3, crop, crop),
            f"2 views {crop}x{crop}",
        ),
        (
            "stt-temporal",
            lambda: STTTemporalObjective(
                models.create("resnet18", input_space="lab"), models.create("resnet18")
            ),
            lambda: u8(batch, 2, 3, crop, crop),
            f"2 frames {crop}x{crop} + frozen teacher",
        ),
    ]


def _to(batch, device):
    return tuple(b.to(device) for b in batch) if isinstance(batch, tuple) else batch.to(device)


def measure(make_obj, make_batch, steps: int, device: str = "cpu", amp: bool = False) -> float:
    torch.manual_seed(0)
    obj = make_obj().to(device).train()
    aug = DeviceAugment(0.1, True)
    opt = torch.optim.Adam([p for p in obj.parameters() if p.requires_grad], lr=1e-4)
    use_amp = amp and device.startswith("cuda")
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    times = []
    for i in range(steps + 1):  # the first step warms up allocators and kernels
        batch = _to(make_batch(), device)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        t = time.perf_counter()
        with torch.autocast(device_type=torch.device(device).type, dtype=torch.float16, enabled=use_amp):
            out = obj(aug(batch))
        opt.zero_grad()
        scaler.scale(out["loss"]).backward()
        scaler.step(opt)
        scaler.update()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        if i:
            times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]  # median step time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--amp", action="store_true", help="float16 autocast + GradScaler (CUDA only)")
    ap.add_argument("--only", nargs="*", default=None, help="objective names to run (default all)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = []
    print(
        f"CPU: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, ResNet-18 (stride 8), batch {args.batch}, device {args.device}"
        + (f" ({torch.cuda.get_device_name()}), AMP {args.amp}" if args.device.startswith("cuda") else "")
    )
    print(f"| objective | sample | s/step (median of {args.steps}) | clips/s |")
    print("|---|---|---|---|")
    for name, make_obj, make_batch, what in cases(args.crop, args.batch):
        if args.only and name.split()[0] not in args.only and name not in args.only:
            continue
        s = measure(make_obj, make_batch, args.steps, args.device, args.amp)
        rows.append({"objective": name, "sample": what, "seconds_per_step": s, "clips_per_s": args.batch / s})
        print(f"| {name} | {what} | {s:.2f} | {args.batch / s:.2f} |", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "batch": args.batch,
                    "crop": args.crop,
                    "device": args.device,
                    "amp": args.amp,
                    "threads": torch.get_num_threads(),
                    "rows": rows,
                },
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()
