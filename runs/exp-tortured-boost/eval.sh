# Section 28's full run, judged by its pre-registered bars (run from the repository root, one
# torch process at a time). The candidate was trained on data/tortured-boost, whose dev split
# differs from data/default's in the sentences with a term, so its threshold is refitted on
# data/default dev by the default rule before any comparison; 0.6.1 is the shipped folder.
set -euo pipefail
export HF_HUB_OFFLINE=1
d=runs/exp-tortured-boost
garble-train calibrate --model $d/model --config configs/experiments/tortured-boost.yaml --data data/default > $d/calibrate.log 2>&1
python scripts/compare_models.py --data data/default --split dev models/garble-minilm $d/model > $d/compare-dev.md 2> $d/compare-dev.log
python runs/probe-tortured/probe.py models/garble-minilm $d/model > runs/probe-tortured/probe-full.log 2>&1
python benchmarks/handwritten.py models/garble-minilm $d/model > $d/handwritten.md 2> $d/handwritten.log
echo DEV-DONE
# The test sets, after the choice, whatever it was.
python scripts/make_evaluation.py --eval-dir ../shared/eval --model $d/model --data data/default --baseline tfidf --out $d/eval > $d/eval.log 2>&1
echo FULL-EVAL-DONE
