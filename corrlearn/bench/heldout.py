"""Held-out scoring for model selection in training: ``corrlearn bench davis`` on held-out training video.

A held-out sequence (:data:`corrlearn.train.splits.DAVIS2016_HELDOUT`) is scored by the DAVIS benchmark runner
itself (:class:`~corrlearn.bench.davis.DavisBench`): the encoder checkpoint that would ship, the preset's
protocol (``stt-bilinear``: short side 480, so the 240p frames are upsampled), every frame, official-parity
J&F. A held-out figure is therefore what this command prints::

    corrlearn bench davis --root ../shared/data/davis2016-train-240p --resolution 240p \\
        --sequences breakdance-flare dance-jump drift-turn kite-walk motocross-bumps paragliding soccerball \\
        --weights RUN_DIR/heldout/step_000000/encoder.pt --preset stt-bilinear --out OUT
"""

from __future__ import annotations

from pathlib import Path

from corrlearn.train.splits import DAVIS2016_HELDOUT, HELDOUT_PRESET, check_heldout


def score_heldout(
    weights: str | Path,
    davis_root: str | Path,
    run_dir: str | Path,
    sequences: list[str] | tuple[str, ...] = DAVIS2016_HELDOUT,
    preset: str = HELDOUT_PRESET,
    resolution: str = "240p",
    device: str = "cpu",
    stride: int | None = None,
) -> dict[str, float]:
    """J&F-Mean, J-Mean and F-Mean of the encoder checkpoint ``weights`` on the held-out ``sequences``.

    Runs the benchmark into ``run_dir`` (resumable: a killed evaluation continues where it stopped).
    """
    from corrlearn.bench.davis import DavisBench

    check_heldout(sequences)
    bench = DavisBench(
        run_dir=Path(run_dir),
        weights=Path(weights),
        stride=stride,
        device=device,
        root=Path(davis_root),
        preset=preset,
        resolution=resolution,
        sequences=list(sequences),
    )
    g = bench.run(progress=False)["report"]["global"]
    return {"J&F": g["J&F-Mean"], "J": g["J-Mean"], "F": g["F-Mean"]}


def evaluate_heldout(cfg, weights: Path, run_dir: Path, device: str) -> dict[str, float]:
    """The trainer's evaluation hook (:data:`corrlearn.train.trainer.Evaluator`) for a resolved
    :class:`~corrlearn.train.config.TrainConfig`: :func:`score_heldout` on ``cfg.heldout_sequences``."""
    return score_heldout(
        weights,
        cfg.heldout_davis,
        run_dir,
        cfg.heldout_sequences,
        cfg.eval_preset,
        cfg.heldout_resolution,
        device,
        cfg.stride,
    )
