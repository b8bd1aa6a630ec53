"""One video's studio work, kept in its output folder so that closing the page and reopening it continues.

Layout of the output folder ``OUT``:

- ``annotations/NAME.png``: the masks drawn or loaded in the page (DAVIS palette), named after their frames,
  so ``corrlearn propagate VIDEO --mask OUT/annotations`` reads the same annotations;
- ``masks/NAME.png``: the latest propagated mask of every frame;
- ``export/``: the exported result, the files ``corrlearn propagate`` writes (one PNG per frame,
  ``corrlearn-run.json``) and ``overlay.mp4``; replaced whole by each export;
- ``studio.json``: frames marked bad, and which propagation made each mask in ``masks/``;
- ``.studio-stops/``: the masks propagation reached at each segment's stop, which seed the next segment.

Re-propagation runs only what changed. The schedule (:mod:`corrlearn.propagate.schedule`) cuts the video into
segments, each restarting the deterministic engine from a start mask; a segment's masks depend only on the
settings, its direction, its start frame and that start mask. Each mask in ``masks/`` is recorded with the
digest of those inputs, so a segment whose emitted masks and stop mask are all recorded under its current
digest is skipped (see :class:`StopStore`), and the result is the same as propagating everything again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from corrlearn.errors import CorrlearnError
from corrlearn.io.atomic import atomic_path, write_json_atomic
from corrlearn.io.frames import open_frames
from corrlearn.io.masks import MAX_OBJECTS, VOID_ID, check_first_mask, read_mask, write_mask
from corrlearn.propagate import apply_annotation, get_preset, plan, propagate_video

DIRECTION = "both"
STATE = "studio.json"
STOPS = ".studio-stops"


class RunRecord(Protocol):
    """What the studio takes from ``corrlearn propagate``'s run record, so both write the same files.

    ``corrlearn.commands.propagate`` provides these today (the studio sits below the commands layer, so the
    command that starts it passes that module in).
    """

    RECORD: str

    def read_annotations(self, paths: list[str], frames, start_frame: int) -> tuple[dict, Any]: ...

    def run_config(self, args: argparse.Namespace, frames, annotations: dict, preset) -> dict: ...

    def open_record(self, out: Path, config: dict) -> dict: ...

    def write_overlay(self, args: argparse.Namespace, frames, out: Path, like) -> None: ...


@dataclass(frozen=True)
class Settings:
    """The propagation settings, with ``corrlearn propagate``'s names and defaults."""

    preset: str = "crw"
    model: str | None = None
    stride: int | None = None
    weights: str | None = None
    device: str = "cpu"
    backend: str = "auto"
    precision: str = "fp32"
    pipeline: bool = False
    fps: float | None = None


class Cancelled(Exception):
    """Raised inside a propagation when the page pressed Cancel."""


class Project:
    """The frames of one video and everything the page made for it, in ``out``."""

    def __init__(
        self, video: str | os.PathLike, out: str | os.PathLike, settings: Settings, record: RunRecord
    ):
        self.video = Path(video)
        self.frames = open_frames(video)
        if len(self.frames) < 2:
            raise CorrlearnError(f"{video}: has {len(self.frames)} frame; propagation needs at least 2")
        self.out = Path(out)
        self.annotation_dir = self.out / "annotations"
        self.mask_dir = self.out / "masks"
        self.export_dir = self.out / "export"
        self.settings = settings
        self.record = record
        self.preset = get_preset(settings.preset)
        self.out.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()  # the state file and the encoder
        self._encoder = None
        self._model: str | None = None
        self.state = self._load_state()

    # ----------------------------------------------------------------------------------------------- state
    def _load_state(self) -> dict:
        path = self.out / STATE
        if not path.is_file():
            return {"bad": [], "digests": {}, "propagated": None}
        try:
            state = json.loads(path.read_text())
        except ValueError:
            raise CorrlearnError(f"{path}: corrupt studio state; remove it to start over") from None
        state.setdefault("bad", [])
        state.setdefault("digests", {})
        state.setdefault("propagated", None)
        return state

    def save_state(self) -> None:
        with self._lock:
            write_json_atomic(self.out / STATE, self.state)

    def name(self, t: int) -> str:
        if not 0 <= t < len(self.frames):
            raise CorrlearnError(f"frame {t} is outside 0..{len(self.frames) - 1}")
        return self.frames.names[t]

    def annotated(self) -> list[int]:
        """Indices of the annotated frames."""
        return [t for t, n in enumerate(self.frames.names) if (self.annotation_dir / f"{n}.png").is_file()]

    def propagated(self) -> list[int]:
        return [t for t, n in enumerate(self.frames.names) if (self.mask_dir / f"{n}.png").is_file()]

    def bad(self) -> list[int]:
        index = {n: t for t, n in enumerate(self.frames.names)}
        return sorted(index[n] for n in self.state["bad"] if n in index)

    def annotations_digest(self) -> str | None:
        """A digest of every annotation file: tells the page whether the masks predate an edit."""
        files = sorted(self.annotation_dir.glob("*.png")) if self.annotation_dir.is_dir() else []
        if not files:
            return None
        h = hashlib.sha256()
        for f in files:
            h.update(f.name.encode() + b"\0" + f.read_bytes())
        return h.hexdigest()

    def info(self) -> dict:
        """What the page needs to draw the video, its timeline and its controls."""
        h, w = self.frames.size
        return {
            "video": str(self.video),
            "out": str(self.out),
            "names": list(self.frames.names),
            "width": w,
            "height": h,
            "fps": self.frames.fps,
            "annotated": self.annotated(),
            "propagated": self.propagated(),
            "bad": self.bad(),
            "stale": self.state["propagated"] != self.annotations_digest(),
            "exported": (self.export_dir / self.record.RECORD).is_file(),
            "settings": {"preset": self.settings.preset, "model": self._model or self.settings.model},
        }

    # ----------------------------------------------------------------------------------------------- masks
    def ids(self, t: int) -> tuple[str, np.ndarray | None]:
        """The mask the page shows on frame ``t``: ``("annotation" | "propagated" | "none", ids)``."""
        name = self.name(t)
        for kind, folder in (("annotation", self.annotation_dir), ("propagated", self.mask_dir)):
            path = folder / f"{name}.png"
            if path.is_file():
                return kind, read_mask(path).ids
        return "none", None

    def save_annotation(self, t: int, data: bytes) -> None:
        """Store the page's object ids for frame ``t`` (H * W bytes, row-major); all zero removes it."""
        name = self.name(t)
        h, w = self.frames.size
        if len(data) != h * w:
            raise CorrlearnError(
                f"mask for frame {name} has {len(data)} values but the frame is {w}x{h} ({w * h} pixels)"
            )
        ids = np.frombuffer(data, np.uint8).reshape(h, w)
        top = int(ids[ids != VOID_ID].max(initial=0))
        if top > MAX_OBJECTS:
            raise CorrlearnError(
                f"mask for frame {name}: object id {top} is above the limit of {MAX_OBJECTS}"
            )
        if not (ids[ids != VOID_ID] > 0).any():
            self.delete_annotation(t)
            return
        write_mask(self.annotation_dir / f"{name}.png", ids)
        self.set_bad(t, False)  # an annotated frame is fixed by definition

    def load_mask(self, t: int, data: bytes, filename: str) -> None:
        """Use an existing mask PNG (palette, 0/255 or DAVIS colours) as frame ``t``'s annotation."""
        name = self.name(t)
        with tempfile.TemporaryDirectory(dir=self.out, prefix=".upload-") as tmp:
            path = Path(tmp) / "mask.png"
            path.write_bytes(data)
            try:
                mask = read_mask(path)
            except CorrlearnError as exc:  # name the user's file, not the temporary copy
                raise CorrlearnError(str(exc).replace(str(path), filename)) from None
        check_first_mask(mask, filename, self.frames.size)
        write_mask(self.annotation_dir / f"{name}.png", mask.ids)
        self.set_bad(t, False)

    def delete_annotation(self, t: int) -> None:
        (self.annotation_dir / f"{self.name(t)}.png").unlink(missing_ok=True)

    def set_bad(self, t: int, bad: bool) -> None:
        """Mark frame ``t`` as needing a correction (shown on the timeline), or clear the mark."""
        name = self.name(t)
        with self._lock:
            marks = [n for n in self.state["bad"] if n != name] + ([name] if bad else [])
            if marks != self.state["bad"]:
                self.state["bad"] = marks
                self.save_state()

    # ----------------------------------------------------------------------------------------- propagation
    def encoder(self):
        """The encoder, built once (the server builds it at start so Propagate does not wait for it)."""
        from corrlearn import models

        with self._lock:
            if self._encoder is None:
                s = self.settings
                self._model = s.model or models.model_for_weights(s.weights)
                self._encoder = models.create(
                    self._model, stride=s.stride, input_space=self.preset.input_space, weights=s.weights
                )
            return self._encoder

    def warm_up(self) -> None:
        """Build the encoder and load the affinity kernels (numba's disk cache, seconds on a busy machine)
        before the first Propagate, so its first masks appear without that wait."""
        from corrlearn.affinity import load_kernels

        self.encoder()
        load_kernels(self.settings.backend, self.settings.device)

    def read_annotations(self) -> tuple[dict, Any]:
        """Frame index -> (file, LabelMask), and the mask whose convention outputs follow: the CLI's reader."""
        if not self.annotated():
            raise CorrlearnError("no annotated frame yet: draw a mask on a frame (or load one) first")
        return self.record.read_annotations([str(self.annotation_dir)], self.frames, 0)

    def config(self, annotations: dict) -> dict:
        """``corrlearn propagate``'s run configuration for these annotations and settings."""
        s = self.settings
        encoder = self.encoder()
        args = argparse.Namespace(
            video=str(self.video), direction=DIRECTION, model=self._model, stride=encoder.stride,
            weights=s.weights, device=s.device, backend=s.backend, precision=s.precision,
        )  # fmt: skip
        return self.record.run_config(args, self.frames, annotations, self.preset)

    def propagate(self, report: Callable[..., None], cancelled: Callable[[], bool]) -> dict:
        """Propagate from every annotated frame, both ways, writing ``masks/``; skip what is up to date.

        ``report(done=, total=)`` is called as frames are processed, ``report(frame=t)`` when frame t's mask
        is written; ``cancelled()`` is polled before each frame and stops the run with :class:`Cancelled`.
        """
        return self._propagate(report, cancelled)[0]

    def _propagate(self, report, cancelled) -> tuple[dict, dict, Any, dict]:
        """:meth:`propagate`, also returning the annotations, output convention and configuration it used."""
        annotations, like = self.read_annotations()
        edits = self.annotations_digest()  # what this run propagates; edits made meanwhile stay stale
        encoder = self.encoder()
        # no up-front decode of every frame (the CLI's validate()): masks appear at once, and a frame that
        # cannot be decoded stops the run there with its one-line message; export only follows a full run
        config = self.config(annotations)
        settings = {k: v for k, v in config.items() if k != "annotations"}
        segments = plan(len(self.frames), list(annotations), DIRECTION)
        progress = _Progress(sum(s.frames for s in segments), report)
        stops = StopStore(self, settings, {t: m.ids for t, (_, m) in annotations.items()}, progress)
        source = _WatchedFrames(self.frames, progress, cancelled)
        s = self.settings
        for t, ids in propagate_video(
            source,
            stops.annotations,
            encoder,
            self.preset,
            direction=DIRECTION,
            device=s.device,
            backend=s.backend,
            progress=False,
            state=stops,
            precision=s.precision,
            pipeline=s.pipeline,
        ):
            write_mask(self.mask_dir / f"{self.frames.names[t]}.png", ids, like=like)
            report(frame=t)
        with self._lock:
            self.state["propagated"] = edits
            self.save_state()
        summary = {
            "segments": len(segments),
            "segments_run": stops.run,
            "frames_computed": progress.computed,
            "frames": len(self.frames),
        }
        return summary, annotations, like, config

    def export(self, report: Callable[..., None], cancelled: Callable[[], bool]) -> dict:
        """Propagate what is out of date, then write ``export/`` whole: what ``corrlearn propagate`` writes
        for these annotations (``--out export --overlay export/overlay.mp4``), byte for byte."""
        # the annotations and configuration the masks were made from (edits made meanwhile wait for the next)
        summary, annotations, like, config = self._propagate(report, cancelled)
        segments = plan(len(self.frames), list(annotations), DIRECTION)
        tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=self.out))
        try:
            umask = os.umask(0)
            os.umask(umask)
            tmp.chmod(0o777 & ~umask)  # mkdtemp makes a private folder; the export is a normal one
            for name in self.frames.names:
                shutil.copyfile(self.mask_dir / f"{name}.png", tmp / f"{name}.png")
            record = self.record.open_record(tmp, config)
            record.update(
                status="complete",
                segments_done=[s.key for s in segments],
                frames_written=sum(len(s.emit) for s in segments),
            )
            write_json_atomic(tmp / self.record.RECORD, record)
            report(stage="overlay")
            overlay = argparse.Namespace(fps=self.settings.fps, overlay=str(tmp / "overlay.mp4"), quiet=True)
            self.record.write_overlay(overlay, self.frames, tmp, like)
            _replace_dir(tmp, self.export_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return {**summary, "export": str(self.export_dir)}


def _replace_dir(new: Path, target: Path) -> None:
    """Put folder ``new`` at ``target``, moving any old one aside first and deleting it after."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
        os.replace(target, old / target.name)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def segment_digest(settings: dict, direction: str, start: int, start_ids: np.ndarray) -> str:
    """Everything a segment's masks depend on: the settings, its direction, start frame and start mask."""
    h = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    h.update(f"|{direction}|{start}|{start_ids.shape}|".encode())
    h.update(np.ascontiguousarray(start_ids, dtype=np.uint8).tobytes())
    return h.hexdigest()[:24]


class _Progress:
    """Frames processed (read by the engine, or skipped as up to date) out of all the schedule's frames."""

    def __init__(self, total: int, report: Callable[..., None]):
        self.total, self.done, self.computed, self.report = total, 0, 0, report
        report(done=0, total=total)

    def add(self, n: int, computed: bool) -> None:
        self.done += n
        self.computed += n if computed else 0
        self.report(done=self.done, total=self.total)


class _WatchedFrames:
    """The project's frames as the schedule reads them: counted for the progress bar, and cancellable."""

    def __init__(self, frames, progress: _Progress, cancelled: Callable[[], bool]):
        self._frames, self._progress, self._cancelled = frames, progress, cancelled

    def __len__(self) -> int:
        return len(self._frames)

    def __getattr__(self, name: str):
        return getattr(self._frames, name)

    def iter_span(self, first: int, last: int) -> Iterator[np.ndarray]:
        for frame in self._frames.iter_span(first, last):
            if self._cancelled():
                raise Cancelled
            yield frame
            self._progress.add(1, computed=True)


class StopStore:
    """The schedule's state (:class:`~corrlearn.propagate.schedule.ScheduleState`) for re-propagation.

    A segment is finished when every mask it emits is in ``masks/`` under its current digest and its stop
    mask is known (stored in ``.studio-stops/`` or emitted under that digest). The store mirrors the mask
    the schedule carries in each direction, so it can compute each segment's start mask, hence its digest,
    exactly as the schedule will.
    """

    def __init__(self, project: Project, settings: dict, annotations: dict, progress: _Progress):
        self.project, self.settings, self.annotations, self.progress = (
            project,
            settings,
            annotations,
            progress,
        )
        self.carried: dict[str, np.ndarray | None] = {"forward": None, "backward": None}
        self.digest: dict[str, str] = {}
        self.run = 0

    def _stop_path(self, digest: str, stop: int) -> Path:
        return self.project.out / STOPS / f"{digest}-{stop:05d}.png"

    def finished(self, segment) -> np.ndarray | None:
        p = self.project
        start_ids = apply_annotation(self.carried[segment.direction], self.annotations[segment.start])
        digest = segment_digest(self.settings, segment.direction, segment.start, start_ids)
        self.digest[segment.key] = digest
        names = p.frames.names
        digests = p.state["digests"]

        def have(t: int) -> bool:
            return digests.get(names[t]) == digest and (p.mask_dir / f"{names[t]}.png").is_file()

        stop = None
        if self._stop_path(digest, segment.stop).is_file():
            with Image.open(self._stop_path(digest, segment.stop)) as img:
                stop = np.array(img)
        elif have(segment.stop):
            stop = read_mask(p.mask_dir / f"{names[segment.stop]}.png").ids
        if stop is not None and all(have(t) for t in segment.emit):
            self.carried[segment.direction] = stop
            self.progress.add(segment.frames, computed=False)
            return stop
        # its masks are about to be rewritten: forget what made them until the segment finishes
        with p._lock:
            for t in segment.emit:
                digests.pop(names[t], None)
            p.save_state()
        self.run += 1
        return None

    def finish(self, segment, stop_ids: np.ndarray) -> None:
        p = self.project
        digest = self.digest[segment.key]
        with atomic_path(self._stop_path(digest, segment.stop)) as tmp:
            Image.fromarray(np.asarray(stop_ids, np.uint8), mode="L").save(tmp, format="PNG")
        self.carried[segment.direction] = stop_ids
        with p._lock:
            for t in segment.emit:
                p.state["digests"][p.frames.names[t]] = digest
            p.save_state()
