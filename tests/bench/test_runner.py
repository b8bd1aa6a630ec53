"""The generic resumable/shardable runner, on a toy benchmark (no data needed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from corrlearn.bench.runner import Runner, effective_shard, parse_shard, shard_items
from corrlearn.errors import CorrlearnError

ITEMS = ["a", "b", "c", "d", "e"]


def toy_work(calls):
    def work(item, out):
        calls.append(item)
        assert out.is_dir() and not any(out.iterdir())
        (out / "value.txt").write_text(item * 3)
        return {"len": 3}

    return work


def test_parse_and_combine_shards():
    assert parse_shard(None) == (0, 1)
    assert parse_shard("2/4") == (2, 4)
    for bad in ["4/4", "-1/3", "x", "1/0", "1/2/3"]:
        with pytest.raises(CorrlearnError, match="--shard"):
            parse_shard(bad)
    assert effective_shard((1, 2), {"RANK": "1", "WORLD_SIZE": "3"}) == (4, 6)
    assert effective_shard((0, 1), {}) == (0, 1)
    with pytest.raises(CorrlearnError, match="RANK"):
        effective_shard((0, 1), {"RANK": "3", "WORLD_SIZE": "2"})
    # shards partition the items, deterministically
    parts = [shard_items(ITEMS, (i, 3)) for i in range(3)]
    assert parts == [["a", "d"], ["b", "e"], ["c"]]
    assert sorted(sum(parts, [])) == ITEMS


def test_run_skips_done_items_and_records(tmp_path):
    calls: list[str] = []
    r = Runner(tmp_path / "run", {"k": 1})
    s = r.run(ITEMS[:3], toy_work(calls), progress=False)
    assert calls == ["a", "b", "c"] and s["computed"] == ["a", "b", "c"]
    assert (tmp_path / "run" / "results" / "b" / "value.txt").read_text() == "bbb"
    rec = r.record("b")
    assert rec["len"] == 3 and rec["item"] == "b" and rec["wall_s"] >= 0 and rec["peak_rss_mib"] > 0
    calls.clear()
    s = Runner(tmp_path / "run", {"k": 1}).run(ITEMS, toy_work(calls), progress=False)
    assert calls == ["d", "e"] and s["skipped"] == ["a", "b", "c"]
    shard_json = json.loads((tmp_path / "run" / "shards" / "0-of-1.json").read_text())
    assert shard_json["computed"] == ["d", "e"]


def test_different_config_is_refused(tmp_path):
    Runner(tmp_path, {"preset": {"topk": 10}, "seed": 0}).prepare()
    with pytest.raises(CorrlearnError, match=r"config.json.*differs in: preset"):
        Runner(tmp_path, {"preset": {"topk": 5}, "seed": 0}).prepare()
    Runner(tmp_path, {"seed": 0, "preset": {"topk": 10}}).prepare()  # key order does not matter


def test_failure_leaves_no_partial_output(tmp_path):
    def boom(item, out):
        (out / "half.txt").write_text("x")
        raise RuntimeError("engine failed")

    r = Runner(tmp_path, {})
    with pytest.raises(RuntimeError):
        r.run(["a"], boom, progress=False)
    assert not r.is_done("a")
    assert list((tmp_path / "results").iterdir()) == []


def test_leftovers_of_a_killed_run_are_cleaned(tmp_path):
    r = Runner(tmp_path, {})
    r.prepare()
    # killed mid-item (temporary folder of a dead process) and killed between rename and marker
    dead = tmp_path / "results" / ".a.tmp-999999999"
    dead.mkdir()
    (dead / "junk").write_text("x")
    (tmp_path / "results" / "b").mkdir()
    (tmp_path / "results" / "b" / "stale.txt").write_text("x")
    assert not r.is_done("b")
    calls: list[str] = []
    r.run(["a", "b"], toy_work(calls), progress=False)
    assert calls == ["a", "b"]
    assert not dead.exists()
    assert sorted(p.name for p in (tmp_path / "results" / "b").iterdir()) == ["value.txt"]


def test_shards_together_cover_everything(tmp_path):
    calls: list[str] = []
    for i in range(2):
        Runner(tmp_path, {}).run(ITEMS, toy_work(calls), shard=(i, 2), progress=False)
    assert sorted(calls) == ITEMS
    assert Runner(tmp_path, {}).missing(ITEMS) == []


SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from corrlearn.bench.runner import Runner

    def work(item, out):
        for i in range(4):
            (out / f"{i}.txt").write_text(f"{item}-{i}")
            time.sleep(0.05 if item == "a" else 0.5)
        return {}

    Runner(Path(sys.argv[1]), {"toy": True}).run(["a", "b", "c"], work, progress=False)
    """
)


def test_kill_9_and_resume_gives_identical_files(tmp_path):
    script = tmp_path / "toy.py"
    script.write_text(SCRIPT)
    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, str(script), str(run)])
    try:
        deadline = time.monotonic() + 120
        while not (run / "done" / "a.json").exists():
            assert proc.poll() is None and time.monotonic() < deadline, "first item never finished"
            time.sleep(0.02)
        time.sleep(0.6)  # in the middle of item b
        proc.kill()  # SIGKILL: no cleanup runs
    finally:
        proc.wait()
    assert not (run / "done" / "c.json").exists()
    subprocess.run([sys.executable, str(script), str(run)], check=True)
    ref = tmp_path / "ref"
    subprocess.run([sys.executable, str(script), str(ref)], check=True)
    for item in "abc":
        files = sorted(os.listdir(run / "results" / item))
        assert files == sorted(os.listdir(ref / "results" / item)) == [f"{i}.txt" for i in range(4)]
        for f in files:
            assert (run / "results" / item / f).read_bytes() == (ref / "results" / item / f).read_bytes()
    assert [p.name for p in (run / "results").iterdir() if p.name.startswith(".")] == []


def test_open_existing_run(tmp_path):
    Runner(tmp_path, {"a": [1, 2]}).prepare()
    assert Runner.open(tmp_path).config == {"a": [1, 2]}
    with pytest.raises(CorrlearnError, match="not a run directory"):
        Runner.open(tmp_path / "missing")


def test_user_error_before_anything_finished_leaves_no_new_run_directory(tmp_path):
    def bad(item, out):
        (out / "half.txt").write_text("half")
        raise CorrlearnError(f"{item}: unreadable ground truth")

    run_dir = tmp_path / "runs" / "new"
    with pytest.raises(CorrlearnError, match="unreadable ground truth"):
        Runner(run_dir, {"a": 1}).run(["x", "y"], bad, progress=False)
    assert list(tmp_path.iterdir()) == []  # no config.json, no empty folders, no parents it created
    # a run that had finished something keeps everything: it resumes
    calls: list[str] = []
    Runner(run_dir, {"a": 1}).run(["x"], toy_work(calls), progress=False)
    with pytest.raises(CorrlearnError):
        Runner(run_dir, {"a": 1}).run(["x", "y"], bad, progress=False)
    assert (run_dir / "config.json").is_file() and Runner(run_dir, {"a": 1}).is_done("x")
