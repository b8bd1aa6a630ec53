"""``corrlearn propagate`` end to end, and its one-line errors on bad input."""

import json
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from corrlearn.cli import main
from corrlearn.datasets.davis import annotation_dir, frames_dir
from corrlearn.io.masks import DAVIS_PALETTE, read_mask
from tests.synthetic import translating_video, write_clip


def _run(*argv):
    return main([str(a) for a in argv])


def _codec_and_rate(path):
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return s.codec_context.name, float(s.average_rate), sum(1 for _ in c.decode(s))


def test_folder_to_palette_pngs_and_overlay(tmp_path):
    d, mask, frames = write_clip(tmp_path)
    out = tmp_path / "out"
    assert (
        _run("propagate", d, "--mask", mask, "--out", out, "--overlay", tmp_path / "ov.mp4", "--quiet") == 0
    )
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == [f"{i:05d}.png" for i in range(len(frames))]
    m = read_mask(out / "00003.png")
    assert m.palette[:9] == DAVIS_PALETTE[:9] and set(np.unique(m.ids)) <= {0, 1, 2}
    # H.264, and a frame folder plays at the documented 24 fps
    assert _codec_and_rate(tmp_path / "ov.mp4") == ("h264", 24.0, len(frames))
    assert not list(tmp_path.glob("**/.*"))  # no temp files or resume state left behind
    record = json.loads((out / "corrlearn-run.json").read_text())
    assert record["status"] == "complete" and record["frames_written"] == len(frames)


def test_video_file_from_a_middle_frame_goes_both_ways(tmp_path):
    d, mask, frames = write_clip(tmp_path, n=5)
    video = tmp_path / "clip.avi"
    w = cv2.VideoWriter(
        str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (frames[0].shape[1], frames[0].shape[0])
    )
    for f in frames:
        w.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    w.release()
    out, ov = tmp_path / "out", tmp_path / "ov.mp4"
    argv = ["propagate", video, "--mask", mask, "--out", out, "--start-frame", 2, "--backend", "torch"]
    assert _run(*argv, "--overlay", ov, "--quiet") == 0
    assert sorted(p.name for p in out.glob("*.png")) == [f"{i:05d}.png" for i in range(5)]
    assert _codec_and_rate(ov) == ("h264", 10.0, 5)  # the source's frame rate
    fwd = tmp_path / "fwd"
    assert _run(*argv[:-4], "--out", fwd, "--start-frame", 2, "--direction", "forward", "--quiet") == 0
    assert sorted(p.name for p in fwd.glob("*.png")) == [f"{i:05d}.png" for i in range(2, 5)]


def test_interrupted_run_is_marked_and_resumes_to_identical_masks(tmp_path, monkeypatch, capsys):
    from corrlearn.commands import propagate as cmd
    from corrlearn.propagate import engine, schedule

    d, _, frames = write_clip(tmp_path, n=6)
    _, gts = translating_video(n_frames=6, size=(64, 96), step=(2, 3))
    ann = tmp_path / "ann"
    ann.mkdir()
    for t in (2, 4):  # sparse annotations named after their frames
        img = Image.fromarray(gts[t], mode="P")
        img.putpalette(DAVIS_PALETTE)
        img.save(ann / f"{t:05d}.png")
    base = ["propagate", d, "--mask", ann, "--backend", "torch", "--quiet"]
    assert _run(*base, "--out", tmp_path / "ref") == 0

    finish = cmd.DiskState.finish

    def finish_then_stop(self, segment, ids):
        finish(self, segment, ids)
        raise KeyboardInterrupt

    monkeypatch.setattr(cmd.DiskState, "finish", finish_then_stop)
    out = tmp_path / "out"
    assert _run(*base, "--out", out) == 130
    record = json.loads((out / "corrlearn-run.json").read_text())
    assert record["status"] == "running" and len(record["segments_done"]) == 1
    monkeypatch.setattr(cmd.DiskState, "finish", finish)

    runs = []
    segment_video = engine.segment_video
    monkeypatch.setattr(engine, "segment_video", lambda *a, **k: runs.append(1) or segment_video(*a, **k))
    assert _run(*base, "--out", out) == 0
    assert len(runs) == len(schedule.plan(6, [2, 4], "both")) - 1  # the finished segment is skipped
    assert json.loads((out / "corrlearn-run.json").read_text())["status"] == "complete"
    for ref in sorted((tmp_path / "ref").glob("*.png")):
        assert (out / ref.name).read_bytes() == ref.read_bytes(), ref.name
    capsys.readouterr()
    # another configuration is refused, naming what differs
    assert _run(*base, "--out", out, "--direction", "forward") == 2
    assert "differs in: direction" in capsys.readouterr().err


def test_interrupted_is_printed_on_its_own_line(tmp_path, monkeypatch, capsys):
    from tqdm.auto import tqdm

    import corrlearn.propagate as prop

    d, mask, _ = write_clip(tmp_path)

    def stopped(*args, **kwargs):
        bar = tqdm(total=10, desc="propagate")
        bar.update(3)
        raise KeyboardInterrupt
        yield

    monkeypatch.setattr(prop, "propagate_video", stopped)
    assert _run("propagate", d, "--mask", mask, "--out", tmp_path / "out") == 130
    err = capsys.readouterr().err
    assert err.split("\n")[-2:] == ["corrlearn: interrupted", ""], repr(err)


def _snapshot(folder):
    """Every path under ``folder`` (symlinks as links) with a hash of each file's bytes."""
    import hashlib

    def state(p):
        if p.is_symlink():
            return "link"
        return hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"

    return {str(p.relative_to(folder)): state(p) for p in sorted(folder.rglob("*"))}


def _mkv(path, frames):
    """``frames`` as an H.264 Matroska file."""
    from corrlearn.io.overlay import OverlayVideoWriter

    w = OverlayVideoWriter(path, fps=10)
    for f in frames:
        w.write(f)
    w.close()
    return path


# problem -> (options, words expected): checked before anything is written, --fps while the arguments are read
OPTION_PROBLEMS = {
    "device_mps": (["--device", "mps"], "--device mps: corrlearn runs on cpu, cuda or cuda:N, not mps"),
    "device_foo": (["--device", "foo"], "--device 'foo': not a device; expected cpu, cuda or cuda:N"),
    "device_cuda_99": (["--device", "cuda:99"], "--device cuda:99: "),
    "backend_foo": (["--backend", "foo"], "--backend foo: backend must be one of"),
    "backend_triton_on_cpu": (["--backend", "triton"], "--backend triton: backend 'triton'"),
    "fps_inf": (["--fps", "inf"], "argument --fps: inf: expected a frame rate from 0.001 to 90000"),
    "fps_tiny": (["--fps", "1e-6"], "argument --fps: 1e-6: expected a frame rate"),
    "fps_nan": (["--fps", "nan"], "argument --fps: nan: expected a frame rate"),
}


def _unwritable(request, tmp_path):
    return request.getfixturevalue("unwritable_dir") / "out"


@pytest.mark.parametrize(
    "problem, expected",
    [
        ("missing_video", "no such video file or frame folder"),
        ("corrupt_frame", "frame is missing or cannot be decoded"),
        ("truncated_frame", "image file is truncated"),
        ("odd_frame_size", "but the first frame is"),
        ("mask_size", "but the frames are"),
        ("empty_mask", "mask is empty"),
        ("one_frame", "propagation needs at least 2"),
        ("start_frame_outside", "--start-frame 7 is outside 0..2"),
        ("unknown_preset", "unknown preset 'nope'"),
        ("bad_checkpoint", "checkpoint does not fit resnet18"),  # ResNet keys select the architecture
        ("not_a_checkpoint", "cannot be loaded safely as a checkpoint (not a PyTorch checkpoint"),
        ("pickled_object_checkpoint", "holds objects that are not plain weights (a pickled datetime.date)"),
        ("rgb_mask_unknown_colour", "colour (10, 200, 30) is not in the DAVIS palette"),
        ("mask_16bit_300_ids", "largest object id is 300, above the limit of 254"),
        ("annotation_not_a_frame_name", "annotation is not named after a frame"),
        ("out_is_a_file", "--out must be a folder but a file of that name exists"),
        ("out_not_writable", "--out is not writable"),
        ("overlay_not_writable", "--overlay is not writable"),
        ("overlay_format", "overlay must be .mp4, .mov, .mkv"),
        # options that cannot run are refused before the run record exists
        *((name, words) for name, (_, words) in sorted(OPTION_PROBLEMS.items())),
        # outputs never land on an input: the masks would overwrite PNG frames or annotations
        ("out_is_frame_folder", "--out is the input VIDEO"),
        ("out_is_mask_folder", "--out is the input --mask"),
        ("out_inside_frame_folder", "--out lies inside the input VIDEO"),
        ("out_holds_the_mask", "--out contains the input --mask"),
        ("out_is_symlink_to_frames", "--out is the input VIDEO"),
        ("out_holds_the_weights", "--out contains the input --weights"),
        ("overlay_is_the_video", "--overlay is the input VIDEO"),
        ("overlay_inside_frame_folder", "--overlay lies inside the input VIDEO"),
        # inputs read wrongly before: refused instead
        ("two_frames_one_stem", "two frames named 00001"),
        ("truncated_video", "video file is truncated"),
        ("jpeg_mask", "JPEG masks are lossy"),
        ("void_only_mask", "mask holds only index 255, which DAVIS masks use for void"),
        ("weights_folder", "is a folder, not a checkpoint file"),
        ("code_running_checkpoint", "holds objects that are not plain weights (a pickled posix.system)"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path, capsys, request, problem, expected):
    import torch

    d, mask, frames = write_clip(tmp_path, n=3)
    extra = []
    video = d
    out = tmp_path / "out"
    if problem == "missing_video":
        video = tmp_path / "nope"
    elif problem == "corrupt_frame":
        (d / "00001.jpg").write_bytes(b"not a jpeg")
    elif problem == "truncated_frame":  # a frame that decodes only partly is an error, not a grey mask
        data = (d / "00001.jpg").read_bytes()
        (d / "00001.jpg").write_bytes(data[: len(data) // 2])
    elif problem == "odd_frame_size":
        cv2.imwrite(str(d / "00002.jpg"), np.zeros((10, 10, 3), np.uint8))
    elif problem == "mask_size":
        Image.fromarray(np.ones((5, 5), np.uint8), mode="L").save(mask)
    elif problem == "empty_mask":
        Image.fromarray(np.zeros(frames[0].shape[:2], np.uint8), mode="L").save(mask)
    elif problem == "one_frame":
        for f in sorted(d.glob("*.jpg"))[1:]:
            f.unlink()
    elif problem == "start_frame_outside":
        extra = ["--start-frame", 7]
    elif problem == "unknown_preset":
        extra = ["--preset", "nope"]
    elif problem == "bad_checkpoint":
        torch.save({"model": {"conv1.weight": torch.zeros(1)}}, tmp_path / "w.pth")
        extra = ["--weights", tmp_path / "w.pth"]
    elif problem == "not_a_checkpoint":
        (tmp_path / "w.pth").write_bytes(b"garbage")
        extra = ["--weights", tmp_path / "w.pth"]
    elif problem == "pickled_object_checkpoint":
        torch.save(
            {"model": {"conv1.weight": torch.zeros(1)}, "when": __import__("datetime").date(2026, 1, 1)},
            tmp_path / "w.pth",
        )
        extra = ["--weights", tmp_path / "w.pth"]
    elif problem == "rgb_mask_unknown_colour":
        rgb = np.zeros((*frames[0].shape[:2], 3), np.uint8)
        rgb[:4, :4] = (10, 200, 30)
        Image.fromarray(rgb, mode="RGB").save(mask)
    elif problem == "mask_16bit_300_ids":
        ids = (np.arange(frames[0].shape[0] * frames[0].shape[1]) % 300 + 1).reshape(frames[0].shape[:2])
        Image.fromarray(ids.astype(np.uint16)).save(mask)
    elif problem == "annotation_not_a_frame_name":
        shutil.copy(mask, tmp_path / "second.png")
        extra = ["--mask", tmp_path / "second.png"]
    elif problem == "out_is_a_file":
        out.write_text("results of something else")
    elif problem == "out_not_writable":
        out = _unwritable(request, tmp_path)
    elif problem == "overlay_not_writable":
        extra = ["--overlay", _unwritable(request, tmp_path) / "ov.mp4"]
    elif problem == "overlay_format":
        extra = ["--overlay", tmp_path / "ov.gif"]
    elif problem in OPTION_PROBLEMS:
        extra = OPTION_PROBLEMS[problem][0]
    elif problem == "out_is_frame_folder":
        for f in d.glob("*.jpg"):  # PNG frames: the masks' own names and format
            Image.open(f).save(f.with_suffix(".png"))
            f.unlink()
        out = d
    elif problem == "out_is_mask_folder":
        ann = tmp_path / "annotations"
        ann.mkdir()
        shutil.move(mask, ann / "00000.png")
        mask = out = ann
    elif problem == "out_inside_frame_folder":
        out = d / "masks"
    elif problem == "out_holds_the_mask":
        out.mkdir()
        mask = shutil.move(mask, out / "00000.png")
    elif problem == "out_is_symlink_to_frames":
        out.symlink_to(d)
    elif problem == "out_holds_the_weights":
        out.mkdir()
        torch.save({"model": {"conv1.weight": torch.zeros(1)}}, out / "w.pth")
        extra = ["--weights", out / "w.pth"]
    elif problem == "overlay_is_the_video":
        video = _mkv(tmp_path / "clip.mkv", frames)
        extra = ["--overlay", video]
    elif problem == "overlay_inside_frame_folder":
        extra = ["--overlay", d / "overlay.mp4"]
    elif problem == "two_frames_one_stem":
        shutil.copy(d / "00001.jpg", d / "00001.png")
    elif problem == "truncated_video":
        data = _mkv(tmp_path / "clip.mkv", frames).read_bytes()
        video = tmp_path / "cut.mkv"
        video.write_bytes(data[: int(len(data) * 0.95)])
    elif problem == "jpeg_mask":
        Image.open(mask).convert("L").save(tmp_path / "first.jpg", quality=95)
        mask = tmp_path / "first.jpg"
    elif problem == "void_only_mask":
        ids = np.zeros(frames[0].shape[:2], np.uint8)
        ids[10:20, 10:30] = 255
        img = Image.fromarray(ids, mode="P")
        img.putpalette(DAVIS_PALETTE)
        img.save(mask)
    elif problem == "weights_folder":
        (tmp_path / "weights").mkdir()
        extra = ["--weights", tmp_path / "weights"]
    elif problem == "code_running_checkpoint":

        class RunsCode:  # unpickling runs a shell command, as a malicious checkpoint's would
            def __reduce__(self):
                return (__import__("os").system, (f"touch {tmp_path / 'ran'}",))

        torch.save({"model": {"conv1.weight": torch.zeros(1)}, "hook": RunsCode()}, tmp_path / "w.pth")
        extra = ["--weights", tmp_path / "w.pth"]
    before = _snapshot(tmp_path)  # every file of the user's, byte for byte
    code = _run("propagate", video, "--mask", mask, "--out", out, "--quiet", *extra)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and expected in err[0], err
    assert "weights_only" not in err[0]  # never advise turning safe loading off
    assert _snapshot(tmp_path) == before  # nothing written, nothing of the user's touched
    assert tmp_path in out.parents or not out.exists()


def _real_clip(davis_root, tmp_path, seq, n, scale):
    """The first ``n`` frames of a DAVIS sequence, resized by ``scale`` (masks nearest), in a temporary folder."""
    src = frames_dir(davis_root, seq)
    d, a = tmp_path / seq, tmp_path / f"{seq}-gt"
    d.mkdir()
    a.mkdir()
    for f in sorted(src.glob("*.jpg"))[:n]:
        img = cv2.imread(str(f))
        size = (round(img.shape[1] * scale), round(img.shape[0] * scale))
        cv2.imwrite(str(d / f.name), cv2.resize(img, size, interpolation=cv2.INTER_AREA))
        gt = np.array(Image.open(annotation_dir(davis_root, seq) / f"{f.stem}.png"))
        Image.fromarray(cv2.resize(gt, size, interpolation=cv2.INTER_NEAREST)).save(a / f"{f.stem}.png")
    return d, a


@pytest.mark.realdata
def test_truncated_real_frame_is_refused(davis_root, tmp_path, capsys):
    src = frames_dir(davis_root, "blackswan")
    d = tmp_path / "frames"
    d.mkdir()
    for f in sorted(src.glob("*.jpg"))[:3]:
        shutil.copy(f, d / f.name)
    (d / "00001.jpg").write_bytes((src / "00001.jpg").read_bytes()[:5000])  # the first 5,000 bytes
    mask = annotation_dir(davis_root, "blackswan") / "00000.png"
    out = tmp_path / "out"
    assert _run("propagate", d, "--mask", mask, "--out", out, "--quiet") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert (
        len(err) == 1
        and "00001.jpg: frame is missing or cannot be decoded (image file is truncated" in err[0]
    )
    assert not out.exists()


@pytest.mark.realdata
def test_cli_on_a_short_real_clip_from_its_middle_frame(davis_root, tmp_path):
    # 7 frames at half resolution: the claims (both ways, names, 0/255 convention, H.264 overlay, quality
    # above copying the annotation) do not need the whole clip at full size
    d, gt = _real_clip(davis_root, tmp_path, "blackswan", 7, 0.5)
    out = tmp_path / "masks"
    code = _run("propagate", d, "--mask", gt / "00003.png", "--start-frame", 3, "--out", out,
                "--overlay", tmp_path / "overlay.mp4", "--quiet")  # fmt: skip
    assert code == 0
    names = sorted(p.stem for p in d.glob("*.jpg"))
    assert sorted(p.stem for p in out.glob("*.png")) == names
    assert set(np.unique(np.array(Image.open(out / "00000.png")))) <= {0, 255}
    assert _codec_and_rate(tmp_path / "overlay.mp4") == ("h264", 24.0, 7)

    def j(a, b):
        return np.logical_and(a, b).sum() / np.logical_or(a, b).sum()

    ann = read_mask(gt / "00003.png").ids > 0
    for n in (names[0], names[-1]):  # the far ends, reached backwards and forwards
        truth = read_mask(gt / f"{n}.png").ids > 0
        assert j(read_mask(out / f"{n}.png").ids > 0, truth) > j(ann, truth), n


@pytest.mark.realdata
@pytest.mark.slow
def test_cli_on_real_sequence_with_overlay(davis_root, tmp_path):
    seq = "motocross-jump"
    src = frames_dir(davis_root, seq)
    out = tmp_path / "masks"
    exe = shutil.which("corrlearn") or sys.executable
    cmd = [exe] if exe.endswith("corrlearn") else [exe, "-m", "corrlearn"]
    res = subprocess.run(
        [
            *cmd,
            "propagate",
            str(src),
            "--mask",
            str(annotation_dir(davis_root, seq) / "00000.png"),
            "--out",
            str(out),
            "--overlay",
            str(tmp_path / "overlay.mp4"),
        ],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    names = sorted(p.stem for p in src.glob("*.jpg"))
    assert sorted(p.stem for p in out.glob("*.png")) == names
    # binary 0/255 annotations come back as 0/255 masks
    assert set(np.unique(np.array(Image.open(out / f"{names[-1]}.png")))) <= {0, 255}
    assert read_mask(out / f"{names[10]}.png").binary
    assert _codec_and_rate(tmp_path / "overlay.mp4") == ("h264", 24.0, len(names))
    from corrlearn.io.frames import open_frames

    assert open_frames(tmp_path / "overlay.mp4").size == (480, 854)
