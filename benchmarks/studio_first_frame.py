"""How soon `corrlearn studio` shows the first propagated frame after Propagate is pressed, in headless Chromium.

    python benchmarks/studio_first_frame.py [--seq blackswan] [--rounds 3] [--threads N] [--out result.json]

Opens a whole DAVIS-2016 val sequence at 480p (frames read in place, work folder in a temporary directory),
annotates frame 0 with its ground truth, presses Propagate in the page (following the propagation, as by
default) and times, from the click, (a) the server's event that frame 1's mask is written and (b) the page
showing frame 1 with its propagated mask (and, for the breakdown, (c) frame 0's event: the set-up and frame
0's features). Each round uses a fresh work folder; the encoder is built and the kernels loaded before the
first click, as `corrlearn studio` does before it prints its URL. Records the load average and an fp32 GEMM
rate (K=256) measured in this process, so the figure can be read against how busy the machine was.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def gemm_gflops(repeats: int = 5) -> float:
    import torch

    a, b = torch.randn(4096, 256), torch.randn(4096, 256)
    a @ b.T
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b.T
        times.append(time.perf_counter() - t)
    return 2 * 4096 * 4096 * 256 / statistics.median(times) / 1e9


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seq", default="blackswan")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--data", default=os.environ.get("CORRLEARN_DATA", str(REPO.parent / "shared" / "data")))
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    from corrlearn.commands import propagate as record
    from corrlearn.datasets.davis import annotation_dir, frames_dir
    from corrlearn.io.masks import read_mask
    from corrlearn.studio.project import Project, Settings
    from corrlearn.studio.server import create_app, make_server
    from tests.studio.conftest import CHROMIUM, CHROMIUM_ARGS

    if args.threads:
        from corrlearn.threads import set_threads

        set_threads(args.threads)
    root = Path(args.data) / "davis2016-val"
    frames = frames_dir(root, args.seq)
    first = read_mask(annotation_dir(root, args.seq) / "00000.png").ids
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for r in range(args.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                project = Project(frames, Path(tmp) / "work", Settings(), record)
                project.warm_up()
                project.save_annotation(0, first.tobytes())
                app = create_app(project)
                server = make_server(app, "127.0.0.1", 0)
                threading.Thread(target=server.serve_forever, daemon=True).start()
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(f"http://127.0.0.1:{server.port}/")
                page.wait_for_selector("body[data-ready='1']")
                load = os.getloadavg()[0]
                t0 = time.perf_counter()
                page.click("#propagate")
                page.wait_for_function("S.t === 1 && S.kind === 'propagated'", timeout=120_000, polling=20)
                shown = time.perf_counter() - t0
                job = app.extensions["corrlearn_jobs"].current
                written = next(e["t"] for e in job.events if e.get("frame") == 1)
                annotated = next(
                    e["t"] for e in job.events if e.get("frame") == 0
                )  # setup + encoding frame 0
                job.cancel()
                job.wait(120)
                page.close()
                server.shutdown()
                server.server_close()
                h, w = project.frames.size
                rows.append(
                    {"round": r, "shown_s": round(shown, 2), "written_s": written, "frame0_written_s": annotated,
                     "load1": load}
                )  # fmt: skip
                print(json.dumps(rows[-1]), flush=True)
        browser.close()
    result = {
        "command": "python benchmarks/studio_first_frame.py " + " ".join(sys.argv[1:]),
        "sequence": args.seq,
        "size": f"{w}x{h}",
        "frames": len(project.frames),
        "settings": "corrlearn studio defaults (preset crw, default encoder, backend auto)",
        "threads": args.threads,
        "gemm_fp32_gflops": round(gemm_gflops(), 1),
        "rounds": rows,
        "median_shown_s": statistics.median(r["shown_s"] for r in rows),
        "date": time.strftime("%Y-%m-%d"),
    }
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
