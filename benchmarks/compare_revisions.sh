#!/usr/bin/env bash
# Same outputs before and after a change: run the benchmark runners with two revisions of corrlearn on the same
# items and compare their result files byte for byte (masks, keypoints, boxes).
#
#   bash benchmarks/compare_revisions.sh [OLD_REV] [NEW_REV] [OUT]      # defaults: 3643714 (before the one-engine redesign of 2026-11-30), HEAD
#
# Items (one core each, ~25 min in all on the project's 2-core VM): pseudo-JHMDB (20 DAVIS videos x 20 frames,
# crw and stt, ResNet-18), pseudo-OTB box propagation (20 x 20), the real JHMDB video (both conventions, ResNet-18
# and Lite0), OTB Football1 / Skiing / Crossing (box propagation) and Football1 (DCF), DAVIS blackswan /
# car-shadow / dog (crw, Lite0) and the copy-first baseline on all 20. Run from the repository root with
# ../shared/data beside it (or DATA=...). Prints one line per item: "identical" or the files that differ.
set -uo pipefail
OLD=${1:-3643714}
NEW=${2:-HEAD}
OUT=${3:-runs/compare_revisions}
DATA=${DATA:-$(cd .. && pwd)/shared/data}
REPO=$(pwd)
PY=${PYTHON:-python}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} NUMBA_NUM_THREADS=${NUMBA_NUM_THREADS:-1}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

for tag in old new; do
  rev=$OLD; [ $tag = new ] && rev=$NEW
  tree=$OUT/tree_$tag
  [ -d "$tree" ] || git -C "$REPO" worktree add --detach -q "$tree" "$rev"
done

bench() {  # bench TAG ARGS...: one runner with the revision's code
  local tag=$1; shift
  (cd "$OUT/tree_$tag" && PYTHONPATH="$OUT/tree_$tag" "$PY" -m corrlearn bench "$@" --quiet > /dev/null 2>&1)
}
same() {  # same NAME RELATIVE_DIR
  if diff -rq "$OUT/old/$2" "$OUT/new/$2" > /dev/null 2>&1; then echo "$1: identical"; else
    echo "$1: DIFFERENT"; diff -rq "$OUT/old/$2" "$OUT/new/$2" | head -5; fi
}

V=catch/Goal_Keeping_Tips_catch_f_cm_np1_fr_med_2
for tag in old new; do
  o=$OUT/$tag; mkdir -p "$o"
  for p in crw stt; do
    bench $tag jhmdb --root "$o/pseudo_jhmdb_root" --from-davis "$DATA/davis2016-val" --frames 20 --out "$o/pseudo_jhmdb_$p" --preset $p --model resnet18
    for m in resnet18 efficientnet-lite0; do
      bench $tag jhmdb --root "$DATA/jhmdb" --videos $V --preset $p --model $m --out "$o/jhmdb_${m}_$p"
    done
  done
  bench $tag otb --root "$o/pseudo_otb_root" --from-davis "$DATA/davis2016-val" --max-frames 20 --out "$o/pseudo_otb_boxprop" --tracker boxprop --model resnet18
  for s in Football1 Skiing Crossing; do
    bench $tag otb --root "$DATA/otb2015" --sequences $s --tracker boxprop --model resnet18 --out "$o/otb_boxprop_$s"
  done
  bench $tag otb --root "$DATA/otb2015" --sequences Football1 --tracker dcf --model resnet18 --out "$o/otb_dcf_Football1"
  bench $tag davis --root "$DATA/davis2016-val" --sequences blackswan car-shadow dog --preset crw --model efficientnet-lite0 --out "$o/davis_crw"
  bench $tag davis --root "$DATA/davis2016-val" --baseline copy-first --out "$o/davis_copy"
done

for p in crw stt; do
  same "pseudo-JHMDB $p" pseudo_jhmdb_$p/results
  for m in resnet18 efficientnet-lite0; do same "JHMDB real video $m $p" jhmdb_${m}_$p/results; done
done
same "pseudo-OTB box propagation" pseudo_otb_boxprop/results
for s in Football1 Skiing Crossing; do same "OTB $s box propagation" otb_boxprop_$s/results; done
same "OTB Football1 DCF" otb_dcf_Football1/results
same "DAVIS crw (3 sequences)" davis_crw/results
same "DAVIS copy-first scores" davis_copy/eval
