#!/usr/bin/env bash
# README command 2: install what the tests need (Debian and Python packages), lint, run the tests.
# The browser test (tests/test_report_browser.py) skips without Chromium or playwright, unless
# GARBLE_REQUIRE_BROWSER=1 (as in .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system.sh --browser  # Chromium: the HTML report's browser test
python3 -m pip install -q torch==2.13.0 -e ".[train,dev]"
python3 -m ruff check .
python3 -m ruff format --check .
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
python3 -m pytest -q "$@"
