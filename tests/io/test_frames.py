"""Frame sources: fully-decoded images only, and videos read through PyAV with timestamps and rotation."""

from fractions import Fraction

import av
import cv2
import numpy as np
import pytest
from PIL import Image

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


def test_16bit_grayscale_png_keeps_its_top_8_bits(tmp_path):
    # a 16-bit frame converted naively clips every value above 255 to white
    gray = (np.arange(32 * 48, dtype=np.uint32).reshape(32, 48) * 40).astype(np.uint16)
    Image.fromarray(gray).save(tmp_path / "g.png")
    assert Image.open(tmp_path / "g.png").mode.startswith("I;16")
    rgb = read_image(tmp_path / "g.png")
    expected = (gray >> 8).astype(np.uint8)
    assert rgb.dtype == np.uint8 and rgb.shape == (32, 48, 3)
    assert all(np.array_equal(rgb[..., c], expected) for c in range(3))
    assert 0 < rgb.mean() < 250  # not solid white
    # the same 8 bits OpenCV (the training reader) gives
    assert np.array_equal(rgb, cv2.cvtColor(cv2.imread(str(tmp_path / "g.png")), cv2.COLOR_BGR2RGB))


def test_exif_rotated_jpeg_is_read_upright(tmp_path):
    stored = np.zeros((32, 64, 3), np.uint8)
    stored[:, :16] = 255  # a white band on the left of the stored picture
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation 6: display turned 90 degrees clockwise, as phones store portrait shots
    Image.fromarray(stored).save(tmp_path / "00000.jpg", exif=exif, quality=95)
    up = read_image(tmp_path / "00000.jpg")
    # turning clockwise moves the left band to the top
    assert up.shape[:2] == (64, 32) and up[:16].mean() > 240 and up[16:].mean() < 15
    assert open_frames(tmp_path).size == (64, 32)


def test_two_frames_with_one_stem_are_refused_naming_both(tmp_path):
    for name in ("00001.jpg", "00002.jpg", "00002.png"):
        cv2.imwrite(str(tmp_path / name), textured_image(8, 8))
    with pytest.raises(CorrlearnError) as exc:
        open_frames(tmp_path)
    msg = str(exc.value)
    assert "00002.jpg" in msg and "00002.png" in msg and "two frames named 00002" in msg


def test_truncated_matroska_video_is_refused(tmp_path):
    w = OverlayVideoWriter(tmp_path / "v.mkv", fps=10)
    for f in _frames(6):
        w.write(f)
    w.close()
    assert len(open_frames(tmp_path / "v.mkv")) == 6
    data = (tmp_path / "v.mkv").read_bytes()
    (tmp_path / "cut.mkv").write_bytes(data[: int(len(data) * 0.95)])
    with av.open(str(tmp_path / "cut.mkv")) as c:  # FFmpeg itself decodes what is left without an error
        assert 0 < sum(1 for _ in c.decode(c.streams.video[0])) < 6
    with pytest.raises(CorrlearnError, match=r"cut\.mkv: video file is truncated: its container declares"):
        open_frames(tmp_path / "cut.mkv")
