import os
import stat

import numpy as np
import pytest
from PIL import Image

from corrlearn.errors import CorrlearnError
from corrlearn.io.atomic import atomic_path, write_json_atomic
from corrlearn.io.masks import DAVIS_PALETTE, read_mask, write_mask


def test_davis_palette_first_colours():
    assert DAVIS_PALETTE[:12] == [0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0]


def test_binary_mask_roundtrip(tmp_path):
    arr = np.zeros((7, 9), np.uint8)
    arr[2:5, 3:6] = 255
    Image.fromarray(arr, mode="L").save(tmp_path / "m.png")
    m = read_mask(tmp_path / "m.png")
    assert m.binary and m.num_objects == 1 and m.ids.max() == 1
    write_mask(tmp_path / "o.png", m.ids, like=m)
    back = np.array(Image.open(tmp_path / "o.png"))
    assert Image.open(tmp_path / "o.png").mode == "L" and np.array_equal(back, arr)


def test_palette_mask_keeps_palette_and_void(tmp_path):
    ids = np.array([[0, 1, 2], [3, 255, 0]], np.uint8)
    img = Image.fromarray(ids, mode="P")
    pal = [i % 256 for i in range(768)]
    img.putpalette(pal)
    img.save(tmp_path / "p.png")
    m = read_mask(tmp_path / "p.png")
    assert not m.binary and m.num_objects == 3 and np.array_equal(m.ids, ids)
    write_mask(tmp_path / "o.png", m.ids, like=m)
    out = Image.open(tmp_path / "o.png")
    assert out.mode == "P" and out.getpalette()[:768] == pal and np.array_equal(np.array(out), ids)


def test_rgb_rendered_mask_maps_through_davis_palette(tmp_path):
    pal = np.array(DAVIS_PALETTE, np.uint8).reshape(-1, 3)
    ids = np.array([[0, 1], [2, 1]], np.uint8)
    Image.fromarray(pal[ids], mode="RGB").save(tmp_path / "rgb.png")
    assert np.array_equal(read_mask(tmp_path / "rgb.png").ids, ids)


def test_unreadable_and_missing_masks_are_named(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"nope")
    with pytest.raises(CorrlearnError, match=r"bad.png: not a readable image"):
        read_mask(tmp_path / "bad.png")
    with pytest.raises(CorrlearnError, match=r"missing.png: mask file not found"):
        read_mask(tmp_path / "missing.png")


def test_atomic_write_leaves_nothing_on_failure_and_normal_permissions(tmp_path):
    target = tmp_path / "x.json"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert not target.exists() and not list(tmp_path.iterdir())
    write_json_atomic(target, {"a": 1})
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_jpeg_mask_is_refused_as_lossy(tmp_path):
    arr = np.zeros((16, 16), np.uint8)
    arr[4:12, 4:12] = 255
    Image.fromarray(arr, mode="L").save(tmp_path / "m.jpg", quality=95)
    Image.fromarray(arr, mode="L").save(tmp_path / "looks-like.png", format="JPEG")
    for name in ("m.jpg", "looks-like.png"):  # judged by content, not by name
        with pytest.raises(
            CorrlearnError, match=rf"{name}: JPEG masks are lossy .* save the annotation as a PNG"
        ):
            read_mask(tmp_path / name)


def test_exif_rotated_mask_is_read_upright(tmp_path):
    ids = np.zeros((4, 6), np.uint8)
    ids[0, 0] = 1  # top-left of the stored picture
    img = Image.fromarray(ids, mode="P")
    img.putpalette(DAVIS_PALETTE)
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90 degrees clockwise: the top-left pixel ends top-right
    img.save(tmp_path / "m.png", exif=exif)
    m = read_mask(tmp_path / "m.png")
    assert (
        m.ids.shape == (6, 4) and m.ids[0, 3] == 1 and m.ids.sum() == 1 and m.palette[:6] == DAVIS_PALETTE[:6]
    )


def test_mask_of_only_void_says_255_is_void(tmp_path):
    from corrlearn.io.masks import check_first_mask

    ids = np.zeros((8, 8), np.uint8)
    ids[2:5, 2:5] = 255
    img = Image.fromarray(ids, mode="P")
    img.putpalette(DAVIS_PALETTE)
    img.save(tmp_path / "void.png")
    with pytest.raises(CorrlearnError, match=r"void\.png: mask holds only index 255, .* void"):
        check_first_mask(read_mask(tmp_path / "void.png"), tmp_path / "void.png", (8, 8))
    Image.fromarray(np.zeros((8, 8), np.uint8), mode="L").save(tmp_path / "empty.png")
    with pytest.raises(CorrlearnError, match="mask is empty"):
        check_first_mask(read_mask(tmp_path / "empty.png"), tmp_path / "empty.png", (8, 8))
