"""DAVIS region (J) and boundary (F) measures, reproducing davisvideochallenge/davis2017-evaluation.

Definitions follow the official code (``davis2017/metrics.py``, ``utils.py``, ``evaluation.py``,
``davis.py``, ``results.py``) number for number on DAVIS data. Where the official script stops the process
(``sys.exit``) this module raises :class:`CorrlearnError` naming the file instead. Deliberate, documented
differences from the official script:

* Void (255) pixels: the official loader rewrites void to 0 *before* building the void mask, so in the
  official numbers void pixels count as background for both J and F (nothing is excluded). ``void="background"``
  (the default) reproduces that; ``void="exclude"`` drops void pixels from J and blanks them before the
  boundary maps of F, which is what the official ``db_eval_iou`` / ``f_measure`` do when handed a void mask.
* A result in which an object id never appears (an object lost in every evaluated frame): the official
  script pads the missing object with an all-zero mask and scores it (J 0 where the object is visible), and so
  does this module -- the numbers agree. An id *above* the number of objects is an error in both.
* ``year="2016"``: results are read as one object -- background 0 and any one other value (0/1, 0/255,
  0/128 grayscale, a palette id), so no "object id 128" error. A result holding two or more values besides 0
  (ids {0, 1, 2}, a soft 0..255 map) is an error naming the file: davis2017-evaluation stops on such a
  result (an id above the one object of a DAVIS-2016 sequence), and thresholding it would silently drop
  every pixel of the lower ids. ``year="2017"`` reads palette / id PNGs (ids 1..N).
* Decay bin indices are computed in int64; the official code casts them to uint8, which wraps around (and
  empties or scrambles the bins) for sequences of more than 255 evaluated frames. Up to 255 the two agree;
  the longest DAVIS sequence has 104 frames.
* Missing result frames: the official script prints "frame not found" and exits; here it is a
  :class:`CorrlearnError` naming the missing file. As in the official script, only the evaluated frames
  (all but the first and last, semi-supervised) need to exist.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from corrlearn.datasets.davis import RESOLUTION, annotation_dir, gt_frame_names, read_sequence_list
from corrlearn.errors import CorrlearnError

BOUND_TH = 0.008
VOID_ID = 255
GLOBAL_COLUMNS = ("J&F-Mean", "J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay")
PER_SEQUENCE_COLUMNS = ("Sequence", "J-Mean", "F-Mean")


# --------------------------------------------------------------------------------------------- J and F
def db_eval_iou(annotation: np.ndarray, segmentation: np.ndarray, void_pixels: np.ndarray | None = None):
    """Jaccard index of boolean masks (H, W) or (T, H, W); void pixels excluded; empty union -> 1.

    Returns a float for 2-D input, a float64 array (T,) for 3-D input.
    """
    annotation = np.asarray(annotation).astype(bool)
    segmentation = np.asarray(segmentation).astype(bool)
    if annotation.shape != segmentation.shape:
        raise ValueError(
            f"annotation {annotation.shape} and segmentation {segmentation.shape} differ in shape"
        )
    keep = np.ones_like(annotation) if void_pixels is None else ~np.asarray(void_pixels).astype(bool)
    inter = np.sum(annotation & segmentation & keep, axis=(-2, -1))
    union = np.sum((annotation | segmentation) & keep, axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        j = inter / union
    if np.ndim(j) == 0:
        return 1.0 if union == 0 else float(j)
    j = np.asarray(j, dtype=np.float64)
    j[union == 0] = 1.0
    return j


def seg2bmap(seg: np.ndarray, width: int | None = None, height: int | None = None) -> np.ndarray:
    """1-pixel boundary map of a binary mask, offset half a pixel towards the origin (D. Martin, 2003).

    A pixel is a boundary pixel when it differs from its east, south or south-east neighbour. The last row
    compares only with the east neighbour, the last column only with the south neighbour, and the
    bottom-right pixel is never a boundary. With ``width``/``height`` smaller than the mask, boundary pixel
    (y, x) is mapped to (1 + floor(y - 1 + height / h), 1 + floor(x - 1 + width / h)) as in the official
    port (note: ``width / h``, a quirk of that port that we keep); larger sizes or another aspect ratio are an
    error.
    """
    seg = np.asarray(seg).astype(bool)
    if seg.ndim != 2:
        raise ValueError(f"seg2bmap needs a 2-D mask, got shape {seg.shape}")
    h, w = seg.shape
    width = w if width is None else int(width)
    height = h if height is None else int(height)
    if width > w or height > h or abs(width / height - w / h) > 0.01:
        raise ValueError(f"cannot convert a {w}x{h} mask to a {width}x{height} boundary map")

    east = np.zeros_like(seg)
    south = np.zeros_like(seg)
    south_east = np.zeros_like(seg)
    east[:, :-1] = seg[:, 1:]
    south[:-1, :] = seg[1:, :]
    south_east[:-1, :-1] = seg[1:, 1:]
    b = (seg ^ east) | (seg ^ south) | (seg ^ south_east)
    b[-1, :] = seg[-1, :] ^ east[-1, :]
    b[:, -1] = seg[:, -1] ^ south[:, -1]
    b[-1, -1] = False
    if width == w and height == h:
        return b
    bmap = np.zeros((height, width), dtype=bool)
    ys, xs = np.nonzero(b)
    rows = 1 + np.floor((ys - 1) + height / h).astype(np.int64)
    cols = 1 + np.floor((xs - 1) + width / h).astype(np.int64)
    bmap[rows, cols] = True
    return bmap


def disk(radius: float) -> np.ndarray:
    """Disk structuring element as ``skimage.morphology.disk``: grid ``arange(-r, r + 1)``, x² + y² <= r²."""
    axis = np.arange(-radius, radius + 1)
    xx, yy = np.meshgrid(axis, axis)
    return ((xx**2 + yy**2) <= radius**2).astype(np.uint8)


def boundary_tolerance(shape: tuple[int, int], bound_th: float = BOUND_TH) -> float:
    """Dilation radius in pixels: ``bound_th`` itself if >= 1, else ceil(bound_th * ||(H, W)||)."""
    return float(bound_th) if bound_th >= 1 else float(np.ceil(bound_th * np.linalg.norm(shape)))


def f_measure(
    foreground_mask: np.ndarray,
    gt_mask: np.ndarray,
    void_pixels: np.ndarray | None = None,
    bound_th: float = BOUND_TH,
) -> float:
    """Boundary F-measure of one frame (official ``f_measure``; note the argument order: result first)."""
    fg = np.asarray(foreground_mask).astype(bool)
    gt = np.asarray(gt_mask).astype(bool)
    if void_pixels is not None:
        keep = ~np.asarray(void_pixels).astype(bool)
        fg, gt = fg & keep, gt & keep
    radius = boundary_tolerance(fg.shape, bound_th)
    kernel = disk(radius)
    fg_b = seg2bmap(fg)
    gt_b = seg2bmap(gt)
    # cv2.dilate with a constant (-inf) border is plain binary dilation by the symmetric disk.
    fg_dil = cv2.dilate(fg_b.astype(np.uint8), kernel).astype(bool)
    gt_dil = cv2.dilate(gt_b.astype(np.uint8), kernel).astype(bool)
    n_fg = int(fg_b.sum())
    n_gt = int(gt_b.sum())
    if n_fg == 0 and n_gt > 0:
        precision, recall = 1.0, 0.0
    elif n_fg > 0 and n_gt == 0:
        precision, recall = 0.0, 1.0
    elif n_fg == 0 and n_gt == 0:
        precision, recall = 1.0, 1.0
    else:
        precision = int((fg_b & gt_dil).sum()) / float(n_fg)
        recall = int((gt_b & fg_dil).sum()) / float(n_gt)
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def db_eval_boundary(
    annotation: np.ndarray,
    segmentation: np.ndarray,
    void_pixels: np.ndarray | None = None,
    bound_th: float = BOUND_TH,
):
    """Boundary F of (H, W) masks (float) or per frame of (T, H, W) masks (float64 array)."""
    annotation = np.asarray(annotation)
    segmentation = np.asarray(segmentation)
    if annotation.shape != segmentation.shape:
        raise ValueError(
            f"annotation {annotation.shape} and segmentation {segmentation.shape} differ in shape"
        )
    if annotation.ndim == 2:
        return f_measure(segmentation, annotation, void_pixels, bound_th)
    if annotation.ndim == 3:
        voids = [None] * len(annotation) if void_pixels is None else void_pixels
        return np.array(
            [f_measure(s, a, v, bound_th) for a, s, v in zip(annotation, segmentation, voids, strict=True)],
            dtype=np.float64,
        )
    raise ValueError(f"db_eval_boundary does not support {annotation.ndim}-D input")


def decay_bins(n: int) -> list[tuple[int, int]]:
    """The four (start, stop) slices of the official decay: ids = round(linspace(1, n, 5) + 1e-10) - 1.

    Bin i is ``values[ids[i] : ids[i + 1] + 1]`` (neighbouring bins share their edge frame).
    """
    ids = (np.round(np.linspace(1, n, 5) + 1e-10) - 1).astype(np.int64)
    return [(int(ids[i]), int(ids[i + 1]) + 1) for i in range(4)]


def _nanmean(values: np.ndarray) -> float:
    # np.nanmean itself (not mean of the finite values): same summation order, so the same last bit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        return float(np.nanmean(np.asarray(values, dtype=np.float64)))


def db_statistics(per_frame_values: Sequence[float] | np.ndarray) -> tuple[float, float, float]:
    """Mean (nanmean), recall (fraction of frames > 0.5) and decay (first bin mean - last bin mean).

    Empty input gives (nan, nan, nan), as the official code does (with its warnings silenced).
    """
    x = np.asarray(per_frame_values, dtype=np.float64)
    if x.size == 0:
        return math.nan, math.nan, math.nan
    mean = _nanmean(x)
    recall = float(np.mean(x > 0.5))  # nan > 0.5 is False, so a nan frame counts as a miss, as official
    bins = [x[a:b] for a, b in decay_bins(len(x))]
    decay = _nanmean(bins[0]) - _nanmean(bins[3])
    return mean, recall, decay


# --------------------------------------------------------------------------------------------- sequences
@dataclass
class ObjectRecord:
    """Scores of one object of one sequence (a row of the official per-sequence table)."""

    sequence: str
    object_id: int
    j_mean: float
    j_recall: float
    j_decay: float
    f_mean: float
    f_recall: float
    f_decay: float
    frames: list[str] = field(default_factory=list)
    j_per_frame: list[float] = field(default_factory=list)
    f_per_frame: list[float] = field(default_factory=list)

    @property
    def name(self) -> str:
        """Official row name: ``<sequence>_<object id>``."""
        return f"{self.sequence}_{self.object_id}"

    def to_dict(self) -> dict:
        return {"name": self.name, **asdict(self)}


def frame_scores(
    gt_ids: np.ndarray,
    res_ids: np.ndarray,
    num_objects: int,
    void: str = "background",
    bound_th: float = BOUND_TH,
) -> tuple[np.ndarray, np.ndarray]:
    """J and F of objects 1..num_objects in one frame of id maps; returns two float64 arrays (num_objects,)."""
    if void not in ("background", "exclude"):
        raise ValueError(f"void must be 'background' or 'exclude', got {void!r}")
    void_mask = (gt_ids == VOID_ID) if void == "exclude" else None
    js = np.empty(num_objects, np.float64)
    fs = np.empty(num_objects, np.float64)
    for k in range(1, num_objects + 1):
        gt_k = gt_ids == k
        res_k = res_ids == k
        js[k - 1] = db_eval_iou(gt_k, res_k, void_mask)
        fs[k - 1] = db_eval_boundary(gt_k, res_k, void_mask, bound_th)
    return js, fs


def evaluate_sequence(
    gt_masks: Iterable[np.ndarray],
    res_masks: Iterable[np.ndarray],
    name: str = "sequence",
    num_objects: int | None = None,
    frame_names: Sequence[str] | None = None,
    semi_supervised: bool = True,
    void: str = "background",
    bound_th: float = BOUND_TH,
) -> list[ObjectRecord]:
    """Score one sequence given id maps (0 background, 1..N objects, 255 void) for every frame.

    ``gt_masks`` and ``res_masks`` hold all T frames (frame 0 = the given annotation); semi-supervised scoring
    drops the first and last frame. ``num_objects`` defaults to the largest non-void id of the first
    ground-truth frame, as official. Result ids above it raise ``ValueError``.
    """
    gt = [np.asarray(g) for g in gt_masks]
    res = [np.asarray(r) for r in res_masks]
    if len(gt) != len(res):
        raise ValueError(f"{name}: {len(gt)} ground-truth frames but {len(res)} result frames")
    names = list(frame_names) if frame_names is not None else [f"{i:05d}" for i in range(len(gt))]
    if num_objects is None:
        num_objects = count_objects(gt[0])
    idx = range(1, len(gt) - 1) if semi_supervised else range(len(gt))
    js, fs = [], []
    for t in idx:
        if gt[t].shape != res[t].shape:
            raise ValueError(f"{name} frame {names[t]}: result {res[t].shape} vs ground truth {gt[t].shape}")
        top = int(res[t].max()) if res[t].size else 0
        if top > num_objects:
            raise ValueError(f"{name} frame {names[t]}: result id {top} but only {num_objects} objects")
        j, f = frame_scores(gt[t], res[t], num_objects, void, bound_th)
        js.append(j)
        fs.append(f)
    return records_from_scores(name, [names[t] for t in idx], js, fs, num_objects)


def count_objects(first_gt: np.ndarray) -> int:
    """Number of objects of a sequence: largest non-void id of its first annotation (void counts as 0)."""
    ids = np.asarray(first_gt)
    ids = ids[ids != VOID_ID]
    return int(ids.max()) if ids.size else 0


def records_from_scores(
    name: str, frames: list[str], js: list[np.ndarray], fs: list[np.ndarray], num_objects: int
) -> list[ObjectRecord]:
    """Per-object statistics from per-frame score vectors."""
    j_all = np.stack(js, axis=1) if js else np.zeros((num_objects, 0))
    f_all = np.stack(fs, axis=1) if fs else np.zeros((num_objects, 0))
    out = []
    for k in range(num_objects):
        jm, jr, jd = db_statistics(j_all[k])
        fm, fr, fd = db_statistics(f_all[k])
        out.append(
            ObjectRecord(
                name, k + 1, jm, jr, jd, fm, fr, fd, list(frames), j_all[k].tolist(), f_all[k].tolist()
            )
        )
    return out


def global_metrics(records: Sequence[ObjectRecord]) -> dict[str, float]:
    """Official global table: means over all objects (not sequences); J&F-Mean = (J-Mean + F-Mean) / 2."""
    if not records:
        raise ValueError("no objects to average")

    def mean(attr: str) -> float:
        return float(np.mean([getattr(r, attr) for r in records]))

    jm, fm = mean("j_mean"), mean("f_mean")
    return {
        "J&F-Mean": (jm + fm) / 2.0,
        "J-Mean": jm,
        "J-Recall": mean("j_recall"),
        "J-Decay": mean("j_decay"),
        "F-Mean": fm,
        "F-Recall": mean("f_recall"),
        "F-Decay": mean("f_decay"),
    }


# --------------------------------------------------------------------------------------------- files
def _read_ids(path: Path) -> np.ndarray:
    from corrlearn.io.masks import read_mask

    return read_mask(path).ids


def read_result_2016(path: Path) -> np.ndarray:
    """A single-object result as uint8 0/1: background 0 and one other value (1, 255, 128, an id ...), the
    object. A result holding two or more other values is an error (davis2017-evaluation stops on an id above
    the sequence's one object; dropping or merging pixels would change the score without a word)."""
    from PIL import Image

    from corrlearn.io.masks import read_mask

    try:
        with Image.open(path) as img:
            arr = np.array(img)
    except Exception as exc:
        raise CorrlearnError(f"{path}: not a readable image ({type(exc).__name__})") from None
    if arr.ndim == 3:  # an RGB rendering: map colours back through the palette first
        arr = read_mask(path).ids
    others = [int(v) for v in np.unique(arr) if v != 0]
    if len(others) > 1:
        shown = ", ".join(map(str, others[:5])) + (", ..." if len(others) > 5 else "")
        raise CorrlearnError(
            f"{path}: result holds {len(others)} values besides 0 ({shown}) but DAVIS-2016 scores one object; "
            "write the object as one value (0/255), or score object ids with --year 2017"
        )
    return (arr > 0).astype(np.uint8)


def evaluate_sequence_files(
    root: str | os.PathLike,
    results_dir: str | os.PathLike,
    sequence: str,
    void: str = "background",
    bound_th: float = BOUND_TH,
    resolution: str = RESOLUTION,
    year: str = "2017",
) -> list[ObjectRecord]:
    """Score ``results_dir/<sequence>/<frame>.png`` against the DAVIS ground truth, one frame at a time.

    ``year="2016"`` reads results as the DAVIS-2016 toolkit (:func:`read_result_2016`). Errors (missing or unreadable result, wrong size, id above the object count) are
    :class:`CorrlearnError` naming the result file.
    """
    names = gt_frame_names(root, sequence, resolution)
    gt_dir = annotation_dir(root, sequence, resolution)
    res_dir = Path(results_dir) / sequence
    num_objects = count_objects(_read_ids(gt_dir / f"{names[0]}.png"))
    js, fs, frames = [], [], []
    for name in names[1:-1]:
        gt = _read_ids(gt_dir / f"{name}.png")
        res_path = res_dir / f"{name}.png"
        if not res_path.is_file():
            raise CorrlearnError(
                f"{res_path}: result frame missing (every frame but the first and last is scored)"
            )
        res = read_result_2016(res_path) if str(year) == "2016" else _read_ids(res_path)
        if res.shape != gt.shape:
            raise CorrlearnError(
                f"{res_path}: result is {res.shape[1]}x{res.shape[0]} but the annotation is {gt.shape[1]}x{gt.shape[0]}"
            )
        top = int(res.max())
        if top > num_objects:
            raise CorrlearnError(
                f"{res_path}: object id {top} but sequence {sequence!r} has {num_objects} object(s)"
            )
        j, f = frame_scores(gt, res, num_objects, void, bound_th)
        js.append(j)
        fs.append(f)
        frames.append(name)
    return records_from_scores(sequence, frames, js, fs, num_objects)


@dataclass
class DavisEvaluation:
    """Per-object records and the global table of one evaluation."""

    objects: list[ObjectRecord]
    global_: dict[str, float]
    year: str
    sequences: list[str]
    void: str = "background"

    def per_sequence_csv(self) -> str:
        """Official per-sequence CSV: ``Sequence,J-Mean,F-Mean``, one row per object, 3 decimals."""
        rows = [",".join(PER_SEQUENCE_COLUMNS)]
        rows += [f"{r.name},{_fmt(r.j_mean)},{_fmt(r.f_mean)}" for r in self.objects]
        return "\n".join(rows) + "\n"

    def global_csv(self) -> str:
        """Official global CSV: the seven columns of :data:`GLOBAL_COLUMNS`, 3 decimals."""
        return (
            ",".join(GLOBAL_COLUMNS) + "\n" + ",".join(_fmt(self.global_[c]) for c in GLOBAL_COLUMNS) + "\n"
        )

    def to_dict(self) -> dict:
        return {
            "year": self.year,
            "void": self.void,
            "sequences": self.sequences,
            "global": self.global_,
            "objects": [r.to_dict() for r in self.objects],
        }

    def write(self, out: str | os.PathLike) -> list[Path]:
        """Write per-sequence.csv, global.csv and global.json atomically into ``out``; return the paths."""
        from corrlearn.io.atomic import write_json_atomic, write_text_atomic

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / "per-sequence.csv", out / "global.csv", out / "global.json"]
        write_text_atomic(paths[0], self.per_sequence_csv())
        write_text_atomic(paths[1], self.global_csv())
        write_json_atomic(paths[2], self.to_dict())
        return paths


def _fmt(value: float) -> str:
    # pandas' to_csv(float_format="%.3f") writes NaN as an empty field
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


def evaluate(
    root: str | os.PathLike,
    results_dir: str | os.PathLike,
    year: str = "2016",
    sequences: Sequence[str] | None = None,
    void: str = "background",
    bound_th: float = BOUND_TH,
    progress: bool = True,
    resolution: str = RESOLUTION,
    subset: str = "val",
) -> DavisEvaluation:
    """Semi-supervised DAVIS evaluation of ``results_dir`` (one folder of PNGs per sequence).

    ``sequences`` defaults to ``ImageSets/<year>/<subset>.txt``; the ground truth is read from
    ``Annotations/<resolution>``. Always recomputes from the PNGs.
    """
    from tqdm import tqdm

    year = str(year)
    seqs = list(sequences) if sequences else read_sequence_list(root, year, subset)
    if not Path(results_dir).is_dir():
        raise CorrlearnError(f"{results_dir}: results folder not found")
    records: list[ObjectRecord] = []
    for seq in tqdm(seqs, desc="evaluating", unit="seq", disable=not progress):
        records += evaluate_sequence_files(root, results_dir, seq, void, bound_th, resolution, year=year)
    if not records:
        raise CorrlearnError(f"{root}: the selected sequences hold no annotated objects")
    return DavisEvaluation(records, global_metrics(records), year, seqs, void)


def format_table(result: DavisEvaluation) -> str:
    """Plain-text global and per-object tables for the terminal."""
    g = result.global_
    lines = [
        "  ".join(f"{c:>9}" for c in GLOBAL_COLUMNS),
        "  ".join(f"{g[c]:9.3f}" for c in GLOBAL_COLUMNS),
        "",
    ]
    width = max([len(r.name) for r in result.objects] + [8])
    lines.append(f"{'Sequence':<{width}}  J-Mean  F-Mean")
    lines += [f"{r.name:<{width}}  {r.j_mean:6.3f}  {r.f_mean:6.3f}" for r in result.objects]
    return "\n".join(lines)
