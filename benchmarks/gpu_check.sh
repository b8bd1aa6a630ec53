#!/usr/bin/env bash
# One-call GPU check: parity on CUDA, affinity GPU rows, DAVIS-2016 val end to end, training clips/s with AMP.
#
#   bash benchmarks/gpu_check.sh [--out DIR] [--data DAVIS_ROOT] [--dry-run]
#
# Everything goes to one folder (default gpu-check-out/): one log per step, JSON results and summary.md.
# Budget: under 8 minutes on one H200-class GPU (each step has its own timeout; a step that fails or times out
# is recorded in summary.md and the next one still runs). DAVIS data: the folder written by
# `python tools/prepare_gpu_data.py` (gpu-data/davis2016-val, <= 56 MiB, git-ignored: carry it to the GPU machine),
# else ../shared/data/davis2016-val when that exists.
# --dry-run (no GPU needed): runs the CPU-only parts on tiny sizes - the CPU kernel parity tests, the affinity
# benchmark on a small grid, one DAVIS sequence prefix on CPU, one training step - and marks every GPU figure
# "owed" in summary.md. tests/tools/test_gpu_check.py runs it.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=gpu-check-out
DATA=""
DRY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --dry-run) DRY=1; shift ;;
    *) echo "gpu_check.sh: unknown argument $1 (use --out DIR, --data DIR, --dry-run)" >&2; exit 2 ;;
  esac
done
PY=${PYTHON:-python}
if [ -z "$DATA" ]; then
  for d in gpu-data/davis2016-val ../shared/data/davis2016-val; do
    if [ -f "$d/ImageSets/2016/val.txt" ]; then DATA=$d; break; fi
  done
fi
mkdir -p "$OUT"
SUMMARY="$OUT/summary.md"
T0=$(date +%s)
FAILED=0
{
  echo "# corrlearn GPU check ($(date -u +'%Y-%m-%d %H:%M UTC'))"
  echo
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown), dry run: $DRY, data: ${DATA:-none}"
  echo "- GPU: $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | head -1 || true)"
  echo "- torch: $($PY -c 'import torch; print(torch.__version__, "cuda", torch.cuda.is_available())')"
  echo
  echo "| step | exit | seconds | log |"
  echo "|---|---|---|---|"
} > "$SUMMARY"

if [ "$DRY" = 0 ] && ! $PY -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
  echo "gpu_check.sh: torch sees no CUDA device; use --dry-run for the CPU-only parts" >&2
  exit 2
fi

step() {  # step NAME TIMEOUT_S CMD...
  local name=$1 limit=$2; shift 2
  local t=$(date +%s)
  timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  [ "$rc" = 0 ] || FAILED=1
  echo "| $name | $rc$([ $rc = 124 ] && echo ' (timeout)') | $(( $(date +%s) - t )) | $name.log |" >> "$SUMMARY"
  echo "[gpu_check] $name: exit $rc after $(( $(date +%s) - t )) s"
}

if [ "$DRY" = 1 ]; then
  step parity 600 $PY -m pytest -q -rs tests/kernels/test_cuda_parity.py tests/kernels/test_numba_topk.py -k "cuda or slots or both_free"
  step bench_affinity 900 $PY benchmarks/bench_affinity.py --grid 8 12 --frames 1 2 --repeats 1 \
    --skip dense dense-bf16 faiss keops --out "$OUT/bench_affinity.json"
  if [ -n "$DATA" ]; then
    mkdir -p "$OUT/davis-frames"
    for i in 00000 00001 00002; do ln -sf "$(cd "$DATA" && pwd)/JPEGImages/480p/blackswan/$i.jpg" "$OUT/davis-frames/$i.jpg"; done
    step davis 600 $PY -m corrlearn propagate "$OUT/davis-frames" --mask "$DATA/Annotations/480p/blackswan/00000.png" \
      --out "$OUT/davis-masks" --quiet
  else
    echo "| davis | skipped: no DAVIS data (run tools/prepare_gpu_data.py) | | |" >> "$SUMMARY"
  fi
  step train 600 $PY benchmarks/train_throughput.py --crop 64 --batch 1 --steps 1 --only stt-spatial \
    --json "$OUT/train_throughput.json"
else
  step parity 180 $PY -m pytest -q -rs -m "not slow" tests/kernels/test_cuda_parity.py tests/kernels/test_numba_topk.py
  step bench_affinity 120 $PY benchmarks/bench_affinity.py --frames 1 5 21 --repeats 5 \
    --skip reference dense dense-bf16 numba-fp32 numba faiss keops --out "$OUT/bench_affinity.json"
  if [ -n "$DATA" ]; then
    # four shards side by side fill the GPU (sequences in parallel; frames batched 8 per encoder call inside
    # each), then --merge scores all 20 sequences
    export PY DATA OUT
    step davis 240 bash -c '
      for i in 0 1 2 3; do
        $PY -m corrlearn bench davis --root "$DATA" --out "$OUT/davis-crw" --preset crw --device cuda \
          --shard $i/4 > "$OUT/davis-shard$i.log" 2>&1 &
      done
      wait
      $PY -m corrlearn bench davis --root "$DATA" --out "$OUT/davis-crw" --preset crw --device cuda --merge'
  else
    echo "| davis | skipped: no DAVIS data (run tools/prepare_gpu_data.py and carry gpu-data) | | |" >> "$SUMMARY"
  fi
  step train 120 $PY benchmarks/train_throughput.py --device cuda --amp --crop 256 --batch 32 --steps 5 \
    --json "$OUT/train_throughput.json"
fi

{
  echo
  echo "Total: $(( $(date +%s) - T0 )) s."
  echo
  if [ "$DRY" = 1 ]; then
    echo "**Dry run: every GPU figure below is owed** (CPU stand-ins on tiny sizes, only to check the pipeline)."
    echo
  fi
  echo "## Affinity (bench_affinity.py)"
  sed -n '/^| M | setting/,$p' "$OUT/bench_affinity.log" 2>/dev/null
  echo
  echo "## DAVIS-2016 val end to end"
  tail -n 30 "$OUT/davis.log" 2>/dev/null | grep -E "J&F|frames|s/frame|Global|wrote" || echo "(see davis.log)"
  echo
  echo "## Training throughput"
  grep -E "^\|" "$OUT/train.log" 2>/dev/null || echo "(see train.log)"
} >> "$SUMMARY"
echo "[gpu_check] summary: $SUMMARY"
exit $FAILED
