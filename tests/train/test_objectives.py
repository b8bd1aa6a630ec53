"""The objective registry: every spec is complete and builds its loss; PRP trains and resumes through the CLI."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from corrlearn.cli import main
from corrlearn.datasets.davis import frames_root
from corrlearn.errors import CorrlearnError
from corrlearn.train.augment import DeviceAugment
from corrlearn.train.config import TrainConfig
from corrlearn.train.objectives import OBJECTIVES, get_objective
from corrlearn.train.trainer import build_dataset, build_objective

FIELDS = {f.name for f in dataclasses.fields(TrainConfig)}


@pytest.mark.parametrize("name", list(OBJECTIVES))
def test_every_spec_is_complete(name):
    spec = OBJECTIVES[name]
    assert spec.name == name and spec.summary
    assert spec.input_space in ("rgb", "lab")
    assert spec.data_mode in ("clip", "views", "pair", "rates")
    assert set(spec.defaults) <= FIELDS, set(spec.defaults) - FIELDS
    cfg = TrainConfig(objective=name, data=["x"], queue_size=8).resolved()
    obj = build_objective(cfg)
    assert obj.encoder.input_space == spec.input_space
    assert callable(obj.forward)


def test_unknown_objective_names_the_choices():
    with pytest.raises(CorrlearnError, match="unknown objective 'simclr'; choose one of crw, .*prp"):
        get_objective("simclr")


def test_augment_keeps_prp_samples_aligned():
    torch.manual_seed(0)
    clip = torch.randint(0, 256, (4, 3, 3, 8, 8), dtype=torch.uint8)
    mids = clip[:, :2].clone()
    rate = torch.tensor([0, 1, 2, 0])
    out_clip, out_mids, out_rate = DeviceAugment(color_jitter=0.0, flip=True)((clip, mids, rate))
    assert out_rate is rate  # indices pass through untouched
    assert out_clip.dtype == torch.float32 and float(out_clip.max()) <= 1.0
    # one flip per sample, shared by the clip and its middle frames
    assert torch.equal(out_mids, out_clip[:, :2])
    for b in range(4):  # each sample is either itself or its mirror image, every frame alike
        x = clip[b].float() / 255
        assert torch.equal(out_clip[b], x) or torch.equal(out_clip[b], x.flip(-1))


@pytest.mark.slow  # one of the costliest runs (quick tier: -m "not slow"; CI runs it)
@pytest.mark.realdata
def test_prp_trains_and_resumes_to_identical_weights(tmp_path, davis_train_root):
    cfg = {
        "crop_size": 32,
        "clip_len": 3,
        "rates": [2, 4],
        "batch_size": 2,
        "checkpoint_every": 1,
        "log_every": 1,
        "workers": 0,
        "device": "cpu",
        "sequences": ["bear", "boat"],
    }
    (tmp_path / "cfg.json").write_text(json.dumps(cfg))
    data = str(frames_root(davis_train_root, "240p"))

    def train(out, steps, *extra):
        argv = ["train", "--objective", "prp", "--config", str(tmp_path / "cfg.json"), "--data", data]
        return main([*argv, "--out", str(out), "--steps", str(steps), "--no-progress", *extra])

    assert train(tmp_path / "full", 4) == 0
    assert train(tmp_path / "split", 2) == 0
    assert train(tmp_path / "split", 4, "--resume") == 0
    a = torch.load(tmp_path / "full" / "encoder.pt", weights_only=True)
    b = torch.load(tmp_path / "split" / "encoder.pt", weights_only=True)
    assert a["objective"] == "prp" and a["input_space"] == "rgb"
    for k, v in a["model"].items():
        assert torch.equal(v, b["model"][k]), k
    log = [json.loads(line) for line in (tmp_path / "full" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3, 4] and all({"cls", "gen", "acc"} <= set(r) for r in log)
    recorded = json.loads((tmp_path / "full" / "config.json").read_text())
    assert recorded["rates"] == [2, 4] and recorded["objective"] == "prp"


@pytest.mark.realdata
def test_rates_dataset_from_config(davis_train_root):
    cfg = TrainConfig(
        objective="prp",
        data=[str(frames_root(davis_train_root, "240p"))],
        sequences=["bear"],
        crop_size=32,
    ).resolved()
    ds = build_dataset(cfg)
    clip, mids, rate = ds[(0, 1)]
    assert clip.shape == (4, 3, 32, 32) and mids.shape == (3, 3, 32, 32) and 0 <= int(rate) < 3
