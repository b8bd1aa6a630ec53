"""The studio's run page: a finished DAVIS run (scored by the real evaluator) read back worst first."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from PIL import Image

from corrlearn.errors import CorrlearnError
from corrlearn.io.masks import DAVIS_PALETTE
from corrlearn.metrics.davis import evaluate
from corrlearn.studio.runview import BenchRun
from corrlearn.studio.server import create_run_app
from tests.synthetic import translating_video


def _png(path, ids):
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(ids.astype(np.uint8), mode="P")
    img.putpalette(DAVIS_PALETTE)
    img.save(path)


@pytest.fixture
def davis_run(tmp_path):
    """A DAVIS-layout root with two 4-frame sequences and a run that got "good" right and "bad" wrong."""
    root, run = tmp_path / "davis", tmp_path / "run"
    for k, seq in enumerate(("bad", "good")):
        frames, gts = translating_video(n_frames=4, size=(48, 64), step=(1, 2), seed=k)
        for t, (f, g) in enumerate(zip(frames, gts, strict=True)):
            (root / "JPEGImages" / "480p" / seq).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(root / "JPEGImages" / "480p" / seq / f"{t:05d}.jpg"), f[..., ::-1])
            truth = (g == 1).astype(np.uint8)
            _png(root / "Annotations" / "480p" / seq / f"{t:05d}.png", truth)
            pred = truth if seq == "good" or t == 0 else np.roll(truth, 12, axis=1)
            _png(run / "results" / seq / f"{t:05d}.png", pred)
    result = evaluate(root, run / "results", "2016", ["bad", "good"], progress=False)
    result.write(run / "eval")
    (run / "run.json").write_text(json.dumps({"config": {"resolution": "480p"}, "global": result.global_}))
    (run / "eval" / "plot.png").write_bytes(cv2.imencode(".png", np.zeros((4, 4), np.uint8))[1].tobytes())
    return root, run


def test_scores_worst_first_and_frames_beside_the_truth(davis_run):
    root, run = davis_run
    view = BenchRun(run, root)
    rows = view.summary()["rows"]
    assert [r["sequence"] for r in rows] == ["bad", "good"] and rows[0]["score"] < rows[1]["score"] == 1.0
    assert view.plots() == ["eval/plot.png"]
    client = create_run_app(view).test_client()
    assert client.get("/api/run").json["rows"][0]["name"] == rows[0]["name"]
    assert client.get("/api/run/bad").json["frames"] == ["00000", "00001", "00002", "00003"]
    for which in ("pred", "gt"):
        r = client.get(f"/api/run/bad/2/{which}")
        assert r.status_code == 200 and r.data[:2] == b"\xff\xd8"
    pred = cv2.imdecode(np.frombuffer(client.get("/api/run/bad/2/pred").data, np.uint8), cv2.IMREAD_COLOR)
    gt = cv2.imdecode(np.frombuffer(client.get("/api/run/bad/2/gt").data, np.uint8), cv2.IMREAD_COLOR)
    assert np.abs(pred.astype(int) - gt.astype(int)).mean() > 1  # the wrong prediction looks different
    assert client.get("/files/eval/plot.png").status_code == 200
    for url in (
        "/files/../davis/Annotations/480p/bad/00000.png",
        "/files/%2e%2e/run.json",
        "/api/run/..%2fgood",
    ):
        assert client.get(url, follow_redirects=True).status_code in (400, 404), url
    assert client.get("/api/run/nope/0/pred").json["error"] == "'nope' is not a sequence of this run"
    assert "outside 0..3" in client.get("/api/run/bad/9/gt").json["error"]
    no_root = create_run_app(BenchRun(run)).test_client()
    assert "--root DAVIS" in no_root.get("/api/run/bad/0/gt").json["error"]


def test_not_a_run_is_one_line(tmp_path):
    with pytest.raises(CorrlearnError, match="run.json: not found; --run takes the --out folder"):
        BenchRun(tmp_path)
    (tmp_path / "run.json").write_text("{}")
    with pytest.raises(CorrlearnError, match="no per-sequence scores"):
        BenchRun(tmp_path)


def test_run_page_in_the_browser(davis_run, page, shots):
    import threading

    from corrlearn.studio.server import make_server

    root, run = davis_run
    server = make_server(create_run_app(BenchRun(run, root)), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{server.port}/")
        page.wait_for_selector("body[data-ready='1']")
        assert page.inner_text("#scores tbody tr:first-child td:first-child").startswith("bad")
        page.wait_for_function("document.querySelector('#gt').naturalWidth === 64")
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "document.querySelector('#frame-label').textContent.startsWith('bad: frame 1 ')"
        )
        page.click("#scores tbody tr:nth-child(2)")
        page.wait_for_function(
            "document.querySelector('#frame-label').textContent.startsWith('good: frame 0 ')"
        )
        shots(page, "run")
        assert page.locator("#message.error").count() == 0
    finally:
        server.shutdown()
        server.server_close()
