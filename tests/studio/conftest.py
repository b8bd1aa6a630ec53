"""Studio fixtures: a project on a small clip, its server on 127.0.0.1, and headless Chromium (Playwright).

The browser is Debian's ``chromium`` (``tools/browser.sh`` installs it; Playwright never downloads one). In CI
(``CI`` set) a missing browser fails the browser tests; elsewhere they are skipped with that reason.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from corrlearn import models
from corrlearn.commands import propagate as record
from corrlearn.datasets.davis import annotation_dir, frames_dir
from corrlearn.studio.project import Project, Settings
from corrlearn.studio.server import create_app, make_server

CHROMIUM = os.environ.get("CORRLEARN_CHROMIUM", "/usr/bin/chromium")
# machine.md: without the background-networking flags Chromium's calls out are refused, many at a time
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
SETTINGS = Settings(backend="torch")  # the reference backend, as the CLI tests use


_ENCODERS: dict = {}


@pytest.fixture(autouse=True)
def _one_encoder_per_configuration(monkeypatch):
    """Build each encoder once for the studio tests (studio and CLI ask for the same ones): saves seconds.

    Patched per test, so tests elsewhere (training ones change weights) never see these objects; the cache is
    keyed by every argument, so a studio that asked for another encoder than the CLI would get another one.
    """
    create = models.create

    def cached(name, *args, **kwargs):
        key = (name, args, tuple(sorted((k, str(v)) for k, v in kwargs.items())))
        if key not in _ENCODERS:
            _ENCODERS[key] = create(name, *args, **kwargs)
        return _ENCODERS[key]

    monkeypatch.setattr(models, "create", cached)


def real_clip(davis_root: Path, dest: Path, seq: str = "blackswan", n: int = 6, size=(320, 180)):
    """The first ``n`` frames of a DAVIS sequence at ``size`` (W, H) as JPEGs, and their masks (nearest)."""
    src, gt = frames_dir(davis_root, seq), annotation_dir(davis_root, seq)
    frames, masks = dest / seq, dest / f"{seq}-gt"
    frames.mkdir(parents=True)
    masks.mkdir()
    for f in sorted(src.glob("*.jpg"))[:n]:
        cv2.imwrite(str(frames / f.name), cv2.resize(cv2.imread(str(f)), size, interpolation=cv2.INTER_AREA))
        ids = cv2.resize(np.array(Image.open(gt / f"{f.stem}.png")), size, interpolation=cv2.INTER_NEAREST)
        Image.fromarray(ids).save(masks / f"{f.stem}.png")
    return frames, masks


def new_project(video, out) -> Project:
    return Project(video, out, SETTINGS, record)


class Served:
    """A project's app on a free port of 127.0.0.1, served from a thread."""

    def __init__(self, project: Project):
        self.project = project
        self.app = create_app(project)
        self.server = make_server(self.app, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.port}/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def job(self):
        return self.app.extensions["corrlearn_jobs"].current

    def close(self) -> None:
        job = self.job()
        if job is not None:
            job.cancel()
            job.wait(60)
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve():
    served: list[Served] = []

    def start(project: Project) -> Served:
        served.append(Served(project))
        return served[-1]

    yield start
    for s in served:
        s.close()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium driven by Playwright; fails in CI when missing, skips with the reason elsewhere."""
    try:
        from playwright import sync_api
    except ImportError:
        sync_api, missing = None, "Playwright is not installed (pip install -e '.[test]')"
    else:
        have = Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)
        missing = None if have else f"{CHROMIUM} not found: install Debian's chromium (bash tools/browser.sh)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run in CI: {missing}")
        pytest.skip(missing)
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path, request):
    """``shots(page, name)`` saves a screenshot in tmp_path/screens, and in $CORRLEARN_STUDIO_SHOTS if set."""
    folders = [tmp_path / "screens"] + (
        [Path(os.environ["CORRLEARN_STUDIO_SHOTS"])] if os.environ.get("CORRLEARN_STUDIO_SHOTS") else []
    )

    def shot(pg, name: str) -> Path:
        for d in folders:
            d.mkdir(parents=True, exist_ok=True)
            pg.screenshot(path=str(d / f"{request.node.name}-{name}.png"))
        return folders[0] / f"{request.node.name}-{name}.png"

    return shot


@pytest.fixture
def page(browser):
    """A 1280x800 page; its console errors fail the test (the page must not throw)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert errors == [], errors
