#!/usr/bin/env bash
# Run corrlearn's test suite from nothing: create .venv, install corrlearn with its test extras, lint, test.
# Real-data tests read ../shared/data (or $CORRLEARN_DATA) and are skipped, with the reason shown, when absent.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/venv.sh test
ruff check corrlearn tests tools benchmarks kernels
python -m pytest -q -rs --durations=15 "$@"
