"""``--profile [FILE.json]`` for a sub-command: per-stage times, threads, machine and GEMM rates of the run.

Not a sub-command itself (no ``NAME``); :func:`add_profile_option` adds the option and :func:`profiled` wraps
the command's ``run`` so that it runs inside a :func:`corrlearn.profiling.session`.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path

from corrlearn import profiling
from corrlearn.io.atomic import write_json_atomic
from corrlearn.io.writable import check_output_file

DEFAULT_NAME = "corrlearn-profile.json"
#: imported inside the profile's "import" stage, before the command (which imports them lazily) runs
PRELOAD = ("torch", "cv2", "numba", "corrlearn.models", "corrlearn.propagate", "corrlearn.io.frames")


def add_profile_option(p: argparse.ArgumentParser) -> None:
    """Add ``--profile [FILE.json]`` (without a file: OUT/corrlearn-profile.json)."""
    p.add_argument(
        "--profile",
        nargs="?",
        const="",
        default=None,
        metavar="FILE.json",
        help=f"time each stage and print the table; write it with threads, CPU and GEMM rates as JSON to "
        f"FILE.json (without FILE: OUT/{DEFAULT_NAME})",
    )


def profiled(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """``run`` as is without ``--profile``; with it, ``run`` inside a profiling session, then the report."""

    @functools.wraps(run)
    def wrapper(args: argparse.Namespace) -> int:
        target = getattr(args, "profile", None)
        if target is None:
            return run(args)
        path = Path(target) if target else Path(args.out) / DEFAULT_NAME
        if target:  # the default lies in --out, which the CLI has checked already
            check_output_file(path, "--profile")
        with profiling.session(PRELOAD) as prof:
            code = run(args)
        rep = profiling.report(prof, device=getattr(args, "device", "cpu"))
        rep["argv"] = list(sys.argv)
        rep["options"] = {k: v for k, v in sorted(vars(args).items()) if _plain(v)}
        write_json_atomic(path, rep)
        print(profiling.format_table(rep))
        print(f"profile written to {path}")
        return code

    return wrapper


def _plain(v: object) -> bool:
    return (
        v is None
        or isinstance(v, (str, int, float, bool))
        or (isinstance(v, list) and all(isinstance(x, (str, int, float)) for x in v))
    )
