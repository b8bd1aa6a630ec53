"""Check an output location before any work starts: writable, and apart from every input (nothing is created
by the checks)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Mapping
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


def _real(path: str | os.PathLike) -> Path:
    """``path`` with every symlink resolved (as far as it exists) and made absolute."""
    return Path(os.path.realpath(os.path.expanduser(os.fspath(path))))


def _same(a: Path, b: Path) -> bool:
    """Whether two resolved paths name one file or folder (hard links and bind mounts included)."""
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one does not exist (yet): then only equal paths are the same
        return False


def check_apart(
    outputs: Mapping[str, str | os.PathLike | None],
    inputs: Mapping[str, str | os.PathLike | Iterable[str | os.PathLike] | None],
) -> None:
    """Raise :class:`CorrlearnError` if an output location is, contains or lies inside an existing input.

    ``outputs`` and ``inputs`` map an option's name (``--out``, ``--mask``, ...) to its path (None: not
    given); an input may be a list of paths. Symlinks are resolved first, so a link to the frame folder is
    the frame folder. Inputs that do not exist cannot be harmed and are left to the command to report.
    """
    given = []
    for option, value in inputs.items():
        if value is None:
            continue
        values = [value] if isinstance(value, (str, os.PathLike)) else list(value)
        given += [(option, Path(v)) for v in values if Path(v).exists()]
    for out_option, out in outputs.items():
        if out is None:
            continue
        real_out = _real(out)
        for in_option, inp in given:
            real_in = _real(inp)
            if _same(real_out, real_in):
                how = "is"
            elif any(_same(p, real_in) for p in real_out.parents):
                how = "lies inside"
            elif any(_same(p, real_out) for p in real_in.parents):
                how = "contains"
            else:
                continue
            raise CorrlearnError(
                f"{out}: {out_option} {how} the input {in_option} {inp}; writing there could overwrite "
                "it: choose an output location outside the inputs"
            )
