#!/usr/bin/env bash
# README command 2: install what the tests need (Debian and Python packages), lint, run the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system.sh
python3 -m pip install -q torch==2.13.0 -e ".[train,dev]"
python3 -m ruff check .
python3 -m ruff format --check .
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
python3 -m pytest -q "$@"
