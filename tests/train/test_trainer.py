from __future__ import annotations

import pytest
import torch
from torch import nn

from corrlearn import models
from corrlearn.losses import ContrastCorrObjective, CRWObjective, MoCoObjective, STTTemporalObjective
from corrlearn.losses.prp import PRPObjective
from corrlearn.train.config import TrainConfig
from corrlearn.train.trainer import build_objective, lr_lambda, set_train_mode


def test_cosine_schedule_with_warmup():
    cfg = TrainConfig(objective="crw", data=["x"], steps=100, schedule="cosine", warmup_steps=10).resolved()
    f = lr_lambda(cfg)
    assert f(0) == pytest.approx(0.1) and f(9) == pytest.approx(1.0)
    assert f(10) == pytest.approx(1.0) and f(55) == pytest.approx(0.5005) and f(100) == pytest.approx(0.001)
    assert lr_lambda(TrainConfig(objective="crw", data=["x"]).resolved())(500) == 1.0


def test_frozen_bn_keeps_batchnorm_in_eval_mode():
    m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Dropout())
    set_train_mode(m, "frozen")
    assert m.training and m[0].training and not m[1].training and m[2].training
    set_train_mode(m, "train")
    assert m[1].training


@pytest.mark.parametrize(
    "objective, cls, space",
    [
        ("crw", CRWObjective, "rgb"),
        ("contrastcorr", ContrastCorrObjective, "rgb"),
        ("stt-spatial", MoCoObjective, "rgb"),
        ("stt-temporal", STTTemporalObjective, "lab"),
        ("prp", PRPObjective, "rgb"),
    ],
)
def test_build_objective(objective, cls, space):
    obj = build_objective(TrainConfig(objective=objective, data=["x"], queue_size=8).resolved())
    assert isinstance(obj, cls) and obj.encoder.input_space == space
    # the encoder starts from corrlearn's documented seeded initialisation
    ref = models.create("resnet18").state_dict()
    assert all(torch.equal(v, ref[k]) for k, v in obj.encoder.state_dict().items())


def test_stt_temporal_student_starts_from_the_teacher(tmp_path):
    teacher = models.create("resnet18", seed=7)
    path = tmp_path / "t.pt"
    torch.save({"model": teacher.state_dict(), "input_space": "rgb"}, path)
    obj = build_objective(TrainConfig(objective="stt-temporal", data=["x"], teacher=str(path)).resolved())
    assert obj.teacher is not None and obj.teacher.input_space == "rgb"
    assert obj.encoder.input_space == "lab"
    for k, v in teacher.state_dict().items():
        assert torch.equal(obj.encoder.state_dict()[k], v) and torch.equal(obj.teacher.state_dict()[k], v)


def test_heldout_selection_keeps_the_best_snapshot_and_stops_early(tmp_path):
    import json

    import cv2
    import numpy as np

    from corrlearn.train.trainer import train

    folder = tmp_path / "data" / "clip"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for t in range(4):
        cv2.imwrite(str(folder / f"{t:05d}.png"), rng.integers(0, 256, (40, 40, 3), dtype=np.uint8))
    scores = iter([0.5, 0.7, 0.6, 0.65, 0.9])  # best at step 2, then two evaluations without progress
    seen = []

    def fake_evaluate(cfg, weights, run_dir, device):
        seen.append(torch.load(weights, weights_only=True)["step"])
        jf = next(scores)
        return {"J&F": jf, "J": jf, "F": jf}

    cfg = TrainConfig(
        objective="crw", data=[str(tmp_path / "data")], nodes="pixels", crop_size=32, clip_len=2,
        batch_size=1, steps=10, log_every=1, checkpoint_every=100, workers=0, device="cpu",
        heldout_davis="unused", heldout_sequences=["clip-held"], eval_every=2, eval_patience=2,
    )  # fmt: skip
    out = tmp_path / "run"
    with pytest.raises(Exception, match="held-out evaluation needs an evaluator"):
        train(cfg, out, progress=False)
    train(cfg, out, progress=False, evaluate=fake_evaluate)
    log = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    assert seen == [0, 2, 4, 6]  # stopped at step 6: 2 evaluations after the best
    assert [e["best_step"] for e in log if e.get("eval") == "heldout"] == [0, 2, 2, 2]
    assert log[-1] == {"step": 6, "event": "early_stop", "best_step": 2}
    assert torch.load(out / "best_encoder.pt", weights_only=True)["step"] == 2
    assert torch.load(out / "checkpoint.pt", weights_only=True)["step"] == 6
