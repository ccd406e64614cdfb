# Section 28's quick check: both folders copied, recalibrated on data/default dev by the
# default rule, then the probe and the dev comparison (run from the repository root).
set -e
export HF_HUB_OFFLINE=1
rm -rf /tmp/recal && mkdir -p /tmp/recal
cp -r runs/exp-continue-control/model /tmp/recal/control
cp -r runs/exp-continue-tortured-boost/model /tmp/recal/candidate
for m in control candidate; do
  garble-train calibrate --model /tmp/recal/$m --config configs/default.yaml --data data/default
done
python runs/probe-tortured/probe.py /tmp/recal/control /tmp/recal/candidate > runs/probe-tortured/probe-quick.log
python scripts/compare_models.py --data data/default --split dev /tmp/recal/control /tmp/recal/candidate > runs/exp-tortured-boost/compare-dev-quick.md
python benchmarks/handwritten.py /tmp/recal/control /tmp/recal/candidate > runs/exp-tortured-boost/handwritten-quick.md
