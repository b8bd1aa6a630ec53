"""The studio page in real headless Chromium, used as a person would: mouse, keyboard, buttons."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from corrlearn.cli import main
from corrlearn.io.masks import read_mask
from tests.studio.conftest import new_project, real_clip
from tests.synthetic import iou, write_clip

WAIT = 180_000  # ms: a propagation on a busy 2-core machine


def _ready(page, url):
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#message.error").count() == 0, page.inner_text("#message")


def _at(page, x, y):
    """Page coordinates of frame pixel (x, y) (the canvas is scaled to fit the window)."""
    box = page.locator("#view").bounding_box()
    w, h = page.evaluate("[S.W, S.H]")
    return box["x"] + (x + 0.5) * box["width"] / w, box["y"] + (y + 0.5) * box["height"] / h


def _drag(page, a, b, steps=6):
    page.mouse.move(*_at(page, *a))
    page.mouse.down()
    page.mouse.move(*_at(page, *b), steps=steps)
    page.mouse.up()


def _wait_message(page, text):
    page.wait_for_function(
        "t => document.querySelector('#message').textContent.includes(t)", arg=text, timeout=WAIT
    )


def _wait_kind(page, text):
    page.wait_for_function(
        "t => document.querySelector('#mask-kind').textContent.startsWith(t)", arg=text, timeout=WAIT
    )


@pytest.mark.realdata
def test_box_grabcut_propagate_correct_export_equals_the_cli(davis_root, tmp_path, serve, page, shots):
    frames, gt = real_clip(davis_root, tmp_path, "blackswan", n=6, size=(320, 180))
    out = tmp_path / "studio"
    served = serve(new_project(frames, out))
    _ready(page, served.url)
    shots(page, "1-opened")

    # a box around the swan: GrabCut proposes it, the person accepts
    truth = read_mask(gt / "00000.png").ids > 0
    ys, xs = np.nonzero(truth)
    page.click("button[data-tool=box]")
    _drag(page, (xs.min() - 6, ys.min() - 6), (xs.max() + 6, ys.max() + 6))
    page.wait_for_selector("#proposal-bar:not([hidden])", timeout=WAIT)
    shots(page, "2-grabcut-proposal")
    page.click("#accept")
    _wait_kind(page, "annotated")
    first = read_mask(out / "annotations" / "00000.png").ids
    assert set(np.unique(first)) == {0, 1} and iou(first > 0, truth) > 0.3

    page.click("#propagate")
    _wait_message(page, "propagate done")
    shots(page, "3-propagated")
    assert sorted(p.name for p in (out / "masks").glob("*.png")) == sorted(
        f"{p.stem}.png" for p in frames.glob("*.jpg")
    )

    # frame 4 drifted: step there with the keyboard, mark it, paint the missing part, erase a stray bit
    page.keyboard.press("Home")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('#frame-label').textContent.startsWith('frame 4 ')")
    page.click("#mark-bad")
    _wait_kind(page, "propagated · marked bad")
    assert json.loads((out / "studio.json").read_text())["bad"] == ["00004"]
    page.click("button[data-tool=brush]")
    ys4, xs4 = np.nonzero(read_mask(gt / "00004.png").ids > 0)
    cy = int(np.median(ys4))
    _drag(page, (int(xs4.min()), cy), (int(xs4.max()), cy))
    _wait_kind(page, "annotated")
    page.click("button[data-tool=eraser]")
    _drag(page, (2, 2), (12, 12))
    shots(page, "4-corrected")
    assert json.loads((out / "studio.json").read_text())["bad"] == []  # fixed by annotating it

    page.click("#export")
    _wait_message(page, "export done")
    shots(page, "5-exported")
    summary = served.job().events[-1]["summary"]
    # frame 4 splits the one forward stretch: the stretch 0 -> 4 is reused, the other two run
    assert (summary["segments"], summary["segments_run"]) == (3, 2)

    ref = tmp_path / "cli"
    argv = ["propagate", frames, "--mask", out / "annotations", "--out", ref, "--backend", "torch", "--quiet"]
    assert main([str(a) for a in argv]) == 0
    exported = sorted(p.name for p in (out / "export").glob("*.png"))
    assert exported == sorted(p.name for p in ref.glob("*.png")) and len(exported) == 6
    for name in exported:
        assert (out / "export" / name).read_bytes() == (ref / name).read_bytes(), name
    record = json.loads((out / "export" / "corrlearn-run.json").read_text())
    assert record == json.loads((ref / "corrlearn-run.json").read_text())
    assert (out / "export" / "overlay.mp4").stat().st_size > 0


def test_keys_polygon_objects_and_errors_in_the_page(tmp_path, serve, page, shots):
    frames, _, rgb = write_clip(tmp_path, n=5, size=(64, 96))
    out = tmp_path / "studio"
    served = serve(new_project(frames, out))
    _ready(page, served.url)

    page.keyboard.press("End")
    page.wait_for_function("document.querySelector('#frame-label').textContent.startsWith('frame 4 ')")
    page.keyboard.press("Shift+ArrowLeft")  # 10 back, clamped to the first frame
    page.wait_for_function("document.querySelector('#frame-label').textContent.startsWith('frame 0 ')")

    # object 2, polygon: a triangle closed with Enter
    page.keyboard.press("2")
    page.keyboard.press("p")
    for x, y in ((10, 10), (50, 10), (10, 40)):
        page.mouse.click(*_at(page, x, y))
    page.keyboard.press("Enter")
    _wait_kind(page, "annotated")
    ids = read_mask(out / "annotations" / "00000.png").ids
    assert ids[15, 15] == 2 and ids[5, 60] == 0 and ids[38, 45] == 0  # inside; outside; past the hypotenuse
    assert set(np.unique(ids)) == {0, 2}

    # a mask of the wrong size is refused, in the page
    bad = tmp_path / "small.png"
    from PIL import Image

    Image.fromarray(np.ones((10, 10), np.uint8), mode="L").save(bad)
    page.set_input_files("#load-mask", str(bad))
    page.wait_for_selector("#message.error")
    assert "small.png: mask is 10x10 but the frames are 96x64" in page.inner_text("#message")

    # an undecodable frame is a message in the page, not a broken page
    (frames / "00003.jpg").write_bytes(b"not a jpeg")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('#frame-label').textContent.startsWith('frame 2 ')")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('#message').textContent.includes('00003.jpg')")
    assert "frame is missing or cannot be decoded" in page.inner_text("#message")
    # the page stays on the last frame it could show, so an edit cannot land on the wrong frame
    assert page.inner_text("#frame-label").startswith("frame 2 ")
    shots(page, "errors")

    # space plays and pauses
    cv2.imwrite(str(frames / "00003.jpg"), cv2.cvtColor(rgb[3], cv2.COLOR_RGB2BGR))
    page.keyboard.press("Home")
    page.keyboard.press("Space")
    page.wait_for_function("document.querySelector('#play').textContent === 'Pause'")
    page.keyboard.press("Space")
    page.wait_for_function("document.querySelector('#play').textContent === 'Play'")


def test_cancel_in_the_page_keeps_the_work_and_propagate_finishes_it(tmp_path, serve, page):
    frames, mask, _ = write_clip(tmp_path, n=24, size=(64, 96))
    project = new_project(frames, tmp_path / "studio")
    project.load_mask(0, mask.read_bytes(), mask.name)
    served = serve(project)
    _ready(page, served.url)
    page.click("#propagate")
    page.click("#cancel")
    _wait_message(page, "cancelled")
    assert served.job().status == "cancelled"
    page.click("#propagate")
    _wait_message(page, "propagate done")
    assert len(list((tmp_path / "studio" / "masks").glob("*.png"))) == 24
