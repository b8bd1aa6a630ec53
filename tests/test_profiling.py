"""The profiler: no-op hooks while off, stage accounting, and the report's structure (no wall-clock limits)."""

import json
import math
import threading

import torch

from corrlearn import profiling


def test_hooks_are_one_shared_no_op_while_no_session_is_active():
    assert profiling.active() is None
    a, b = profiling.stage("encoder"), profiling.stage("affinity", "cuda")
    assert a is b  # nothing is allocated, no clock is read, no device is synchronised
    with a:
        pass


def test_session_adds_seconds_and_calls_per_stage_from_any_thread():
    with profiling.session() as prof:
        assert profiling.active() is prof
        with profiling.stage("encoder"):
            sum(range(1000))

        def on_worker():
            with profiling.stage("affinity"):
                pass

        worker = threading.Thread(target=on_worker)
        with profiling.stage("affinity"):
            pass
        worker.start()
        worker.join()
        decoded = list(prof.timed_iter("decode", iter([1, 2, 3])))
    assert profiling.active() is None
    assert decoded == [1, 2, 3]
    assert prof.calls["encoder"] == 1 and prof.calls["affinity"] == 2 and prof.calls["decode"] == 3
    assert prof.seconds["encoder"] > 0 and prof.calls["label decode"] == 0
    assert prof.wall is not None and prof.wall >= prof.seconds["encoder"]


def test_a_stage_that_raises_is_still_counted():
    with profiling.session() as prof:
        try:
            with profiling.stage("mask write"):
                raise KeyError("x")
        except KeyError:
            pass
    assert prof.calls["mask write"] == 1


def test_report_has_every_stage_threads_machine_and_normalised_time(monkeypatch):
    monkeypatch.setattr(
        profiling, "gemm_rate", lambda device, dtype, **kw: 55.0 if dtype == torch.float32 else 1.0
    )
    profiling.set_info("thread_plan", {"name": "test-plan"})
    try:
        with profiling.session() as prof:
            for _ in range(4):
                with profiling.stage("mask write"):
                    pass
        rep = profiling.report(prof)
    finally:
        profiling._INFO.pop("thread_plan")
    json.dumps(rep)  # serialisable as written
    assert list(rep["stages"]) == list(profiling.STAGES)
    assert rep["frames"] == 4 and rep["stages"]["mask write"]["calls"] == 4
    assert rep["stages"]["import"]["per_frame_s"] is None  # start-up is not a per-frame cost
    assert rep["gemm_gflops"] == {"fp32": 55.0, "bf16": 1.0}
    # half the reference GEMM rate: the same work would take half the time on the reference machine
    assert math.isclose(
        rep["s_per_frame_at_reference_gemm"], rep["wall_s"] / 4 * 0.5, rel_tol=0.01, abs_tol=1e-3
    )
    assert rep["thread_plan"] == {"name": "test-plan"}
    assert rep["threads"]["torch"]["intra_op"] == torch.get_num_threads()
    assert set(rep["cpu"]["flags"]) == set(profiling.CPU_FLAGS)
    assert rep["resources"]["peak_rss_mib"] > 0 and len(rep["load_average"]) == 3
    table = profiling.format_table(rep)
    for name in profiling.STAGES:
        assert name in table
    assert "plan test-plan" in table and "GEMM K=256: fp32 55.0" in table


def test_gemm_rate_is_a_positive_rate_with_and_without_a_budget():
    assert 0 < profiling.gemm_rate("cpu", torch.float32, repeats=1, warmup=1) < math.inf
    assert 0 < profiling.gemm_rate("cpu", torch.float32, repeats=3, warmup=1, budget_s=0.0) < math.inf


def test_process_age_is_the_time_since_start():
    age = profiling.process_age()
    assert age is not None and age > 0
