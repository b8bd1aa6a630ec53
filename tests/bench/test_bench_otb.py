"""`corrlearn bench otb` / `eval otb` end to end on DAVIS sequences seen as OTB sequences."""

from __future__ import annotations

import json

import numpy as np
import pytest

from corrlearn.cli import main
from corrlearn.datasets.otb import load_sequence, write_rects


@pytest.mark.slow  # one of the costliest real-data runs (quick tier: -m "not slow"; CI runs it)
@pytest.mark.realdata
def test_bench_otb_dcf_from_davis_resumes_and_matches_eval(davis_root, tmp_path, capsys):
    root, out = tmp_path / "otb", tmp_path / "run"
    args = ["bench", "otb", "--root", str(root), "--out", str(out), "--quiet", "--sequences", "blackswan", "dog",
            "--dcf", "crop_size=192"]  # fmt: skip
    assert main(args + ["--from-davis", str(davis_root), "--max-frames", "6"]) == 0
    report = json.loads((out / "run.json").read_text())
    g = report["global"]
    assert report["config"]["dcf"]["crop_size"] == 192 and report["config"]["dcf"]["padding"] == 3.5
    assert g["sequences"] == 2 and len(g["success_curve"]) == 21 and len(g["precision_curve"]) == 51
    assert g["auc"] > 0.5  # 6 frames of slow motion from the true first box
    boxes = np.loadtxt(out / "results" / "dog" / "dog.txt", delimiter=",")
    assert boxes.shape == (6, 4) and np.allclose(boxes[0], load_sequence(root, "dog").boxes[0], atol=1e-3)
    capsys.readouterr()
    assert main(args) == 0
    assert "0 computed, 2 already done" in capsys.readouterr().out
    assert (out / "success.png").stat().st_size > 0 and (out / "precision.png").stat().st_size > 0
    ev = tmp_path / "eval"
    assert main(["eval", "otb", "--root", str(root), "--results", str(out), "--out", str(ev)]) == 0
    assert json.loads((ev / "global.json").read_text())["run"]["auc"] == pytest.approx(g["auc"])
    assert main(args[:-1] + ["crop_size=256"]) == 2  # another configuration in the same run directory


@pytest.mark.realdata
def test_eval_otb_perfect_and_constant_trackers(davis_root, tmp_path):
    from corrlearn.datasets.davis_boxes import davis_as_otb

    root = tmp_path / "otb"
    davis_as_otb(davis_root, "car-shadow", root, max_frames=10)
    seq = load_sequence(root, "car-shadow")
    perfect, frozen = tmp_path / "perfect", tmp_path / "frozen"
    write_rects(perfect / "car-shadow.txt", seq.boxes)
    write_rects(frozen / "car-shadow.txt", np.repeat(seq.boxes[:1], 10, axis=0))
    ev = tmp_path / "eval"
    assert (
        main(["eval", "otb", "--root", str(root), "--results", str(perfect), str(frozen), "--out", str(ev)])
        == 0
    )
    g = json.loads((ev / "global.json").read_text())
    assert g["perfect"]["auc"] == pytest.approx(20 / 21) and g["perfect"]["precision@20"] == 1.0
    assert g["frozen"]["auc"] < g["perfect"]["auc"]
    write_rects(frozen / "car-shadow.txt", seq.boxes[:3])
    assert main(["eval", "otb", "--root", str(root), "--results", str(frozen), "--out", str(ev)]) == 2
