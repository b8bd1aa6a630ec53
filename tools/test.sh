#!/usr/bin/env bash
# Run corrlearn's test suite from nothing: create .venv, install corrlearn with its test extras, lint, test.
# Real-data tests read ../shared/data (or $CORRLEARN_DATA) and are skipped, with the reason shown, when absent.
# The studio's browser tests need Debian's chromium: tools/browser.sh installs it (as root) when it is missing.
# Arguments go to pytest: `bash tools/test.sh -m "not slow"` is the quick tier (README: Development).
# Output: one line per test file with its dots and the running percentage, skip reasons, the slowest tests.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/venv.sh test
. tools/browser.sh
ruff check corrlearn tests tools benchmarks kernels
python -m pytest --durations=15 "$@"
