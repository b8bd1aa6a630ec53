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
