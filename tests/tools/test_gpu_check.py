"""benchmarks/gpu_check.sh --dry-run: the CPU-only parts run and every GPU figure is marked owed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_dry_run_writes_one_folder_and_marks_gpu_figures_owed(tmp_path):
    out = tmp_path / "check"
    env = dict(os.environ, PYTHON=sys.executable)
    proc = subprocess.run(
        ["bash", str(REPO / "benchmarks/gpu_check.sh"), "--dry-run", "--out", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    summary = (out / "summary.md").read_text()
    assert proc.returncode == 0, summary + proc.stderr[-2000:]
    assert "every GPU figure below is owed" in summary
    for step in ("parity", "bench_affinity", "train"):
        assert f"| {step} | 0 |" in summary, summary
        assert (out / f"{step}.log").is_file()
    assert (out / "bench_affinity.json").is_file() and (out / "train_throughput.json").is_file()
    assert "roofline-fp32" in summary  # the affinity table made it into the summary


def test_unknown_argument_is_a_one_line_error(tmp_path):
    proc = subprocess.run(
        ["bash", str(REPO / "benchmarks/gpu_check.sh"), "--bogus"], capture_output=True, text=True
    )
    assert proc.returncode == 2 and "unknown argument --bogus" in proc.stderr
