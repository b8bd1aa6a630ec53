"""End-to-end `corrlearn propagate --profile` on a DAVIS sequence under several thread plans, round-robin.

    python benchmarks/e2e.py [--seq car-shadow] [--frames 10] [--rounds 2] [--plans default threads1 ...]
        [--extra --preset stt-bilinear] [--out results.json]

Each run is a fresh `python -m corrlearn propagate ... --profile FILE` process on the first ``--frames``
frames of the sequence (a folder of links to the JPEGs), so start-up is measured too; one untimed 2-frame
run first fills numba's disk cache. The per-stage table, thread settings, CPU flags, peak RSS, page faults
and the fp32 / bf16 GEMM rates all come from the profile the command itself writes
(:mod:`corrlearn.profiling`): this script only chooses the plans, alternates them (round r runs every plan
once, so a change of load hits all alike) and summarises. A plan is environment variables plus options:
see :data:`PLANS`. On a shared machine compare plans only within one invocation, and read them beside the
GEMM rate and load average each row records.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: name -> (environment, extra `corrlearn propagate` options). "default" is what a user gets (corrlearn's
#: thread plan, corrlearn/threads.py); "legacy" turns the plan off.
PLANS: dict[str, tuple[dict[str, str], list[str]]] = {
    "default": ({}, []),
    "legacy": ({"CORRLEARN_THREAD_PLAN": "off"}, []),  # every library's own defaults (before the plan)
    "threads2": ({}, ["--threads", "2"]),
    "threads1": ({}, ["--threads", "1"]),
    "threads1-pipeline": ({}, ["--threads", "1", "--pipeline"]),
    "omp-passive": ({"OMP_WAIT_POLICY": "PASSIVE"}, []),
    "omp-active": ({"OMP_WAIT_POLICY": "ACTIVE"}, []),
    "numba-workqueue": ({"NUMBA_THREADING_LAYER": "workqueue"}, []),
    "numba-tbb": ({"NUMBA_THREADING_LAYER": "tbb"}, []),
    "malloc-keep": ({"MALLOC_MMAP_THRESHOLD_": "1073741824", "MALLOC_TRIM_THRESHOLD_": "1073741824"}, []),
}


def plan_of(name: str) -> tuple[dict[str, str], list[str]]:
    """The environment and options of a plan name from :data:`PLANS`, or of several joined by ``+``."""
    env: dict[str, str] = {}
    opts: list[str] = []
    for part in name.split("+"):
        if part not in PLANS:
            raise SystemExit(f"unknown plan {part!r}; known: {', '.join(PLANS)}")
        env.update(PLANS[part][0])
        opts += PLANS[part][1]
    return env, opts


def profile_run(cmd: list[str], env: dict[str, str], path: Path) -> dict:
    """Run one profiled command; its profile report, with the process's wall time as seen from outside."""
    t = time.perf_counter()
    proc = subprocess.run(
        cmd + ["--profile", str(path)], capture_output=True, text=True, env={**os.environ, **env}
    )
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    rep = json.loads(path.read_text())
    rep["process_wall_s"] = round(time.perf_counter() - t, 2)  # the profile's wall + its GEMM rates + exit
    return rep


def row_of(plan: str, rnd: int, rep: dict) -> dict:
    """The figures of one run that the summary compares."""
    st, res = rep["stages"], rep["resources"]
    return {
        "plan": plan,
        "round": rnd,
        "wall_s": rep["wall_s"],
        "process_wall_s": rep["process_wall_s"],
        "startup_s": rep["startup_s"],
        "s_per_frame": rep["s_per_frame"],
        "s_per_frame_at_reference_gemm": rep.get("s_per_frame_at_reference_gemm"),
        "user_s": res["user_s"],
        "sys_s": res["sys_s"],
        "minor_page_faults": res["minor_page_faults"],
        "involuntary_switches": res["involuntary_switches"],
        "peak_rss_mib": res["peak_rss_mib"],
        "gemm_fp32": rep["gemm_gflops"].get("fp32"),
        "gemm_bf16": rep["gemm_gflops"].get("bf16"),
        "load_1min": rep["load_average"][0],
        "stage_s": {k: v["seconds"] for k, v in st.items()},
        "stage_user_sys_faults": {
            k: [v["user_s"], v["sys_s"], v["minor_page_faults"]] for k, v in st.items()
        },
        "threads": rep["threads"],
        "thread_plan": rep.get("thread_plan"),
    }


def summary(rows: list[dict], plans: list[str]) -> str:
    """Median per plan of the figures that decide between plans (a markdown table)."""
    head = "| plan | runs | wall s | s/frame | s/frame at 110 GFLOP/s | user s | sys s | minor faults | encoder s | affinity s | fp32 GEMM | load |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for plan in plans:
        rs = [r for r in rows if r["plan"] == plan]
        if not rs:
            continue

        def med(key, rs=rs):
            vals = [r[key] for r in rs if r[key] is not None]
            return statistics.median(vals) if vals else float("nan")

        def med_stage(name, rs=rs):
            return statistics.median(r["stage_s"][name] for r in rs)

        lines.append(
            f"| {plan} | {len(rs)} | {med('wall_s'):.1f} | {med('s_per_frame'):.3f} | "
            f"{med('s_per_frame_at_reference_gemm'):.3f} | {med('user_s'):.1f} | {med('sys_s'):.1f} | "
            f"{med('minor_page_faults'):.0f} | {med_stage('encoder'):.1f} | {med_stage('affinity'):.1f} | "
            f"{med('gemm_fp32'):.0f} | {med('load_1min'):.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--davis", default=str(REPO.parent / "shared/data/davis2016-val"))
    ap.add_argument("--seq", default="car-shadow")
    ap.add_argument("--frames", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument(
        "--plans", nargs="+", default=["default"], help=f"plans, or a+b to combine: {', '.join(PLANS)}"
    )
    ap.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more propagate options (last)")
    ap.add_argument("--out", help="write every run's row and the summary as JSON here")
    args = ap.parse_args(argv)
    src = Path(args.davis) / "JPEGImages/480p" / args.seq
    mask = Path(args.davis) / "Annotations/480p" / args.seq / "00000.png"
    jpgs = sorted(src.glob("*.jpg"))[: args.frames]
    if not jpgs:
        raise SystemExit(f"{src}: no frames")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        clip, warm = Path(tmp) / "clip", Path(tmp) / "warm"
        for folder, n in ((clip, len(jpgs)), (warm, 2)):
            folder.mkdir()
            for p in jpgs[:n]:
                os.symlink(p, folder / p.name)
        base = [sys.executable, "-m", "corrlearn", "propagate", "--mask", str(mask), "--quiet", *args.extra]
        subprocess.run([*base, str(warm), "--out", str(Path(tmp) / "w")], check=True, capture_output=True)
        for rnd in range(args.rounds):
            for plan in args.plans:
                env, opts = plan_of(plan)
                out = Path(tmp) / f"o-{plan}-{rnd}"
                rep = profile_run([*base, *opts, str(clip), "--out", str(out)], env, Path(tmp) / "p.json")
                rows.append(row_of(plan, rnd, rep))
                r = rows[-1]
                print(
                    f"{plan:<18} round {rnd}: {r['wall_s']:.1f} s wall, {r['user_s']:.1f} user, {r['sys_s']:.1f} sys, "
                    f"{r['minor_page_faults']} faults, GEMM {r['gemm_fp32']} GFLOP/s, load {r['load_1min']}",
                    flush=True,
                )
    table = summary(rows, args.plans)
    print(table)
    result = {
        "command": "python benchmarks/e2e.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "sequence": args.seq,
        "frames": len(jpgs),
        "extra": args.extra,
        "rows": rows,
        "summary": table,
    }
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
