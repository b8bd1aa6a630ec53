"""The names ``corrlearn`` promises: a test fails when one disappears or stops being the documented object."""

from __future__ import annotations

import subprocess
import sys

import corrlearn

PUBLIC = {
    "BoxCodec",
    "CorrlearnError",
    "KeypointCodec",
    "LabelCodec",
    "MaskCodec",
    "Preset",
    "UserEncoder",
    "__version__",
    "create_encoder",
    "get_preset",
    "open_frames",
    "propagate_annotation",
    "propagate_labels",
    "propagate_video",
    "read_mask",
    "segment_video",
    "topk_affinity",
    "transfer",
    "write_mask",
}


def test_public_names_are_exported_and_documented():
    assert PUBLIC <= set(corrlearn.__all__)
    # every lazily exported name is listed, and nothing listed is missing from the export table
    assert set(corrlearn.__all__) == set(corrlearn._EXPORTS) | {"CorrlearnError", "__version__"}
    for name in PUBLIC - {"__version__"}:
        obj = getattr(corrlearn, name)
        assert obj.__doc__, f"corrlearn.{name} has no docstring"
    assert set(dir(corrlearn)) >= PUBLIC


def test_public_names_are_the_library_objects():
    from corrlearn import affinity, labels, models
    from corrlearn.io import frames, masks
    from corrlearn.propagate import engine, presets, schedule

    assert corrlearn.create_encoder is models.create
    assert corrlearn.UserEncoder is models.UserEncoder
    assert corrlearn.get_preset is presets.get_preset and corrlearn.Preset is presets.Preset
    assert corrlearn.segment_video is engine.segment_video
    assert corrlearn.propagate_video is schedule.propagate_video
    assert corrlearn.open_frames is frames.open_frames
    assert corrlearn.read_mask is masks.read_mask and corrlearn.write_mask is masks.write_mask
    assert corrlearn.topk_affinity is affinity.topk_affinity
    assert corrlearn.propagate_labels is affinity.propagate_labels
    assert corrlearn.propagate_annotation is engine.propagate
    assert corrlearn.MaskCodec is labels.MaskCodec and corrlearn.KeypointCodec is labels.KeypointCodec
    assert corrlearn.BoxCodec is labels.BoxCodec and corrlearn.LabelCodec is labels.LabelCodec


def test_unknown_name_is_an_attribute_error():
    try:
        corrlearn.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_import_is_cheap():
    code = "import sys, corrlearn; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
