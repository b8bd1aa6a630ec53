"""``corrlearn propagate --profile``: every stage timed on a tiny clip, the thread plan recorded, results unchanged."""

import json

import numpy as np
import torch

from corrlearn import profiling
from corrlearn.cli import main
from corrlearn.io.masks import read_mask
from tests.synthetic import write_clip


def _fake_gemm(calls):
    def rate(device, dtype, **kw):
        calls.append(dtype)
        return 100.0 if dtype == torch.float32 else 300.0

    return rate


def test_profile_times_every_stage_and_records_threads_and_machine(tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(profiling, "gemm_rate", _fake_gemm(calls))  # the real one is timed in test_profiling
    d, mask, frames = write_clip(tmp_path, n=4)
    out, path = tmp_path / "out", tmp_path / "prof.json"
    argv = ["propagate", str(d), "--mask", str(mask), "--out", str(out), "--quiet", "--threads", "1"]
    assert main([*argv, "--profile", str(path)]) == 0
    rep = json.loads(path.read_text())
    for name in profiling.STAGES:
        assert rep["stages"][name]["calls"] >= 1, name
        assert rep["stages"][name]["seconds"] >= 0
    assert rep["frames"] == len(frames) == rep["stages"]["mask write"]["calls"]
    assert rep["stages"]["affinity"]["calls"] == len(frames) - 1
    assert rep["stages"]["kernel load"]["calls"] == 1
    assert sorted(map(str, calls)) == ["torch.bfloat16", "torch.float32"]
    assert rep["gemm_gflops"] == {"fp32": 100.0, "bf16": 300.0}
    plan = rep["thread_plan"]
    assert plan["torch_threads"] == 1 and rep["threads"]["torch"]["intra_op"] == 1
    assert rep["threads"]["opencv"]["threads"] == 1
    assert "numba" not in plan or plan["numba_threads"] == rep["threads"]["numba"]["threads"]
    assert set(rep["cpu"]["flags"]) == set(profiling.CPU_FLAGS) and rep["cpu"]["model"]
    assert rep["resources"]["peak_rss_mib"] > 0 and rep["options"]["threads"] == 1
    printed = capsys.readouterr().out
    assert all(name in printed for name in profiling.STAGES) and f"profile written to {path}" in printed
    assert profiling.active() is None

    # profiling changes no result: the same masks without it
    plain = tmp_path / "plain"
    assert main([*argv[:4], "--out", str(plain), *argv[6:]]) == 0
    for t in range(len(frames)):
        name = f"{t:05d}.png"
        assert np.array_equal(read_mask(out / name).ids, read_mask(plain / name).ids)
    assert not (plain / "corrlearn-profile.json").exists()


def test_profile_without_a_file_writes_into_out(tmp_path, monkeypatch):
    monkeypatch.setattr(profiling, "gemm_rate", _fake_gemm([]))
    d, mask, _ = write_clip(tmp_path, n=3)
    out = tmp_path / "out"
    assert main(["propagate", str(d), "--mask", str(mask), "--out", str(out), "--quiet", "--profile"]) == 0
    rep = json.loads((out / "corrlearn-profile.json").read_text())
    assert rep["frames"] == 3 and rep["thread_plan"]["name"]


def test_profile_into_a_folder_is_one_clear_line(tmp_path, capsys):
    d, mask, _ = write_clip(tmp_path, n=3)
    argv = [
        "propagate",
        str(d),
        "--mask",
        str(mask),
        "--out",
        str(tmp_path / "o"),
        "--profile",
        str(tmp_path),
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--profile" in err and "folder" in err
