"""`corrlearn propagate --manifest`: tiny real clips over two shards (or torchrun's RANK / WORLD_SIZE) give the
same masks as one process; a bad video is reported and skipped; a rerun resumes."""

from __future__ import annotations

import json

import pytest

from corrlearn.cli import main
from tests.synthetic import small_davis_root

SEQS = ["bear", "boat", "car-turn"]


@pytest.fixture(scope="module")
def davis(tmp_path_factory, request):
    train = request.getfixturevalue("davis_train_root")
    return small_davis_root(
        train, tmp_path_factory.mktemp("clips") / "DAVIS", SEQS, n_frames=4, size=(48, 80)
    )


def manifest(davis, path, out_dir):
    lines = ["video,mask,out"]
    for s in SEQS[:2]:
        lines.append(f"{davis}/JPEGImages/480p/{s},{davis}/Annotations/480p/{s}/00000.png,{out_dir}/{s}")
    lines.append(
        f"{davis}/JPEGImages/480p/no-such-video,{davis}/Annotations/480p/bear/00000.png,{out_dir}/bad"
    )
    s = SEQS[2]
    lines.append(f"{davis}/JPEGImages/480p/{s},{davis}/Annotations/480p/{s}/00000.png,{out_dir}/{s}")
    path.write_text("\n".join(lines) + "\n")
    return path


def cmd(csv, out, *extra):
    args = ["propagate", "--manifest", str(csv), "--out", str(out), "--quiet", "--model", "resnet18"]
    return [*args, "--threads", "1", *extra]


def pngs(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.png"))}


@pytest.mark.realdata
def test_two_shards_equal_one_process_and_bad_rows_are_skipped(davis, tmp_path, capsys, monkeypatch):
    one = manifest(davis, tmp_path / "one.csv", "one")
    assert main(cmd(one, tmp_path / "s1")) == 1  # a row failed
    printed = capsys.readouterr().out
    assert "failed: line 4" in printed and "no-such-video" in printed
    assert "3 of 4 videos done, 1 failed, 0 pending" in printed

    two = manifest(davis, tmp_path / "two.csv", "two")
    assert main(cmd(two, tmp_path / "s2", "--shard", "0/2")) == 1  # rows 0 and 2: bear and the bad video
    assert "1 of 4 videos done, 1 failed, 2 pending" in capsys.readouterr().out
    # torchrun's variables take the other half, as --shard 1/2 would
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert main(cmd(two, tmp_path / "s2")) == 1
    monkeypatch.delenv("RANK")
    monkeypatch.delenv("WORLD_SIZE")
    summary = json.loads((tmp_path / "s2" / "manifest-summary.json").read_text())
    assert (summary["done"], summary["failed"], summary["pending"]) == (3, 1, 0)
    assert [r["status"] for r in summary["rows"]] == ["done", "done", "failed", "done"]
    a, b = pngs(tmp_path / "one"), pngs(tmp_path / "two")
    assert len(a) == 3 * 4 and a == b  # the same masks, byte for byte
    assert sorted(p.name for p in (tmp_path / "s2" / "shards").iterdir()) == ["0-of-2.json", "1-of-2.json"]
    # resumed: every finished video is found complete, nothing is propagated again
    capsys.readouterr()
    assert main(cmd(one, tmp_path / "s1")) == 1
    shard = json.loads((tmp_path / "s1" / "shards" / "0-of-1.json").read_text())
    assert [r.get("resumed_complete") for r in shard["rows"]] == [True, True, None, True], shard


def test_manifest_and_single_video_options_exclude_each_other(tmp_path, capsys):
    csv = tmp_path / "m.csv"
    csv.write_text("video,mask,out\na,b,c\n")
    assert main(["propagate", "clip.mp4", "--manifest", str(csv), "--out", str(tmp_path / "o")]) == 2
    assert "do not give them on the command line" in capsys.readouterr().err
    assert main(["propagate", "--out", str(tmp_path / "o")]) == 2
    assert "give VIDEO and --mask (or --manifest LIST.csv)" in capsys.readouterr().err
