"""Compare model folders on one split of a prepared dataset (own data only: for choices).

    python scripts/compare_models.py --data data/default --split dev MODEL_DIR...

For each model: ROC-AUC of each garbling recipe (and each kind of MT round trip: single pivot,
chain, clause-only) against all clean rows, and at the model's own threshold the recall of
each recipe and the false-positive rate on each register's clean rows and on hard negatives.
"""

from __future__ import annotations

import argparse

import numpy as np
from datasets import load_from_disk
from sklearn.metrics import roc_auc_score

from detector.api import GarbleDetector
from training.train import registers


def mt_kind(detail: str) -> str:
    """Return the kind of an MT round trip from its detail: pivot, chain or clause."""
    if detail.startswith("partial:"):
        return "mt: clause only"
    return "mt: chain" if ">" in detail else "mt: one pivot"


def _groups(ds) -> dict[str, np.ndarray]:
    """Return the garbled subsets to compare, as row masks."""
    recipe, detail = np.array(ds["recipe"]), np.array(ds["detail"])
    label = np.array(ds["label"])
    out = {r: (recipe == r) for r in sorted(set(recipe[label == 1]))}
    pairs = zip(recipe, detail, strict=True)
    kinds = np.array([mt_kind(d) if r == "mt_round_trip" else "" for r, d in pairs])
    out.update({k: kinds == k for k in sorted(set(kinds) - {""})})
    return out


def compare(model_dir: str, ds) -> list[str]:
    """Return one Markdown row per metric group for this model."""
    det = GarbleDetector.from_pretrained(model_dir)
    p = np.array(det.score(list(ds["text"])))
    y = np.array(ds["label"])
    t = det.threshold
    rows = [
        f"| {det.name} {det.meta.version} | all | {roc_auc_score(y, p):.3f} | "
        f"{(p[y == 1] >= t).mean():.3f} | |"
    ]
    for name, mask in _groups(ds).items():
        m = (y == 0) | mask
        rows.append(
            f"| | {name} | {roc_auc_score(y[m], p[m]):.3f} | {(p[mask] >= t).mean():.3f} | |"
        )
    regs = np.array(registers(ds))
    for reg in sorted(set(regs[y == 0])):
        m = (y == 0) & (regs == reg)
        rows.append(f"| | clean: {reg} (n={m.sum()}) | | | {(p[m] >= t).mean():.3f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="model folders")
    parser.add_argument("--data", default="data/default")
    parser.add_argument("--split", default="dev", choices=["dev", "test"])
    args = parser.parse_args()
    ds = load_from_disk(args.data)[args.split]
    print("| model | subset | ROC-AUC | recall at threshold | FPR at threshold |")
    print("|---|---|---|---|---|")
    for model in args.models:
        print("\n".join(compare(model, ds)))


if __name__ == "__main__":
    main()
