#!/usr/bin/env python
"""Convert a CRW / STT / UVC / ContrastCorr / MoCo / DINO checkpoint into a corrlearn encoder checkpoint.

    python tools/convert_checkpoint.py IN.pth OUT.pth [--source auto|crw|stt|uvc|contrastcorr|moco|dino] [--model NAME]

The key mappings are documented in corrlearn/models/convert.py. ``--model`` defaults to the architecture
the weights fit: for DINO the ViT of their width and patch size (vit-s16, vit-s8, vit-b16, vit-b8), else
resnet50 for bottleneck blocks and resnet18 otherwise. It is recorded in the output ("model_name"), as is a
ResNet source's convolution padding (CRW: reflect, others: zeros; "padding"), and both are used whenever it
is loaded. The result is checked by loading it into that corrlearn model, and written atomically; load it
with ``corrlearn propagate --weights OUT.pth``. Input checkpoints are read with ``weights_only=True``:
pickled code in them is refused, not run (argparse.Namespace, which DINO's full checkpoints hold as
``args``, is the one class let through).
"""

from __future__ import annotations

import argparse
import sys

import torch

from corrlearn import models
from corrlearn.errors import CorrlearnError
from corrlearn.io.atomic import atomic_path
from corrlearn.models.convert import SOURCES, convert_state_dict, model_for, padding_of


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--source", default="auto", choices=SOURCES)
    p.add_argument(
        "--model",
        default=None,
        help=f"target architecture (default: the one the weights fit): {', '.join(models.available())}",
    )
    args = p.parse_args(argv)
    try:
        try:
            # DINO's full checkpoints keep their command line as an argparse.Namespace: plain data
            with torch.serialization.safe_globals([argparse.Namespace]):
                obj = torch.load(args.src, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise CorrlearnError(f"{args.src}: checkpoint file not found") from None
        except Exception as exc:
            raise CorrlearnError(
                f"{args.src}: cannot be loaded safely ({str(exc).splitlines()[0]})"
            ) from None
        state, source = convert_state_dict(obj, args.source)
        model = args.model or model_for(state, source)
        if model not in models.available():
            raise CorrlearnError(f"--model {model}: unknown; available: {', '.join(models.available())}")
        record = {"model": state, "converted_from": source, "source_file": args.src, "model_name": model}
        extra = {}
        if source != "dino":  # a ResNet source's padding, so models.create rebuilds it
            padding = record["padding"] = padding_of(source)
            # only a reflect-padded source needs saying: zeros is every architecture's own default
            extra = {"padding": padding} if padding != "zeros" else {}
        with atomic_path(args.dst) as tmp:
            torch.save(record, tmp)
            ignored = models.load_weights(models.create(model, stride=None, **extra), tmp, model_name=model)
    except CorrlearnError as exc:
        print(f"convert_checkpoint: error: {exc}", file=sys.stderr)
        return 2
    how = f"{source}, {record['padding']} padding" if "padding" in record else source
    print(
        f"{args.src} ({how}) -> {args.dst}: {len(state)} tensors for {model}"
        + (f", {len(ignored)} unused by a layer3 trunk" if ignored else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
