"""The contract every label type meets so that one engine can propagate it.

A label type (masks, keypoints, boxes, ...) is a :class:`LabelCodec`: it turns the first annotation into soft
labels (L, h, w) on the feature grid, names what the annotated frame itself yields, and turns each propagated
frame's soft labels back into its output form. The engine (:func:`corrlearn.propagate.propagate`) knows nothing
else about labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import torch


@dataclass(frozen=True)
class Geometry:
    """Sizes a codec needs: the original frame (H, W), the encoder's input (H, W) and the feature grid (h, w)."""

    frame_size: tuple[int, int]
    work_size: tuple[int, int]
    grid: tuple[int, int]


class LabelRules(Protocol):
    """The label fields of a propagation preset (:class:`corrlearn.propagate.Preset` has them).

    ``label_downsample`` ("bilinear" or "nearest") brings a dense first annotation to the feature grid;
    ``minmax`` normalises each channel of a dense prediction before its argmax.
    """

    label_downsample: str
    minmax: bool


@runtime_checkable
class LabelCodec(Protocol):
    """Encode a first annotation to soft labels; decode soft labels to the output form.

    ``check`` rejects an annotation that cannot belong to frames of ``frame_size`` with a
    :class:`~corrlearn.errors.CorrlearnError`; ``first`` is the output for the annotated frame; ``decode`` gets
    the previous frame's output too, for label types that keep it when a frame says nothing (an empty box).
    """

    name: str

    def check(self, annotation: Any, frame_size: tuple[int, int]) -> None: ...

    def encode(self, annotation: Any, geo: Geometry, rules: LabelRules) -> torch.Tensor: ...

    def first(self, annotation: Any, geo: Geometry, rules: LabelRules) -> Any: ...

    def decode(self, soft: torch.Tensor, geo: Geometry, rules: LabelRules, previous: Any) -> Any: ...
