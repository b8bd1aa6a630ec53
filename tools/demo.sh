#!/usr/bin/env bash
# Set up corrlearn from nothing and run its main job on the embedded default: propagate the first-frame mask of
# a short real DAVIS clip through the clip with the default encoder, writing masks and an overlay video.
#   bash tools/demo.sh [FRAME_DIR_OR_VIDEO FIRST_MASK.png]   (default: DAVIS-2016 val "car-shadow")
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/venv.sh
data="${CORRLEARN_DATA:-../shared/data}/davis2016-val"
video="${1:-$data/JPEGImages/480p/car-shadow}"
mask="${2:-$data/Annotations/480p/car-shadow/00000.png}"
# one folder per clip: a run folder resumes only the run it was made for
name="$(basename "$video")"
out="demo-out/${name%.*}"  # the extension of the file name only: paths may hold ".."
corrlearn propagate "$video" --mask "$mask" --out "$out/masks" --overlay "$out/overlay.mp4"
echo "masks: $out/masks/  overlay: $out/overlay.mp4"
