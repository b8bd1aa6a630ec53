#!/usr/bin/env python
"""Convert a CRW / STT / UVC / ContrastCorr / MoCo checkpoint into a corrlearn encoder checkpoint.

    python tools/convert_checkpoint.py IN.pth OUT.pth [--source auto|crw|stt|uvc|contrastcorr|moco] [--model resnet18]

The key mappings are documented in corrlearn/models/convert.py. The source network's convolution padding
(CRW: reflect, others: zeros) is recorded in the output ("padding") and used whenever it is loaded. The
result is checked by loading it into the named corrlearn model, and written atomically; load it with ``corrlearn propagate --weights OUT.pth``.
Input checkpoints are read with ``weights_only=True``: pickled code in them is refused, not run.
"""

from __future__ import annotations

import argparse
import sys

import torch

from corrlearn import models
from corrlearn.errors import CorrlearnError
from corrlearn.io.atomic import atomic_path
from corrlearn.models.convert import SOURCES, convert_state_dict, padding_of


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--source", default="auto", choices=SOURCES)
    p.add_argument(
        "--model", default="resnet18", help=f"target architecture: {', '.join(models.available())}"
    )
    args = p.parse_args(argv)
    try:
        try:
            obj = torch.load(args.src, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise CorrlearnError(f"{args.src}: checkpoint file not found") from None
        except Exception as exc:
            raise CorrlearnError(
                f"{args.src}: cannot be loaded safely ({str(exc).splitlines()[0]})"
            ) from None
        state, source = convert_state_dict(obj, args.source)
        padding = padding_of(source)  # recorded so models.create rebuilds the source's padding
        with atomic_path(args.dst) as tmp:
            torch.save(
                {"model": state, "converted_from": source, "source_file": args.src, "padding": padding}, tmp
            )
            # only a reflect-padded source needs saying: zeros is every architecture's own default
            extra = {"padding": padding} if padding != "zeros" else {}
            ignored = models.load_weights(models.create(args.model, **extra), tmp, model_name=args.model)
    except CorrlearnError as exc:
        print(f"convert_checkpoint: error: {exc}", file=sys.stderr)
        return 2
    print(
        f"{args.src} ({source}, {padding} padding) -> {args.dst}: {len(state)} tensors"
        + (f", {len(ignored)} unused by a layer3 trunk" if ignored else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
