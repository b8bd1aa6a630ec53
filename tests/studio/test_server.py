"""The studio server's API (Flask test client): files only from the output folder, errors as JSON lines."""

from __future__ import annotations

import json

import numpy as np
import pytest

from corrlearn.studio.server import HOST, create_app
from tests.studio.conftest import new_project
from tests.synthetic import translating_video, write_clip


@pytest.fixture
def client(tmp_path):
    frames, _, _ = write_clip(tmp_path, n=4)
    project = new_project(frames, tmp_path / "out")
    app = create_app(project)
    app.project = project
    return app.test_client()


def _error(response, code):
    assert response.status_code == code and response.is_json, response.data[:200]
    assert "Traceback" not in response.get_data(as_text=True)
    return response.json["error"]


def test_binds_localhost_by_default():
    assert HOST == "127.0.0.1"


def test_files_come_only_from_the_output_folder(client, tmp_path):
    (tmp_path / "secret.txt").write_text("not yours")
    (tmp_path / "out" / "note.txt").write_text("yours")
    assert client.get("/files/note.txt").data == b"yours"
    for url in (
        "/files/../secret.txt",
        "/files/%2e%2e/secret.txt",
        "/files/..%2fsecret.txt",
        "/files/annotations/../../secret.txt",
        f"/files/{tmp_path}/secret.txt",
        "/files//etc/passwd",
        "/static/../project.py",
        "/static/%2e%2e/project.py",
        "/api/frame/..%2f..%2fsecret.txt",
    ):
        r = client.get(url, follow_redirects=True)  # "//" is redirected to "/" first, then refused
        assert r.status_code == 404, url
        assert b"not yours" not in r.data and b"import" not in r.data, url
    assert client.get("/").status_code == 200 and b"corrlearn studio" in client.get("/").data
    assert client.get("/static/studio.js").status_code == 200


def test_other_sites_cannot_change_the_work(client):
    _, gts = translating_video(n_frames=4, size=(64, 96), step=(2, 3))
    r = client.put("/api/annotation/0", data=gts[0].tobytes(), headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "refused" in r.json["error"]
    assert client.post("/api/propagate", headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.get("/api/info").json["annotated"] == []
    ok = client.put("/api/annotation/0", data=gts[0].tobytes(), headers={"Origin": "http://localhost"})
    assert ok.status_code == 200  # the test client's own host


def test_frames_and_masks(client, tmp_path):
    r = client.get("/api/frame/1")
    assert r.status_code == 200 and r.mimetype == "image/jpeg" and r.data[:2] == b"\xff\xd8"
    assert _error(client.get("/api/frame/4"), 404) == "frame 4 is outside 0..3"
    info = client.get("/api/info").json
    assert (info["width"], info["height"], info["annotated"], info["stale"]) == (96, 64, [], False)
    assert len(info["palette"]) == 768
    assert client.get("/api/ids/0").headers["X-Mask-Kind"] == "none"
    _, gts = translating_video(n_frames=4, size=(64, 96), step=(2, 3))
    r = client.put("/api/annotation/2", data=gts[2].tobytes())
    assert r.json["annotated"] == [2]
    r = client.get("/api/ids/2")
    assert r.headers["X-Mask-Kind"] == "annotation"
    assert np.array_equal(np.frombuffer(r.data, np.uint8).reshape(64, 96), gts[2])
    assert client.get("/api/info").json["stale"]
    assert client.post("/api/bad/1", json={"bad": True}).json["bad"] == [1]
    assert client.delete("/api/annotation/2").json["annotated"] == []


def test_bad_input_is_a_json_message(client, tmp_path):
    assert "has 3 values but the frame is 96x64" in _error(client.put("/api/annotation/0", data=b"abc"), 400)
    (tmp_path / "frames" / "00001.jpg").write_bytes(b"garbage")
    msg = _error(client.get("/api/frame/1"), 400)
    assert "00001.jpg: frame is missing or cannot be decoded" in msg
    assert "no mask file" in _error(client.post("/api/annotation/0/file", data={}), 400)
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.fromarray(np.full((5, 7), 255, np.uint8), mode="L").save(buf, format="PNG")
    r = client.post("/api/annotation/0/file", data={"mask": (BytesIO(buf.getvalue()), "tiny.png")})
    assert _error(r, 400) == "tiny.png: mask is 7x5 but the frames are 96x64 (width x height)"
    assert "expected four numbers" in _error(client.post("/api/grabcut/0", json={}), 400)
    assert "whole frame" in _error(client.post("/api/grabcut/0", json={"box": [0, 0, 96, 64]}), 400)
    assert "no annotated frame yet" in _end(client, "/api/propagate")["message"]


def _end(client, url):
    assert client.post(url).status_code == 200
    client.application.extensions["corrlearn_jobs"].current.wait(300)
    lines = client.get("/api/events?after=-1").get_data(as_text=True).strip().split("\n\n")
    events = [json.loads(x[len("data: ") :]) for x in lines if x.startswith("data: ")]
    assert [e["seq"] for e in events] == list(range(len(events)))
    assert events[-1]["kind"] == "end"
    return events[-1]


def test_propagate_streams_events_to_the_end(client, tmp_path):
    _, gts = translating_video(n_frames=4, size=(64, 96), step=(2, 3))
    client.put("/api/annotation/0", data=gts[0].tobytes())
    end = _end(client, "/api/propagate")
    assert end["status"] == "done" and end["summary"]["frames_computed"] == 4
    assert client.get("/api/job").json["done"] == 4
    assert client.get("/api/ids/3").headers["X-Mask-Kind"] == "propagated"
    end = _end(client, "/api/export")
    assert end["status"] == "done"
    assert client.get("/files/export/00003.png").status_code == 200
    assert client.get("/api/info").json["exported"]


def test_grabcut_proposes_the_object_in_the_box(client):
    from corrlearn.studio.grabcut import propose

    rng = np.random.default_rng(0)
    img = rng.normal(110, 15, (90, 120, 3)).clip(0, 255).astype(np.uint8)
    img[30:60, 40:90] = (220, 40, 40)
    fg = propose(img, [32, 22, 98, 68])
    truth = np.zeros(img.shape[:2], bool)
    truth[30:60, 40:90] = True
    assert (fg & truth).sum() / (fg | truth).sum() > 0.95
    assert np.array_equal(fg, propose(img, [32, 22, 98, 68]))  # seeded: one box, one proposal
    r = client.post("/api/grabcut/0", json={"box": [10, 10, 60, 50]})
    assert r.status_code == 200 and len(r.data) == 64 * 96 and set(r.data) <= {0, 1}
