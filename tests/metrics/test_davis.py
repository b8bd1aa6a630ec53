"""DAVIS J&F: hand-computed cases, edge cases, statistics, and real-data checks against an independent
straightforward implementation of the official definitions (scipy.ndimage based)."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from corrlearn.cli import main
from corrlearn.datasets.davis import annotation_dir, annotations_root, sequence_list_path
from corrlearn.errors import CorrlearnError
from corrlearn.metrics import davis as dm


def block(shape, rows, cols):
    m = np.zeros(shape, bool)
    m[rows[0] : rows[1] + 1, cols[0] : cols[1] + 1] = True
    return m


# ------------------------------------------------------------------------------------------------ J
def test_iou_hand_computed():
    gt = block((4, 4), (0, 1), (0, 1))  # 4 px
    res = block((4, 4), (0, 1), (0, 2))  # 6 px, contains gt
    assert dm.db_eval_iou(gt, res) == pytest.approx(4 / 6)  # inter 4, union 6


def test_iou_void_excluded_and_empty_union():
    gt = block((4, 4), (0, 1), (0, 1))
    res = block((4, 4), (0, 1), (0, 2))
    void = block((4, 4), (0, 1), (2, 2))  # the two pixels res has beyond gt
    assert dm.db_eval_iou(gt, res, void) == 1.0  # inter 4, union 6 - 2 void = 4
    empty = np.zeros((3, 5), bool)
    assert dm.db_eval_iou(empty, empty) == 1.0
    assert dm.db_eval_iou(empty, ~empty) == 0.0
    stack = np.stack([gt, np.zeros_like(gt)])
    np.testing.assert_array_equal(dm.db_eval_iou(stack, stack), [1.0, 1.0])


# ------------------------------------------------------------------------------------------------ boundary map
def test_seg2bmap_single_pixel():
    seg = np.zeros((4, 4), bool)
    seg[1, 1] = True
    # (1,1) differs from E; (1,0) from E; (0,1) from S; (0,0) from SE: boundary offset towards the origin
    expected = np.zeros((4, 4), bool)
    expected[0:2, 0:2] = True
    np.testing.assert_array_equal(dm.seg2bmap(seg), expected)


def test_seg2bmap_last_row_and_column_rules():
    full = np.ones((3, 5), bool)
    # interior pixels equal their neighbours; last column compares only S, last row only E
    assert not dm.seg2bmap(full).any()
    corner = np.zeros((3, 5), bool)
    corner[2, 4] = True
    expected = np.zeros((3, 5), bool)
    expected[1, 3] = True  # SE neighbour is the pixel
    expected[1, 4] = True  # last column: differs from S
    expected[2, 3] = True  # last row: differs from E
    # the bottom-right pixel itself is never a boundary
    np.testing.assert_array_equal(dm.seg2bmap(corner), expected)


def test_seg2bmap_downscaled_map_and_bad_size():
    seg = np.zeros((4, 4), bool)
    seg[1, 1] = True
    # official mapping for width=height=2, h=4: (y, x) -> (1 + floor(y - 1 + 2/4), 1 + floor(x - 1 + 2/4));
    # the boundary pixels (0,0),(0,1),(1,0),(1,1) land on (0,0),(0,1),(1,0),(1,1)
    np.testing.assert_array_equal(dm.seg2bmap(seg, 2, 2), np.ones((2, 2), bool))
    with pytest.raises(ValueError):
        dm.seg2bmap(seg, width=8, height=8)


def test_disk_matches_definition():
    np.testing.assert_array_equal(dm.disk(1), [[0, 1, 0], [1, 1, 1], [0, 1, 0]])
    np.testing.assert_array_equal(
        dm.disk(2),
        [[0, 0, 1, 0, 0], [0, 1, 1, 1, 0], [1, 1, 1, 1, 1], [0, 1, 1, 1, 0], [0, 0, 1, 0, 0]],
    )
    r = 8
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    np.testing.assert_array_equal(dm.disk(8.0), (xx**2 + yy**2 <= r * r).astype(np.uint8))


def test_boundary_tolerance():
    assert dm.boundary_tolerance((480, 854)) == 8  # ceil(0.008 * 979.62) = ceil(7.84)
    assert dm.boundary_tolerance((10, 10)) == 1  # ceil(0.113)
    assert dm.boundary_tolerance((10, 10), bound_th=3) == 3  # >= 1: pixels as given


# ------------------------------------------------------------------------------------------------ F
def test_f_hand_computed_shifted_square():
    # 10x10 image -> tolerance 1 px -> disk(1) is the 4-neighbour cross.
    gt = block((10, 10), (2, 4), (2, 4))
    res = block((10, 10), (2, 4), (4, 6))  # shifted right by 2
    # Boundary of a 3x3 block at rows 2..4, cols c..c+2 = perimeter of the 4x4 square rows 1..4, cols c-1..c+2
    # (12 px). G: cols 1..4, R: cols 3..6. R pixels within the cross of a G pixel: top row (1,3),(1,4) in G,
    # (1,5) next to (1,4), (1,6) not -> 3; bottom row likewise 3; left column (2,3),(3,3) next to (.,4) -> 2;
    # right column (2,6),(3,6) -> 0. Precision = 8/12; recall = 8/12 by mirror symmetry; F = 2/3.
    assert dm.db_eval_boundary(gt, res) == pytest.approx(2 / 3)
    # J: inter = 3 rows x 1 col = 3, union = 9 + 9 - 3 = 15
    assert dm.db_eval_iou(gt, res) == pytest.approx(3 / 15)


def test_f_one_pixel_objects():
    gt = np.zeros((10, 10), bool)
    res = np.zeros((10, 10), bool)
    gt[5, 5] = True
    res[5, 6] = True
    # G = {(4,4),(4,5),(5,4),(5,5)}, R = {(4,5),(4,6),(5,5),(5,6)}: every R pixel is on or next to a G pixel
    # and vice versa -> P = R = 1 -> F = 1, while the masks do not overlap -> J = 0.
    assert dm.db_eval_boundary(gt, res) == 1.0
    assert dm.db_eval_iou(gt, res) == 0.0


def test_f_empty_boundary_cases():
    z = np.zeros((7, 9), bool)
    obj = block((7, 9), (2, 4), (3, 5))
    assert dm.db_eval_boundary(obj, z) == 0.0  # no predicted boundary: P=1, R=0
    assert dm.db_eval_boundary(z, obj) == 0.0  # no GT boundary: P=0, R=1
    assert dm.db_eval_boundary(z, z) == 1.0  # none at all: P=R=1
    full = np.ones((7, 9), bool)
    # a full-frame mask has no boundary pixels (last row/column rules), so full vs empty scores F = 1
    assert dm.db_eval_boundary(full, z) == 1.0
    assert dm.db_eval_iou(full, z) == 0.0


def test_f_void_blanks_pixels_before_boundaries():
    gt = block((10, 10), (2, 4), (2, 4))
    res = block((10, 10), (2, 4), (4, 6))
    void = np.zeros((10, 10), bool)
    void[:, 4:] = True  # leaves gt cols 2..3 and nothing of res -> no predicted boundary -> F = 0
    assert dm.db_eval_boundary(gt, res, void) == 0.0
    stack = dm.db_eval_boundary(np.stack([gt, gt]), np.stack([res, gt]))
    np.testing.assert_allclose(stack, [2 / 3, 1.0])


# ------------------------------------------------------------------------------------------------ statistics
def test_statistics_hand_computed():
    x = [1.0, 0.8, 0.6, 0.4, 0.2]
    # n=5: ids = [0,1,2,3,4]; first bin x[0:2] mean 0.9, last bin x[3:5] mean 0.3
    m, o, d = dm.db_statistics(x)
    assert m == pytest.approx(0.6)
    assert o == pytest.approx(3 / 5)  # 1.0, 0.8, 0.6 > 0.5
    assert d == pytest.approx(0.6)
    # n=10: linspace(1,10,5) = 1, 3.25, 5.5, 7.75, 10 -> ids 0,2,5,7,9; bins x[0:3] and x[7:10]
    x10 = np.arange(10) / 10
    assert dm.db_statistics(x10)[2] == pytest.approx(0.1 - 0.8)


def test_statistics_rounding_epsilon():
    # n=3: linspace = 1, 1.5, 2, 2.5, 3; the +1e-10 makes 2.5 round up to 3 -> ids 0,1,1,2,2
    # (plain banker's rounding would give 2). First bin x[0:2] = (1 + 0.5)/2, last bin x[2:3] = 0.
    assert dm.decay_bins(3) == [(0, 2), (1, 2), (1, 3), (2, 3)]
    assert dm.db_statistics([1.0, 0.5, 0.0])[2] == pytest.approx(0.75)


def test_statistics_nan_and_empty():
    m, o, d = dm.db_statistics([1.0, math.nan, 0.0, 1.0])
    assert m == pytest.approx(2 / 3)  # nanmean
    assert o == pytest.approx(2 / 4)  # nan counts as a miss in the recall
    assert all(math.isnan(v) for v in dm.db_statistics([]))
    assert dm.db_statistics([0.7]) == (pytest.approx(0.7), 1.0, 0.0)


def test_decay_bins_agree_with_official_uint8_formula_up_to_255_frames():
    for n in range(1, 256):
        ids = (np.round(np.linspace(1, n, 5) + 1e-10) - 1).astype(np.uint8)
        # the official slice end is ids[i + 1] + 1 in uint8 arithmetic; it cannot wrap while n <= 255
        assert dm.decay_bins(n) == [(int(ids[i]), int(ids[i + 1] + np.uint8(1))) for i in range(4)], n
    # beyond that the official uint8 indices wrap (255 + 1 == 0); ours keep the intended last bin
    assert dm.decay_bins(300)[3] == (224, 300)


# ------------------------------------------------------------------------------------------------ sequences
def test_evaluate_sequence_synthetic_two_objects():
    h, w = 12, 16
    gt = np.zeros((4, h, w), np.uint8)
    gt[:, 2:6, 2:6] = 1
    gt[:, 7:10, 9:14] = 2
    gt[:, 6, 2:6] = 255  # void is background by default
    res = gt.copy()
    res[res == 255] = 0
    res[1][res[1] == 2] = 0  # object 2 lost in frame 1
    res[0] = 0  # first and last frame are not scored
    res[3] = 0
    recs = dm.evaluate_sequence(gt, res, name="toy")
    assert [r.name for r in recs] == ["toy_1", "toy_2"]
    assert recs[0].frames == ["00001", "00002"]
    assert recs[0].j_per_frame == [1.0, 1.0] and recs[0].f_per_frame == [1.0, 1.0]
    assert recs[1].j_per_frame == [0.0, 1.0] and recs[1].f_per_frame == [0.0, 1.0]
    assert recs[1].j_mean == 0.5 and recs[1].j_recall == 0.5
    g = dm.global_metrics(recs)
    assert g["J-Mean"] == pytest.approx(0.75) and g["J&F-Mean"] == pytest.approx(0.75)
    # an object missing from every scored frame is scored empty (official aborts instead)
    res2 = gt.copy()
    res2[res2 != 1] = 0
    assert dm.evaluate_sequence(gt, res2)[1].j_mean == 0.0
    bad = res.copy()
    bad[2, 0, 0] = 3
    with pytest.raises(ValueError, match="id 3"):
        dm.evaluate_sequence(gt, bad)


def test_void_exclude_option():
    gt = np.zeros((3, 6, 6), np.uint8)
    gt[:, 1:3, 1:3] = 1
    gt[:, 3, 1:3] = 255
    res = gt.copy()
    res[res == 255] = 1  # result covers the void band
    j_bg = dm.evaluate_sequence(gt, res)[0].j_mean
    j_ex = dm.evaluate_sequence(gt, res, void="exclude")[0].j_mean
    assert j_bg == pytest.approx(4 / 6) and j_ex == 1.0


# ------------------------------------------------------------------------------------------------ reference
def ref_bmap(seg: np.ndarray) -> np.ndarray:
    """Boundary map written out pixel by pixel from the official definition (independent of the module)."""
    h, w = seg.shape
    p = np.pad(seg.astype(bool), ((0, 1), (0, 1)))  # outside the image counts as background
    b = np.zeros_like(seg, bool)
    for y in range(h):
        for x in range(w):
            v = p[y, x]
            if y == h - 1 and x == w - 1:
                b[y, x] = False
            elif y == h - 1:
                b[y, x] = v != p[y, x + 1]
            elif x == w - 1:
                b[y, x] = v != p[y + 1, x]
            else:
                b[y, x] = v != p[y, x + 1] or v != p[y + 1, x] or v != p[y + 1, x + 1]
    return b


def ref_bmap_fast(seg: np.ndarray) -> np.ndarray:
    """Same definition through padded shifts (used on full-size frames where the loop is too slow)."""
    s = seg.astype(bool)
    p = np.pad(s, ((0, 1), (0, 1)))
    e, so, se = p[:-1, 1:], p[1:, :-1], p[1:, 1:]
    b = (s != e) | (s != so) | (s != se)
    b[-1, :] = s[-1, :] != e[-1, :]
    b[:, -1] = s[:, -1] != so[:, -1]
    b[-1, -1] = False
    return b


def ref_f(fg: np.ndarray, gt: np.ndarray) -> float:
    """F with the tolerance disk written as a Euclidean distance: within the disk of radius r <=> EDT <= r."""
    r = math.ceil(0.008 * math.hypot(*gt.shape))
    fb, gb = ref_bmap_fast(fg), ref_bmap_fast(gt)
    nf, ng = int(fb.sum()), int(gb.sum())
    if nf == 0 or ng == 0:
        return 1.0 if nf == ng == 0 else 0.0
    p = (fb & (ndimage.distance_transform_edt(~gb) <= r)).sum() / nf
    rc = (gb & (ndimage.distance_transform_edt(~fb) <= r)).sum() / ng
    return 0.0 if p + rc == 0 else 2 * p * rc / (p + rc)


def ref_j(gt: np.ndarray, fg: np.ndarray) -> float:
    u = (gt | fg).sum()
    return 1.0 if u == 0 else (gt & fg).sum() / u


@pytest.mark.parametrize("shape", [(7, 5), (9, 13), (16, 16), (31, 3)])
def test_boundary_map_and_f_match_reference_on_random_masks_of_odd_sizes(shape):
    rng = np.random.default_rng(shape[0] * 100 + shape[1])
    for _ in range(10):
        a = ndimage.binary_opening(rng.random(shape) > 0.4) if min(shape) > 3 else rng.random(shape) > 0.5
        b = rng.random(shape) > 0.6
        np.testing.assert_array_equal(dm.seg2bmap(a), ref_bmap(a))
        np.testing.assert_array_equal(ref_bmap_fast(a), ref_bmap(a))
        assert dm.db_eval_boundary(a, b) == pytest.approx(ref_f(b, a), abs=1e-12)
        assert dm.db_eval_iou(a, b) == pytest.approx(ref_j(a, b), abs=1e-12)


# ------------------------------------------------------------------------------------------------ real data
def read_ids(path) -> np.ndarray:
    arr = np.array(Image.open(path))
    return (arr > 0).astype(np.uint8)  # DAVIS-2016: 0/255, one object


def write_copy_first(root, out, seqs):
    for seq in seqs:
        ann = annotation_dir(root, seq)
        frames = sorted(ann.glob("*.png"))
        first = Image.open(frames[0])
        (out / seq).mkdir(parents=True)
        for f in frames:
            first.save(out / seq / f.name)


@pytest.mark.realdata
@pytest.mark.slow
def test_gt_vs_gt_whole_val_is_perfect(davis_root):
    ann = annotations_root(davis_root)
    r = dm.evaluate(davis_root, ann, "2016", progress=False)
    assert len(r.objects) == 20
    assert len(r.sequences) == 20
    for rec in r.objects:
        assert rec.j_per_frame and set(rec.j_per_frame) == {1.0} and set(rec.f_per_frame) == {1.0}
        assert (rec.j_mean, rec.j_recall, rec.j_decay, rec.f_mean, rec.f_recall, rec.f_decay) == (
            1,
            1,
            0,
            1,
            1,
            0,
        )
    assert r.global_ == {
        "J&F-Mean": 1,
        "J-Mean": 1,
        "J-Recall": 1,
        "J-Decay": 0,
        "F-Mean": 1,
        "F-Recall": 1,
        "F-Decay": 0,
    }


SHORT = ["car-shadow", "motocross-jump", "libby"]


@pytest.mark.realdata
def test_copy_first_frame_matches_independent_reference(davis_root, tmp_path):
    write_copy_first(davis_root, tmp_path, SHORT)
    r = dm.evaluate(davis_root, tmp_path, "2016", SHORT, progress=False)
    assert [o.name for o in r.objects] == [f"{s}_1" for s in SHORT]
    jm, fm = [], []
    for seq, rec in zip(SHORT, r.objects, strict=True):
        frames = sorted(annotation_dir(davis_root, seq).glob("*.png"))
        first = read_ids(frames[0]) > 0
        js = [ref_j(read_ids(f) > 0, first) for f in frames[1:-1]]
        fs = [ref_f(first, read_ids(f) > 0) for f in frames[1:-1]]
        assert rec.frames == [f.stem for f in frames[1:-1]]
        np.testing.assert_allclose(rec.j_per_frame, js, rtol=0, atol=1e-12)
        np.testing.assert_allclose(rec.f_per_frame, fs, rtol=0, atol=1e-12)
        assert rec.j_mean == pytest.approx(np.mean(js), abs=1e-12)
        assert rec.f_mean == pytest.approx(np.mean(fs), abs=1e-12)
        assert rec.j_mean < 1.0  # the objects move: copying frame 0 is imperfect
        jm.append(np.mean(js))
        fm.append(np.mean(fs))
    assert r.global_["J-Mean"] == pytest.approx(np.mean(jm), abs=1e-12)
    assert r.global_["J&F-Mean"] == pytest.approx((np.mean(jm) + np.mean(fm)) / 2, abs=1e-12)


@pytest.mark.realdata
def test_eval_cli_writes_official_csvs(davis_root, tmp_path, capsys):
    res = tmp_path / "res"
    write_copy_first(davis_root, res, SHORT[:2])
    out = tmp_path / "out"
    argv = ["eval", "davis", "--root", str(davis_root), "--results", str(res), "--out", str(out), "--quiet"]
    assert main(argv + ["--sequences", *SHORT[:2]]) == 0
    rows = list(csv.reader((out / "per-sequence.csv").open()))
    assert rows[0] == ["Sequence", "J-Mean", "F-Mean"]
    assert [r[0] for r in rows[1:]] == ["car-shadow_1", "motocross-jump_1"]
    assert all(len(v.split(".")[1]) == 3 for r in rows[1:] for v in r[1:])
    g = list(csv.reader((out / "global.csv").open()))
    assert g[0] == ["J&F-Mean", "J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay"]
    data = json.loads((out / "global.json").read_text())
    assert g[1][1] == f"{data['global']['J-Mean']:.3f}"
    assert "J&F-Mean" in capsys.readouterr().out
    # no stale numbers: change a result and the next call changes its score
    first = res / "car-shadow" / "00001.png"
    Image.fromarray(np.zeros(np.array(Image.open(first)).shape, np.uint8)).save(first)
    assert main(argv + ["--sequences", *SHORT[:2]]) == 0
    data2 = json.loads((out / "global.json").read_text())
    assert data2["objects"][0]["j_per_frame"][0] == 0.0
    assert data2["global"]["J-Mean"] < data["global"]["J-Mean"]


@pytest.mark.realdata
def test_eval_errors_name_the_file(davis_root, tmp_path, capsys):
    res = tmp_path / "res"
    write_copy_first(davis_root, res, ["car-shadow"])
    missing = res / "car-shadow" / "00010.png"
    missing.unlink()
    with pytest.raises(CorrlearnError, match="00010.png"):
        dm.evaluate(davis_root, res, "2016", ["car-shadow"], progress=False)
    write = Image.open(res / "car-shadow" / "00001.png")
    ids = (np.array(write) > 0).astype(np.uint8) * 2  # object id 2 in a one-object sequence
    img = Image.fromarray(ids, mode="P")
    img.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [0] * 759)
    img.save(missing)
    with pytest.raises(CorrlearnError, match=r"00010.png.*object id 2"):
        dm.evaluate(davis_root, res, "2017", ["car-shadow"], progress=False)
    # the DAVIS-2016 reading takes the one value besides 0 as the object, whatever it is (here id 2)
    assert dm.evaluate(davis_root, res, "2016", ["car-shadow"], progress=False).global_["J-Mean"] > 0
    missing.unlink()
    argv = [
        "eval",
        "davis",
        "--root",
        str(davis_root),
        "--results",
        str(res),
        "--sequences",
        "car-shadow",
        "--quiet",
    ]
    assert main(argv) == 2
    assert "00010.png" in capsys.readouterr().err


def write_palette(path, ids):
    from corrlearn.io.masks import DAVIS_PALETTE

    img = Image.fromarray(ids.astype(np.uint8), mode="P")
    img.putpalette(DAVIS_PALETTE)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)


def test_davis2017_palette_layout_with_void_and_two_objects(tmp_path):
    root, res_dir = tmp_path / "DAVIS", tmp_path / "res"
    sequence_list_path(root, "2017").parent.mkdir(parents=True)
    sequence_list_path(root, "2017").write_text("toy\n")
    rng = np.random.default_rng(3)
    gt = np.zeros((6, 21, 33), np.uint8)
    res = np.zeros_like(gt)
    for t in range(6):
        gt[t, 3 + t : 9 + t, 4:12] = 1
        gt[t, 12:18, 15 + t : 25 + t] = 2
        gt[t, 9 + t, 4:12] = 255  # void band under object 1
        res[t] = np.where(rng.random(gt[t].shape) > 0.2, gt[t], 0)
        res[t][res[t] == 255] = 0
        write_palette(annotation_dir(root, "toy") / f"{t:05d}.png", gt[t])
        if 0 < t < 5:  # first and last result frames are not needed
            write_palette(res_dir / "toy" / f"{t:05d}.png", res[t])
    r = dm.evaluate(root, res_dir, "2017", progress=False)
    assert [o.name for o in r.objects] == ["toy_1", "toy_2"]
    expected = dm.evaluate_sequence(gt, res, name="toy")
    for got, exp in zip(r.objects, expected, strict=True):
        assert got.j_per_frame == exp.j_per_frame and got.f_per_frame == exp.f_per_frame
        # independent per-frame values: void counts as background, as in the official loader
        gts = [(gt[t] == got.object_id) for t in range(1, 5)]
        ress = [(res[t] == got.object_id) for t in range(1, 5)]
        np.testing.assert_allclose(
            got.j_per_frame, [ref_j(a, b) for a, b in zip(gts, ress, strict=True)], atol=1e-12
        )
        np.testing.assert_allclose(
            got.f_per_frame, [ref_f(b, a) for a, b in zip(gts, ress, strict=True)], atol=1e-12
        )
    excl = dm.evaluate(root, res_dir, "2017", void="exclude", progress=False)
    assert excl.objects[1].j_per_frame == r.objects[1].j_per_frame  # void touches only object 1
    assert excl.global_["J-Mean"] >= r.global_["J-Mean"]
    with pytest.raises(CorrlearnError, match="ImageSets/2016/val.txt"):
        dm.evaluate(root, res_dir, "2016", progress=False)


def test_davis2016_result_with_two_ids_is_an_error_not_dropped_pixels(tmp_path):
    # davis2017-evaluation stops on an id above the sequence's one object; thresholding would drop id 1
    root, res_dir = tmp_path / "DAVIS", tmp_path / "res"
    sequence_list_path(root, "2016").parent.mkdir(parents=True)
    sequence_list_path(root, "2016").write_text("toy\n")
    gt = np.zeros((4, 12, 16), np.uint8)
    for t in range(4):
        gt[t, 2:8, 3 + t : 9 + t] = 255
        annotation_dir(root, "toy").mkdir(parents=True, exist_ok=True)
        Image.fromarray(gt[t], mode="L").save(annotation_dir(root, "toy") / f"{t:05d}.png")
        res = (gt[t] > 0).astype(np.uint8) * 128  # one value besides 0, whatever it is: the object
        write_palette(res_dir / "toy" / f"{t:05d}.png", res)
    assert dm.evaluate(root, res_dir, "2016", progress=False).global_["J-Mean"] == 1.0
    two = (gt[2] > 0).astype(np.uint8)
    two[:, :6] *= 2  # ids {0, 1, 2}: the left part of the object written as a second id
    write_palette(res_dir / "toy" / "00002.png", two)
    with pytest.raises(CorrlearnError) as exc:
        dm.evaluate(root, res_dir, "2016", progress=False)
    assert str(exc.value).startswith(
        f"{res_dir / 'toy' / '00002.png'}: result holds 2 values besides 0 (1, 2)"
    )
    assert "--year 2017" in str(exc.value)
