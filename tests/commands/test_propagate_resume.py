"""``corrlearn propagate`` runs that stop or change under it: a full disk, masks deleted, frames replaced in place,
another thread count; and what the user sees on the way (progress, the one-time kernel compile)."""

import errno
import json
import re

import cv2
import pytest

from corrlearn.cli import main
from tests.synthetic import write_clip


def _run(*argv):
    return main([str(a) for a in argv])


def _pngs(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.png"))}


def _no_temporaries(folder):
    return [
        p.name
        for p in folder.rglob(".*")
        if p.name != ".corrlearn-resume" and ".corrlearn-resume" not in p.parts
    ]


@pytest.fixture
def clip(tmp_path):
    d, mask, _ = write_clip(tmp_path, n=5)
    base = ["propagate", d, "--mask", mask, "--model", "resnet18", "--backend", "torch", "--quiet"]
    ref = tmp_path / "ref"
    assert _run(*base, "--out", ref) == 0
    return d, base, ref


def _disk_full(path):
    return OSError(errno.ENOSPC, "No space left on device", str(path))


def test_full_disk_while_writing_masks_is_one_line_and_resumes(clip, tmp_path, monkeypatch, capsys):
    from PIL import Image

    d, base, ref = clip
    out = tmp_path / "out"
    save, calls = Image.Image.save, []

    def save_until_full(self, fp, *args, **kwargs):
        calls.append(fp)
        if len(calls) == 3:  # the third mask: half a file reaches the disk, then it is full
            with open(fp, "wb") as f:
                f.write(b"\x89PNG\r\n")
            raise _disk_full(fp)
        return save(self, fp, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", save_until_full)
    capsys.readouterr()
    assert _run(*base, "--out", out) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no space left on device" in err[0] and "run the same command again" in err[0], (
        err
    )
    assert _no_temporaries(out) == []  # the half-written file went with its temporary name
    written = _pngs(out)
    assert 0 < len(written) < len(_pngs(ref))
    assert all(written[n] == ref_bytes for n, ref_bytes in _pngs(ref).items() if n in written)  # whole files
    monkeypatch.setattr(Image.Image, "save", save)
    assert _run(*base, "--out", out) == 0
    assert _pngs(out) == _pngs(ref)


def test_full_disk_while_writing_the_overlay_leaves_no_partial_video(clip, tmp_path, monkeypatch, capsys):
    from corrlearn.io.overlay import OverlayVideoWriter

    d, base, ref = clip
    out, ov = tmp_path / "out", tmp_path / "ov.mp4"
    write, frames = OverlayVideoWriter.write, []

    def write_until_full(self, *args, **kwargs):
        frames.append(1)
        if len(frames) == 2:
            raise _disk_full(self.path if hasattr(self, "path") else ov)
        return write(self, *args, **kwargs)

    monkeypatch.setattr(OverlayVideoWriter, "write", write_until_full)
    assert _run(*base, "--out", out, "--overlay", ov) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no space left on device" in err[0], err
    assert not ov.exists() and not list(tmp_path.glob(".ov.mp4*"))
    monkeypatch.setattr(OverlayVideoWriter, "write", write)
    assert _run(*base, "--out", out, "--overlay", ov) == 0
    assert ov.is_file() and _pngs(out) == _pngs(ref)


def test_deleted_masks_of_a_finished_run_are_written_again(clip, capsys):
    d, base, ref = clip
    masks = _pngs(ref)
    for name in ("00001.png", "00003.png"):
        (ref / name).unlink()
    capsys.readouterr()
    assert _run(*base[:-1], "--out", ref) == 0  # not quiet: it says what it does
    assert "2 of 5 masks are missing; propagating them again" in capsys.readouterr().out
    assert _pngs(ref) == masks
    assert json.loads((ref / "corrlearn-run.json").read_text())["status"] == "complete"


def test_deleted_masks_of_an_unfinished_run_redo_only_their_segment(tmp_path, monkeypatch):
    from PIL import Image

    from corrlearn.commands import propagate as cmd
    from corrlearn.io.masks import DAVIS_PALETTE
    from corrlearn.propagate import engine, plan
    from tests.synthetic import translating_video

    d, _, _ = write_clip(tmp_path, n=6)
    _, gts = translating_video(n_frames=6, size=(64, 96), step=(2, 3))
    ann = tmp_path / "ann"
    ann.mkdir()
    for t in (2, 4):
        img = Image.fromarray(gts[t], mode="P")
        img.putpalette(DAVIS_PALETTE)
        img.save(ann / f"{t:05d}.png")
    base = ["propagate", d, "--mask", ann, "--model", "resnet18", "--backend", "torch", "--quiet"]
    assert _run(*base, "--out", tmp_path / "ref") == 0
    finish, out = cmd.DiskState.finish, tmp_path / "out"

    def finish_two_then_stop(self, segment, ids):
        finish(self, segment, ids)
        if len(self.record["segments_done"]) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(cmd.DiskState, "finish", finish_two_then_stop)
    assert _run(*base, "--out", out) == 130
    monkeypatch.setattr(cmd.DiskState, "finish", finish)
    record = json.loads((out / "corrlearn-run.json").read_text())
    first = next(s for s in plan(6, [2, 4], "both") if s.key == record["segments_done"][0])
    (out / f"{first.emit[0]:05d}.png").unlink()
    runs = []
    segment_video = engine.segment_video
    monkeypatch.setattr(engine, "segment_video", lambda *a, **k: runs.append(1) or segment_video(*a, **k))
    assert _run(*base, "--out", out) == 0
    assert len(runs) == len(plan(6, [2, 4], "both")) - 1  # the intact finished segment is still skipped
    assert _pngs(out) == _pngs(tmp_path / "ref")


def test_frames_replaced_in_place_are_noticed(clip, capsys):
    d, base, ref = clip
    frame = d / "00002.jpg"
    img = cv2.imread(str(frame))
    cv2.imwrite(str(frame), 255 - img)  # same name, same count, other content
    capsys.readouterr()
    assert _run(*base, "--out", ref) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "the input frames changed since this run was made (00002.jpg)" in err[0], err


def test_thread_count_is_part_of_the_configuration(clip, capsys):
    d, base, ref = clip
    config = json.loads((ref / "corrlearn-run.json").read_text())["config"]
    import torch

    assert config["threads"] == torch.get_num_threads()
    other = 1 if config["threads"] != 1 else 2
    capsys.readouterr()
    try:
        assert _run(*base, "--out", ref, "--threads", other) == 2
    finally:
        torch.set_num_threads(config["threads"])
    assert "differs in: threads" in capsys.readouterr().err


def test_progress_counts_each_frame_once(tmp_path, capsys):
    # a 6-frame clip annotated on frame 3: both passes start there, but 6 masks are written, not 7
    d, mask, _ = write_clip(tmp_path, n=6)
    code = _run("propagate", d, "--mask", mask, "--start-frame", 3, "--model", "resnet18", "--backend", "torch",
                "--out", tmp_path / "out")  # fmt: skip
    assert code == 0
    captured = capsys.readouterr()
    totals = {int(t) for t in re.findall(r"propagate:.*?\d+/(\d+)", captured.err)}
    assert totals == {6}, captured.err
    assert "wrote 6 masks" in captured.out


def test_cold_kernel_cache_is_announced_once(tmp_path, monkeypatch, capsys):
    from corrlearn import kernels

    if not kernels.numba_available():
        pytest.fail("numba is a dependency of corrlearn")
    d, mask, _ = write_clip(tmp_path, n=3)
    monkeypatch.setattr(kernels, "numba_cache_cold", lambda: True)
    base = ["propagate", d, "--mask", mask, "--model", "resnet18", "--backend", "numba"]
    assert _run(*base, "--out", tmp_path / "a") == 0
    assert capsys.readouterr().out.count("compiling kernels (once)...") == 1
    assert _run(*base, "--out", tmp_path / "b", "--quiet") == 0
    assert "compiling" not in capsys.readouterr().out
    monkeypatch.setattr(kernels, "numba_cache_cold", lambda: False)
    assert _run(*base, "--out", tmp_path / "c") == 0
    assert "compiling" not in capsys.readouterr().out


def test_an_empty_numba_cache_is_seen_as_cold(tmp_path):
    import subprocess
    import sys

    env = {**__import__("os").environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    probe = "from corrlearn import kernels; print(kernels.numba_cache_cold())"
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    assert res.stdout.strip() == "True", res.stderr[-2000:]
