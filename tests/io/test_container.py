"""Truncated video files are found from the sizes their containers declare."""

import numpy as np
import pytest

from corrlearn.io.container import declared_end, truncation
from corrlearn.io.overlay import OverlayVideoWriter


def _write(path, codec=None):
    import av

    with av.open(str(path), "w") as c:
        s = c.add_stream(codec or "libx264", rate=10)
        s.width, s.height, s.pix_fmt = 48, 32, "yuvj420p" if codec == "mjpeg" else "yuv420p"
        for i in range(6):
            frame = np.full((32, 48, 3), 20 * i, np.uint8)
            for p in s.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)


@pytest.mark.parametrize("name, codec", [("v.mkv", None), ("v.webm", "libvpx-vp9"), ("v.mp4", None),
                                         ("v.mov", None), ("v.avi", "mjpeg")])  # fmt: skip
def test_complete_files_end_where_declared_and_every_cut_is_found(tmp_path, name, codec):
    path = tmp_path / name
    _write(path, codec)
    data = path.read_bytes()
    assert declared_end(path) == len(data) and truncation(path) is None
    cut = tmp_path / f"cut-{name}"
    found = 0
    for frac in np.linspace(0.05, 0.99, 40):
        cut.write_bytes(data[: int(len(data) * frac)])
        found += truncation(cut) is not None
    assert found >= 38  # a cut that falls exactly between two top-level parts looks complete


def test_overlay_writer_output_is_complete(tmp_path):
    w = OverlayVideoWriter(tmp_path / "o.mkv", fps=24)
    w.write(np.zeros((32, 48, 3), np.uint8))
    w.close()
    assert truncation(tmp_path / "o.mkv") is None


def test_live_written_matroska_of_unknown_size_is_accepted(tmp_path):
    path = tmp_path / "v.mkv"
    _write(path)
    data = bytearray(path.read_bytes())
    seg = data.index(bytes.fromhex("18538067"))  # the Segment element: its size follows the 4-byte id
    width = 8 - (data[seg + 4].bit_length() - 1)  # bytes of the size field, from its leading zeros
    data[seg + 4 : seg + 4 + width] = bytes([(0xFF >> (width - 1))]) + b"\xff" * (width - 1)
    path.write_bytes(bytes(data[: len(data) // 2]))
    assert declared_end(path) is None and truncation(path) is None


def test_other_files_are_not_judged(tmp_path):
    (tmp_path / "x.bin").write_bytes(b"not a video at all")
    assert declared_end(tmp_path / "x.bin") is None
