"""Output locations are checked before work starts, and the check itself leaves nothing behind."""

import errno
import os

import pytest

from corrlearn.errors import CorrlearnError
from corrlearn.io import writable
from corrlearn.io.writable import check_output_dir, check_output_file


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
