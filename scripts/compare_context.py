"""Compare models on a split prepared with ``data.context`` (own data only: for choices).

    python scripts/compare_context.py --data data/context --split dev MODEL_DIR...

For each model, ROC-AUC of each garbling recipe against all clean rows, with every sentence
read alone (as in the single-sentence test sets) and, for a model trained with
``model.context``, with its previous sentence: over all garbled rows, over those whose
neighbour is garbled the same way (a garbled document) and over those with a clean neighbour
(one bad sentence in clean text). For comparison without retraining, each model's score
averaged with its score of the previous sentence read alone ("alone, averaged with neighbour").
"""

from __future__ import annotations

import argparse

import numpy as np
from datasets import load_from_disk
from sklearn.metrics import roc_auc_score

from detector.api import GarbleDetector


def _aucs(ds, margins: list[float]) -> dict[str, float]:
    """Return ROC-AUC per recipe and context kind, each against all clean rows."""
    m, y = np.asarray(margins), np.asarray(ds["label"])
    recipe, garbled_ctx = np.asarray(ds["recipe"]), np.asarray(ds["context_garbled"])
    out = {}
    for r in ["all", *sorted(set(recipe[y == 1]))]:
        pos = (y == 1) & ((recipe == r) | (r == "all"))
        for kind, mask in (
            ("", pos),
            (", garbled doc", pos & garbled_ctx),
            (", clean doc", pos & ~garbled_ctx),
        ):
            keep = (y == 0) | mask
            out[r + kind] = roc_auc_score(y[keep], m[keep])
    return out


def _averaged(own: list[float], neighbour: list[float], contexts: list[str]) -> list[float]:
    """Return each margin averaged with its previous sentence's (itself where there is none)."""
    return [(m + (n if c else m)) / 2 for m, n, c in zip(own, neighbour, contexts, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--split", default="dev")
    parser.add_argument("models", nargs="+")
    args = parser.parse_args()
    ds = load_from_disk(args.data)[args.split]
    columns: dict[str, dict[str, float]] = {}
    for folder in args.models:
        detector = GarbleDetector.from_pretrained(folder, backend="torch")
        alone = detector.margins(ds["text"])
        columns[f"{folder}, alone"] = _aucs(ds, alone)
        columns[f"{folder}, alone, averaged with neighbour"] = _aucs(
            ds, _averaged(alone, detector.margins(ds["context"]), ds["context"])
        )
        if detector.meta.training_config.get("model", {}).get("context"):
            margins = detector.margins(ds["text"], ds["context"])
            columns[f"{folder}, with context"] = _aucs(ds, margins)
    names = list(columns)
    print(f"{args.split}, {len(ds)} rows; ROC-AUC against all clean rows\n")
    print("| subset | " + " | ".join(names) + " |\n" + "|---" * (len(names) + 1) + "|")
    for row in next(iter(columns.values())):
        print(f"| {row} | " + " | ".join(f"{columns[n][row]:.3f}" for n in names) + " |")


if __name__ == "__main__":
    main()
