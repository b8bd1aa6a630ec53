"""Is a video file cut short? Compare the sizes its container declares with the bytes on disk.

FFmpeg decodes a truncated Matroska / WebM file without an error: it returns the frames whose data arrived
(some of them concealed garbage) and stops. Decode errors, frame flags and frame counts do not tell reliably
(Matroska records no frame count; MP4's sample count legitimately exceeds the decoded frames under an edit
list), but every supported container declares how long its top-level parts are: MP4 / MOV boxes, the
Matroska Segment, the AVI RIFF chunks. A declared part that runs past the end of the file is a truncation.
Parts of unknown size (a live-written Matroska stream) cannot be checked and are accepted.
"""

from __future__ import annotations

import os
import struct

_EBML_ID = 0x1A45DFA3
_UNKNOWN = object()  # an EBML size of all ones: "unknown", written by live muxers


def declared_end(path: str | os.PathLike) -> int | None:
    """The byte offset at which the file's container says it ends, or None when it does not say (or the
    format is not one this checks). The offset exceeds the file size exactly when the file is truncated."""
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = fh.read(12)
        if head[:4] == b"RIFF":
            return _riff_end(fh, size)
        if len(head) >= 4 and int.from_bytes(head[:4], "big") == _EBML_ID:
            return _ebml_end(fh, size)
        if head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"):
            return _bmff_end(fh, size)
    return None


def truncation(path: str | os.PathLike) -> str | None:
    """None for a complete file; else why it is cut short, in words for an error message."""
    end = declared_end(path)
    size = os.path.getsize(path)
    if end is None or end <= size:
        return None
    return f"file is truncated: its container declares {end} bytes but the file holds {size}"


def _bmff_end(fh, size: int) -> int:
    """MP4 / MOV: walk the top-level boxes (32-bit size, 1 = a 64-bit size follows, 0 = to the end)."""
    pos = 0
    while pos + 8 <= size:
        fh.seek(pos)
        box, kind = struct.unpack(">I4s", fh.read(8))
        if box == 1:
            raw = fh.read(8)
            if len(raw) < 8:
                return pos + 16
            box = struct.unpack(">Q", raw)[0]
        elif box == 0:
            return size
        if box < 8:
            return pos + 8  # not a box: corrupt from here on; report the file as ending too early
        pos += box
    return pos


def _vint(fh, keep_marker: bool):
    """One EBML variable-length integer: (value, length in bytes), or (None, 0) at the end of the file."""
    first = fh.read(1)
    if not first:
        return None, 0
    b = first[0]
    length = 1
    while length <= 8 and not b & (0x80 >> (length - 1)):
        length += 1
    if length > 8:
        return None, 0
    rest = fh.read(length - 1)
    if len(rest) < length - 1:
        return None, 0
    value = b if keep_marker else b & ((0x80 >> (length - 1)) - 1)
    all_ones = value == (0x80 >> (length - 1)) - 1
    for r in rest:
        value = (value << 8) | r
        all_ones = all_ones and r == 0xFF
    if not keep_marker and all_ones:
        return _UNKNOWN, length
    return value, length


def _ebml_end(fh, size: int) -> int | None:
    """Matroska / WebM: walk the top-level elements (the EBML header, then the Segment)."""
    pos = 0
    while pos < size:
        fh.seek(pos)
        element, id_len = _vint(fh, keep_marker=True)
        length, size_len = _vint(fh, keep_marker=False)
        if element is None or length is None:
            return pos + id_len + size_len + 1  # the element header itself is cut
        if length is _UNKNOWN:
            return None  # written live: the size was never filled in, so there is nothing to check
        pos += id_len + size_len + length
    return pos


def _riff_end(fh, size: int) -> int:
    """AVI: walk the RIFF chunks (an OpenDML file over 1 GiB holds further RIFF 'AVIX' chunks)."""
    pos = 0
    while pos + 8 <= size:
        fh.seek(pos)
        tag, length = struct.unpack("<4sI", fh.read(8))
        if tag != b"RIFF":
            break  # trailing bytes after the last chunk: not a truncation
        pos += 8 + length
    return pos
