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


# An output at an input: refused before any work, for every command that writes. Each entry: the
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


# Options that cannot run: one line and nothing written, checked before the run record exists, so
# the corrected command is not refused as "another configuration". Each entry: extra options, words expected.
BENCH_OPTIONS = {
    "device_foo": (["--device", "foo"], "--device 'foo': not a device"),
    "device_mps": (["--device", "mps"], "--device mps: corrlearn runs on cpu, cuda or cuda:N"),
    "device_cuda_99": (["--device", "cuda:99"], "--device cuda:99: "),
    "backend_foo": (["--backend", "foo"], "--backend foo: backend must be one of"),
    "backend_triton_on_cpu": (["--backend", "triton"], "--backend triton: backend 'triton'"),
    "set_topk_text": (["--set", "topk=abc"], "--set: preset 'crw': topk='abc' is not valid"),
    "set_topk_negative": (["--set", "topk=-5"], "topk=-5 is not valid; expected an integer >= 1"),
    "set_temperature_zero": (["--set", "temperature=0"], "temperature=0 is not valid; expected a number > 0"),
    "set_input_space_hsv": (
        ["--set", "input_space=hsv"],
        "input_space='hsv' is not valid; expected rgb or lab",
    ),
    "set_unknown_field": (["--set", "nope=1"], "unknown preset field"),
}


@pytest.fixture(scope="module")
def synthetic_davis(tmp_path_factory):
    from tests.synthetic import write_davis_root

    return write_davis_root(tmp_path_factory.mktemp("davis"))


@pytest.mark.parametrize("case", sorted(BENCH_OPTIONS))
def test_bench_davis_options_checked_before_anything_is_written(case, synthetic_davis, tmp_path, capsys):
    extra, expected = BENCH_OPTIONS[case]
    out = tmp_path / "run"
    code = main(["bench", "davis", "--root", str(synthetic_davis), "--out", str(out), "--quiet", *extra])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and expected in err[0], err
    assert not out.exists()


def test_corrected_bench_command_runs_after_a_refused_option(synthetic_davis, tmp_path, capsys):
    out = tmp_path / "run"
    base = [
        "bench",
        "davis",
        "--root",
        str(synthetic_davis),
        "--out",
        str(out),
        "--quiet",
        "--model",
        "resnet18",
    ]
    assert main([*base, "--set", "input_space=hsv"]) == 2
    assert main([*base, "--set", "input_space=lab", "--backend", "torch"]) == 0
    assert (out / "run.json").is_file()


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["propagate", "clip.mp4", "--mask", "m.png", "--out", "o", "--fps", "inf"], "argument --fps: inf"),
        (["bench", "davis", "--root", "DAVIS"], "the following arguments are required: --out"),
        (["nope"], "invalid choice: 'nope'"),
    ],
)
def test_argument_errors_are_one_line(argv, expected, capsys):
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith("corrlearn: error: ") and expected in err[0] and "--help)" in err[0], err


def test_train_resume_without_a_checkpoint_stops(tmp_path, capsys):
    (tmp_path / "videos").mkdir()
    out = tmp_path / "typo"
    code = main(["train", "--objective", "crw", "--data", str(tmp_path / "videos"), "--out", str(out),
                 "--resume", "--no-progress"])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert "--resume given but there is no checkpoint to continue from" in err[0] and str(out) in err[0]
    assert not out.exists()


# Start-up: help and argument errors answer without importing torch (which takes 2-3 s on a busy machine)
# or the studio's web framework.
@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["propagate", "--help"],
        ["bench", "davis", "--help"],
        ["train", "--help"],
        ["studio", "--help"],
        ["propagate", "clip.mp4", "--mask", "m.png", "--out", "o", "--fps", "0"],
    ],  # fmt: skip
    ids=" ".join,
)
def test_help_and_argument_errors_do_not_import_torch(argv):
    import subprocess
    import sys

    res = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "corrlearn", *argv], capture_output=True, text=True
    )
    assert res.returncode in (0, 2), res.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in res.stderr.splitlines() if "import time:" in line}
    assert "corrlearn.cli" in imported
    assert not {m for m in imported if m == "torch" or m.startswith("torch.")}, "help imported torch"
    assert "flask" not in imported, "help imported flask"


def test_ctrl_c_while_torch_imports_is_one_line(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    # SIGINT as soon as torch's shared library is being loaded: the import is inside the error handling
    proc = subprocess.Popen(
        [sys.executable, "-m", "corrlearn", "propagate", str(tmp_path / "clip"), "--mask", "m.png",
         "--out", str(tmp_path / "out")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    maps = f"/proc/{proc.pid}/maps"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if "libtorch" in open(maps).read():
                break
        except OSError:
            pass
        time.sleep(0.005)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-3000:]
    assert err.strip().splitlines() == ["corrlearn: interrupted"], err[-3000:]
