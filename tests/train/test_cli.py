"""`corrlearn train` end to end on DAVIS frames with tiny settings (in-process)."""

from __future__ import annotations

import json

import pytest
import torch

from corrlearn import models
from corrlearn.cli import main

TINY = {
    "nodes": "pixels",
    "crop_size": 32,
    "clip_len": 2,
    "batch_size": 2,
    "steps": 2,
    "checkpoint_every": 1,
    "log_every": 1,
    "workers": 0,
    "device": "cpu",
}


def _config(tmp_path, **extra):
    p = tmp_path / "cfg.json"
    p.write_text(json.dumps({**TINY, **extra}))
    return str(p)


@pytest.mark.realdata
def test_config_is_recorded_resolved_with_command_line_overrides(tmp_path, davis_train_root, capsys):
    out = tmp_path / "run"
    seqs = tmp_path / "seqs.txt"
    seqs.write_text("bear\nboat\n")
    rc = main(
        [
            "train",
            "--objective",
            "crw",
            "--config",
            _config(tmp_path, seed=5),
            "--data",
            str(davis_train_root),
            "--out",
            str(out),
            "--steps",
            "1",
            "--sequences-file",
            str(seqs),
            "--no-progress",
        ]
    )
    assert rc == 0
    rec = json.loads((out / "config.json").read_text())
    assert rec["steps"] == 1  # the command line overrides the file
    assert rec["seed"] == 5 and rec["crop_size"] == 32  # the file's values are kept
    assert rec["lr"] == 1e-4 and rec["temperature"] == 0.07  # objective defaults are written out
    assert rec["sequences"] == ["bear", "boat"] and rec["data"] == [str(davis_train_root)]
    log = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    assert log[-1]["step"] == 1 and "loss" in log[-1] and "clips_per_s" in log[-1]
    # the saved encoder loads straight into corrlearn's encoder (what `propagate --weights` does)
    enc = models.create("resnet18", weights=out / "encoder.pt")
    enc2 = models.create("resnet18", weights=out / "checkpoint.pt")
    assert all(
        torch.equal(a, b) for a, b in zip(enc.state_dict().values(), enc2.state_dict().values(), strict=True)
    )
    # a second run into the same dir without --resume is refused with one line
    rc = main(
        [
            "train",
            "--objective",
            "crw",
            "--config",
            _config(tmp_path),
            "--data",
            str(davis_train_root),
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    assert rc == 2
    assert "--resume" in capsys.readouterr().err
    # --resume with more steps continues from the checkpoint
    assert (
        main(
            [
                "train",
                "--objective",
                "crw",
                "--data",
                str(davis_train_root),
                "--out",
                str(out),
                "--resume",
                "--steps",
                "2",
                "--no-progress",
            ]
        )
        == 0
    )
    assert json.loads((out / "log.jsonl").read_text().splitlines()[-1])["step"] == 2


@pytest.mark.slow
@pytest.mark.realdata
def test_stt_stages_chain_through_the_teacher(tmp_path, davis_train_root):
    stage1, stage2 = tmp_path / "s1", tmp_path / "s2"
    common = ["--data", str(davis_train_root), "--sequences", "bear", "boat", "--no-progress"]
    assert (
        main(
            [
                "train",
                "--objective",
                "stt-spatial",
                "--config",
                _config(tmp_path, queue_size=16),
                *common,
                "--out",
                str(stage1),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "train",
                "--objective",
                "stt-temporal",
                "--config",
                _config(tmp_path),
                "--teacher",
                str(stage1 / "encoder.pt"),
                *common,
                "--out",
                str(stage2),
            ]
        )
        == 0
    )
    log = json.loads((stage2 / "log.jsonl").read_text().splitlines()[-1])
    assert {"rec_fine", "rec_coarse", "local_distill", "global_distill"} <= set(log)
    meta = torch.load(stage2 / "encoder.pt", weights_only=True)
    assert meta["input_space"] == "lab" and meta["objective"] == "stt-temporal"


@pytest.mark.slow  # one of the costliest real-data runs (quick tier: -m "not slow"; CI runs it)
@pytest.mark.realdata
def test_contrastcorr_through_the_cli(tmp_path, davis_train_root):
    out = tmp_path / "cc"
    assert (
        main(
            [
                "train",
                "--objective",
                "contrastcorr",
                "--config",
                _config(tmp_path, search_size=96),
                "--data",
                str(davis_train_root),
                "--sequences",
                "bear",
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    assert "sparsity" in json.loads((out / "log.jsonl").read_text().splitlines()[-1])


def _toy_davis(root, names=("toy-train", "toy-held"), n=3, size=(48, 64)):
    """A DAVIS-layout root at 240p: moving squares with their 0/255 masks."""
    import cv2
    import numpy as np

    for name in names:
        (root / "JPEGImages" / "240p" / name).mkdir(parents=True)
        (root / "Annotations" / "240p" / name).mkdir(parents=True)
        for t in range(n):
            img = np.full((*size, 3), 40, np.uint8)
            mask = np.zeros(size, np.uint8)
            img[10:30, 8 + 3 * t : 28 + 3 * t] = (200, 60, 30)
            mask[10:30, 8 + 3 * t : 28 + 3 * t] = 255
            cv2.imwrite(str(root / "JPEGImages" / "240p" / name / f"{t:05d}.jpg"), img)
            cv2.imwrite(str(root / "Annotations" / "240p" / name / f"{t:05d}.png"), mask)
    return root


def test_heldout_training_video_is_the_learning_curve(tmp_path):
    root = _toy_davis(tmp_path / "davis")
    out = tmp_path / "ev"
    args = ["train", "--objective", "crw", "--config", _config(tmp_path), "--data", str(root)]
    args += ["--model", "resnet18", "--out", str(out), "--steps", "1", "--eval-every", "1"]
    args += ["--heldout-davis", str(root), "--heldout-sequences", "toy-held", "--eval-preset", "crw"]
    assert main([*args, "--no-progress"]) == 0
    log = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    evals = [e for e in log if e.get("eval") == "heldout"]
    # the learning curve starts at the initial weights (step 0), then every --eval-every steps
    assert [e["step"] for e in evals] == [0, 1] and all(0 < e["J&F"] <= 1 for e in evals)
    # scored by `bench davis` itself: its run folder, its config, the snapshot it was given
    run = json.loads((out / "heldout" / "step_000001" / "bench" / "run.json").read_text())
    assert run["config"]["resolution"] == "240p" and run["config"]["preset"]["name"] == "crw"
    assert list(run["sequences"]) == ["toy-held"]
    assert run["global"]["J&F-Mean"] == evals[1]["J&F"]
    best = min((e for e in evals if e["J&F"] == max(x["J&F"] for x in evals)), key=lambda e: e["step"])
    assert evals[-1]["best_step"] == best["step"]
    saved = torch.load(out / "best_encoder.pt", weights_only=True)
    assert saved["step"] == best["step"]
    # the held-out sequence is never a training video
    from corrlearn.train.config import TrainConfig
    from corrlearn.train.trainer import training_videos

    cfg = TrainConfig.from_file(out / "config.json").resolved()
    assert [v.name for v in training_videos(cfg)] == ["toy-train"]


def test_heldout_lists_refuse_val_sequences_and_the_train_split_covers_davis_train():
    from corrlearn.errors import CorrlearnError
    from corrlearn.train import splits
    from corrlearn.train.config import TrainConfig

    assert not set(splits.DAVIS2016_HELDOUT) & set(splits.DAVIS2016_TRAIN)
    assert len(splits.DAVIS2016_HELDOUT) == 7 and len(splits.DAVIS2016_TRAIN) == 23
    assert not (set(splits.DAVIS2016_HELDOUT) | set(splits.DAVIS2016_TRAIN)) & set(splits.DAVIS2016_VAL)
    cfg = TrainConfig(objective="crw", data=["x"], heldout_davis="d", eval_every=5).resolved()
    assert cfg.heldout_sequences == list(splits.DAVIS2016_HELDOUT) and cfg.eval_preset == "stt-bilinear"
    with pytest.raises(CorrlearnError, match="car-shadow belong to DAVIS-2016 val"):
        TrainConfig(
            objective="crw", data=["x"], heldout_davis="d", eval_every=5, heldout_sequences=["car-shadow"]
        ).resolved()


@pytest.mark.realdata
def test_the_split_is_davis_2016_train(davis_train_root):
    from corrlearn.datasets.davis import read_sequence_list
    from corrlearn.train import splits

    names = set(read_sequence_list(davis_train_root, "2016", "train"))
    assert names == set(splits.DAVIS2016_HELDOUT) | set(splits.DAVIS2016_TRAIN)


def test_user_errors_exit_2(tmp_path, capsys):
    (tmp_path / "d").mkdir()
    assert main(["train", "--out", str(tmp_path / "r"), "--data", str(tmp_path / "d")]) == 2
    assert "--objective is required" in capsys.readouterr().err
    assert (
        main(
            ["train", "--objective", "crw", "--out", str(tmp_path / "r"), "--data", str(tmp_path / "missing")]
        )
        == 2
    )
    assert "does not exist" in capsys.readouterr().err
