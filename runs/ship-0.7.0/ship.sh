# Shipping steps of garble-minilm 0.7.0 (docs/EXPERIMENTS.md section 22), from the repository root.
set -euo pipefail
rm -rf models/garble-minilm
cp -r runs/exp-mt-grammar-verbs/model models/garble-minilm
time garble-train calibrate --model models/garble-minilm --config configs/default.yaml
time garble-train export-onnx --model models/garble-minilm --calibrate-on data/default
time garble-train baselines --config configs/default.yaml --only tfidf
echo SHIPSTEP-DONE
