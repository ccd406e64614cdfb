# Waits for the full run's model, then runs its dev bars (full-eval.sh).
while ! grep -q "train done" runs/exp-lm-rewrite/train-full-cpu.log; do
  pgrep -f "garble-train train --config configs/experiments/lm-rewrite.yaml" > /dev/null || { echo "training stopped without finishing"; exit 1; }
  sleep 30
done
bash runs/exp-lm-rewrite/full-eval.sh
