"""Compare calibration priors and threshold rules for one model on the dev split (choices only).

    python scripts/compare_calibration.py --model models/garble-minilm --data data/default \
        --priors 0.25 0.2 0.15 0.12 --prior 0.15

Prints, for each of ``--priors`` (and none: the dev split's own share), the dev ECE of each
recipe's group and of all rows; then, calibrated for ``--prior``, the threshold of the rule
without and with ``--confidence``, its recall and its clean FPR pooled and per register.
"""

from __future__ import annotations

import argparse

import numpy as np
from datasets import load_from_disk

from detector.api import GarbleDetector
from training.calibrate import calibrate_on_split, registers
from training.config import CalibrationConfig
from training.metrics import per_recipe_metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--priors", type=float, nargs="*", default=[0.25, 0.2, 0.15, 0.12])
    parser.add_argument("--prior", type=float, default=0.15)
    parser.add_argument("--confidence", type=float, default=0.95)
    parser.add_argument("--max-fpr", type=float, default=0.02)
    args = parser.parse_args()
    dev = load_from_disk(args.data)["dev"]
    margins = GarbleDetector.from_pretrained(args.model, backend="torch").margins(dev["text"])
    base = CalibrationConfig(max_fpr=args.max_fpr, per_register=True, rule="max_recall")
    print("| prior | " + " | ".join(_groups(dev)) + " |\n" + "|---" * 5 + "|")
    for prior in [None, *args.priors]:
        cal, t = calibrate_on_split(margins, dev, base.model_copy(update={"prior": prior}))
        probs = [cal.probability(m) for m in margins]
        m = per_recipe_metrics(dev["recipe"], dev["label"], probs, t)
        print(f"| {prior} | " + " | ".join(f"{m[g]['ece']:.3f}" for g in _groups(dev)) + " |")
    print("\n| confidence | threshold | recall | FPR clean pooled | FPR per register |")
    print("|---" * 5 + "|")
    for confidence in (None, args.confidence):
        rule = base.model_copy(update={"confidence": confidence, "prior": args.prior})
        cal, t = calibrate_on_split(margins, dev, rule)
        print(f"| {confidence} | {t} | " + _rates(dev, [cal.probability(x) for x in margins], t))


def _groups(dev) -> list[str]:
    return [*sorted({r for r, y in zip(dev["recipe"], dev["label"], strict=True) if y}), "all"]


def _rates(dev, probs: list[float], t: float) -> str:
    """Return recall, pooled clean FPR and FPR per register as table cells."""
    p, y = np.asarray(probs) >= t, np.asarray(dev["label"])
    regs, recipe = np.asarray(registers(dev)), np.asarray(dev["recipe"])
    per = {g: p[(y == 0) & (regs == g)].mean() for g in sorted(set(regs[y == 0]))}
    cells = ", ".join(f"{g} {v:.3f}" for g, v in per.items())
    return f"{p[y == 1].mean():.3f} | {p[recipe == 'clean'].mean():.4f} | {cells} |"


if __name__ == "__main__":
    main()
