"""Synthetic videos with known motion, for unit tests."""

from __future__ import annotations

import numpy as np


def textured_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A smooth random colour texture (RGB uint8) that random CNN features can tell apart locally."""
    import cv2

    rng = np.random.default_rng(seed)
    img = np.zeros((height, width, 3), np.float64)
    # octaves of smooth noise: structure at every scale, like natural images
    for scale, amp in ((32, 1.0), (16, 0.8), (8, 0.6), (4, 0.4), (2, 0.3)):
        small = rng.normal(size=(height // scale + 2, width // scale + 2, 3))
        img += amp * cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    img = (img - img.min()) / (img.max() - img.min()) * 255
    return img.astype(np.uint8)


def translating_video(
    n_frames: int = 6, size: tuple[int, int] = (96, 128), step: tuple[int, int] = (2, 3), seed: int = 0
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Frames of a large texture seen through a window moving by ``step`` (dy, dx) pixels per frame, and the
    ground-truth masks of a square object painted on the texture (ids 1) and a second one (id 2)."""
    h, w = size
    pad = 4 + n_frames * max(abs(step[0]), abs(step[1]))
    big = textured_image(h + 2 * pad, w + 2 * pad, seed)
    ids_big = np.zeros(big.shape[:2], np.uint8)
    # objects sit in the middle of the path the window travels, so they stay in view throughout
    cy, cx = pad + h // 2 + (n_frames - 1) * step[0] // 2, pad + w // 2 + (n_frames - 1) * step[1] // 2
    ids_big[cy - h // 6 : cy + h // 6, cx - w // 3 : cx] = 1
    ids_big[cy - h // 6 : cy + h // 6, cx + 4 : cx + w // 4] = 2
    frames, masks = [], []
    for t in range(n_frames):
        y0, x0 = pad + t * step[0], pad + t * step[1]
        frames.append(big[y0 : y0 + h, x0 : x0 + w].copy())
        masks.append(ids_big[y0 : y0 + h, x0 : x0 + w].copy())
    return frames, masks


def iou(a: np.ndarray, b: np.ndarray) -> float:
    u = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / u) if u else 1.0


def write_clip(tmp_path, n: int = 4, size: tuple[int, int] = (64, 96)):
    """A translating clip as a folder of JPEG frames (``tmp_path/frames``) and its first mask as a DAVIS palette
    PNG (``tmp_path/first.png``); returns (frames folder, mask path, RGB frames)."""
    import cv2
    from PIL import Image

    from corrlearn.io.masks import DAVIS_PALETTE

    frames, gts = translating_video(n_frames=n, size=size, step=(2, 3))
    d = tmp_path / "frames"
    d.mkdir()
    for i, f in enumerate(frames):
        cv2.imwrite(str(d / f"{i:05d}.jpg"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    mask = Image.fromarray(gts[0], mode="P")
    mask.putpalette(DAVIS_PALETTE)
    mask.save(tmp_path / "first.png")
    return d, tmp_path / "first.png", frames


def small_davis_root(src_root, dst_root, sequences, n_frames: int = 6, size: tuple[int, int] = (72, 128)):
    """A DAVIS-2016 root (480p layout, ``ImageSets/2016/val.txt``) of the first ``n_frames`` real frames and
    masks of ``sequences`` from the 240p training set ``src_root``, resized to ``size`` (H, W): real video
    that propagates in a second."""
    from pathlib import Path

    import cv2
    from PIL import Image

    src, dst = Path(src_root), Path(dst_root)
    for seq in sequences:
        frames = sorted((src / "JPEGImages" / "240p" / seq).glob("*.jpg"))[:n_frames]
        (dst / "JPEGImages" / "480p" / seq).mkdir(parents=True)
        (dst / "Annotations" / "480p" / seq).mkdir(parents=True)
        for jpg in frames:
            img = cv2.resize(cv2.imread(str(jpg)), size[::-1], interpolation=cv2.INTER_AREA)
            cv2.imwrite(str(dst / "JPEGImages" / "480p" / seq / jpg.name), img)
            with Image.open(src / "Annotations" / "240p" / seq / f"{jpg.stem}.png") as m:
                mask = np.array(m.convert("L"))
            mask = cv2.resize(mask, size[::-1], interpolation=cv2.INTER_NEAREST)
            Image.fromarray(np.where(mask > 127, 255, 0).astype(np.uint8)).save(
                dst / "Annotations" / "480p" / seq / f"{jpg.stem}.png"
            )
    (dst / "ImageSets" / "2016").mkdir(parents=True, exist_ok=True)
    (dst / "ImageSets" / "2016" / "val.txt").write_text("\n".join(sequences) + "\n")
    return dst


def write_davis_root(root, sequences=("square",), n: int = 4, size: tuple[int, int] = (64, 96)):
    """A DAVIS-2016 root (480p layout, ``ImageSets/2016/val.txt``) of synthetic translating clips: JPEG frames and
    0/255 masks of the first object, for runs that need no real data."""
    from pathlib import Path

    import cv2
    from PIL import Image

    root = Path(root)
    for k, seq in enumerate(sequences):
        frames, gts = translating_video(n_frames=n, size=size, step=(2, 3), seed=k)
        (root / "JPEGImages" / "480p" / seq).mkdir(parents=True)
        (root / "Annotations" / "480p" / seq).mkdir(parents=True)
        for i, (f, m) in enumerate(zip(frames, gts, strict=True)):
            cv2.imwrite(
                str(root / "JPEGImages" / "480p" / seq / f"{i:05d}.jpg"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR)
            )
            Image.fromarray(np.where(m == 1, 255, 0).astype(np.uint8)).save(
                root / "Annotations" / "480p" / seq / f"{i:05d}.png"
            )
    (root / "ImageSets" / "2016").mkdir(parents=True, exist_ok=True)
    (root / "ImageSets" / "2016" / "val.txt").write_text("\n".join(sequences) + "\n")
    return root
