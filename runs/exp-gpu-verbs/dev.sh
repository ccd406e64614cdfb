# Dev comparisons of EXPERIMENTS section 22 (run from the repository root).
set -x
python scripts/compare_models.py --data data/default --split dev models/garble-minilm runs/exp-missing-verbs/model runs/exp-mt-grammar-verbs/model > runs/exp-gpu-verbs/compare-dev-old.md
python scripts/compare_models.py --data data/missing-verbs --split dev models/garble-minilm runs/exp-missing-verbs/model > runs/exp-gpu-verbs/compare-dev-missing-verbs.md
python scripts/compare_models.py --data data/mt-grammar-verbs --split dev models/garble-minilm runs/exp-mt-grammar-verbs/model > runs/exp-gpu-verbs/compare-dev-mt-grammar-verbs.md
for m in runs/exp-missing-verbs/model runs/exp-mt-grammar-verbs/model; do python runs/probe-dropped-verbs/probe.py $m; done > runs/exp-gpu-verbs/probe.log
