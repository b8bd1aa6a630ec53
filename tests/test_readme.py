"""The README's Python examples run as printed (only the file names point at a small synthetic clip)."""

import re
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from corrlearn.io.masks import DAVIS_PALETTE, read_mask
from corrlearn.io.overlay import OverlayVideoWriter
from tests.conftest import REPO
from tests.synthetic import translating_video


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), re.S)


def test_affinity_snippet_runs_and_fused_equals_two_step():
    block = next(b for b in _python_blocks() if "topk_affinity" in b)
    ns: dict = {}
    exec(block, ns)
    assert ns["weights"].shape == (ns["gh"] * ns["gw"], 10)
    assert torch.allclose(ns["labels_q"], ns["fused"], atol=1e-5)


def _write_clip(tmp_path: Path, n_frames: int) -> np.ndarray:
    """my_clip.mp4 of a translating synthetic video; returns its ground-truth ids."""
    frames, gts = translating_video(n_frames=n_frames, size=(64, 96), step=(2, 3))
    writer = OverlayVideoWriter(tmp_path / "my_clip.mp4", fps=24)
    for f in frames:
        writer.write(f)
    writer.close()
    return gts


def test_propagation_example_runs(tmp_path, monkeypatch):
    gts = _write_clip(tmp_path, 4)
    img = Image.fromarray(gts[0], mode="P")
    img.putpalette(DAVIS_PALETTE)
    img.save(tmp_path / "first_frame.png")
    (tmp_path / "masks").mkdir()
    monkeypatch.chdir(tmp_path)
    block = next(b for b in _python_blocks() if "propagate_video" in b)
    exec(block, {})
    written = sorted(Path("masks").glob("*.png"))
    assert [p.stem for p in written] == ["00000", "00001", "00002", "00003"]
    assert np.array_equal(read_mask(written[0]).ids, gts[0])


def test_codec_example_runs(tmp_path, monkeypatch):
    _write_clip(tmp_path, 3)
    monkeypatch.chdir(tmp_path)
    block = next(b for b in _python_blocks() if "BoxCodec" in b)
    ns: dict = {}
    exec(block, ns)
    assert len(ns["boxes"]) == 3 and ns["boxes"][0].tolist() == [20.0, 12.0, 30.0, 24.0]
    assert all(b.shape == (4,) for b in ns["boxes"])
    assert len(ns["poses"]) == 3 and all(p.shape == (2, 2) for p in ns["poses"])
