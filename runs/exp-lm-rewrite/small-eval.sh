# Dev comparison and probes of the small paired check (EXPERIMENTS section 23), from the repository root.
# (A first try ran the two probes and the comparison at once; the probes, two torch processes
# on 2 cores, thrashed and were stopped after the comparison had finished. They then ran one
# after the other, as below.)
python scripts/compare_models.py --data data/default --split dev runs/exp-small-control/model runs/exp-small-lm-rewrite/model > runs/exp-lm-rewrite/compare-dev-small.md 2>/dev/null
python runs/probe-lm-rewrite/probe.py runs/exp-small-lm-rewrite/model > runs/probe-lm-rewrite/probe-small-lm-rewrite.log 2>&1
python runs/probe-lm-rewrite/probe.py runs/exp-small-control/model > runs/probe-lm-rewrite/probe-small-control.log 2>&1
