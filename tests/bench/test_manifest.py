"""Manifest reading and the batch loop: rows, shards, failures recorded, summary from disk."""

from __future__ import annotations

import json

import pytest

from corrlearn.bench.manifest import SUMMARY, read_manifest, run_manifest
from corrlearn.errors import CorrlearnError


def write(path, text):
    path.write_text(text)
    return path


def test_read_manifest_resolves_paths_from_its_folder(tmp_path):
    csv = write(
        tmp_path / "list.csv",
        "video,mask,out\nclips/a.mp4,ann/a.png,masks/a\n\nb,ann/b1.png; ann/b9.png,/abs/b\n",
    )
    rows = read_manifest(csv)
    assert [r.line for r in rows] == [2, 4]
    assert rows[0].video == tmp_path / "clips/a.mp4" and rows[0].masks == (tmp_path / "ann/a.png",)
    assert rows[0].out == (tmp_path / "masks/a").resolve()
    assert (
        rows[1].masks == (tmp_path / "ann/b1.png", tmp_path / "ann/b9.png") and str(rows[1].out) == "/abs/b"
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("video,out\na,b\n", "lacks column\\(s\\) mask"),
        ("video,mask,out\na,,c\n", ":2: empty mask"),
        ("video,mask,out\na,m,o\nb,m,o\n", ":3: output folder o is also line 2's"),
        ("video,mask,out\n", "lists no videos"),
    ],
)
def test_bad_manifests_name_file_and_line(tmp_path, text, message):
    with pytest.raises(CorrlearnError, match=message):
        read_manifest(write(tmp_path / "m.csv", text))
    with pytest.raises(CorrlearnError, match="manifest not found"):
        read_manifest(tmp_path / "none.csv")


def test_run_manifest_shards_failures_and_summary(tmp_path):
    rows = read_manifest(
        write(tmp_path / "m.csv", "video,mask,out\n" + "".join(f"v{i},m{i},o{i}\n" for i in range(5)))
    )
    seen = []

    def process(row):
        seen.append(row.line)
        if row.video.name == "v2":
            raise CorrlearnError("v2: not a video")
        if row.video.name == "v3":
            raise ValueError("decoder exploded\nsecond line")
        row.out.mkdir()
        return {"frames": 1}

    def done(row):
        return row.out.is_dir()

    summary = run_manifest(rows, process, done, tmp_path / "s", (1, 2))
    assert seen == [3, 5]  # rows 1 and 3 (0-based) of shard 1/2
    assert (summary["done"], summary["failed"], summary["pending"]) == (1, 1, 3)
    assert summary["rows"][3]["error"] == "ValueError: decoder exploded"
    summary = run_manifest(rows, process, done, tmp_path / "s", (0, 2))
    assert seen == [3, 5, 2, 4, 6]
    assert (summary["done"], summary["failed"], summary["pending"]) == (3, 2, 0)
    assert summary["rows"][2]["error"] == "v2: not a video"
    assert json.loads((tmp_path / "s" / SUMMARY).read_text()) == summary
    assert sorted(p.name for p in (tmp_path / "s" / "shards").iterdir()) == ["0-of-2.json", "1-of-2.json"]
