"""A run killed with SIGKILL and resumed reaches the same weights as an uninterrupted run (CPU)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

CFG = {
    "objective": "crw",
    "nodes": "pixels",
    "crop_size": 64,
    "clip_len": 3,
    "batch_size": 2,
    "steps": 8,
    "checkpoint_every": 2,
    "log_every": 1,
    "workers": 1,
    "sequences": ["bear", "elephant", "boat"],
    "device": "cpu",
}


def _cmd(cfg_path, data, out, *extra):
    return [
        sys.executable,
        "-m",
        "corrlearn",
        "train",
        "--config",
        str(cfg_path),
        "--data",
        str(data),
        "--out",
        str(out),
        "--no-progress",
        *extra,
    ]


def _weights(path):
    return torch.load(path, map_location="cpu", weights_only=True)["model"]


@pytest.mark.slow
@pytest.mark.realdata
def test_kill9_resume_matches_uninterrupted(tmp_path, davis_train_root):
    cfg_path = tmp_path / "cfg.json"
    cfg_path.write_text(json.dumps(CFG))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    full = tmp_path / "full"
    subprocess.run(_cmd(cfg_path, davis_train_root, full), check=True, env=env, timeout=600)

    killed = tmp_path / "killed"
    proc = subprocess.Popen(_cmd(cfg_path, davis_train_root, killed), env=env)
    ck = killed / "checkpoint.pt"
    deadline = time.time() + 300
    while not ck.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    step_at_kill = torch.load(ck, map_location="cpu", weights_only=False)["step"]
    assert step_at_kill < CFG["steps"]

    subprocess.run(_cmd(cfg_path, davis_train_root, killed, "--resume"), check=True, env=env, timeout=600)
    a, b = _weights(full / "encoder.pt"), _weights(killed / "encoder.pt")
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    # the resumed log carries on from the checkpoint's step and ends at the last step
    steps = [json.loads(line)["step"] for line in (killed / "log.jsonl").read_text().splitlines()]
    assert steps == list(range(1, CFG["steps"] + 1))  # records after the checkpoint were not duplicated
    # and the training actually moved the weights
    import corrlearn.models as models

    init = models.create("resnet18").state_dict()
    assert any(not torch.equal(init[k], a[k]) for k in a if a[k].is_floating_point())
