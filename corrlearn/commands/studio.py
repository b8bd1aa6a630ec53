"""``corrlearn studio``: annotate, propagate, correct and export a video's masks in the browser."""

from __future__ import annotations

import argparse
from pathlib import Path

from corrlearn.errors import CorrlearnError

GROUP = None
NAME = "studio"
HELP = "annotate a video in the browser, propagate, correct and export its masks"
DESCRIPTION = """\
Start a local web page for one video file or folder of frames: draw the first mask (brush, polygon, or a box
that GrabCut turns into a mask; several objects), propagate it both ways from every annotated frame with a
progress bar, mark the frames where it drifts, fix them, re-propagate only the stretches that changed, and
export the same files `corrlearn propagate` writes (a palette PNG per frame, corrlearn-run.json, and an H.264
overlay). Everything lives in --out, so closing the page and starting again continues the work.

The server listens on 127.0.0.1 only unless --host says otherwise, and serves the page, the video's frames
and the files in --out, nothing else. Propagation settings are `corrlearn propagate`'s.

With --run RUN_DIR it opens a finished `bench davis` or `bench otb` run instead: per-sequence scores worst
first, the success plots, and (DAVIS, with --root) every frame's prediction beside its ground truth.

Examples:
  corrlearn studio clip.mp4 --out clip-studio/
  corrlearn studio frames/ --out work/ --port 8800 --preset stt-bilinear
  corrlearn studio --run runs/crw --root DAVIS
"""


def register(p: argparse.ArgumentParser) -> None:
    from corrlearn.propagate import PRESETS
    from corrlearn.studio import HOST

    p.add_argument("video", nargs="?", help="video file or folder of frames (not with --run)")
    p.add_argument(
        "--run",
        default=None,
        help="open a finished `bench davis` / `bench otb` run folder instead: scores worst first, plots, "
        "and each frame's prediction beside the ground truth (with --root)",
    )
    p.add_argument("--root", default=None, help="with --run: the dataset the run was made on (its frames)")
    p.add_argument(
        "--out",
        default=None,
        help="work and output folder (created, or continued; default: VIDEO-studio in the current folder)",
    )
    p.add_argument("--host", default=HOST, help="address to listen on (other machines reach 0.0.0.0)")
    p.add_argument("--port", type=int, default=8765, help="port to listen on (0: any free port)")
    p.add_argument("--preset", default="crw", help=f"propagation protocol: {', '.join(sorted(PRESETS))}")
    p.add_argument("--model", default=None, help="encoder (default: as `corrlearn propagate`)")
    p.add_argument("--stride", type=int, default=None, choices=(4, 8), help="feature stride (default 8)")
    p.add_argument("--weights", help="encoder checkpoint (default: the model's own weights)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--backend", default="auto", help="affinity backend: auto, torch, numba, triton")
    p.add_argument("--precision", default="fp32", help="fp32 or bf16 (encoder)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: all cores)")


def default_out(video: str) -> Path:
    return Path.cwd() / f"{Path(video).resolve().name or 'video'}-studio"


def run(args: argparse.Namespace) -> int:
    from corrlearn.commands import propagate as record
    from corrlearn.io.writable import check_output_dir
    from corrlearn.studio.project import Project, Settings
    from corrlearn.studio.server import create_app, make_server

    if not 0 <= args.port < 65536:
        raise CorrlearnError(f"--port {args.port}: expected 0..65535")
    if (args.video is None) == (args.run is None):
        raise CorrlearnError(
            "give a VIDEO (or folder of frames) to annotate, or --run RUN_DIR to review; not both"
        )
    if args.run is not None:
        return _serve_run(args)
    if args.threads is not None:
        from corrlearn.threads import set_threads

        set_threads(args.threads)
    out = Path(args.out) if args.out else default_out(args.video)
    if args.out is None:
        check_output_dir(out)
    settings = Settings(
        preset=args.preset, model=args.model, stride=args.stride, weights=args.weights,
        device=args.device, backend=args.backend, precision=args.precision,
    )  # fmt: skip
    project = Project(args.video, out, settings, record)
    project.warm_up()  # encoder and kernels now: a bad --weights fails here, and Propagate streams at once
    server = make_server(create_app(project), args.host, args.port)
    _serve(server, args, f"{len(project.frames)} frames of {args.video}, work in {out}")
    return 0


def _serve_run(args: argparse.Namespace) -> int:
    from corrlearn.studio.runview import BenchRun
    from corrlearn.studio.server import create_run_app, make_server

    run = BenchRun(args.run, args.root)
    server = make_server(create_run_app(run), args.host, args.port)
    _serve(server, args, f"{run.kind} run {args.run}: {len(run.rows)} scored rows")
    return 0


def _serve(server, args: argparse.Namespace, what: str) -> None:
    from corrlearn.studio import HOST

    url = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '') else args.host}:{server.port}/"
    if args.host != HOST:
        print(f"corrlearn studio: listening on {args.host}: other machines can reach what it serves")
    print(f"corrlearn studio: {what}")
    print(f"open {url}  (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
