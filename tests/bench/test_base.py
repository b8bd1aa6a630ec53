"""The benchmark skeleton: a toy benchmark is its items, its work and its scoring; the base does the rest."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from corrlearn.bench.base import RUN_JSON, Benchmark
from corrlearn.bench.davis import DavisBench
from corrlearn.errors import CorrlearnError


@dataclass(kw_only=True)
class Squares(Benchmark):
    n: int = 3
    calls: int = 0

    name = "squares"
    unit = "number"

    def items(self) -> list[str]:
        return [str(i) for i in range(self.n)]

    def settings(self) -> dict:
        return {"n": self.n}

    def uses_encoder(self) -> bool:
        return False

    def work(self, item: str, out: Path, progress: bool = True) -> dict:
        self.calls += 1
        (out / "value.txt").write_text(str(int(item) ** 2))
        return {"value": int(item) ** 2}

    def score(self, runner, items, progress=True):
        total = sum(int((runner.result_dir(it) / "value.txt").read_text()) for it in items)
        return {"total": total}, {"total": total}


def test_a_benchmark_is_items_work_and_score(tmp_path):
    bench = Squares(run_dir=tmp_path / "run", n=4)
    first = bench.run(shard=(0, 2), progress=False)
    assert not first["complete"] and first["missing"] == ["1", "3"]
    with pytest.raises(CorrlearnError, match="2 number\\(s\\) not finished yet: 1, 3"):
        bench.merge(progress=False)
    out = bench.run(shard=(1, 2), progress=False)
    assert out["complete"] and out["total"] == 0 + 1 + 4 + 9
    report = json.loads((tmp_path / "run" / RUN_JSON).read_text())
    assert report["total"] == 14 and set(report["numbers"]) == {"0", "1", "2", "3"}
    assert report["config"]["benchmark"] == "squares" and report["config"]["n"] == 4
    assert "model" not in report["config"]  # no encoder, none recorded
    assert len(report["shards"]) == 2 and report["propagate_wall_s"] >= 0
    # resuming does no work again; a changed setting is refused
    again = Squares(run_dir=tmp_path / "run", n=4)
    assert again.run(progress=False)["complete"] and again.calls == 0
    with pytest.raises(CorrlearnError, match="different configuration \\(differs in: n\\)"):
        Squares(run_dir=tmp_path / "run", n=5).run(progress=False)


def test_the_encoder_spec_is_recorded_and_its_stride_honoured(tmp_path):
    bench = DavisBench(root=tmp_path, run_dir=tmp_path / "run", model="resnet18")
    cfg = bench.config()
    assert cfg["model"] == "resnet18" and cfg["stride"] is None and cfg["weights_sha256"] is None
    assert cfg["preset"]["name"] == "crw" and cfg["benchmark"] == "davis"
    assert bench.encoder().stride == 8  # the architecture's own
    assert (
        DavisBench(root=tmp_path, run_dir=tmp_path / "r4", model="resnet18", stride=4).encoder().stride == 4
    )
    vit = DavisBench(root=tmp_path, run_dir=tmp_path / "v", model="vit-s16", preset="dino")
    assert vit.encoder().stride == 16  # a ViT's stride is its patch size; 8 used to be forced
    with pytest.raises(CorrlearnError, match="weights file not found"):
        DavisBench(
            root=tmp_path, run_dir=tmp_path / "w", model="resnet18", weights=tmp_path / "none.pth"
        ).config()


def test_the_encoder_precision_is_recorded_and_checked(tmp_path):
    assert DavisBench(root=tmp_path, run_dir=tmp_path / "a", model="resnet18").config()["precision"] == "fp32"
    bf16 = DavisBench(root=tmp_path, run_dir=tmp_path / "b", model="resnet18", precision="bf16")
    assert bf16.config()["precision"] == "bf16"
    with pytest.raises(CorrlearnError, match="precision must be one of fp32, bf16, got 'fp16'"):
        DavisBench(root=tmp_path, run_dir=tmp_path / "c", model="resnet18", precision="fp16")


def test_weights_folder_is_named_as_a_folder(tmp_path):
    (tmp_path / "weights").mkdir()
    bench = DavisBench(root=tmp_path, run_dir=tmp_path / "w", model="resnet18", weights=tmp_path / "weights")
    with pytest.raises(CorrlearnError, match="weights: is a folder, not a checkpoint file"):
        bench.config()


def test_items_are_checked_before_the_run_directory_is_made(tmp_path):
    @dataclass(kw_only=True)
    class BadGroundTruth(Squares):
        def check_items(self, items):
            raise CorrlearnError(f"ground truth of item {items[-1]} is unreadable")

    with pytest.raises(CorrlearnError, match="ground truth of item 2 is unreadable"):
        BadGroundTruth(run_dir=tmp_path / "run").run(progress=False)
    assert not (tmp_path / "run").exists()
