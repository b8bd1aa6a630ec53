"""Command-line options the ``corrlearn bench`` runners share (the encoder, the run directory, sharding), and
the OTB scoring convention that ``bench otb`` and ``eval otb`` share."""

from __future__ import annotations

import argparse
from pathlib import Path

from corrlearn.errors import CorrlearnError


def add_common_options(parser: argparse.ArgumentParser, default_model: str | None = None) -> None:
    """--out, --model, --weights, --stride, --precision, --device, --backend, --seed, --shard, --quiet.

    ``default_model`` words the encoder used without --model / --weights (default: ``DEFAULT_MODEL``)."""
    parser.add_argument("--out", required=True, type=Path, help="run directory (created, or resumed)")
    from corrlearn.models import DEFAULT_MODEL, available
    from corrlearn.models.inference import PRECISION_HELP, PRECISIONS

    parser.add_argument(
        "--model",
        default=None,
        help=f"encoder: {', '.join(available())}, or a user's package.module:factory / file.py:factory "
        f"(default: the architecture --weights was saved from, else {default_model or DEFAULT_MODEL})",
    )
    parser.add_argument(
        "--weights",
        type=Path,
        default=None,
        help="checkpoint (default: the model's own: ImageNet for efficientnet-lite*, seeded init for resnets)",
    )
    parser.add_argument(
        "--stride",
        type=int,
        default=None,
        help="encoder output stride (default: the architecture's: 8, or a ViT's patch size)",
    )
    parser.add_argument(
        "--precision",
        default="fp32",
        choices=PRECISIONS,
        help=PRECISION_HELP,
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--backend", default="auto", help="affinity backend: auto, torch, numba, triton")
    parser.add_argument("--seed", type=int, default=0, help="seed of the default initialisation")
    parser.add_argument("--shard", default=None, help="i/n: run only shard i (0-based) of n")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def common_settings(args: argparse.Namespace) -> dict:
    """The :class:`~corrlearn.bench.base.Benchmark` fields that :func:`add_common_options` parsed."""
    return {
        "run_dir": args.out,
        "model": args.model,
        "weights": args.weights,
        "stride": args.stride,
        "precision": args.precision,
        "device": args.device,
        "seed": args.seed,
        "backend": args.backend,
    }


def report_shard(out: dict, unit: str) -> bool:
    """Print what this shard computed; return True when every item of the run is done (ready to score)."""
    s = out["shard"]
    print(f"shard {s['shard']}: {len(s['computed'])} computed, {len(s['skipped'])} already done")
    if not out["complete"]:
        print(f"{len(out['missing'])} {unit}(s) left in other shards; score later with --merge")
    return bool(out["complete"])


PROTOCOL_HELP = """
OTB scoring convention (--protocol; all use IoU > t for t = 0..1 step 0.05 and centre error <= t px):
  otb     the OTB toolkit (default): frame 1 scored as the ground truth; a GT row with any of x, y, w, h <= 0
          is invalid (IoU a miss, centre error a hit); centre error rounded to 4 decimals (Python port); a
          predicted box with w or h <= 0 is replaced by the previous one (MATLAB toolkit); result files longer
          or shorter than the GT are scored on the common frames with a warning. No normalized precision.
  got10k  got10k's ExperimentOTB: frame 1 scored as the ground truth; no invalid-GT rule (a zero-size or NaN
          GT box fails); common frames with a warning; normalized precision as its LaSOT experiment (error /
          max(1, GT size), mean of the curve over 0..0.5).
  pysot   pysot's OPEBenchmark: the tracker's own frame-1 box is scored; IoU invalid when GT w or h <= 0,
          precision invalid when the GT centre x or y <= 0; lengths must match (error otherwise);
          normalized precision at 0.20.
See corrlearn/metrics/otb.py for the full table."""


def add_protocol_option(parser: argparse.ArgumentParser) -> None:
    """--protocol otb|got10k|pysot (OTB scoring convention; default otb)."""
    parser.add_argument(
        "--protocol",
        default="otb",
        choices=["otb", "got10k", "pysot"],
        help="whose OTB scoring convention to follow (default: otb, the OTB toolkit); see above",
    )


def parse_overrides(pairs: list[str] | None, option: str = "--set") -> dict:
    """``["topk=5", "radius=none", "minmax=true"]`` -> {"topk": 5, "radius": None, "minmax": True}.

    Values are read as None, booleans, integers, floats, else kept as text; ``option`` names the flag in errors.
    """
    out: dict = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise CorrlearnError(f"{option} {pair!r}: expected FIELD=VALUE, e.g. {option} topk=5")
        low = raw.lower()
        if low in ("none", "null"):
            value = None
        elif low in ("true", "false"):
            value = low == "true"
        else:
            try:
                value = int(raw)
            except ValueError:
                try:
                    value = float(raw)
                except ValueError:
                    value = raw
        out[key] = value
    return out
