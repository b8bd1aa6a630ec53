"""`corrlearn bench all`: every benchmark with one user encoder (the worked example), shards, resume, summary."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from corrlearn.cli import main
from corrlearn.models.checkpoint import file_sha256
from tests.synthetic import small_davis_root

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "user_encoder.py"
MODEL = f"{EXAMPLE}:resnet18_s8"


@pytest.fixture(scope="module")
def roots(tmp_path_factory, request):
    from corrlearn.datasets.davis_derived import davis_as_jhmdb, davis_as_otb, two_object_sequence

    train = request.getfixturevalue("davis_train_root")
    base = tmp_path_factory.mktemp("suite")
    davis = small_davis_root(train, base / "DAVIS", ["bear", "boat"], n_frames=5)
    two_object_sequence(davis, "bear", base / "DAVIS2017")
    davis_as_jhmdb(davis, base / "JHMDB", sequences=["bear"], num_frames=4)
    davis_as_otb(davis, "boat", base / "OTB")
    return {"davis": davis, "davis2017": base / "DAVIS2017", "jhmdb": base / "JHMDB", "otb": base / "OTB"}


def suite(roots, out, *extra):
    args = ["bench", "all", "--out", str(out), "--quiet", "--model", MODEL, "--davis-set", "context=2"]
    args += ["--otb-tracker", "boxprop"]  # the DCF tracker crops 520 px: minutes on a shared CPU
    for key, root in roots.items():
        args += [f"--{key}", str(root)]
    return [*args, *extra]


@pytest.mark.realdata
@pytest.mark.slow  # ~40 s on a shared 2-core CPU: four parts, two shards, a resume
def test_bench_all_two_shards_one_table(roots, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(suite(roots, out, "--shard", "0/2")) == 0
    assert "waiting for other shards" in capsys.readouterr().out
    assert not (out / "summary.json").exists()  # nothing is summarised before every part is scored
    assert main(suite(roots, out, "--shard", "1/2")) == 0
    printed = capsys.readouterr().out
    assert "| encoder | DAVIS-2016 J&F | DAVIS-2016 J | DAVIS-2016 F | DAVIS-2017 J&F" in printed
    summary = json.loads((out / "summary.json").read_text())
    got = {(r["benchmark"], r["metric"]): r["value"] for r in summary["results"]}
    # every figure is the part's own run.json (the existing runners' scores), in percent
    for part, label, scale, keys in (
        ("davis2016", "DAVIS-2016", 100, {"J&F": "J&F-Mean", "J": "J-Mean", "F": "F-Mean"}),
        ("davis2017", "DAVIS-2017", 100, {"J&F": "J&F-Mean", "J": "J-Mean", "F": "F-Mean"}),
        ("jhmdb", "JHMDB", 1, {"PCK@0.1": "PCK@0.1", "PCK@0.2": "PCK@0.2"}),
        ("otb", "OTB", 100, {"AUC": "auc", "P@20": "precision@20"}),
    ):
        report = json.loads((out / part / "run.json").read_text())
        assert report["config"]["model"] == MODEL
        for metric, key in keys.items():
            assert got[(label, metric)] == pytest.approx(report["global"][key] * scale, abs=1e-3)
        assert sorted(r["shard"] for r in report["shards"]) == ["0/2", "1/2"]
    assert len(got) == 10
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert len(rows) == 10 and {r["config_sha256"] for r in rows} == {summary["config_sha256"]}
    assert {r["protocol"] for r in rows if r["benchmark"] == "OTB"} == {"tracker boxprop, preset crw"}
    assert rows[0]["protocol"] == "preset crw" and "frame 0 skip" in rows[6]["convention"]
    src = summary["encoder_source"]
    assert src["factory"] == MODEL and src["source_sha256"] == file_sha256(EXAMPLE)
    assert summary["versions"]["corrlearn"] and len(summary["config_sha256"]) == 64
    md = (out / "summary.md").read_text()
    assert MODEL in md and summary["config_sha256"] in md and "DAVIS-2017 val" in md
    assert "OTB toolkit convention" in md
    # resumed: nothing recomputed, the same table
    assert main(suite(roots, out)) == 0
    assert capsys.readouterr().out.count(": 0 computed") == 4
    assert json.loads((out / "summary.json").read_text())["results"] == summary["results"]


@pytest.mark.realdata
def test_bench_all_part_equals_its_own_runner(roots, tmp_path):
    only = {"davis": roots["davis"]}
    assert main(suite(only, tmp_path / "all")) == 0
    alone = ["bench", "davis", "--root", str(roots["davis"]), "--out", str(tmp_path / "one"), "--quiet"]
    assert main([*alone, "--model", MODEL, "--set", "context=2"]) == 0
    a = json.loads((tmp_path / "all" / "davis2016" / "run.json").read_text())
    b = json.loads((tmp_path / "one" / "run.json").read_text())
    assert a["config"] == b["config"] and a["global"] == b["global"]


def test_bench_all_needs_a_root(tmp_path, capsys):
    assert main(["bench", "all", "--out", str(tmp_path / "r")]) == 2
    assert "give at least one of --davis" in capsys.readouterr().err
    assert main(["bench", "all", "--out", str(tmp_path / "r"), "--otb", str(tmp_path / "none")]) == 2
    assert "--otb" in capsys.readouterr().err
