#!/usr/bin/env bash
# End to end on real DAVIS frames as an H.264 video: two sparse annotations, both directions, Ctrl-C part-way,
# resume; checks the resumed masks are byte-identical to an uninterrupted run and scores J per frame.
#   bash benchmarks/propagate_resume.sh [WORK_DIR]   (default runs/propagate-resume; needs ../shared/data)
set -u
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$repo/runs/propagate-resume}"
mkdir -p "$work" && cd "$work"
. "$repo/.venv/bin/activate"
D="${CORRLEARN_DATA:-$repo/../shared/data}/davis2016-val"
export D
rm -rf clip.mp4 ann gt ref out ov*.mp4
python - <<'PY'
import os
from corrlearn.io.frames import open_frames
from corrlearn.io.overlay import OverlayVideoWriter
src = open_frames(os.environ["D"] + "/JPEGImages/480p/blackswan")
import cv2, numpy as np
from PIL import Image
w = OverlayVideoWriter("clip.mp4", fps=24)
for i in range(12):  # half size (428x240) keeps this affordable on the shared machine
    w.write(cv2.resize(src.read(i), (428, 240), interpolation=cv2.INTER_AREA))
w.close()
os.makedirs("ann"); os.makedirs("gt", exist_ok=True)
for i in range(12):
    m = np.array(Image.open(os.environ["D"] + f"/Annotations/480p/blackswan/{i:05d}.png"))
    Image.fromarray(cv2.resize(m, (428, 240), interpolation=cv2.INTER_NEAREST)).save(f"gt/{i:05d}.png")
for i in (4, 8):
    os.link(f"gt/{i:05d}.png", f"ann/{i:05d}.png")
PY
START=$(date +%s)
corrlearn propagate clip.mp4 --mask ann --out ref --overlay ov_ref.mp4 --quiet; echo "ref rc=$? $(( $(date +%s) - START ))s"
# interrupt after ~half the reference time
HALF=$(( ( $(date +%s) - START ) * 6 / 10 ))
timeout -s INT $HALF corrlearn propagate clip.mp4 --mask ann --out out --overlay ov_out.mp4 2> interrupted.err; echo "interrupted rc=$?"
python -c "import json; r=json.load(open('out/corrlearn-run.json')); print('status', r['status'], 'segments_done', r['segments_done'])"
corrlearn propagate clip.mp4 --mask ann --out out --overlay ov_out.mp4; echo "resume rc=$?"
python - <<'PY'
import json, pathlib, av, numpy as np
ref = sorted(pathlib.Path("ref").glob("*.png")); out = sorted(pathlib.Path("out").glob("*.png"))
print("masks", len(ref), "identical", [a.name for a in ref] == [b.name for b in out] and all(a.read_bytes() == b.read_bytes() for a, b in zip(ref, out)))
print("status", json.load(open("out/corrlearn-run.json"))["status"])
with av.open("ov_out.mp4") as c:
    s = c.streams.video[0]; print("overlay", s.codec_context.name, float(s.average_rate), s.frames, s.width, s.height)
from corrlearn.io.masks import read_mask
gt = "gt"
j = lambda a, b: (a & b).sum() / (a | b).sum()
js = [j(read_mask(f"ref/{i:05d}.png").ids > 0, read_mask(f"{gt}/{i:05d}.png").ids > 0) for i in range(12)]
print("J per frame", " ".join(f"{x:.2f}" for x in js), "mean(excl. annotated)", np.mean([x for i, x in enumerate(js) if i not in (4, 8)]).round(3))
PY
echo "--- stderr of the interrupted run (repr of last 200 chars):"; python -c "print(repr(open('interrupted.err').read()[-200:]))"
