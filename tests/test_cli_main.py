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


# An output at an input (issue 25): refused before any work, for every command that writes. Each entry: the
# command with the input folder INPUT, the --out to give it (relative to INPUT's parent), the words expected.
AT_INPUT = {
    "bench davis": (
        ["bench", "davis", "--root", "INPUT"],
        "INPUT/runs/crw",
        "--out lies inside the input --root",
    ),
    "bench jhmdb": (["bench", "jhmdb", "--root", "INPUT"], "INPUT", "--out is the input --root"),
    "bench otb": (["bench", "otb", "--root", "INPUT"], "INPUT/run", "--out lies inside the input --root"),
    "bench otb --from-davis": (
        ["bench", "otb", "--root", "INPUT/otb", "--from-davis", "INPUT"],
        "run",
        "--root (written by --from-davis) lies inside the input --from-davis",
    ),
    "eval davis": (
        ["eval", "davis", "--root", "INPUT", "--results", "R"],
        "INPUT",
        "--out is the input --root",
    ),
    "eval jhmdb": (
        ["eval", "jhmdb", "--root", "INPUT", "--results", "R"],
        ".",
        "--out contains the input --root",
    ),
    "eval otb": (
        ["eval", "otb", "--root", "INPUT", "--results", "R"],
        "INPUT/s",
        "--out lies inside the input --root",
    ),
    "train": (
        ["train", "--objective", "crw", "--data", "INPUT"],
        "INPUT/run",
        "--out lies inside the input --data",
    ),
    "train --init-weights": (
        ["train", "--objective", "crw", "--data", "videos", "--init-weights", "INPUT/w.pt"],
        "INPUT",
        "--out contains the input --init-weights",
    ),
}


@pytest.mark.parametrize("case", sorted(AT_INPUT))
def test_output_at_an_input_is_refused_before_any_work(case, tmp_path, monkeypatch, capsys):
    argv, out, expected = AT_INPUT[case]
    (tmp_path / "INPUT").mkdir()
    (tmp_path / "INPUT" / "w.pt").write_bytes(b"weights")
    (tmp_path / "videos").mkdir()
    monkeypatch.chdir(tmp_path)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    code = main([*argv, "--out", out])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and expected in err[0], err
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before  # nothing written


def _otb_root(root, boxes: str, frames: int = 3):
    import numpy as np
    from PIL import Image

    img = root / "Toy" / "img"
    img.mkdir(parents=True)
    for i in range(1, frames + 1):
        Image.fromarray(np.full((24, 32, 3), 40 * i, np.uint8)).save(img / f"{i:04d}.jpg")
    (root / "Toy" / "groundtruth_rect.txt").write_text(boxes)


@pytest.mark.parametrize(
    "boxes, expected",
    [
        (
            "4,4,-125,8\n4,4,9,8\n4,4,9,8\n",
            "groundtruth_rect.txt:1: the first box '4,4,-125,8' needs a positive",
        ),
        ("4,4,9,8\n4,4,9,8\n", "groundtruth_rect.txt: 2 boxes for 3 frames"),
        ("4,4,9,8\n4,4,x,8\n4,4,9,8\n", "groundtruth_rect.txt:2: not a number"),
    ],
)
def test_bench_otb_ground_truth_errors_leave_nothing(tmp_path, capsys, boxes, expected):
    _otb_root(tmp_path / "otb", boxes)
    out = tmp_path / "runs" / "otb"
    code = main(["bench", "otb", "--root", str(tmp_path / "otb"), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and expected in err[0], err
    assert not (tmp_path / "runs").exists()  # no config.json, no empty folders


def test_train_data_error_leaves_nothing(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    out = tmp_path / "runs" / "crw"
    code = main(["train", "--objective", "crw", "--data", str(tmp_path / "empty"), "--out", str(out),
                 "--steps", "1", "--no-progress"])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "no videos" in err[0], err
    assert not (tmp_path / "runs").exists()
