from __future__ import annotations

import json

import pytest
import torch

from corrlearn.errors import CorrlearnError
from corrlearn.train.config import TrainConfig
from corrlearn.train.objectives import OBJECTIVES


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_resolved_fills_the_objective_defaults(objective):
    cfg = TrainConfig(objective=objective, data=["x"]).resolved()
    for k, v in OBJECTIVES[objective].defaults.items():
        assert getattr(cfg, k) == v
    # explicit values win over defaults
    assert TrainConfig(objective=objective, data=["x"], lr=0.5, crop_size=96).resolved().lr == 0.5


def test_stt_temporal_defaults_follow_the_authors():
    cfg = TrainConfig(objective="stt-temporal", data=["x"]).resolved()
    assert (cfg.optimizer, cfg.lr, cfg.schedule, cfg.clip_len, cfg.crop_size) == (
        "adam",
        5e-5,
        "cosine",
        2,
        256,
    )


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"objective": "simclr"}, "unknown objective"),
        ({"data": []}, "no data roots"),
        ({"crop_size": 100}, "multiple of 8"),
        ({"frame_gap": (3, 1)}, "frame_gap"),
        ({"bn": "group"}, "bn must be"),
        ({"crop_size": 64, "patch_size": 64}, "single 64px patch"),
        ({"heldout_davis": "/d"}, "--eval-every"),
        ({"heldout_davis": "/d", "eval_every": 1, "heldout_sequences": ["dog"]}, "DAVIS-2016 val"),
        ({"objective": "stt-temporal", "crop_size": 200}, "divisible by 16"),
        ({"objective": "prp", "rates": (2, 3)}, "even frame intervals"),
        ({"objective": "stt-spatial", "clip_len": 0}, "too short"),
    ],
)
def test_bad_values_raise_one_line_errors(changes, words):
    kw = {"objective": "crw", "data": ["x"], **changes}
    with pytest.raises(CorrlearnError, match=words) as info:
        TrainConfig(**kw).resolved()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("crop, patch", [(256, 64), (128, 32), (96, 24)])
def test_crw_patch_nodes_default_to_the_authors_7_by_7_grid(crop, patch):
    from corrlearn.losses.crw import patch_grid

    cfg = TrainConfig(objective="crw", data=["x"], crop_size=crop).resolved()
    assert (cfg.patch_size, cfg.patch_stride) == (patch, patch // 2)
    nodes = patch_grid(torch.zeros(1, 3, crop, crop), cfg.patch_size, cfg.patch_stride).shape[1]
    assert nodes == 49  # CRW's 64 px patches at stride 32 on 256 px crops


def test_json_round_trip_and_unknown_keys(tmp_path):
    cfg = TrainConfig(objective="crw", data=["a", "b"], steps=7).resolved()
    p = tmp_path / "c.json"
    p.write_text(json.dumps(cfg.to_json()))
    assert TrainConfig.from_file(p).resolved() == cfg
    p.write_text(json.dumps({"objective": "crw", "learning_rate": 1}))
    with pytest.raises(CorrlearnError, match="unknown config keys learning_rate"):
        TrainConfig.from_file(p)
    p.write_text("{not json")
    with pytest.raises(CorrlearnError, match="not valid JSON"):
        TrainConfig.from_file(p)
    with pytest.raises(CorrlearnError, match="not found"):
        TrainConfig.from_file(tmp_path / "missing.json")
