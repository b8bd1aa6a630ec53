"""Propagation from any annotated frames: the plan, the annotation reset, and the schedule against the engine."""

import itertools

import numpy as np
import pytest

from corrlearn import models
from corrlearn.errors import CorrlearnError
from corrlearn.propagate import apply_annotation, get_preset, plan, propagate_video, segment_video
from tests.synthetic import translating_video


def _emitted(segments):
    return [t for s in segments for t in s.emit]


@pytest.mark.parametrize("n", [1, 2, 7])
def test_plan_covers_the_right_frames_once(n):
    for k in range(1, min(n, 3) + 1):
        for marks in itertools.combinations(range(n), k):
            both = _emitted(plan(n, marks, "both"))
            assert sorted(both) == list(range(n)), marks
            fwd = _emitted(plan(n, marks, "forward"))
            assert sorted(fwd) == list(range(marks[0], n)), marks
            bwd = _emitted(plan(n, marks, "backward"))
            assert sorted(bwd) == list(range(marks[-1] + 1)), marks


def test_plan_by_hand():
    seg = [(s.direction, s.start, s.stop, s.emit) for s in plan(10, [7, 2], "both")]
    assert seg == [
        ("forward", 2, 7, (2, 3, 4)),  # 4 is nearer 2 than 7; 5 and 6 are nearer 7
        ("forward", 7, 9, (7, 8, 9)),
        ("backward", 7, 2, (6, 5)),
        ("backward", 2, 0, (1, 0)),
    ]
    assert [(s.start, s.stop, s.emit) for s in plan(5, [0], "both")] == [(0, 4, (0, 1, 2, 3, 4))]
    with pytest.raises(CorrlearnError, match="--direction 'sideways'"):
        plan(5, [0], "sideways")
    with pytest.raises(CorrlearnError, match="outside 0..4"):
        plan(5, [5], "both")


def test_annotation_resets_only_the_objects_it_names():
    pred = np.array([[1, 1, 2, 2, 0], [0, 3, 3, 0, 0]], np.uint8)
    ann = np.array([[0, 0, 0, 0, 2], [255, 0, 0, 0, 0]], np.uint8)
    # object 2 moves to the new place; 1 and 3 are untouched; void says nothing
    assert apply_annotation(pred, ann).tolist() == [[1, 1, 0, 0, 2], [0, 3, 3, 0, 0]]
    assert apply_annotation(None, ann).tolist() == ann.tolist()


@pytest.fixture(scope="module")
def clip():
    frames, gts = translating_video(n_frames=6, size=(48, 64), step=(2, 3))
    return frames, gts, models.create("resnet18"), get_preset("crw")


def _engine(frames, first, enc, preset):
    return list(segment_video(frames, first, enc, preset, backend="torch", progress=False))


def test_both_ways_from_a_middle_frame_is_the_engine_run_each_way(clip):
    frames, gts, enc, preset = clip
    got = dict(propagate_video(frames, {3: gts[3]}, enc, preset, backend="torch", progress=False))
    assert sorted(got) == list(range(6))
    forward = _engine(frames[3:], gts[3], enc, preset)
    backward = _engine(frames[3::-1], gts[3], enc, preset)
    for t in range(3, 6):
        assert np.array_equal(got[t], forward[t - 3]), t
    for t in range(0, 3):
        assert np.array_equal(got[t], backward[3 - t]), t


def test_later_annotation_restarts_the_engine_with_its_objects_reset(clip):
    frames, gts, enc, preset = clip
    late = np.where(gts[4] == 2, 2, 0).astype(np.uint8)  # frame 4 names object 2 only
    got = dict(
        propagate_video(frames, {1: gts[1], 4: late}, enc, preset, "forward", backend="torch", progress=False)
    )
    assert sorted(got) == [1, 2, 3, 4, 5]
    first = _engine(frames[1:5], gts[1], enc, preset)
    for t in (1, 2, 3):
        assert np.array_equal(got[t], first[t - 1])
    restart = apply_annotation(first[-1], late)
    assert np.array_equal(got[4], restart)
    assert np.array_equal(got[5], _engine(frames[4:], restart, enc, preset)[1])
