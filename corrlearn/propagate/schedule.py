"""Propagation from any annotated frames, forwards, backwards or both, scheduled above the streaming engine.

The engine (:func:`segment_video`) carries one mask forward through the frames it is given. This module cuts
a video into *segments* that each restart the engine at an annotated frame:

- ``forward``: from the first annotated frame to the end. At each later annotated frame the engine restarts
  from the propagated mask with the objects that annotation names reset to the annotation (objects it does
  not name keep their propagated masks; its void pixels, 255, change nothing). Earlier frames get no mask.
- ``backward``: the mirror image, through the reversed frames, from the last annotated frame to frame 0.
- ``both`` (default): both passes; every frame takes its mask from the pass whose most recent restart is
  nearer in time (ties and annotated frames go to the forward pass). With one annotated frame this is plain
  backward propagation before it and forward propagation after it, each frame computed once.

Each segment is deterministic given the mask it starts from, so a run that stops between segments resumes
from the stored start masks to identical output (see ``state`` in :func:`propagate_video`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from corrlearn.errors import CorrlearnError
from corrlearn.io.masks import VOID_ID
from corrlearn.propagate.presets import Preset

if TYPE_CHECKING:  # the plan and DIRECTIONS are read without torch (the CLI's help and its checks)
    import torch

    from corrlearn.models import Encoder

DIRECTIONS = ("forward", "backward", "both")


@dataclass(frozen=True)
class Segment:
    """One run of the engine: restarted at annotated frame ``start``, carried to frame ``stop`` (inclusive).

    ``emit`` lists the frames whose masks this segment provides; ``stop`` is the next annotated frame in the
    direction of travel (or the first / last frame), where the propagated mask seeds the next segment.
    """

    direction: str
    start: int
    stop: int
    emit: tuple[int, ...]

    @property
    def key(self) -> str:
        return f"{self.direction}-{self.start:05d}-{self.stop:05d}"

    @property
    def frames(self) -> int:
        return abs(self.stop - self.start) + 1


def plan(num_frames: int, annotated: Sequence[int], direction: str = "both") -> list[Segment]:
    """The segments that cover a video of ``num_frames`` frames annotated at ``annotated`` (any order)."""
    if direction not in DIRECTIONS:
        raise CorrlearnError(f"--direction {direction!r}: expected one of {', '.join(DIRECTIONS)}")
    marks = sorted(set(annotated))
    if not marks:
        raise CorrlearnError("no annotated frame given")
    if marks[0] < 0 or marks[-1] >= num_frames:
        raise CorrlearnError(
            f"annotated frame {marks[0] if marks[0] < 0 else marks[-1]} is outside 0..{num_frames - 1}"
        )
    segments: list[Segment] = []
    both = direction == "both"
    if direction in ("forward", "both"):
        for k, a in enumerate(marks):
            nxt = marks[k + 1] if k + 1 < len(marks) else None
            stop = num_frames - 1 if nxt is None else nxt
            # in `both`, a frame between two annotations belongs to the nearer one (ties: forward)
            emit = tuple(
                t for t in range(a, stop + 1) if t != nxt and (not both or nxt is None or t - a <= nxt - t)
            )
            segments.append(Segment("forward", a, stop, emit))
    if direction in ("backward", "both"):
        for k in range(len(marks) - 1, -1, -1):
            a = marks[k]
            prv = marks[k - 1] if k > 0 else None
            stop = 0 if prv is None else prv
            if both:
                emit = tuple(
                    t for t in range(a - 1, stop - 1, -1) if t != prv and (prv is None or a - t < t - prv)
                )
            else:
                emit = tuple(t for t in range(a, stop - 1, -1) if t != prv)
            if stop != a or emit:
                segments.append(Segment("backward", a, stop, emit))
    return segments


def apply_annotation(predicted: np.ndarray | None, annotation: np.ndarray) -> np.ndarray:
    """The mask an annotated frame restarts from: ``predicted`` with the objects ``annotation`` names reset."""
    ann = np.asarray(annotation, dtype=np.uint8)
    if predicted is None:
        return ann.copy()
    out = np.asarray(predicted, dtype=np.uint8).copy()
    named = np.setdiff1d(np.unique(ann), [0, VOID_ID])
    out[np.isin(out, named)] = 0
    paint = (ann != 0) & (ann != VOID_ID)
    out[paint] = ann[paint]
    return out


class ScheduleState(Protocol):
    """Where finished segments are remembered (the CLI keeps them on disk to resume a killed run)."""

    def finished(self, segment: Segment) -> np.ndarray | None:
        """The mask propagated to ``segment.stop`` if the segment finished earlier, else None."""

    def finish(self, segment: Segment, stop_ids: np.ndarray) -> None:
        """Record that ``segment`` finished (its emitted masks are stored) with this mask at its stop."""


def _span(frames, first: int, last: int) -> Iterator[np.ndarray]:
    if hasattr(frames, "iter_span"):
        return frames.iter_span(first, last)
    step = 1 if last >= first else -1
    return (frames[i] for i in range(first, last + step, step))


def propagate_video(
    frames,
    annotations: Mapping[int, np.ndarray],
    encoder: Encoder,
    preset: Preset,
    direction: str = "both",
    device: str | torch.device = "cpu",
    backend: str = "auto",
    progress: bool = True,
    state: ScheduleState | None = None,
    precision: str = "fp32",
    pipeline: bool = False,
) -> Iterator[tuple[int, np.ndarray]]:
    """Propagate masks given on any frames; yield ``(frame index, ids)`` for every frame that gets a mask.

    ``frames``: a :class:`~corrlearn.io.frames.FrameSource` or a sequence of RGB uint8 (H, W, 3) arrays;
    ``annotations``: frame index -> object ids (H, W) uint8 (0 background, 1..N objects, 255 void).
    Masks come in processing order (forward segments, then backward ones), each frame exactly once.
    Segments that ``state`` reports finished are skipped, their masks not yielded again. ``precision`` and
    ``pipeline`` are :func:`~corrlearn.propagate.engine.segment_video`'s.
    """
    from tqdm.auto import tqdm

    from corrlearn.propagate import engine

    segments = plan(len(frames), list(annotations), direction)
    total = sum(len(s.emit) for s in segments)  # the bar counts masks given out, each frame once
    carried: dict[str, np.ndarray | None] = {"forward": None, "backward": None}
    bar = tqdm(total=total, desc="propagate", unit="frame", disable=not progress, leave=False)
    try:
        for seg in segments:
            stored = state.finished(seg) if state is not None else None
            if stored is not None:
                carried[seg.direction] = stored
                bar.update(len(seg.emit))
                continue
            start_ids = apply_annotation(carried[seg.direction], annotations[seg.start])
            step = 1 if seg.stop >= seg.start else -1
            stream = engine.segment_video(
                _span(frames, seg.start, seg.stop),
                start_ids,
                encoder,
                preset,
                device=device,
                backend=backend,
                progress=False,
                precision=precision,
                pipeline=pipeline,
            )
            emit = set(seg.emit)
            last = start_ids
            for t, ids in zip(range(seg.start, seg.stop + step, step), stream, strict=True):
                last = ids
                if t in emit:
                    bar.update(1)
                    yield t, ids
            carried[seg.direction] = last
            if state is not None:
                state.finish(seg, last)
    finally:
        bar.close()
