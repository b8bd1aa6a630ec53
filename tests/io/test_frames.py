"""Frame sources: fully-decoded images only, and videos read through PyAV with timestamps and rotation."""

from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from corrlearn.errors import CorrlearnError
from corrlearn.io.frames import FOLDER_FPS, open_frames, read_image
from corrlearn.io.overlay import OverlayVideoWriter
from tests.synthetic import textured_image


def test_truncated_jpeg_is_refused(tmp_path):
    img = textured_image(64, 96)
    cv2.imwrite(str(tmp_path / "a.jpg"), img)
    data = (tmp_path / "a.jpg").read_bytes()
    (tmp_path / "b.jpg").write_bytes(data[: len(data) // 2])
    assert read_image(tmp_path / "a.jpg").shape == (64, 96, 3)
    with pytest.raises(
        CorrlearnError, match=r"b\.jpg: frame is missing or cannot be decoded \(image file is truncated"
    ):
        read_image(tmp_path / "b.jpg")


def test_image_decoding_matches_opencv(tmp_path):
    img = textured_image(40, 56, seed=3)
    cv2.imwrite(str(tmp_path / "a.jpg"), img)
    ref = cv2.cvtColor(cv2.imread(str(tmp_path / "a.jpg")), cv2.COLOR_BGR2RGB)
    assert np.array_equal(read_image(tmp_path / "a.jpg"), ref)


def test_folder_has_the_documented_frame_rate(tmp_path):
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"{i}.png"), textured_image(8, 8, seed=i))
    src = open_frames(tmp_path)
    assert src.fps == FOLDER_FPS == 24.0 and src.times == [0.0, 1 / 24, 2 / 24]


def _frames(n=12, size=(32, 48)):
    return [np.full((*size, 3), 10 + 20 * i, np.uint8) for i in range(n)]


def test_h264_roundtrip_with_timestamps_and_backward_reading(tmp_path):
    times = [0.0, 0.1, 0.2, 0.4, 0.45, 0.5, 0.7, 0.8, 0.9, 1.0, 1.3, 1.35]  # variable frame rate
    w = OverlayVideoWriter(tmp_path / "v.mp4", fps=10)
    for f, t in zip(_frames(), times, strict=True):
        w.write(f, t)
    w.close()
    with av.open(str(tmp_path / "v.mp4")) as c:
        assert c.streams.video[0].codec_context.name == "h264"
    src = open_frames(tmp_path / "v.mp4")
    assert len(src) == 12 and src.size == (32, 48)
    assert np.allclose(src.times, times, atol=1e-3)
    forward = list(src.iter_span(0, 11))
    # frames come back in order (flat grey levels survive lossy coding to within 2)
    assert np.allclose([f.mean() for f in forward], [10 + 20 * i for i in range(12)], atol=2)
    backward = list(src.iter_span(9, 2))
    assert all(np.array_equal(a, b) for a, b in zip(backward, forward[2:10][::-1], strict=True))
    assert np.array_equal(src.read(7), forward[7])


def test_odd_sizes_are_padded_and_constant_rate_kept(tmp_path):
    w = OverlayVideoWriter(tmp_path / "v.mkv", fps=30)
    for f in _frames(5, (33, 47)):
        w.write(f)
    w.close()
    with av.open(str(tmp_path / "v.mkv")) as c:
        s = c.streams.video[0]
        assert (s.width, s.height, float(s.average_rate)) == (48, 34, 30.0)


def test_rotation_metadata_is_applied(tmp_path):
    path = tmp_path / "portrait.mp4"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=Fraction(25))
        s.width, s.height, s.pix_fmt = 64, 32, "yuv420p"
        s.set_display_rotation(90)  # shown turned 90 degrees counter-clockwise, as phones record
        for _ in range(3):
            a = np.zeros((32, 64, 3), np.uint8)
            a[:, :16] = 255  # a white band on the left of the stored picture
            for p in s.encode(av.VideoFrame.from_ndarray(a, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    src = open_frames(path)
    up = src.read(0)
    assert up.shape[:2] == (64, 32) and src.size == (64, 32)
    # turning counter-clockwise moves the left band to the bottom
    assert up[-16:].mean() > 240 and up[:-16].mean() < 15


def test_unopenable_video_is_one_line(tmp_path):
    (tmp_path / "x.mp4").write_bytes(b"not a video")
    with pytest.raises(CorrlearnError, match=r"x\.mp4: video cannot be opened"):
        open_frames(tmp_path / "x.mp4")
