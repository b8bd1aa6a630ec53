"""JHMDB pose propagation: propagate each video's first-frame joints, decode, score PCK.

A :class:`~corrlearn.bench.base.Benchmark` (resumable, shardable). Each video's result folder holds
``keypoints.npy``: (2, 15, T) float64 [x; y] in 0-indexed pixels of the original frame, -1 where a joint's
map lost all mass -- the format ``corrlearn eval jhmdb`` reads.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corrlearn.bench.base import Benchmark
from corrlearn.bench.runner import Runner
from corrlearn.errors import CorrlearnError
from corrlearn.metrics.pck import ALPHAS

PRED_FILE = "keypoints.npy"
CSV = "per-video.csv"


@dataclass(frozen=True)
class JhmdbProtocol:
    """How a method runs JHMDB: its propagation preset (320x320 input), keypoint convention and PCK frame-0 rule
    (CRW/UVC skip frame 0, STT/VFS keep it)."""

    name: str
    preset: str
    convention: str
    skip_first_frame: bool

    def propagation(self):
        from corrlearn.propagate import get_preset

        return get_preset(self.preset)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "preset": self.preset,
            "convention": self.convention,
            "skip_first_frame": self.skip_first_frame,
        }


PROTOCOLS: dict[str, JhmdbProtocol] = {
    "crw": JhmdbProtocol("crw", preset="crw-jhmdb", convention="crw", skip_first_frame=True),
    "stt": JhmdbProtocol("stt", preset="stt-jhmdb", convention="stt", skip_first_frame=False),
}


def get_protocol(name: str) -> JhmdbProtocol:
    """The named JHMDB protocol ("crw" or "stt"), or :class:`CorrlearnError`."""
    if name not in PROTOCOLS:
        raise CorrlearnError(f"unknown JHMDB protocol {name!r}; known: {', '.join(sorted(PROTOCOLS))}")
    return PROTOCOLS[name]


def item_name(video: str) -> str:
    """Run-directory item of a video "<class>/<video>": "<class>__<video>" (one folder level)."""
    return video.replace("/", "__")


@dataclass(kw_only=True)
class JhmdbBench(Benchmark):
    """One JHMDB run with a protocol (``preset``: "crw" or "stt"); ``frame0`` overrides its PCK rule
    ("skip" / "keep")."""

    root: Path
    preset: str = "crw"
    split: int = 1
    list_file: Path | None = None
    frame0: str | None = None
    videos_only: list[str] | None = None
    allow_missing_joints: bool = False

    name = "jhmdb"
    unit = "video"

    def __post_init__(self) -> None:
        super().__post_init__()
        from corrlearn.datasets.jhmdb import load_jhmdb

        self.root = Path(self.root)
        self.kp = get_protocol(self.preset)
        self.videos = {
            item_name(v.name): v
            for v in load_jhmdb(self.root, self.split, "test", self.list_file, self.videos_only)
        }
        if not self.videos:
            raise CorrlearnError(f"{self.root}: split {self.split} lists no test videos")

    def input_space(self) -> str:
        return self.kp.propagation().input_space

    def settings(self) -> dict:
        return {
            "split": self.split,
            "list_file": str(self.list_file) if self.list_file else None,
            "videos": sorted(v.name for v in self.videos.values()) if self.videos_only else None,
            "preset": self.kp.to_dict(),
            "propagation": self.kp.propagation().to_dict(),
        }

    def items(self) -> list[str]:
        return sorted(self.videos)

    def adopt(self, config: dict) -> None:
        name = (config.get("preset") or {}).get("name")
        if name in PROTOCOLS:
            self.preset, self.kp = name, PROTOCOLS[name]

    def work(self, item: str, out: Path, progress: bool = True) -> dict:
        from corrlearn.io.atomic import atomic_path
        from corrlearn.io.frames import FrameSource
        from corrlearn.labels import KeypointCodec
        from corrlearn.metrics.pck import video_pck
        from corrlearn.propagate import propagate

        video = self.videos[item]
        t0 = time.perf_counter()
        stream = propagate(
            FrameSource.from_files(video.frames), video.joints[:, :, 0], KeypointCodec(self.kp.convention),
            self.encoder(), self.kp.propagation(), self.device, self.backend, progress, desc=video.name,
            precision=self.precision,
        )  # fmt: skip
        pred = np.stack(list(stream), axis=2)
        secs = time.perf_counter() - t0
        with atomic_path(out / PRED_FILE) as tmp, open(tmp, "wb") as fh:
            np.save(fh, pred)
        pck = video_pck(pred, video.joints, skip_first=self.kp.skip_first_frame)
        return {"video": video.name, "frames": len(video), "fps": len(video) / secs, **_flat(pck)}

    def merge(self, frame0: str | None = None, progress: bool = True, use_run_config: bool = False) -> dict:
        """Score a finished run: per-video.csv, run.json and pck.png in the run directory; ``frame0``
        ("skip" / "keep") overrides the protocol's PCK rule for this scoring."""
        if frame0 is not None:
            self.frame0 = frame0
        return super().merge(progress=progress, use_run_config=use_run_config)

    def score(self, runner: Runner, items: list[str], progress: bool = True) -> tuple[dict, dict]:
        if self.frame0 not in (None, "skip", "keep"):
            raise CorrlearnError(f"frame0 must be 'skip' or 'keep', got {self.frame0!r}")
        skip = self.kp.skip_first_frame if self.frame0 is None else self.frame0 == "skip"
        files = {self.videos[it].name: runner.result_dir(it) / PRED_FILE for it in items}
        result = evaluate_files(
            {v.name: v for v in self.videos.values()},
            files,
            skip,
            self.run_dir,
            self.kp.name,
            allow_missing_joints=self.allow_missing_joints,
        )
        fields = {
            "frame0": "skip" if skip else "keep",
            "global": result["global"],
            "unpredicted_joints": result["unpredicted_joints"],
        }
        return fields, result


def _flat(pck: dict) -> dict:
    return {k: v for k, v in pck.items() if k.startswith("PCK@")}


class JhmdbLengthWarning(UserWarning):
    """A prediction with more frames than the ground truth (the common frames are scored, as the peers do)."""


class UnpredictedJointWarning(UserWarning):
    """A joint never predicted in a video, scored anyway because the caller allowed it."""


def read_prediction(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    """A (2, J, T) prediction file matching the ground truth's shape; extra frames beyond the ground truth's
    T are dropped with a warning (CRW / UVC / STT score the common frames); fewer frames are an error."""
    if not path.is_file():
        raise CorrlearnError(f"{path}: prediction file not found")
    try:
        pred = np.load(path, allow_pickle=False)
    except Exception as exc:
        raise CorrlearnError(f"{path}: not a .npy array ({exc.__class__.__name__})") from None
    if pred.ndim == 3 and pred.shape[:2] == shape[:2] and pred.shape[2] > shape[2]:
        warnings.warn(
            f"{path}: {pred.shape[2]} predicted frames for {shape[2]} annotated; scoring the first {shape[2]}",
            JhmdbLengthWarning,
            stacklevel=2,
        )
        pred = pred[:, :, : shape[2]]
    if pred.shape != shape:
        raise CorrlearnError(
            f"{path}: shape {pred.shape}, expected {shape} (2 x joints x frames, like pos_img)"
        )
    return pred.astype(np.float64)


def check_predicted_joints(dist: np.ndarray, video: str, path: Path, allow: bool) -> list[str]:
    """Names of the joints never predicted in a video's scored frames (``dist`` all NaN); an error naming
    the first one unless ``allow`` (then a warning). PCK pools only predicted joints, so such a joint would
    silently vanish from the score (CRW / UVC / STT stop with ZeroDivisionError instead)."""
    from corrlearn.datasets.jhmdb import JOINT_NAMES

    scored = ~np.isnan(dist)
    if not scored.any():
        return []  # no scored frame at all (a one-frame video with frame 0 skipped): nothing is lost
    lost = [JOINT_NAMES[j] if j < len(JOINT_NAMES) else str(j) for j in np.flatnonzero(~scored.any(1))]
    if lost and not allow:
        raise CorrlearnError(
            f"{path}: joint '{lost[0]}' is never predicted (x < 0 in every scored frame) in video {video}"
            + (f" (and {', '.join(lost[1:])})" if lost[1:] else "")
            + "; PCK would leave it out. Use --allow-missing-joints to score without it"
        )
    if lost:
        warnings.warn(
            f"{video}: joint(s) {', '.join(lost)} never predicted; left out of this video's PCK",
            UnpredictedJointWarning,
            stacklevel=2,
        )
    return lost


def evaluate_files(
    videos: dict,
    files: dict[str, Path],
    skip_first: bool,
    out_dir: Path,
    label: str,
    visible_rule: str = "x>=0",
    allow_missing_joints: bool = False,
) -> dict:
    """PCK over prediction files {video name: path}; writes per-video.csv and pck.png into ``out_dir``.

    A joint never predicted in a video is an error (see :func:`check_predicted_joints`) unless
    ``allow_missing_joints``; those joints are listed in the result's ``unpredicted_joints``."""
    from corrlearn.bench.plots import pck_plot
    from corrlearn.io.atomic import write_text_atomic
    from corrlearn.metrics.pck import PckAccumulator, pck_from_distances

    acc = PckAccumulator(num_joints=15, skip_first=skip_first, visible_rule=visible_rule)
    rows = ["video,frames," + ",".join(f"PCK@{a:g}" for a in ALPHAS)]
    unpredicted: dict[str, list[str]] = {}
    for name in sorted(files):
        gt = videos[name].joints
        d = acc.add(read_prediction(files[name], gt.shape), gt)
        lost = check_predicted_joints(d, name, files[name], allow_missing_joints)
        if lost:
            unpredicted[name] = lost
        per = pck_from_distances([row[~np.isnan(row)] for row in d])
        rows.append(f"{name},{gt.shape[2]}," + ",".join(f"{per[f'PCK@{a:g}']:.3f}" for a in ALPHAS))
    glob = acc.result()
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    write_text_atomic(Path(out_dir) / CSV, "\n".join(rows) + "\n")
    pck_plot(Path(out_dir) / "pck.png", {label: glob}, ALPHAS)
    return {"global": glob, "csv": str(Path(out_dir) / CSV), "unpredicted_joints": unpredicted}


def summary_table(glob: dict) -> str:
    return "  ".join(f"PCK@{a:g} {glob[f'PCK@{a:g}']:.1f}" for a in ALPHAS)
