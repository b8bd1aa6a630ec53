"""The studio's project: annotations in the output folder, incremental re-propagation, export = the CLI's."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from corrlearn.cli import main
from corrlearn.errors import CorrlearnError
from corrlearn.io.masks import read_mask
from corrlearn.studio.project import Cancelled
from tests.studio.conftest import new_project
from tests.synthetic import translating_video, write_clip


def _run(project, cancelled=lambda: False):
    events = []
    summary = project.propagate(lambda **e: events.append(e), cancelled)
    return summary, events


def _clip(tmp_path, n=6):
    frames, _, _ = write_clip(tmp_path, n=n)
    _, gts = translating_video(n_frames=n, size=(64, 96), step=(2, 3))
    return frames, gts


def _cli(tmp_path, frames, annotations, name="cli"):
    out = tmp_path / name
    argv = ["propagate", frames, "--mask", annotations, "--out", out, "--backend", "torch", "--quiet"]
    assert main([str(a) for a in argv]) == 0
    return out


def _same_pngs(a, b):
    names = sorted(p.name for p in a.glob("*.png"))
    assert names == sorted(p.name for p in b.glob("*.png")) and names
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n


def test_export_is_the_cli_output_byte_for_byte_and_reopening_continues(tmp_path):
    frames, gts = _clip(tmp_path)
    out = tmp_path / "studio"
    p = new_project(frames, out)
    p.save_annotation(0, gts[0].tobytes())
    summary, events = _run(p)
    assert summary["segments_run"] == summary["segments"] == 1 and summary["frames_computed"] == 6
    assert [e["frame"] for e in events if "frame" in e] == list(range(6))  # each mask announced as written
    progress = [e for e in events if "done" in e]
    assert progress[0] == {"done": 0, "total": 6} and progress[-1] == {"done": 6, "total": 6}

    again = new_project(frames, out)  # the page closed and opened again: nothing to redo
    assert again.annotated() == [0] and not again.info()["stale"]
    summary, _ = _run(again)
    assert summary["segments_run"] == 0 and summary["frames_computed"] == 0
    summary = again.export(lambda **e: None, lambda: False)
    ref = _cli(tmp_path, frames, out / "annotations")
    _same_pngs(out / "export", ref)
    record = json.loads((out / "export" / "corrlearn-run.json").read_text())
    assert record == json.loads((ref / "corrlearn-run.json").read_text()) and record["status"] == "complete"
    assert (out / "export" / "overlay.mp4").stat().st_size > 0
    assert not list(out.glob(".export-*"))  # the export appeared whole, no temporary folder left


def test_a_correction_reruns_only_what_it_changes_and_equals_a_fresh_run(tmp_path):
    frames, gts = _clip(tmp_path)
    out = tmp_path / "studio"
    p = new_project(frames, out)
    p.save_annotation(0, gts[0].tobytes())
    _run(p)
    before = {n: (out / "masks" / f"{n}.png").read_bytes() for n in p.frames.names}
    fixed = gts[3].copy()
    fixed[:4, :4] = 2  # a correction that changes the mask
    p.save_annotation(3, fixed.tobytes())
    assert p.info()["stale"]
    summary, _ = _run(p)
    # frames 0-1 come from the untouched forward stretch from frame 0 (its stop at 3 is known): skipped
    assert (summary["segments"], summary["segments_run"]) == (3, 2)
    assert summary["frames_computed"] == 3 + 4  # backward 3 -> 0, forward 3 -> 5
    for n in ("00000", "00001"):
        assert (out / "masks" / f"{n}.png").read_bytes() == before[n]
    fresh = tmp_path / "fresh"
    q = new_project(frames, fresh)
    for t in (0, 3):
        q.save_annotation(t, read_mask(out / "annotations" / f"{p.frames.names[t]}.png").ids.tobytes())
    _run(q)
    _same_pngs(out / "masks", fresh / "masks")
    _same_pngs(out / "masks", _cli(tmp_path, frames, out / "annotations"))


def test_cancel_stops_the_run_and_the_next_one_completes_it(tmp_path):
    frames, gts = _clip(tmp_path)
    out = tmp_path / "studio"
    p = new_project(frames, out)
    p.save_annotation(2, gts[2].tobytes())
    reads = []
    with pytest.raises(Cancelled):
        _run(p, cancelled=lambda: reads.append(1) or len(reads) > 3)
    digests = json.loads((out / "studio.json").read_text())["digests"]
    assert digests == {}  # the cut segment (the first, forwards from 2) is not recorded as done
    summary, _ = _run(p)
    assert summary["segments_run"] >= 1
    _same_pngs(out / "masks", _cli(tmp_path, frames, out / "annotations"))


def test_bad_input_is_one_clear_error(tmp_path):
    frames, gts = _clip(tmp_path, n=3)
    p = new_project(frames, tmp_path / "studio")
    with pytest.raises(CorrlearnError, match="no annotated frame yet"):
        _run(p)
    with pytest.raises(CorrlearnError, match=r"has 5 values but the frame is 96x64 \(6144 pixels\)"):
        p.save_annotation(0, b"12345")
    with pytest.raises(CorrlearnError, match="frame 7 is outside 0..2"):
        p.save_annotation(7, gts[0].tobytes())
    small = tmp_path / "small.png"
    Image.fromarray(np.ones((8, 8), np.uint8) * 255, mode="L").save(small)
    with pytest.raises(CorrlearnError, match="^mine.png: mask is 8x8 but the frames are 96x64"):
        p.load_mask(0, small.read_bytes(), "mine.png")
    with pytest.raises(CorrlearnError, match=r"^mine.png: not a readable image"):
        p.load_mask(0, b"\x89PNG broken", "mine.png")
    assert not list((tmp_path / "studio").glob(".upload-*"))
    assert p.annotated() == []
    p.load_mask(1, (tmp_path / "first.png").read_bytes(), "first.png")  # a real palette mask is taken
    assert p.annotated() == [1] and p.ids(1)[0] == "annotation"
    p.save_annotation(1, bytes(64 * 96))  # erased completely: no longer an annotation
    assert p.annotated() == [] and p.ids(1) == ("none", None)


def test_bad_marks_live_in_the_output_folder(tmp_path):
    frames, gts = _clip(tmp_path, n=3)
    p = new_project(frames, tmp_path / "studio")
    p.set_bad(2, True)
    assert new_project(frames, tmp_path / "studio").bad() == [2]
    p.save_annotation(2, gts[2].tobytes())  # fixing the frame clears its mark
    assert new_project(frames, tmp_path / "studio").bad() == []
    (tmp_path / "studio" / "studio.json").write_text("{")
    with pytest.raises(CorrlearnError, match="corrupt studio state"):
        new_project(frames, tmp_path / "studio")


def test_a_video_file_exports_what_the_cli_writes(tmp_path):
    from corrlearn.io.overlay import OverlayVideoWriter

    frames, gts = translating_video(n_frames=5, size=(64, 96), step=(2, 3))
    video = tmp_path / "clip.mp4"
    writer = OverlayVideoWriter(video, fps=10)
    for f in frames:
        writer.write(f)
    writer.close()
    out = tmp_path / "studio"
    p = new_project(video, out)
    assert p.frames.names == ["00000", "00001", "00002", "00003", "00004"]
    p.save_annotation(2, gts[2].tobytes())
    p.export(lambda **e: None, lambda: False)
    ref = tmp_path / "cli"
    argv = ["propagate", video, "--mask", out / "annotations", "--out", ref, "--backend", "torch", "--quiet",
            "--overlay", tmp_path / "cli.mp4"]  # fmt: skip
    assert main([str(a) for a in argv]) == 0
    _same_pngs(out / "export", ref)
    import av

    with av.open(str(out / "export" / "overlay.mp4")) as c:
        s = c.streams.video[0]
        assert (s.codec_context.name, float(s.average_rate), sum(1 for _ in c.decode(s))) == ("h264", 10.0, 5)
    assert (out / "export" / "overlay.mp4").read_bytes() == (tmp_path / "cli.mp4").read_bytes()
