#!/usr/bin/env bash
# Run corrlearn's test suite from nothing: create .venv, install corrlearn with its test extras, lint, test.
# Real-data tests read ../shared/data (or $CORRLEARN_DATA) and are skipped, with the reason shown, when absent.
# GPU users: set CORRLEARN_TORCH to the torch requirement matching their CUDA (default: torch==2.13.0, CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
python -c "import torch" 2>/dev/null || python -m pip install -q "${CORRLEARN_TORCH:-torch==2.13.0}"
python -m pip install -q -e ".[test]"
ruff check corrlearn tests tools benchmarks kernels
python -m pytest -q -rs --durations=15 "$@"
