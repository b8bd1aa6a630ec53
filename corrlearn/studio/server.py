"""The studio's local web server (Flask): the page, the frames, the masks, and the jobs' event stream.

It serves only the page's own files (``static/``), the project's frames by index, and files inside the
output folder; every error is a JSON ``{"error": "one line"}`` the page shows, never a traceback.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from pathlib import Path
from urllib.parse import urlsplit

import cv2
import numpy as np
from flask import Flask, Response, jsonify, request, send_from_directory
from werkzeug.exceptions import HTTPException, NotFound

from corrlearn.errors import CorrlearnError
from corrlearn.io.masks import DAVIS_PALETTE
from corrlearn.studio import HOST, grabcut
from corrlearn.studio.jobs import Jobs
from corrlearn.studio.project import Project
from corrlearn.studio.runview import BenchRun

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger("corrlearn.studio")


class _JpegCache:
    """The last frames sent as JPEG, so scrubbing back and forth decodes each frame once."""

    def __init__(self, size: int = 96):
        self.size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, project: Project, t: int) -> bytes:
        with self._lock:
            if t in self._items:
                self._items.move_to_end(t)
                return self._items[t]
        rgb = project.frames.read(t)
        ok, buf = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
        data = buf.tobytes()
        with self._lock:
            self._items[t] = data
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return data


def _json_errors(app: Flask) -> None:
    """Every error as ``{"error": "one line"}``: user errors 400, HTTP errors their code, bugs 500; and
    requests that change something refused when another web site's page sends them (its Origin differs)."""

    @app.before_request
    def same_origin_only():
        origin = request.headers.get("Origin")
        if request.method not in ("GET", "HEAD", "OPTIONS") and origin is not None:
            if urlsplit(origin).netloc != request.host:
                return jsonify(
                    error=f"request from {origin} refused: only the studio's own page may change its work"
                ), 403
        return None

    @app.errorhandler(CorrlearnError)
    def user_error(exc: CorrlearnError):
        return jsonify(error=str(exc)), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return jsonify(error=exc.description or exc.name), exc.code

    @app.errorhandler(Exception)
    def internal_error(exc: Exception):
        log.exception("studio request failed")
        return jsonify(error=f"internal error ({type(exc).__name__}: {exc})"), 500


def create_app(project: Project) -> Flask:
    """The Flask app for one project."""
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = 64 << 20
    jobs = Jobs()
    jpegs = _JpegCache()
    n = len(project.frames)

    def frame_index(t: int) -> int:
        if not 0 <= t < n:
            raise NotFound(f"frame {t} is outside 0..{n - 1}")
        return t

    _json_errors(app)

    @app.get("/")
    def index():
        return send_from_directory(STATIC, "index.html")

    @app.get("/api/info")
    def info():
        job = jobs.current.snapshot() if jobs.current else None
        return jsonify(**project.info(), job=job, palette=DAVIS_PALETTE)

    @app.get("/api/frame/<int:t>")
    def frame(t: int):
        data = jpegs.get(project, frame_index(t))
        return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "no-cache"})

    @app.get("/api/ids/<int:t>")
    def ids(t: int):
        kind, mask = project.ids(frame_index(t))
        body = b"" if mask is None else np.ascontiguousarray(mask, np.uint8).tobytes()
        return Response(
            body,
            mimetype="application/octet-stream",
            headers={"X-Mask-Kind": kind, "Cache-Control": "no-store"},
        )

    @app.put("/api/annotation/<int:t>")
    def save_annotation(t: int):
        project.save_annotation(frame_index(t), request.get_data())
        return jsonify(ok=True, annotated=project.annotated(), bad=project.bad())

    @app.delete("/api/annotation/<int:t>")
    def delete_annotation(t: int):
        project.delete_annotation(frame_index(t))
        return jsonify(ok=True, annotated=project.annotated())

    @app.post("/api/annotation/<int:t>/file")
    def load_mask(t: int):
        upload = request.files.get("mask")
        if upload is None:
            raise CorrlearnError("no mask file in the request (form field 'mask')")
        project.load_mask(frame_index(t), upload.read(), upload.filename or "uploaded mask")
        return jsonify(ok=True, annotated=project.annotated(), bad=project.bad())

    @app.post("/api/bad/<int:t>")
    def mark_bad(t: int):
        body = request.get_json(silent=True) or {}
        project.set_bad(frame_index(t), bool(body.get("bad", True)))
        return jsonify(ok=True, bad=project.bad())

    @app.post("/api/grabcut/<int:t>")
    def propose(t: int):
        body = request.get_json(silent=True) or {}
        fg = grabcut.propose(project.frames.read(frame_index(t)), body.get("box"))
        return Response(fg.astype(np.uint8).tobytes(), mimetype="application/octet-stream")

    @app.post("/api/propagate")
    def propagate():
        return jsonify(jobs.start("propagate", project.propagate).snapshot())

    @app.post("/api/export")
    def export():
        return jsonify(jobs.start("export", project.export).snapshot())

    @app.post("/api/cancel")
    def cancel():
        if jobs.current is not None and jobs.current.running:
            jobs.current.cancel()
        return jsonify(ok=True)

    @app.get("/api/job")
    def job():
        return jsonify(jobs.current.snapshot() if jobs.current else {"status": "none"})

    @app.get("/api/events")
    def events():
        """Server-sent events of the current job, from event ``after`` + 1 on; the stream ends with it."""
        current = jobs.current
        after = request.args.get("after", -1, type=int)

        def stream():
            if current is None:
                yield "event: none\ndata: {}\n\n"
                return
            seq = after
            while True:
                batch = current.events_after(seq, timeout=10.0)
                if not batch:
                    yield ": keep-alive\n\n"
                    continue
                for event in batch:
                    seq = event["seq"]
                    yield f"data: {json.dumps(event)}\n\n"
                    if event["kind"] == "end":
                        return

        return Response(stream(), mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})

    @app.get("/files/<path:name>")
    def files(name: str):
        # send_from_directory refuses names that leave the folder (.., absolute paths): 404
        return send_from_directory(project.out.resolve(), name)

    app.extensions["corrlearn_jobs"] = jobs
    return app


def create_run_app(run: BenchRun) -> Flask:
    """The Flask app of the run page: a finished benchmark run's scores, plots and (DAVIS) frames."""
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    _json_errors(app)

    @app.get("/")
    def index():
        return send_from_directory(STATIC, "run.html")

    @app.get("/api/run")
    def summary():
        return jsonify(run.summary())

    @app.get("/api/run/<seq>")
    def frames(seq: str):
        return jsonify(sequence=seq, frames=run.frame_names(seq))

    @app.get("/api/run/<seq>/<int:t>/<which>")
    def picture(seq: str, t: int, which: str):
        return Response(run.picture(seq, t, which), mimetype="image/jpeg")

    @app.get("/files/<path:name>")
    def files(name: str):
        return send_from_directory(run.run_dir.resolve(), name)  # inside the run folder only (404 else)

    return app


def make_server(app: Flask, host: str = HOST, port: int = 0):
    """A threaded WSGI server for ``app`` on ``host:port`` (port 0: any free one); ``.port`` says which."""
    from werkzeug.serving import make_server as _make

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request in the terminal
    try:
        return _make(host, port, app, threaded=True)
    except OSError as exc:
        raise CorrlearnError(f"cannot serve on {host}:{port} ({exc.strerror or exc})") from None
