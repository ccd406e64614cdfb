# After the shipping steps of 0.7.0 (docs/EXPERIMENTS.md section 22), from the repository root:
# the evaluation of the new default, then the lite model distilled again from it.
set -euo pipefail
time python scripts/make_evaluation.py --eval-dir ../shared/eval --data data/default --cache runs/eval-cache > runs/ship-0.7.0/make_evaluation.out 2> runs/ship-0.7.0/make_evaluation.log
echo EVAL-DONE
time garble-train train --config configs/lite.yaml --output runs/exp-lite-0.7/model > runs/ship-0.7.0/lite-train.log 2>&1
time garble-train calibrate --model runs/exp-lite-0.7/model --config configs/lite.yaml
python scripts/compare_models.py --data data/default --split dev models/garble-minilm-lite runs/exp-lite-0.7/model > runs/exp-lite-0.7/compare-dev.md
echo LITE-DONE
