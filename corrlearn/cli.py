"""The ``corrlearn`` command line.

Sub-commands live one per module in :mod:`corrlearn.commands`. A module declares ``GROUP`` (``None`` for a
top-level command such as ``propagate``, or ``"eval"`` / ``"bench"``), ``NAME``, ``HELP``, and the functions
``register(parser)`` and ``run(args) -> int``. User errors (:class:`CorrlearnError`) are printed as one line.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from corrlearn import __version__
from corrlearn.errors import CorrlearnError

GROUP_HELP = {
    "eval": "evaluate existing predictions against ground truth",
    "bench": "run propagation over a benchmark, then evaluate (resumable, shardable)",
}


def _command_modules() -> list:
    import corrlearn.commands as pkg

    mods = [
        importlib.import_module(f"{pkg.__name__}.{info.name}") for info in pkgutil.iter_modules(pkg.__path__)
    ]
    return sorted((m for m in mods if hasattr(m, "NAME")), key=lambda m: (m.GROUP or "", m.NAME))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corrlearn",
        description="Dense visual correspondence in video: learn features, propagate labels.",
    )
    parser.add_argument("--version", action="version", version=f"corrlearn {__version__}")
    top = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    groups: dict[str, argparse._SubParsersAction] = {}
    for mod in _command_modules():
        if mod.GROUP is None:
            sub = top.add_parser(
                mod.NAME,
                help=mod.HELP,
                description=getattr(mod, "DESCRIPTION", mod.HELP),
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
        else:
            if mod.GROUP not in groups:
                g = top.add_parser(mod.GROUP, help=GROUP_HELP.get(mod.GROUP, mod.GROUP))
                groups[mod.GROUP] = g.add_subparsers(dest="target", metavar="BENCHMARK", required=True)
            sub = groups[mod.GROUP].add_parser(
                mod.NAME,
                help=mod.HELP,
                description=getattr(mod, "DESCRIPTION", mod.HELP),
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
        mod.register(sub)
        sub.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except CorrlearnError as exc:
        print(f"corrlearn: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("corrlearn: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
