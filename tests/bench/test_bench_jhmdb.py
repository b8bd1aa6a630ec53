"""`corrlearn bench jhmdb` / `eval jhmdb` end to end on real DAVIS frames under a known motion."""

from __future__ import annotations

import json

import numpy as np
import pytest

from corrlearn.cli import main
from corrlearn.datasets.davis_derived import davis_as_jhmdb
from corrlearn.datasets.jhmdb import load_jhmdb


@pytest.fixture(scope="module")
def pseudo_jhmdb(davis_root, tmp_path_factory):
    root = tmp_path_factory.mktemp("jhmdb")
    davis_as_jhmdb(davis_root, root, ["blackswan", "car-roundabout"], num_frames=5, max_shift=16)
    return root


@pytest.mark.realdata
def test_pseudo_jhmdb_is_a_valid_root_with_known_motion(pseudo_jhmdb):
    videos = load_jhmdb(pseudo_jhmdb)
    assert [v.name for v in videos] == ["davis/blackswan", "davis/car-roundabout"]
    j = videos[0].joints
    assert j.shape == (2, 15, 5)
    assert np.allclose(j[:, :, -1] - j[:, :, 0], [[16], [0]])  # the trajectory ends at (16, 0)


@pytest.mark.slow  # one of the costliest runs (quick tier: -m "not slow"; CI runs it)
@pytest.mark.realdata
def test_bench_resumes_shards_and_matches_eval(pseudo_jhmdb, tmp_path, capsys):
    out = tmp_path / "run"
    base = ["bench", "jhmdb", "--root", str(pseudo_jhmdb), "--out", str(out), "--quiet"]
    assert main(base + ["--shard", "0/2"]) == 0
    assert "left in other shards" in capsys.readouterr().out
    assert main(base + ["--shard", "1/2"]) == 0  # the last shard scores the run
    report = json.loads((out / "run.json").read_text())
    g = report["global"]
    assert report["frame0"] == "skip" and g["count"] == [8] * 15  # 2 videos x 4 frames after frame 0
    # real frames, exactly known translation: propagation with the random encoder lands close
    assert g["PCK@0.2"] > 80 and g["PCK@0.5"] >= g["PCK@0.1"]
    assert main(base) == 0
    assert "0 computed, 2 already done" in capsys.readouterr().out
    pred = np.load(out / "results" / "davis__blackswan" / "keypoints.npy")
    assert pred.shape == (2, 15, 5)
    ev = tmp_path / "eval"
    assert main(["eval", "jhmdb", "--root", str(pseudo_jhmdb), "--results", str(out), "--out", str(ev)]) == 0
    assert json.loads((ev / "global.json").read_text())["PCK@0.1"] == pytest.approx(g["PCK@0.1"])
    assert (ev / "pck.png").stat().st_size > 0 and (out / "per-video.csv").read_text().count("\n") == 3
    # a different protocol is refused in the same run directory
    assert main(base + ["--preset", "stt"]) == 2
    # --merge scores the run with its own recorded protocol, whatever --preset says
    assert main(base + ["--preset", "stt", "--merge"]) == 0
    merged = json.loads((out / "run.json").read_text())
    assert merged["frame0"] == "skip" and merged["global"]["PCK@0.1"] == pytest.approx(g["PCK@0.1"])


@pytest.mark.realdata
def test_eval_reads_plain_prediction_files(pseudo_jhmdb, tmp_path):
    videos = load_jhmdb(pseudo_jhmdb)
    res = tmp_path / "method"
    for v in videos:
        (res / "davis").mkdir(parents=True, exist_ok=True)
        pred = v.joints.copy()
        pred[:, :7] += 1000.0  # 7 of 15 joints far off, the rest exact
        np.save(res / f"{v.name}.npy", pred)
    assert (
        main(["eval", "jhmdb", "--root", str(pseudo_jhmdb), "--results", str(res), "--frame0", "keep"]) == 0
    )
    g = json.loads((res / "global.json").read_text())
    assert g["PCK@0.5"] == pytest.approx(100 * 8 / 15)
    np.save(res / "davis" / "blackswan.npy", np.zeros((2, 15, 3)))
    assert main(["eval", "jhmdb", "--root", str(pseudo_jhmdb), "--results", str(res)]) == 2  # wrong shape


REAL_VIDEO = "catch/Goal_Keeping_Tips_catch_f_cm_np1_fr_med_2"


@pytest.mark.realdata
def test_distributed_split_lists_give_the_268_videos(jhmdb_root, tmp_path):
    from corrlearn.datasets.jhmdb import read_list_entries

    uvc = read_list_entries(jhmdb_root / "splits" / "UVC_testlist_split1.txt", jhmdb_root)
    stt = read_list_entries(jhmdb_root / "splits" / "SpaThenTemp_val_list.txt", jhmdb_root)
    names = [n for n, _, _ in uvc]
    assert len(names) == 268 == len(set(names)) and {n for n, _, _ in stt} == set(names)
    assert len({n.split("/")[0] for n in names}) == 21  # every JHMDB action class
    name, frames, mat = uvc[0]
    assert name == "swing_baseball/HowtoswingaBaseballbat_swing_baseball_f_nm_np1_le_bad_0"
    assert frames == jhmdb_root / "Rename_Images" / name  # the authors' /media/... prefix is dropped
    assert mat == jhmdb_root / "joint_positions" / name / "joint_positions.mat"
    # the shipped video is a training video: not in the list; a list in the authors' form naming it loads it
    assert REAL_VIDEO not in names
    lst = tmp_path / "list.txt"
    lst.write_text(
        f"/data/x/JHMDB/joint_positions/{REAL_VIDEO}/joint_positions.mat /data/x/JHMDB/Rename_Images/{REAL_VIDEO}\n"
    )
    (v,) = load_jhmdb(jhmdb_root, list_file=lst)
    assert v.name == REAL_VIDEO and v.joints.shape == (2, 15, 40) and len(v.frames) == 40
    # with the full list on this partial copy: a one-line error naming the missing folder
    assert main(["eval", "jhmdb", "--root", str(jhmdb_root), "--results", str(tmp_path),
                 "--list-file", str(jhmdb_root / "splits" / "UVC_testlist_split1.txt")]) == 2  # fmt: skip


@pytest.mark.realdata
def test_eval_real_video_unpredicted_joint_and_longer_predictions(jhmdb_root, tmp_path, capsys):
    from corrlearn.bench.jhmdb import JhmdbLengthWarning, UnpredictedJointWarning

    (v,) = load_jhmdb(jhmdb_root, videos=[REAL_VIDEO])
    res = tmp_path / "res"
    (res / "catch").mkdir(parents=True)
    base = ["eval", "jhmdb", "--root", str(jhmdb_root), "--videos", REAL_VIDEO, "--results", str(res)]
    pred = v.joints.copy()
    pred[:, 11] = -1.0  # right wrist never predicted
    np.save(res / f"{REAL_VIDEO}.npy", pred)
    capsys.readouterr()
    assert main(base) == 2
    err = capsys.readouterr().err
    assert "right_wrist" in err and REAL_VIDEO in err and "--allow-missing-joints" in err
    with pytest.warns(UnpredictedJointWarning, match="right_wrist"):
        assert main(base + ["--allow-missing-joints"]) == 0
    g = json.loads((res / "global.json").read_text())
    assert g["PCK@0.1"] == 100.0 and g["unpredicted_joints"] == {REAL_VIDEO: ["right_wrist"]}
    assert g["count"][11] == 0 and g["count"][0] == 39  # 40 frames, frame 0 skipped
    # 45 predicted frames for 40 annotated: the first 40 are scored, with a warning
    longer = np.concatenate([v.joints, np.zeros((2, 15, 5))], axis=2)
    longer[:, :, :40] += 3.0  # 3 px off in x and y
    np.save(res / f"{REAL_VIDEO}.npy", longer)
    with pytest.warns(JhmdbLengthWarning, match="45 predicted frames for 40"):
        assert main(base) == 0
    g = json.loads((res / "global.json").read_text())
    assert g["PCK@0.5"] == 100.0 and g["count"] == [39] * 15
    np.save(res / f"{REAL_VIDEO}.npy", v.joints[:, :, :30])  # fewer frames than annotated: an error
    assert main(base) == 2
