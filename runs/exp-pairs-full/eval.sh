# Dev bars of the full pairwise run (EXPERIMENTS section 25), from the repository root, one
# torch process at a time (2 cores); then the probes, then the test sets (after the choice).
set -euo pipefail
d=runs/exp-pairs-full
python scripts/compare_models.py --data data/default --split dev models/garble-minilm $d/model > $d/compare-dev.md 2> $d/compare-dev.log
python runs/probe-dropped-verbs/probe.py $d/model > $d/probe-verbs.log 2>&1
python runs/probe-lm-rewrite/probe.py $d/model > $d/probe-lm-rewrite.log 2>&1
python scripts/make_evaluation.py --eval-dir ../shared/eval --model $d/model --data data/default --baseline tfidf --out $d/eval > $d/eval.log 2>&1
echo FULL-EVAL-DONE
