# Dev bars of the full lm-rewrite run (EXPERIMENTS section 23), from the repository root, one
# torch process at a time (2 cores).
set -euo pipefail
python scripts/compare_models.py --data data/default --split dev models/garble-minilm runs/exp-lm-rewrite/model > runs/exp-lm-rewrite/compare-dev-full.md 2> runs/exp-lm-rewrite/compare-dev-full.log
python runs/probe-lm-rewrite/probe.py runs/exp-lm-rewrite/model > runs/probe-lm-rewrite/probe-full.log 2>&1
echo FULL-EVAL-DONE
