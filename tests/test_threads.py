import os
import sys

import pytest
import torch

from corrlearn.errors import CorrlearnError
from corrlearn.threads import set_threads


def test_set_threads_sets_torch_and_numba_and_restores():
    numba = pytest.importorskip("numba")
    before_t, before_n = torch.get_num_threads(), numba.get_num_threads()
    try:
        set_threads(1)
        assert torch.get_num_threads() == 1 and numba.get_num_threads() == 1
    finally:
        torch.set_num_threads(before_t)
        numba.set_num_threads(before_n)


def test_zero_threads_is_a_clear_error():
    with pytest.raises(CorrlearnError, match="--threads must be >= 1"):
        set_threads(0)


@pytest.fixture
def restore_threads():
    numba = pytest.importorskip("numba")
    before_t, before_n = torch.get_num_threads(), numba.get_num_threads()
    yield
    torch.set_num_threads(before_t)
    numba.set_num_threads(before_n)


def test_plan_is_applied_and_recorded_for_profiles(restore_threads, monkeypatch):
    import cv2

    from corrlearn import profiling
    from corrlearn.threads import apply_plan

    monkeypatch.delenv("CORRLEARN_THREAD_PLAN", raising=False)
    monkeypatch.setattr(profiling, "_INFO", {})
    plan = apply_plan(1, pipeline=True)
    assert plan["enabled"] and plan["torch_threads"] == 1 == plan["numba_threads"] and plan["pipeline"]
    assert cv2.getNumThreads() == 1 and torch.get_num_threads() == 1
    assert plan["keep_freed_memory"] == sys.platform.startswith("linux")
    assert profiling._INFO["thread_plan"] == plan and "pipelined" in plan["name"]


def test_plan_off_leaves_the_library_defaults(restore_threads, monkeypatch):
    from corrlearn.threads import apply_plan

    monkeypatch.setenv("CORRLEARN_THREAD_PLAN", "off")
    n = torch.get_num_threads()
    plan = apply_plan(None)
    assert not plan["enabled"] and plan["torch_threads"] == n and plan["name"].startswith("library defaults")


def test_early_plan_sets_the_wait_policy_unless_the_user_did(monkeypatch):
    from corrlearn.threads import early_plan

    monkeypatch.delenv("CORRLEARN_THREAD_PLAN", raising=False)
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    early_plan()
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    early_plan()
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"


def test_the_cli_sets_the_wait_policy_before_anything_else(monkeypatch, tmp_path):
    from corrlearn.cli import main

    monkeypatch.delenv("CORRLEARN_THREAD_PLAN", raising=False)
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    assert (
        main(["propagate", str(tmp_path / "missing"), "--mask", "m.png", "--out", str(tmp_path / "o")]) == 2
    )
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"


def test_threads_hold_for_a_run_after_an_encoder_was_imported(tmp_path):
    """numba's first set_num_threads launches its OpenMP pool, which used to reset torch's thread count to
    numba's default when set_threads had set torch first: a `propagate --threads 1` run after a failed user
    encoder import recorded 2 threads, and a batch resuming it was refused (corrlearn/bench/manifest.py).
    A fresh process, as the CLI is."""
    import json
    import subprocess

    from tests.synthetic import write_clip

    pytest.importorskip("numba")
    frames, mask, _ = write_clip(tmp_path)
    code = f"""
import json
from corrlearn import models
from corrlearn.cli import main
from corrlearn.errors import CorrlearnError
try:
    models.create("no_such_pkg_xyz.nets:build")
except CorrlearnError:
    pass
main(["propagate", {str(frames)!r}, "--mask", {str(mask)!r}, "--out", {str(tmp_path / "o")!r}, "--quiet",
      "--model", "resnet18", "--threads", "1"])
"""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=tmp_path)
    assert json.loads((tmp_path / "o" / "corrlearn-run.json").read_text())["config"]["threads"] == 1
