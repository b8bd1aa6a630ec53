"""The command line as a whole: help that answers the first questions, output paths checked before any work."""

import argparse

import pytest

from corrlearn.cli import build_parser, main


def _subparsers(parser: argparse.ArgumentParser, prefix=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name), sub
                yield from _subparsers(sub, (*prefix, name))


COMMANDS = [path for path, _ in _subparsers(build_parser())]


def test_every_command_is_covered():
    assert {"propagate", "train", "bench", "eval"} <= {p[0] for p in COMMANDS}
    assert {("bench", "davis"), ("bench", "jhmdb"), ("bench", "otb")} <= set(COMMANDS)
    assert {("eval", "davis"), ("eval", "jhmdb"), ("eval", "otb")} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_help_has_examples_and_shows_every_default(path, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*path, "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    examples = text[text.index("Example") :].splitlines()[1:3]
    assert any(line.strip().startswith(("corrlearn ", "torchrun ")) for line in examples), text
    sub = dict(_subparsers(build_parser()))[path]
    fmt = sub._get_formatter()
    for action in sub._actions:
        if action.option_strings and action.default not in (None, False, [], argparse.SUPPRESS):
            assert "(default" in fmt._get_help_string(action), (path, action.dest)


def test_bench_davis_help_names_its_preset(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "davis", "--help"])
    assert "(default: crw)" in " ".join(capsys.readouterr().out.split())


WRITERS = {
    "propagate": ["propagate", "clip.mp4", "--mask", "m.png"],
    "bench davis": ["bench", "davis", "--root", "DAVIS"],
    "bench jhmdb": ["bench", "jhmdb", "--root", "JHMDB"],
    "bench otb": ["bench", "otb", "--root", "OTB"],
    "eval davis": ["eval", "davis", "--root", "DAVIS", "--results", "R"],
    "eval jhmdb": ["eval", "jhmdb", "--root", "JHMDB", "--results", "R"],
    "eval otb": ["eval", "otb", "--root", "OTB", "--results", "R"],
    "train": ["train", "--objective", "crw", "--data", "videos"],
}


@pytest.mark.parametrize("command", sorted(WRITERS))
@pytest.mark.parametrize("problem", ["existing_file", "not_writable"])
def test_bad_out_fails_before_any_work(command, problem, tmp_path, request, capsys):
    # the inputs do not exist either: the output check must come first and be the one error reported
    if problem == "existing_file":
        out = tmp_path / "taken"
        out.write_text("someone's file")
        expected = "--out must be a folder but a file of that name exists"
    else:
        out = request.getfixturevalue("unwritable_dir") / "run"
        expected = "--out is not writable"
    code = main([*WRITERS[command], "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and expected in err[0], err
    assert str(out) in err[0]
