"""Fine-tuning the ImageNet EfficientNet-Lite trunk with corrlearn's objectives."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from corrlearn import models
from corrlearn.losses import ContrastCorrObjective, CRWObjective, STTTemporalObjective
from corrlearn.train import trainer
from corrlearn.train.config import TrainConfig
from corrlearn.train.trainer import TEACHER_IS_INIT, build_objective
from tests.synthetic import translating_video


@pytest.mark.parametrize(
    "objective, cls",
    [("crw", CRWObjective), ("contrastcorr", ContrastCorrObjective), ("stt-temporal", STTTemporalObjective)],
)
def test_objectives_start_from_the_imagenet_trunk(objective, cls):
    cfg = TrainConfig(objective=objective, data=["x"], model="efficientnet-lite0", teacher=TEACHER_IS_INIT)
    obj = build_objective(cfg.resolved())
    assert isinstance(obj, cls) and obj.encoder.input_space == "rgb"
    ref = models.create("efficientnet-lite0").state_dict()
    assert all(torch.equal(v, ref[k]) for k, v in obj.encoder.state_dict().items())
    if objective == "stt-temporal":  # teacher "init": a frozen copy of the ImageNet trunk
        assert obj.teacher is not obj.encoder and not any(p.requires_grad for p in obj.teacher.parameters())
        assert all(torch.equal(v, ref[k]) for k, v in obj.teacher.state_dict().items())


def test_stt_temporal_step_on_the_imagenet_trunk_gives_finite_terms():
    obj = build_objective(
        TrainConfig(
            objective="stt-temporal", data=["x"], model="efficientnet-lite0", teacher=TEACHER_IS_INIT
        ).resolved()
    ).train()
    frames, _ = translating_video(n_frames=3, size=(32, 32))
    clip = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2)[None].float() / 255
    out = obj(clip)
    assert {"rec_fine", "rec_coarse", "local_distill", "global_distill"} <= set(out)
    out["loss"].backward()
    assert torch.isfinite(out["loss"]) and obj.encoder._conv_stem.weight.grad is not None


class _Killed(Exception):
    pass


@pytest.mark.slow  # one of the costliest runs (quick tier: -m "not slow"; CI runs it)
def test_finetuning_resumes_to_identical_weights(tmp_path, monkeypatch):
    for v in range(2):
        frames, _ = translating_video(n_frames=6, size=(48, 48), seed=v)
        d = tmp_path / "data" / f"video{v}"
        d.mkdir(parents=True)
        for i, f in enumerate(frames):
            cv2.imwrite(str(d / f"{i:05d}.jpg"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    cfg = TrainConfig(
        objective="stt-temporal",
        data=[str(tmp_path / "data")],
        model="efficientnet-lite0",
        teacher=TEACHER_IS_INIT,
        crop_size=32,
        clip_len=2,
        batch_size=2,
        steps=4,
        checkpoint_every=2,
        log_every=1,
        workers=0,
        device="cpu",
    )
    trainer.train(cfg, tmp_path / "full", progress=False)

    save = trainer._save

    def save_then_die(*args, **kwargs):  # the process dies right after its step-2 checkpoint
        save(*args, **kwargs)
        raise _Killed

    monkeypatch.setattr(trainer, "_save", save_then_die)
    with pytest.raises(_Killed):
        trainer.train(cfg, tmp_path / "killed", progress=False)
    monkeypatch.setattr(trainer, "_save", save)
    trainer.train(cfg, tmp_path / "killed", resume=True, progress=False)

    def load(run):
        return torch.load(tmp_path / run / "encoder.pt", map_location="cpu", weights_only=True)["model"]

    a, b = load("full"), load("killed")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    init = models.create("efficientnet-lite0").state_dict()
    assert any(not torch.equal(init[k], a[k]) for k in a if a[k].is_floating_point())  # training moved it
