#!/usr/bin/env bash
# Self-supervised fine-tuning runs on the CPU (DAVIS-2016 *train* 240p only: 23 sequences trained on, the 7
# held-out ones of corrlearn.train.splits scored as `bench davis` scores val, every eval_every steps; the best
# held-out snapshot is runs/finetune/NAME/best_encoder.pt). DAVIS-2016 val is not read.
# Each run resumes from its checkpoint when started again; curves: python benchmarks/finetune_curves.py.
#   bash benchmarks/finetune_cpu.sh                 # every config in benchmarks/finetune/
#   bash benchmarks/finetune_cpu.sh stt_lite0       # one of them
# Run from the repository root, with ../shared/data beside it. One thread per run: on a shared 2-core
# machine OpenMP's spinning threads make two-thread runs slower, not faster.
set -euo pipefail
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} MKL_NUM_THREADS=${MKL_NUM_THREADS:-1} NUMBA_NUM_THREADS=${NUMBA_NUM_THREADS:-1}
names=("$@")
[ ${#names[@]} -gt 0 ] || names=($(ls benchmarks/finetune/*.json | xargs -n1 basename | sed 's/\.json$//'))
for name in "${names[@]}"; do
  out=runs/finetune/$name
  resume=()
  [ -f "$out/checkpoint.pt" ] && resume=(--resume)
  python -m corrlearn train --config "benchmarks/finetune/$name.json" --out "$out" --no-progress "${resume[@]}"
done
