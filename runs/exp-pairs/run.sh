#!/usr/bin/env bash
# Section 25's screen, run from the repo root: both continued-training runs one after the
# other (never two torch processes on the 2 cores), then the dev comparison and both probes.
set -euo pipefail
export HF_HUB_OFFLINE=1
log=runs/exp-pairs
garble-train train --config configs/experiments/continue-pairs-control.yaml > $log/train-control.log 2>&1
garble-train train --config configs/experiments/continue-pairs.yaml > $log/train-pairs.log 2>&1
python scripts/compare_models.py --data data/default --split dev models/garble-minilm \
  runs/exp-pairs-control/model runs/exp-pairs/model > $log/compare-dev.md 2> $log/compare.log
for m in runs/exp-pairs-control/model runs/exp-pairs/model; do
  name=$(basename "$(dirname "$m")")
  python runs/probe-dropped-verbs/probe.py "$m" > $log/probe-verbs-$name.log 2>&1
  python runs/probe-lm-rewrite/probe.py "$m" > $log/probe-lm-rewrite-$name.log 2>&1
done
echo done > $log/DONE
