# Sourced by demo.sh and test.sh: create and activate .venv, install torch (kept if already there) and corrlearn.
# GPU users: set CORRLEARN_TORCH to the torch requirement matching their CUDA (default: torch==2.13.0, CPU).
# Usage: . tools/venv.sh [EXTRAS]   e.g. ". tools/venv.sh test" installs corrlearn[test]
python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
# unquoted on purpose: CORRLEARN_TORCH may carry pip options such as --index-url
python -c "import torch" 2>/dev/null || python -m pip install -q ${CORRLEARN_TORCH:-torch==2.13.0}
python -m pip install -q -e ".${1:+[$1]}"
