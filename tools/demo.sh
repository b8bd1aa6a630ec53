#!/usr/bin/env bash
# Set up corrlearn from nothing and run its main job on the embedded default: propagate the first-frame mask of
# a short real DAVIS clip through the clip with the default encoder, writing masks and an overlay video.
#   bash tools/demo.sh [FRAME_DIR_OR_VIDEO FIRST_MASK.png]   (default: DAVIS-2016 val "car-shadow")
# GPU users: set CORRLEARN_TORCH to the torch requirement matching their CUDA (default: torch==2.13.0, CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
python -c "import torch" 2>/dev/null || python -m pip install -q "${CORRLEARN_TORCH:-torch==2.13.0}"
python -m pip install -q -e .
data="${CORRLEARN_DATA:-../shared/data}/davis2016-val"
video="${1:-$data/JPEGImages/480p/car-shadow}"
mask="${2:-$data/Annotations/480p/car-shadow/00000.png}"
corrlearn propagate "$video" --mask "$mask" --out demo-out/masks --overlay demo-out/overlay.mp4
echo "masks: demo-out/masks/  overlay: demo-out/overlay.mp4"
