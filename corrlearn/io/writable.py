"""Check that an output location can be written before any work starts (nothing is created by the check)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from corrlearn.errors import CorrlearnError


def _nearest_existing(path: Path) -> Path:
    p = path.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _probe(folder: Path, target: Path, option: str) -> None:
    """Create and remove a temporary file in ``folder``: the only reliable test (read-only mounts, ACLs, root)."""
    if not folder.is_dir():
        raise CorrlearnError(f"{target}: {option} cannot be created because {folder} is a file, not a folder")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".corrlearn-write-check.", dir=folder)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise CorrlearnError(f"{target}: {option} is not writable ({reason.lower()} at {folder})") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def check_output_dir(path: str | os.PathLike, option: str = "--out") -> None:
    """Raise :class:`CorrlearnError` unless ``path`` is an existing writable folder or can be created as one."""
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise CorrlearnError(f"{target}: {option} must be a folder but a file of that name exists")
    _probe(_nearest_existing(target), target, option)


def check_output_file(path: str | os.PathLike, option: str) -> None:
    """Raise :class:`CorrlearnError` unless a file can be written at ``path`` (an existing file is replaced)."""
    target = Path(path)
    if target.is_dir():
        raise CorrlearnError(f"{target}: {option} must be a file path but a folder of that name exists")
    _probe(_nearest_existing(target.absolute().parent), target, option)
