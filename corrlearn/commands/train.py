"""``corrlearn train``: self-supervised training of an encoder (CRW, ContrastCorr, STT stage 1 or 2)."""

from __future__ import annotations

import argparse

GROUP = None
NAME = "train"
HELP = "train an encoder with a self-supervised objective (CRW, ContrastCorr, STT)"
# --out must lie apart from what training reads (checked by the CLI)
INPUTS = {
    "data": "--data",
    "config": "--config",
    "init_weights": "--init-weights",
    "teacher": "--teacher",
    "sequences_file": "--sequences-file",
    "heldout_davis": "--heldout-davis",
}
DESCRIPTION = """Train an encoder on unlabelled video.

Examples:
  corrlearn train --objective crw --data /data/kinetics/train --out runs/crw --steps 100000 --batch-size 16
  corrlearn train --objective stt-spatial --data /data/ytvos/train/JPEGImages --out runs/stt1
  corrlearn train --objective stt-temporal --data /data/ytvos/train/JPEGImages --out runs/stt2 \\
      --teacher runs/stt1/encoder.pt
  torchrun --nproc_per_node 4 -m corrlearn train --objective crw --data ... --out runs/crw4   (DDP)

RUN_DIR receives config.json (the resolved config), log.jsonl (metrics), checkpoint.pt (resumable state) and
encoder.pt (the encoder alone: `corrlearn propagate --weights RUN_DIR/encoder.pt`; checkpoint.pt works too).
A killed run continues with --resume; the recorded config is used (only --steps may be raised).

Model selection: --heldout-davis ../shared/data/davis2016-train-240p --eval-every N scores the fixed held-out
training sequences (corrlearn.train.splits) with `bench davis`'s runner at steps 0, N, 2N, ...: records
"eval": "heldout" in log.jsonl, snapshots in RUN_DIR/heldout/, the best one as RUN_DIR/best_encoder.pt.
DAVIS-2016 val is never read.
"""


def register(parser: argparse.ArgumentParser) -> None:
    from corrlearn import models
    from corrlearn.train.objectives import OBJECTIVES

    parser.add_argument(
        "--objective",
        choices=list(OBJECTIVES),
        help="training objective (required unless --config): "
        + "; ".join(f"{name}: {spec.summary}" for name, spec in OBJECTIVES.items()),
    )
    parser.add_argument(
        "--data", nargs="+", metavar="ROOT", help="video roots (frame folders or video files)"
    )
    parser.add_argument("--out", required=True, metavar="RUN_DIR", help="run directory")
    parser.add_argument("--config", metavar="FILE.json", help="config file; command-line options override it")
    parser.add_argument("--steps", type=int, help="number of optimisation steps")
    parser.add_argument("--batch-size", type=int, help="global batch size (split across processes)")
    parser.add_argument("--lr", type=float, help="learning rate (default: the objective's)")
    parser.add_argument("--crop-size", type=int, help="crop size in pixels (default: the objective's)")
    parser.add_argument("--clip-len", type=int, help="frames per clip (default: the objective's)")
    parser.add_argument(
        "--model",
        choices=models.available(),
        help="encoder architecture (efficientnet-lite*: starts from the ImageNet weights)",
    )
    parser.add_argument(
        "--init-weights",
        metavar="PATH",
        help="start from this encoder checkpoint instead of the default init",
    )
    parser.add_argument("--workers", type=int, help="DataLoader worker processes")
    parser.add_argument("--device", help="auto | cpu | cuda")
    parser.add_argument("--bn", choices=("train", "frozen", "sync"), help="BatchNorm handling")
    parser.add_argument("--checkpoint-every", type=int, help="write a checkpoint every N steps")
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in RUN_DIR from its checkpoint"
    )
    parser.add_argument(
        "--teacher",
        metavar="PATH",
        help="stt-temporal: the stage-1 (stt-spatial) encoder, or 'init': a frozen copy of the initial weights",
    )
    parser.add_argument(
        "--rates", nargs="+", type=int, metavar="N", help="prp: frame intervals to classify (default 2 4 8)"
    )
    parser.add_argument("--seed", type=int, help="run seed (data order, augmentation, heads)")
    parser.add_argument("--sequences", nargs="+", metavar="NAME", help="train only on these videos")
    parser.add_argument(
        "--sequences-file", metavar="FILE", help="train only on the videos listed (one a line)"
    )
    parser.add_argument(
        "--heldout-davis",
        metavar="DAVIS_ROOT",
        help="score held-out DAVIS-2016 *training* sequences every --eval-every steps, as `bench davis` "
        "scores val (e.g. ../shared/data/davis2016-train-240p); they are left out of the training videos",
    )
    parser.add_argument(
        "--heldout-sequences",
        nargs="+",
        metavar="NAME",
        help="held-out sequences (default: corrlearn.train.splits.DAVIS2016_HELDOUT, 7 of the 30)",
    )
    parser.add_argument("--heldout-resolution", help="JPEGImages/Annotations subfolder of --heldout-davis")
    parser.add_argument("--eval-every", type=int, help="steps between held-out evaluations")
    parser.add_argument("--eval-preset", help="propagation preset of the held-out score (default stt-bilinear)")
    parser.add_argument(
        "--eval-patience",
        type=int,
        help="stop after this many held-out evaluations without a better J&F (0: never)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    _show_config_defaults(parser)


def _show_config_defaults(parser: argparse.ArgumentParser) -> None:
    """Options default to None so --config can fill them; show the TrainConfig value each one falls back to."""
    import dataclasses

    from corrlearn.train.config import TrainConfig

    fields = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
    for action in parser._actions:
        value = fields.get(action.dest, None)
        if action.dest == "objective" or value is None or value is dataclasses.MISSING:
            continue
        if action.help and "(default" not in action.help:
            action.help += f" (default: {value})"


_DIRECT = (
    "objective",
    "data",
    "steps",
    "batch_size",
    "lr",
    "crop_size",
    "clip_len",
    "model",
    "workers",
    "device",
    "bn",
    "checkpoint_every",
    "teacher",
    "rates",
    "seed",
    "sequences",
    "heldout_davis",
    "heldout_sequences",
    "heldout_resolution",
    "eval_every",
    "eval_preset",
    "eval_patience",
    "init_weights",
)


def build_config(args: argparse.Namespace):
    """TrainConfig from --config (if any) overridden by the options given on the command line."""
    from corrlearn.errors import CorrlearnError
    from corrlearn.train.config import TrainConfig
    from corrlearn.train.data import read_sequence_list

    base = TrainConfig.from_file(args.config).to_json() if args.config else {}
    for k in _DIRECT:
        v = getattr(args, k, None)
        if v is not None:
            base[k] = v
    if args.sequences_file:
        base["sequences"] = list(base.get("sequences") or []) + read_sequence_list(args.sequences_file)
    if "objective" not in base:
        raise CorrlearnError("--objective is required (or give it in --config)")
    return TrainConfig.from_dict(base)


def run(args: argparse.Namespace) -> int:
    from corrlearn.bench.heldout import evaluate_heldout
    from corrlearn.train.trainer import train

    cfg = build_config(args)
    last = train(cfg, args.out, resume=args.resume, progress=not args.no_progress, evaluate=evaluate_heldout)
    if last:
        print(
            f"step {last['step']}: loss {last['loss']:.4f}, {last['clips_per_s']:.2f} clips/s -> {args.out}"
        )
    return 0
