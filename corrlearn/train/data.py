"""Unlabelled video for self-supervised training: discovery, clip sampling and cropping (in DataLoader workers).

Pointing the trainer at data
----------------------------
``--data`` takes any number of roots. Under each root, every folder that directly holds image frames
(``.jpg/.jpeg/.png/.bmp``) is one video, and every video file (``.mp4 .avi .mov .mkv .webm .m4v``) anywhere
below it is one video. A DAVIS root (holding ``JPEGImages/480p``) is recognised and its frames used;
folders named ``Annotations`` are skipped.

* DAVIS: ``--data /data/DAVIS`` (or ``/data/DAVIS/JPEGImages/480p``).
* YouTube-VOS: ``--data /data/ytvos/train/JPEGImages`` (one folder of JPEGs per video; add
  ``train_all_frames/JPEGImages`` for the full-rate frames).
* Kinetics: ``--data /data/kinetics400/train`` (class folders of ``.mp4``; the folder layout below the root
  does not matter). Decoding happens in the DataLoader workers (``workers`` in the config); videos are opened
  with OpenCV and only the sampled frames are decoded after a seek. Pre-extracting frames to JPEG folders is
  faster for large runs and is read the same way.

``--sequences`` / ``--sequences-file`` keep only videos whose name (folder name or file stem) or path
relative to its root is listed.

Determinism: the sampler hands each sample a seed derived from (run seed, global sample position), and all
random choices of the worker (clip start, gaps, crops) come from that seed, so a clip depends neither on the
number of workers nor on the number of processes, and a resumed run sees the samples it would have seen.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from corrlearn.datasets.davis import frames_root as davis_frames_root
from corrlearn.datasets.davis import is_davis_root
from corrlearn.errors import CorrlearnError
from corrlearn.io.frames import IMAGE_EXTS, VIDEO_EXTS, _natural_key, open_frames

_SKIP_DIRS = {"Annotations", "Annotations_unsupervised", "SegmentationClass"}


@dataclass(frozen=True)
class Video:
    name: str  # folder name or file stem
    rel: str  # path relative to its root
    path: str
    frames: tuple[str, ...] | None  # frame files of a folder video; None for a video file


def _folder_frames(d: Path, files: list[str]) -> tuple[str, ...]:
    imgs = [f for f in files if Path(f).suffix.lower() in IMAGE_EXTS and not f.startswith(".")]
    return tuple(str(d / f) for f in sorted(imgs, key=_natural_key))


def discover_videos(roots: list[str], sequences: list[str] | None = None) -> list[Video]:
    """All videos under ``roots`` (see the module docstring), sorted, optionally filtered by name."""
    videos: list[Video] = []
    for root in roots:
        r = Path(root)
        if not r.exists():
            raise CorrlearnError(f"{root}: data root does not exist")
        if is_davis_root(r):
            r = davis_frames_root(r)
        if r.is_file():
            if r.suffix.lower() not in VIDEO_EXTS:
                raise CorrlearnError(f"{root}: not a folder or a video file")
            videos.append(Video(r.stem, r.name, str(r), None))
            continue
        for d, dirs, files in os.walk(r):
            # VOS layouts keep label PNGs beside the frames: never mistake them for videos
            dirs[:] = sorted(x for x in dirs if x not in _SKIP_DIRS and not x.startswith("."))
            dp = Path(d)
            frames = _folder_frames(dp, files)
            if frames:
                rel = str(dp.relative_to(r)) if dp != r else dp.name
                videos.append(Video(dp.name, rel, str(dp), frames))
                dirs[:] = []  # a frame folder is a leaf
            for f in sorted(files):
                if Path(f).suffix.lower() in VIDEO_EXTS:
                    p = dp / f
                    videos.append(Video(p.stem, str(p.relative_to(r)), str(p), None))
    if sequences is not None:
        wanted = set(sequences)
        videos = [v for v in videos if v.name in wanted or v.rel in wanted]
        found = {v.name for v in videos} | {v.rel for v in videos}
        missing = sorted(wanted - found)
        if missing:
            raise CorrlearnError(f"sequences not found under {', '.join(roots)}: {', '.join(missing[:5])}")
    if not videos:
        raise CorrlearnError(f"no videos (frame folders or video files) found under {', '.join(roots)}")
    return sorted(videos, key=lambda v: v.path)


def read_sequence_list(path: str) -> list[str]:
    """Names from a text file, one per line (blank lines and ``#`` comments ignored)."""
    try:
        lines = Path(path).read_text().splitlines()
    except FileNotFoundError:
        raise CorrlearnError(f"{path}: sequences file not found") from None
    return [s.strip() for s in lines if s.strip() and not s.strip().startswith("#")]


# ------------------------------------------------------------------------------------------- cropping


def random_box(rng: np.random.Generator, H: int, W: int, scale, ratio) -> tuple[int, int, int, int]:
    """A random-resized-crop box (y, x, h, w) of aspect ``ratio`` (w / h) at a random position.

    ``scale`` is the area share of the *largest box of the drawn aspect that fits the frame* (not of the
    frame, as in torchvision's ``RandomResizedCrop``). Torchvision's rule retries and then falls back to a
    centred crop; on 16:9 video with the CRW / ContrastCorr scales (>= 0.8) and aspects (<= 1.3) every try
    fails, so every crop of every clip was the same centred square. Scaling the largest fitting box always
    succeeds, keeps the drawn aspect, and leaves the position free wherever the frame is wider or taller.
    """
    r = math.exp(rng.uniform(math.log(ratio[0]), math.log(ratio[1])))
    w_max = min(float(W), H * r)  # the largest box of aspect r inside the frame
    h_max = w_max / r
    s = math.sqrt(rng.uniform(*scale))
    h = min(H, max(1, int(round(h_max * s))))
    w = min(W, max(1, int(round(w_max * s))))
    return int(rng.integers(0, H - h + 1)), int(rng.integers(0, W - w + 1)), h, w


def crop_resize(img: np.ndarray, box: tuple[int, int, int, int], size: int) -> np.ndarray:
    y, x, h, w = box
    patch = img[y : y + h, x : x + w]
    interp = cv2.INTER_AREA if h > size and w > size else cv2.INTER_LINEAR
    return cv2.resize(patch, (size, size), interpolation=interp)


def _chw(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))


class ClipDataset(Dataset):
    """Samples for one objective; ``__getitem__((video_index, sample_seed))`` returns uint8 tensors.

    ``mode``: ``"clip"`` -> (T, 3, S, S) frames at random gaps, each with its own crop when
    ``independent_crops`` (CRW) or one crop for the clip (STT); ``"views"`` -> (2, 3, S, S) two crops of one
    frame (MoCo); ``"pair"`` -> (reference (3, S, S) crop of frame t at a random position, search (3, S2, S2):
    all of frame t + gap at the reference's scale, see :meth:`_pair_sample`); ``"rates"`` (PRP) -> (clip (T, 3, S, S) sampled every ``rates[r]`` frames, the
    T-1 frames halfway between consecutive clip frames (T-1, 3, S, S), ``r`` as an int64 tensor), one crop.
    """

    def __init__(
        self,
        videos: list[Video],
        mode: str,
        clip_len: int,
        frame_gap: tuple[int, int],
        crop_size: int,
        crop_scale=(0.8, 1.0),
        crop_ratio=(0.7, 1.3),
        search_size: int | None = None,
        independent_crops: bool = True,
        rates: tuple[int, ...] = (),
    ):
        if mode not in ("clip", "views", "pair", "rates"):
            raise ValueError(f"unknown mode {mode!r}")
        self.videos, self.mode, self.clip_len, self.frame_gap = videos, mode, clip_len, frame_gap
        self.crop_size, self.crop_scale, self.crop_ratio = crop_size, crop_scale, crop_ratio
        self.search_size, self.independent = search_size, independent_crops
        self.rates = tuple(rates)
        if mode == "rates" and (not self.rates or min(self.rates) < 2 or any(r % 2 for r in self.rates)):
            raise ValueError(f"mode 'rates' needs even frame intervals >= 2, got {self.rates}")
        self._sources: dict[int, object] = {}

    def __len__(self) -> int:
        return len(self.videos)

    def _n_frames(self, i: int) -> int:
        v = self.videos[i]
        return len(v.frames) if v.frames is not None else len(self._source(i))

    def _source(self, i: int):
        if i not in self._sources:
            if len(self._sources) > 32:  # bounded cache of opened video files per worker
                self._sources.clear()
            self._sources[i] = open_frames(self.videos[i].path)
        return self._sources[i]

    def _read(self, i: int, t: int) -> np.ndarray:
        v = self.videos[i]
        if v.frames is None:
            return self._source(i).read(t)
        bgr = cv2.imread(v.frames[t], cv2.IMREAD_COLOR)
        if bgr is None:
            raise CorrlearnError(f"{v.frames[t]}: frame is missing or cannot be decoded")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def _indices(self, rng: np.random.Generator, n: int, length: int) -> list[int]:
        gaps = rng.integers(self.frame_gap[0], self.frame_gap[1] + 1, size=max(0, length - 1))
        span = int(gaps.sum())
        if span > n - 1:  # short video: shrink the gaps proportionally
            gaps = np.floor(gaps * (n - 1) / max(span, 1)).astype(int)
            span = int(gaps.sum())
        start = int(rng.integers(0, n - span)) if n - span > 0 else 0
        return [start] + list(start + np.cumsum(gaps).astype(int))

    def __getitem__(self, item: tuple[int, int]):
        i, seed = item
        rng = np.random.default_rng(seed)
        n = self._n_frames(i)
        S = self.crop_size
        if self.mode == "views":
            img = self._read(i, int(rng.integers(0, n)))
            H, W = img.shape[:2]
            views = [
                crop_resize(img, random_box(rng, H, W, self.crop_scale, self.crop_ratio), S) for _ in range(2)
            ]
            return torch.stack([_chw(v) for v in views])
        if self.mode == "pair":
            return self._pair_sample(i, rng, n)
        if self.mode == "rates":
            return self._rate_sample(i, rng, n)
        idx = self._indices(rng, n, self.clip_len)
        frames = [self._read(i, t) for t in idx]
        H, W = frames[0].shape[:2]
        box = random_box(rng, H, W, self.crop_scale, self.crop_ratio)
        out = []
        for f in frames:
            if self.independent:
                box = random_box(rng, H, W, self.crop_scale, self.crop_ratio)
            out.append(_chw(crop_resize(f, box, S)))
        return torch.stack(out)

    def _pair_sample(self, i: int, rng: np.random.Generator, n: int):
        """ContrastCorr's pair (the authors' ``libs/loader_trackingnet.py``, ``VidListv2``): both frames are
        resized by one factor so the whole frame fits a ``search_size`` square (zero padding below / right);
        the reference is a ``crop_size`` square cut at a random position of resized frame t, the search is
        all of resized frame t + gap, so the target keeps the reference's scale and its position varies.
        ``crop_scale`` / ``crop_ratio`` play no part (the authors' random rotation and rescaling are omitted)."""
        t0, t1 = self._indices(rng, n, 2)
        a, b = self._read(i, t0), self._read(i, t1)
        S, S2 = self.crop_size, self.search_size
        H, W = a.shape[:2]
        f = S2 / max(H, W)
        h, w = max(1, int(round(H * f))), max(1, int(round(W * f)))
        if h < S or w < S:
            raise CorrlearnError(
                f"{self.videos[i].path}: a {W}x{H} frame fitted into search_size {S2} is {w}x{h}, "
                f"smaller than the {S}px reference crop; raise search_size or lower crop_size"
            )
        interp = cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
        a, b = (cv2.resize(x, (w, h), interpolation=interp) for x in (a, b))
        y, x = int(rng.integers(0, h - S + 1)), int(rng.integers(0, w - S + 1))
        ref = a[y : y + S, x : x + S]
        search = np.zeros((S2, S2, 3), dtype=b.dtype)
        search[:h, :w] = b
        return _chw(ref), _chw(search)

    def _rate_sample(self, i: int, rng: np.random.Generator, n: int):
        # the fastest rate that fits the video, at most the drawn one: short videos still give samples
        r = int(rng.integers(len(self.rates)))
        while r > 0 and (self.clip_len - 1) * self.rates[r] > n - 1:
            r -= 1
        step = self.rates[r]
        span = (self.clip_len - 1) * step
        if span > n - 1:
            raise CorrlearnError(
                f"{self.videos[i].path}: {n} frames, too short for {self.clip_len} frames every {step}"
            )
        start = int(rng.integers(0, n - span))
        frames = [self._read(i, start + k * step // 2) for k in range(2 * self.clip_len - 1)]
        H, W = frames[0].shape[:2]
        box = random_box(rng, H, W, self.crop_scale, self.crop_ratio)
        crops = torch.stack([_chw(crop_resize(f, box, self.crop_size)) for f in frames])
        return crops[0::2], crops[1::2], torch.tensor(r, dtype=torch.int64)


class StepSampler(Sampler):
    """Deterministic, resumable, rank-aware sampler yielding ``(video_index, sample_seed)``.

    Global sample position ``p = step * global_batch + j``; the video is ``perm_e[p mod n]`` with a
    permutation drawn per epoch ``e = p // n`` from the run seed. Rank ``r`` takes positions
    ``j in [r * local, (r + 1) * local)`` of each global batch, so the union over ranks is exactly the
    single-process batch.
    """

    def __init__(
        self,
        n_items: int,
        global_batch: int,
        steps: int,
        seed: int,
        rank: int = 0,
        world: int = 1,
        start_step: int = 0,
    ):
        if global_batch % world:
            raise CorrlearnError(f"batch size {global_batch} is not divisible by the {world} processes")
        self.n, self.gb, self.steps, self.seed = n_items, global_batch, steps, seed
        self.rank, self.local, self.start = rank, global_batch // world, start_step
        self._perm_cache: tuple[int, np.ndarray] | None = None

    def _perm(self, epoch: int) -> np.ndarray:
        if self._perm_cache is None or self._perm_cache[0] != epoch:
            self._perm_cache = (epoch, np.random.default_rng([self.seed, epoch, 17]).permutation(self.n))
        return self._perm_cache[1]

    def __len__(self) -> int:
        return (self.steps - self.start) * self.local

    def __iter__(self) -> Iterator[tuple[int, int]]:
        for step in range(self.start, self.steps):
            for j in range(self.rank * self.local, (self.rank + 1) * self.local):
                p = step * self.gb + j
                seed = int(np.random.SeedSequence([self.seed, p]).generate_state(1)[0])
                yield int(self._perm(p // self.n)[p % self.n]), seed


def collate(samples: list):
    """Stack tensors, or tuples of tensors (pairs), along a new batch dimension."""
    if isinstance(samples[0], tuple):
        return tuple(torch.stack(parts) for parts in zip(*samples, strict=True))
    return torch.stack(samples)
