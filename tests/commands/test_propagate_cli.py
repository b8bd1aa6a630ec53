"""``corrlearn propagate`` end to end, and its one-line errors on bad input."""

import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from corrlearn.cli import main
from corrlearn.io.masks import DAVIS_PALETTE, read_mask
from tests.synthetic import translating_video


def _write_clip(tmp_path, n=4, size=(64, 96)):
    frames, gts = translating_video(n_frames=n, size=size, step=(2, 3))
    d = tmp_path / "frames"
    d.mkdir()
    for i, f in enumerate(frames):
        cv2.imwrite(str(d / f"{i:05d}.jpg"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    mask = Image.fromarray(gts[0], mode="P")
    mask.putpalette(DAVIS_PALETTE)
    mask.save(tmp_path / "first.png")
    return d, tmp_path / "first.png", frames


def _run(*argv):
    return main([str(a) for a in argv])


def test_folder_to_palette_pngs_and_overlay(tmp_path):
    d, mask, frames = _write_clip(tmp_path)
    out = tmp_path / "out"
    assert (
        _run("propagate", d, "--mask", mask, "--out", out, "--overlay", tmp_path / "ov.mp4", "--quiet") == 0
    )
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == [f"{i:05d}.png" for i in range(len(frames))]
    m = read_mask(out / "00003.png")
    assert m.palette[:9] == DAVIS_PALETTE[:9] and set(np.unique(m.ids)) <= {0, 1, 2}
    cap = cv2.VideoCapture(str(tmp_path / "ov.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == len(frames)
    assert not list(tmp_path.glob("**/.*"))  # no temp files left behind
    assert (out / "corrlearn-run.json").exists()


def test_video_file_input_and_start_frame(tmp_path):
    d, mask, frames = _write_clip(tmp_path, n=5)
    video = tmp_path / "clip.avi"
    w = cv2.VideoWriter(
        str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (frames[0].shape[1], frames[0].shape[0])
    )
    for f in frames:
        w.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    w.release()
    out = tmp_path / "out"
    assert _run("propagate", video, "--mask", mask, "--out", out, "--start-frame", 1, "--quiet") == 0
    assert sorted(p.name for p in out.glob("*.png")) == [f"{i:05d}.png" for i in range(1, 5)]


@pytest.mark.parametrize(
    "problem, expected",
    [
        ("missing_video", "no such video file or frame folder"),
        ("corrupt_frame", "frame is missing or cannot be decoded"),
        ("odd_frame_size", "but the first frame is"),
        ("mask_size", "but the frames are"),
        ("empty_mask", "mask is empty"),
        ("one_frame", "propagation needs at least 2"),
        ("unknown_preset", "unknown preset 'nope'"),
        ("bad_checkpoint", "checkpoint does not fit efficientnet-lite0"),
        ("not_a_checkpoint", "cannot be loaded safely as a checkpoint"),
        ("rgb_mask_unknown_colour", "is not in the DAVIS palette"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path, capsys, problem, expected):
    import torch

    d, mask, frames = _write_clip(tmp_path, n=3)
    extra = []
    video = d
    if problem == "missing_video":
        video = tmp_path / "nope"
    elif problem == "corrupt_frame":
        (d / "00001.jpg").write_bytes(b"not a jpeg")
    elif problem == "odd_frame_size":
        cv2.imwrite(str(d / "00002.jpg"), np.zeros((10, 10, 3), np.uint8))
    elif problem == "mask_size":
        Image.fromarray(np.ones((5, 5), np.uint8), mode="L").save(mask)
    elif problem == "empty_mask":
        Image.fromarray(np.zeros(frames[0].shape[:2], np.uint8), mode="L").save(mask)
    elif problem == "one_frame":
        for f in sorted(d.glob("*.jpg"))[1:]:
            f.unlink()
    elif problem == "unknown_preset":
        extra = ["--preset", "nope"]
    elif problem == "bad_checkpoint":
        torch.save({"model": {"conv1.weight": torch.zeros(1)}}, tmp_path / "w.pth")
        extra = ["--weights", tmp_path / "w.pth"]
    elif problem == "not_a_checkpoint":
        (tmp_path / "w.pth").write_bytes(b"garbage")
        extra = ["--weights", tmp_path / "w.pth"]
    elif problem == "rgb_mask_unknown_colour":
        rgb = np.zeros((*frames[0].shape[:2], 3), np.uint8)
        rgb[:4, :4] = (1, 2, 3)
        Image.fromarray(rgb, mode="RGB").save(mask)
    out = tmp_path / "out"
    code = _run("propagate", video, "--mask", mask, "--out", out, "--quiet", *extra)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and expected in err[0], err
    assert not out.exists() or not list(out.glob("*.png"))


@pytest.mark.realdata
def test_cli_on_real_sequence_with_overlay(davis_root, tmp_path):
    seq = "motocross-jump"
    frames_dir = davis_root / "JPEGImages" / "480p" / seq
    out = tmp_path / "masks"
    exe = shutil.which("corrlearn") or sys.executable
    cmd = [exe] if exe.endswith("corrlearn") else [exe, "-m", "corrlearn"]
    res = subprocess.run(
        [
            *cmd,
            "propagate",
            str(frames_dir),
            "--mask",
            str(davis_root / "Annotations" / "480p" / seq / "00000.png"),
            "--out",
            str(out),
            "--overlay",
            str(tmp_path / "overlay.mp4"),
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    names = sorted(p.stem for p in frames_dir.glob("*.jpg"))
    assert sorted(p.stem for p in out.glob("*.png")) == names
    # binary 0/255 annotations come back as 0/255 masks
    assert set(np.unique(np.array(Image.open(out / f"{names[-1]}.png")))) <= {0, 255}
    assert read_mask(out / f"{names[10]}.png").binary
    cap = cv2.VideoCapture(str(tmp_path / "overlay.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == len(names)
    ok, img = cap.read()
    assert ok and img.shape[:2] == (480, 854)
