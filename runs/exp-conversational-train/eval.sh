# Dev bars of EXPERIMENTS section 27 (0.6.1, the shipped folder, against the candidate), from
# the repository root, one torch process at a time (2 cores); then the test sets, after the choice.
set -euo pipefail
export HF_HUB_OFFLINE=1
d=runs/exp-conversational-train
python scripts/compare_models.py --data data/default --split dev models/garble-minilm $d/model > $d/compare-dev.md 2> $d/compare-dev.log
python scripts/make_evaluation.py --eval-dir ../shared/eval --model $d/model --data data/default --baseline tfidf --out $d/eval > $d/eval.log 2>&1
echo FULL-EVAL-DONE
