"""Command-line options every ``corrlearn bench`` runner shares: the encoder, the run directory, sharding."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """--out, --model, --weights, --device, --backend, --seed, --shard, --quiet."""
    parser.add_argument("--out", required=True, type=Path, help="run directory (created, or resumed)")
    from corrlearn.models import DEFAULT_MODEL, available

    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"encoder: {', '.join(available())} (default {DEFAULT_MODEL})"
    )
    parser.add_argument(
        "--weights",
        type=Path,
        default=None,
        help="checkpoint (default: the model's own: ImageNet for efficientnet-lite*, seeded init for resnets)",
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--backend", default="auto", help="affinity backend: auto, torch, numba, triton")
    parser.add_argument("--seed", type=int, default=0, help="seed of the default initialisation")
    parser.add_argument("--shard", default=None, help="i/n: run only shard i (0-based) of n")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def report_shard(out: dict, unit: str) -> bool:
    """Print what this shard computed; return True when every item of the run is done (ready to score)."""
    s = out["shard"]
    print(f"shard {s['shard']}: {len(s['computed'])} computed, {len(s['skipped'])} already done")
    if not out["complete"]:
        print(f"{len(out['missing'])} {unit}(s) left in other shards; score later with --merge")
    return bool(out["complete"])
