"""Output locations are checked before work starts, and the check itself leaves nothing behind."""

import errno
import os

import pytest

from corrlearn.errors import CorrlearnError
from corrlearn.io import writable
from corrlearn.io.writable import check_apart, check_output_dir, check_output_file


def test_new_nested_folder_is_fine_and_nothing_is_created(tmp_path):
    check_output_dir(tmp_path / "a" / "b" / "c")
    check_output_file(tmp_path / "x" / "overlay.mp4", "--overlay")
    assert list(tmp_path.iterdir()) == []


def test_existing_file_and_file_in_the_path_are_refused(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(CorrlearnError, match="--out must be a folder but a file of that name exists"):
        check_output_dir(tmp_path / "f")
    with pytest.raises(CorrlearnError, match=r"cannot be created because .*f is a file"):
        check_output_dir(tmp_path / "f" / "sub")
    with pytest.raises(CorrlearnError, match="--overlay must be a file path but a folder"):
        check_output_file(tmp_path, "--overlay")


def test_read_only_filesystem_is_reported_in_one_line(tmp_path, monkeypatch):
    def erofs(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(writable.tempfile, "mkstemp", erofs)
    with pytest.raises(CorrlearnError) as exc:
        check_output_dir(tmp_path / "out")
    assert (
        str(exc.value) == f"{tmp_path / 'out'}: --out is not writable (read-only file system at {tmp_path})"
    )


def test_a_real_unwritable_location(unwritable_dir):
    with pytest.raises(CorrlearnError, match="--out is not writable"):
        check_output_dir(unwritable_dir / "out")


def _tree(tmp_path):
    frames = tmp_path / "clip" / "frames"
    frames.mkdir(parents=True)
    (frames / "00000.png").write_bytes(b"x")
    (tmp_path / "first.png").write_bytes(b"m")
    return frames


@pytest.mark.parametrize(
    "out, how",
    [
        ("clip/frames", "is"),
        ("clip/frames/masks", "lies inside"),
        ("clip/frames/masks/deeper/new", "lies inside"),  # not created yet: still inside
        ("clip", "contains"),
        (".", "contains"),
        ("link", "is"),  # a symlink to the frames
        ("link/masks", "lies inside"),
    ],
)
def test_output_at_an_input_is_refused(tmp_path, monkeypatch, out, how):
    frames = _tree(tmp_path)
    (tmp_path / "link").symlink_to(frames)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CorrlearnError) as exc:
        check_apart({"--out": out}, {"VIDEO": "clip/frames", "--mask": ["first.png"]})
    assert str(exc.value).startswith(f"{out}: --out {how} the input VIDEO clip/frames;"), str(exc.value)


def test_output_apart_from_inputs_is_fine(tmp_path):
    frames = _tree(tmp_path)
    check_apart(
        {"--out": tmp_path / "masks", "--overlay": tmp_path / "clip" / "overlay.mp4", "--absent": None},
        {"VIDEO": frames, "--mask": [tmp_path / "first.png"], "--weights": None, "--gone": tmp_path / "nope"},
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip", "first.png"]  # nothing created


def test_file_outputs_and_hard_links(tmp_path):
    frames = _tree(tmp_path)
    with pytest.raises(CorrlearnError, match="--overlay lies inside the input VIDEO"):
        check_apart({"--overlay": frames / "ov.mp4"}, {"VIDEO": frames})
    with pytest.raises(CorrlearnError, match="--out is the input --mask"):
        check_apart({"--out": tmp_path / "first.png"}, {"--mask": [tmp_path / "first.png"]})
    os.link(tmp_path / "first.png", tmp_path / "same.png")  # another name for the same file
    with pytest.raises(CorrlearnError, match="--overlay is the input --mask"):
        check_apart({"--overlay": tmp_path / "same.png"}, {"--mask": tmp_path / "first.png"})
