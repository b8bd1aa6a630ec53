"""The ``corrlearn`` command line.

Sub-commands live one per module in :mod:`corrlearn.commands`. A module declares ``GROUP`` (``None`` for a
top-level command such as ``propagate``, or ``"eval"`` / ``"bench"``), ``NAME``, ``HELP``, and the functions
``register(parser)`` and ``run(args) -> int``; ``DESCRIPTION`` ends with one or two example command lines.
Before a command runs, its ``--out`` is checked to be a writable folder (nothing is created by the check), and
every output location it declares (``OUTPUTS``: option dest -> name, default ``--out``) to be apart from every
input it declares (``INPUTS``), so a bad output path fails before any work. User errors (:class:`CorrlearnError`) are printed as one line.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import pkgutil
import sys

from corrlearn import __version__
from corrlearn.errors import CorrlearnError

GROUP_HELP = {
    "eval": "evaluate existing predictions against ground truth",
    "bench": "run propagation over a benchmark, then evaluate (resumable, shardable)",
}
GROUP_EXAMPLES = {
    "eval": "Examples:\n  corrlearn eval davis --root DAVIS --results runs/crw/results\n"
    "  corrlearn eval otb --root OTB2015 --results my_tracker/ --out runs/otb-eval",
    "bench": "Examples:\n  corrlearn bench davis --root DAVIS --out runs/crw\n"
    "  corrlearn bench jhmdb --root JHMDB --out runs/pose --preset stt",
}


class Parser(argparse.ArgumentParser):
    """An argument error is one line, like every other user error (the usage is one ``--help`` away)."""

    def error(self, message: str):
        command = self.prog.removeprefix("corrlearn").strip()
        raise CorrlearnError(f"{command + ': ' if command else ''}{message} (see {self.prog} --help)")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the descriptions' line breaks and appends every option's default to its help line.

    Options whose default is "not given" (None, False, an empty list) say in their own help what happens then.
    """

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        unset = default is None or default is False or default == [] or default == argparse.SUPPRESS
        if "(default" in text or unset or not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


def _command_modules() -> list:
    import corrlearn.commands as pkg

    mods = [
        importlib.import_module(f"{pkg.__name__}.{info.name}") for info in pkgutil.iter_modules(pkg.__path__)
    ]
    return sorted((m for m in mods if hasattr(m, "NAME")), key=lambda m: (m.GROUP or "", m.NAME))


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="corrlearn",
        description="Dense visual correspondence in video: learn features, propagate labels.\n\n"
        "Examples:\n  corrlearn propagate clip.mp4 --mask first.png --out masks/ --overlay overlay.mp4\n"
        "  corrlearn bench davis --root DAVIS --out runs/crw",
        formatter_class=HelpFormatter,
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
                formatter_class=HelpFormatter,
            )
        else:
            if mod.GROUP not in groups:
                g = top.add_parser(
                    mod.GROUP,
                    help=GROUP_HELP[mod.GROUP],
                    description=f"{GROUP_HELP[mod.GROUP]}\n\n{GROUP_EXAMPLES[mod.GROUP]}",
                    formatter_class=HelpFormatter,
                )
                groups[mod.GROUP] = g.add_subparsers(dest="target", metavar="BENCHMARK", required=True)
            sub = groups[mod.GROUP].add_parser(
                mod.NAME,
                help=mod.HELP,
                description=getattr(mod, "DESCRIPTION", mod.HELP),
                formatter_class=HelpFormatter,
            )
        mod.register(sub)
        sub.set_defaults(
            _run=mod.run,
            _inputs=getattr(mod, "INPUTS", {}),
            _outputs=getattr(mod, "OUTPUTS", {"out": "--out"}),
        )
    return parser


def _close_progress_bars() -> None:
    """Close open tqdm bars so a message printed next starts on a line of its own."""
    from tqdm import tqdm

    for bar in list(getattr(tqdm, "_instances", ())):
        bar.leave = False  # clear the half-drawn line instead of leaving it for the message to be glued to
        bar.close()


#: errno values of a full disk or quota: the outputs so far are whole (atomic writes), so a rerun resumes
DISK_FULL = {errno.ENOSPC, errno.EDQUOT}


def main(argv: list[str] | None = None) -> int:
    # everything, imports and argument parsing included, runs inside the handlers: Ctrl-C while torch imports
    # (the first second or two) is one line like any other
    try:
        from corrlearn.threads import early_plan

        early_plan()  # before torch loads: its OpenMP runtime reads the wait policy once
        from corrlearn.io.writable import check_apart, check_output_dir

        args = build_parser().parse_args(argv)
        if getattr(args, "out", None) is not None:
            check_output_dir(args.out)
        # no output may be, hold or sit inside what the command reads (frames, masks, weights, data roots)
        check_apart(
            {option: getattr(args, dest, None) for dest, option in args._outputs.items()},
            {option: getattr(args, dest, None) for dest, option in args._inputs.items()},
        )
        return int(args._run(args) or 0)
    except CorrlearnError as exc:
        _close_progress_bars()
        print(f"corrlearn: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.errno not in DISK_FULL:
            raise
        _close_progress_bars()
        where = f"{exc.filename}: " if exc.filename else ""
        print(
            f"corrlearn: error: {where}no space left on device ({exc.strerror}); nothing was left half-written: "
            "free some space and run the same command again to resume",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        _close_progress_bars()
        print("\ncorrlearn: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
