import dataclasses

import pytest

from corrlearn.errors import CorrlearnError
from corrlearn.propagate import PRESETS, get_preset


def test_crw_matches_videowalk():
    p = get_preset("crw")
    assert (p.l2_normalize, p.temperature, p.topk, p.mode) == (True, 0.05, 10, "joint")
    assert (p.radius, p.radius_shape, p.radius_on_first) == (12.0, "circle", False)
    assert (p.context, p.pad_with_first, p.label_downsample, p.minmax) == (20, True, "bilinear", False)
    assert p.input_space == "rgb" and p.short_side is None


def test_stt_matches_spa_then_temp():
    p = get_preset("stt")
    assert (p.input_space, p.temperature, p.topk) == ("lab", 0.07, 10)
    assert (p.radius, p.radius_shape, p.radius_on_first) == (12.0, "square", True)
    assert (p.context, p.label_downsample, p.minmax) == (20, "nearest", True)


def test_dino_matches_dino():
    p = get_preset("dino")
    assert (p.temperature, p.topk, p.context) == (0.1, 5, 7)
    assert (p.radius, p.radius_shape, p.radius_on_first) == (12.0, "square", True)
    assert (p.short_side, p.long_multiple) == (480, 64)


def test_uvc_and_contrastcorr_are_pairwise_unrenormalised():
    for name in ("uvc", "contrastcorr"):
        p = get_preset(name)
        assert (p.mode, p.normalize, p.topk, p.temperature, p.l2_normalize) == (
            "pairwise",
            "all",
            5,
            1.0,
            False,
        )
        assert p.context == 7 and p.radius is None
    assert PRESETS["contrastcorr"].mutual and not PRESETS["uvc"].mutual


def test_presets_are_frozen_data():
    p = get_preset("crw")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.topk = 3
    assert p.replace(topk=3).topk == 3 and p.topk == 10
    assert set(p.to_dict()) == {f.name for f in dataclasses.fields(p)}


def test_unknown_preset_is_one_clear_line():
    with pytest.raises(
        CorrlearnError, match="unknown preset 'nope'; known presets: contrastcorr, crw, crw-jhmdb, dino"
    ):
        get_preset("nope")


def test_jhmdb_presets_state_their_protocol():
    crw, stt = get_preset("crw-jhmdb"), get_preset("stt-jhmdb")
    assert crw.context == 7 and crw.topk == 10 and crw.temperature == 0.05 and crw.pad_with_first
    assert crw.radius == 12 and not crw.radius_on_first
    assert stt.context == 20 and stt.temperature == 0.07 and stt.input_space == "lab"
    assert stt.radius == 5 and stt.radius_shape == "square" and stt.radius_on_first
    assert crw.input_size == stt.input_size == (320, 320)


def test_a_fixed_input_size_ignores_the_aspect():
    from corrlearn.propagate import working_size

    assert working_size(240, 320, get_preset("crw-jhmdb")) == (320, 320)
    assert working_size(480, 854, get_preset("stt-jhmdb")) == (320, 320)


def test_stt_bilinear_is_stt_with_soft_first_labels():
    # corrlearn's own choice (benchmarks/README.md, "Encoders: how the default was chosen"): only the first
    # mask's downsampling differs
    assert get_preset("stt-bilinear") == get_preset("stt").replace(
        name="stt-bilinear", label_downsample="bilinear"
    )


@pytest.mark.realdata
def test_centre_sampled_hard_labels_match_soft_ones_on_a_coarse_grid(davis_root):
    # Short side 240 (30x54 cells), first 20 frames, default encoder (Lite1-hc). Measured 2026-12-03 (stt vs
    # stt-bilinear): blackswan 0.862 vs 0.853, cows 0.855 vs 0.865. With torch's corner-sampled nearest, before
    # that date, stt trailed by 0.15 (0.703, 0.714): the half-cell offset, not hard labels, cost that.
    from corrlearn import models
    from corrlearn.train.evaluate import davis_jf

    enc = models.create()
    for seq in ("blackswan", "cows"):
        hard, soft = (
            davis_jf(enc, davis_root, [seq], p, short_side=240, max_frames=20)["J&F"]
            for p in ("stt", "stt-bilinear")
        )
        assert hard > 0.8 and abs(soft - hard) < 0.03, (seq, hard, soft)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"topk": "abc"}, "topk"),
        ({"topk": -5}, "topk"),
        ({"topk": 2.5}, "topk"),
        ({"topk": True}, "topk"),
        ({"temperature": 0}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"temperature": "warm"}, "temperature"),
        ({"input_space": "hsv"}, "input_space"),
        ({"mode": "mean"}, "mode"),
        ({"normalize": "none"}, "normalize"),
        ({"radius": -1}, "radius"),
        ({"radius_shape": "diamond"}, "radius_shape"),
        ({"context": -1}, "context"),
        ({"label_downsample": "cubic"}, "label_downsample"),
        ({"short_side": 0}, "short_side"),
        ({"input_size": (320,)}, "input_size"),
        ({"minmax": "yes"}, "minmax"),
    ],
)
def test_a_preset_no_protocol_can_run_is_refused_naming_the_field(change, field):
    from corrlearn.errors import CorrlearnError

    with pytest.raises(CorrlearnError, match=f"preset 'crw': {field}="):
        get_preset("crw").replace(**change)


def test_valid_changes_are_kept():
    p = get_preset("crw").replace(temperature=1, radius=None, topk=3, input_size=[320, 320], context=0)
    assert (p.temperature, p.radius, p.topk, p.context) == (1, None, 3, 0)


def test_preset_choices_are_those_the_affinity_and_labels_accept():
    # presets.py checks without torch; these are the modules that run the values
    from corrlearn import affinity
    from corrlearn.models.normalize import INPUT_SPACES
    from corrlearn.propagate import presets

    assert presets.NORMALIZE_MODES == affinity.NORMALIZE_MODES
    assert presets.RADIUS_SHAPES == affinity.RADIUS_SHAPES
    assert presets.INPUT_SPACES == INPUT_SPACES
