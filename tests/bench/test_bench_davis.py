"""`corrlearn bench davis` end to end on DAVIS-2016 val (named test_bench_davis.py: pytest without __init__.py
needs unique basenames, and tests/metrics/test_davis.py exists): outputs, evaluation, shards, config checks, and a
real propagation run killed with SIGKILL and resumed to byte-identical PNGs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from corrlearn.bench.options import parse_overrides
from corrlearn.cli import main
from corrlearn.datasets.davis import annotation_dir
from corrlearn.errors import CorrlearnError
from corrlearn.metrics.davis import evaluate

TWO = ["car-shadow", "motocross-jump"]
CHEAP = ["--set", "short_side=64", "context=2"]  # keeps propagation to seconds per sequence on a shared CPU


def bench(root, out, *extra):
    return ["bench", "davis", "--root", str(root), "--out", str(out), "--quiet", *extra]


def test_parse_overrides():
    assert parse_overrides(
        ["topk=5", "radius=none", "minmax=true", "temperature=0.07", "radius_shape=square"]
    ) == {
        "topk": 5,
        "radius": None,
        "minmax": True,
        "temperature": 0.07,
        "radius_shape": "square",
    }
    with pytest.raises(CorrlearnError, match="FIELD=VALUE"):
        parse_overrides(["topk"])
    with pytest.raises(CorrlearnError, match="--dcf 'x': expected FIELD=VALUE, e.g. --dcf"):
        parse_overrides(["x"], "--dcf")
    assert parse_overrides(["l2_normalize=true", "precision=bf16", "scales=3"], "--dcf") == {
        "l2_normalize": True,
        "precision": "bf16",
        "scales": 3,
    }


@pytest.mark.realdata
def test_copy_first_baseline_end_to_end(davis_root, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(bench(davis_root, out, "--baseline", "copy-first", "--sequences", *TWO)) == 0
    printed = capsys.readouterr().out
    assert "J&F-Mean" in printed and "car-shadow" in printed
    for seq in TWO:
        gt = sorted(annotation_dir(davis_root, seq).glob("*.png"))
        pngs = sorted((out / "results" / seq).glob("*.png"))
        assert [p.name for p in pngs] == [p.name for p in gt]
        img = Image.open(pngs[-1])
        assert img.mode == "P"  # palette PNG with object ids, whatever the input convention
        first = np.array(Image.open(gt[0])) > 0
        np.testing.assert_array_equal(np.array(img), first.astype(np.uint8))
    report = json.loads((out / "run.json").read_text())
    assert report["propagate_wall_s"] > 0 and report["peak_rss_mib"] > 0
    assert report["sequences"]["car-shadow"]["frames"] == 40
    assert report["config"]["method"] == "copy-first"
    again = evaluate(davis_root, out / "results", "2016", TWO, progress=False)
    assert report["global"] == pytest.approx(again.global_)
    assert (out / "eval" / "per-sequence.csv").read_text() == again.per_sequence_csv()


@pytest.mark.realdata
def test_shards_and_merge(davis_root, tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    base = bench(davis_root, out, "--baseline", "copy-first", "--sequences", *TWO)
    assert main(base + ["--merge"]) == 2  # nothing there yet
    assert "not a run directory" in capsys.readouterr().err
    assert main(base + ["--shard", "1/2"]) == 0
    assert "left in other shards" in capsys.readouterr().out
    assert main(base + ["--merge"]) == 2
    assert "not finished yet: car-shadow" in capsys.readouterr().err
    assert os.listdir(out / "results") == ["motocross-jump"] and not (out / "run.json").exists()
    # torchrun rank 0 of 2 inside shard 0/1 takes the other sequence; the last shard to finish evaluates
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert main(base) == 0
    assert (out / "run.json").exists()
    monkeypatch.delenv("RANK")
    monkeypatch.delenv("WORLD_SIZE")
    before = (out / "eval" / "global.json").read_text()
    (out / "eval" / "global.json").unlink()
    # --merge reads the run's own config: no need to repeat --baseline
    assert main(bench(davis_root, out, "--merge", "--sequences", *TWO)) == 0
    assert (out / "eval" / "global.json").read_text() == before

    assert main(base + ["--shard", "2/2"]) == 2
    assert "--shard" in capsys.readouterr().err


@pytest.mark.realdata
def test_resume_with_other_config_is_refused(davis_root, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(bench(davis_root, out, "--baseline", "copy-first", "--sequences", TWO[0])) == 0
    capsys.readouterr()
    # refused before any propagation: the config check comes first
    assert main(bench(davis_root, out, "--sequences", TWO[0], *CHEAP)) == 2
    err = capsys.readouterr().err
    assert "config.json" in err and "different configuration" in err
    other = tmp_path / "run2"
    cfg_dir_args = bench(davis_root, other, "--sequences", "no-such-seq")
    assert main(cfg_dir_args) == 2
    assert "no-such-seq" in capsys.readouterr().err
    assert main(bench(davis_root, other, "--set", "bogus=1", "--sequences", TWO[0])) == 2
    assert "unknown preset field" in capsys.readouterr().err
    assert main(bench(davis_root, other, "--weights", str(tmp_path / "none.pth"), "--sequences", TWO[0])) == 2
    assert "none.pth" in capsys.readouterr().err


def snapshot(folder):
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.glob("*.png"))}


@pytest.mark.realdata
@pytest.mark.slow
def test_propagation_killed_and_resumed_is_byte_identical(davis_root, tmp_path):
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "corrlearn", *bench(davis_root, run, "--sequences", *TWO, *CHEAP)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 900
        while not (run / "done" / f"{TWO[0]}.json").exists():
            if proc.poll() is not None:
                pytest.fail(f"bench exited early: {proc.stderr.read().decode()[-2000:]}")
            assert time.monotonic() < deadline, "first sequence never finished"
            time.sleep(0.2)
        proc.kill()  # SIGKILL while the second sequence is being propagated
    finally:
        proc.wait()
        proc.stderr.close()
    assert not (run / "done" / f"{TWO[1]}.json").exists()
    first = snapshot(run / "results" / TWO[0])
    assert len(first) == 40

    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shard = json.loads((run / "shards" / "0-of-1.json").read_text())
    assert shard["computed"] == [TWO[1]] and shard["skipped"] == [TWO[0]]
    assert snapshot(run / "results" / TWO[0]) == first  # finished sequence untouched
    assert [p.name for p in (run / "results").iterdir() if p.name.startswith(".")] == []

    # reference: an uninterrupted run of the sequence that was interrupted
    ref = tmp_path / "ref"
    subprocess.run(
        [sys.executable, "-m", "corrlearn", *bench(davis_root, ref, "--sequences", TWO[1], *CHEAP)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    resumed = {k: v[1] for k, v in snapshot(run / "results" / TWO[1]).items()}
    fresh = {k: v[1] for k, v in snapshot(ref / "results" / TWO[1]).items()}
    assert len(resumed) == 40 and resumed == fresh

    report = json.loads((run / "run.json").read_text())
    assert set(report["sequences"]) == set(TWO)
    assert report["config"]["preset"]["short_side"] == 64 and report["config"]["method"] == "propagate"
    assert all(0.0 <= v <= 1.0 for k, v in report["global"].items() if "Decay" not in k)


@pytest.mark.realdata
def test_train_subset_at_240p_for_development_checks(davis_train_root, tmp_path, capsys):
    # the 240p training sequences: --subset train reads ImageSets/2016/train.txt, --resolution 240p the
    # 240p frames and ground truth; propagation beats copying the first mask (hands-free, on real data)
    seqs = ["rollerblade"]  # fast motion: copying the first mask scores 0.03
    scores = {}
    for method in ("copy", "propagate"):
        out = tmp_path / method
        extra = ["--baseline", "copy-first"] if method == "copy" else ["--set", "context=3"]
        args = ["--subset", "train", "--resolution", "240p", "--sequences", *seqs, *extra]
        assert main(bench(davis_train_root, out, *args)) == 0
        report = json.loads((out / "run.json").read_text())
        assert report["config"]["subset"] == "train" and report["config"]["resolution"] == "240p"
        assert report["sequences"]["rollerblade"]["frames"] == 35
        scores[method] = report["global"]["J&F-Mean"]
    assert scores["propagate"] > scores["copy"] + 0.2
    capsys.readouterr()
    assert main(bench(davis_train_root, tmp_path / "x", "--subset", "train")) != 0  # no 480p frames
    assert "480p/bear: sequence frames not found" in capsys.readouterr().err


def test_the_train_list_is_read_when_asked(davis_train_root):
    from corrlearn.bench.davis import DavisBench

    bench_ = DavisBench(root=davis_train_root, run_dir="unused", subset="train", resolution="240p")
    assert len(bench_.items()) == 30 and "bear" in bench_.items()
    assert "blackswan" not in bench_.items()  # a val sequence
