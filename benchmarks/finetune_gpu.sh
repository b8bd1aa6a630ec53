#!/usr/bin/env bash
# GPU fine-tuning of the ImageNet EfficientNet-Lite0 trunk with STT temporal distillation (teacher = the
# frozen ImageNet trunk), AMP, sized to finish within 10 minutes on one H200.
#
# Here:    python tools/prepare_gpu_data.py --finetune    # -> runs/gpu-carry (<= 64 MiB: frames + weights)
# Device:  run(command="bash benchmarks/finetune_gpu.sh", carry=["runs/gpu-carry"], timeout_s=600)
#
# Phase 1 runs 40 steps to measure clips/s; phase 2 resumes the same run with as many steps as fit in
# BUDGET_S seconds (constant learning rate, so raising --steps on resume changes nothing already done).
# Results: $OUT/stt_lite0_gpu/{config.json,log.jsonl,encoder.pt}; score encoder.pt on the held-out training
# sequences here (model selection; DAVIS-2016 val only for a final candidate, counted on the model card):
#   corrlearn bench davis --root ../shared/data/davis2016-train-240p --resolution 240p --out runs/gpu_heldout \
#       --sequences breakdance-flare dance-jump drift-turn kite-walk motocross-bumps paragliding soccerball \
#       --preset stt-bilinear --weights <fetched>/stt_lite0_gpu/encoder.pt
set -euo pipefail
OUT=${OUT:-runs/gpu-out}
BUDGET_S=${BUDGET_S:-420}
RUN=$OUT/stt_lite0_gpu
python - <<'PY'
import importlib, sys
missing = [m for m in ("torch", "kornia", "cv2", "numpy", "scipy", "tqdm") if importlib.util.find_spec(m) is None]
if missing:
    sys.exit(f"finetune_gpu.sh: missing Python modules {', '.join(missing)} (install corrlearn's dependencies)")
import torch
if not torch.cuda.is_available():
    sys.exit("finetune_gpu.sh: torch sees no CUDA device")
print(torch.__version__, torch.cuda.get_device_name(0))
PY
[ -f runs/gpu-carry/efficientnet-lite0-57934424.pth ] || { echo "runs/gpu-carry missing: run tools/prepare_gpu_data.py --finetune and carry it"; exit 2; }
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
start=$(date +%s)
python -m corrlearn train --config benchmarks/finetune/gpu_stt_lite0.json --out "$RUN" --no-progress
speed=$(python -c "import json,sys; r=[json.loads(l) for l in open('$RUN/log.jsonl') if 'clips_per_s' in l]; print(sorted(x['clips_per_s'] for x in r[1:] or r)[len(r[1:] or r)//2])")
left=$(( BUDGET_S - ($(date +%s) - start) ))
steps=$(python -c "print(max(40, 40 + int($speed * $left / 32)))")
echo "phase 1: $speed clips/s (median); resuming to $steps steps for the remaining ${left}s"
python -m corrlearn train --config benchmarks/finetune/gpu_stt_lite0.json --out "$RUN" --resume --steps "$steps" --no-progress
python - "$RUN" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1] + "/log.jsonl") if "clips_per_s" in l]
s = sorted(x["clips_per_s"] for x in r[1:])
print(f"steps {r[-1]['step']}, median {s[len(s) // 2]:.1f} clips/s, last loss {r[-1]['loss']:.4f}")
PY
