"""Probe (docs/EXPERIMENTS.md section 28): real tortured phrases swapped into own clean dev text.

    python runs/probe-tortured/probe.py MODEL [MODEL ...] [--data data/default] [--split dev]

Each clean sentence of the split that holds a term of the real substitution list gets that
term (the first one) replaced by one of its real tortured phrases (`swap_real_phrase`, seeded
by the sentence). Every model scores the originals and the swapped sentences (torch backend):
pair ROC-AUC, recall at the model's own threshold and the originals flagged, for all pairs and
split by whether the term occurs in a sentence of the train split (seen) or not (unseen).
"""

from __future__ import annotations

import argparse
import random
import re

from datasets import load_from_disk
from sklearn.metrics import roc_auc_score

from detector.api import GarbleDetector
from training.recipes.spinner import swap_real_phrase
from training.recipes.thesaurus import Thesaurus


def pairs(data: str, split: str) -> list[tuple[str, str, bool]]:
    """Return (original, swapped, term seen in train) for the split's clean sentences."""
    dsd = load_from_disk(data)
    th = Thesaurus.load()
    ds = dsd[split]
    clean = sorted({t for t, r in zip(ds["text"], ds["recipe"], strict=True) if r == "clean"})
    train = dsd["train"]
    train_text = "\n".join(t or "" for t in list(train["original"]) + list(train["text"])).lower()
    out = []
    for text in clean:
        swapped = swap_real_phrase(text, th, random.Random(f"probe:{text}"))
        if swapped is None:
            continue
        start, end = swapped.spans[0]
        term = _term(text, swapped.text, start, end)
        seen = re.search(r"\b" + re.escape(term.lower()) + r"\b", train_text) is not None
        out.append((text, swapped.text, seen))
    return out


def _term(original: str, swapped: str, start: int, end: int) -> str:
    """Return the words of ``original`` that the swap replaced (the same suffix is kept)."""
    tail = len(swapped) - end
    return original[start : len(original) - tail]


def metrics(orig: list[float], swap: list[float], threshold: float) -> str:
    """Return "ROC-AUC / recall / originals flagged" of swapped against original scores."""
    auc = roc_auc_score([0] * len(orig) + [1] * len(swap), orig + swap)
    recall = sum(s >= threshold for s in swap) / len(swap)
    flagged = sum(s >= threshold for s in orig) / len(orig)
    return f"{auc:.3f} / {recall:.3f} / {flagged:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--data", default="data/default")
    parser.add_argument("--split", default="dev")
    args = parser.parse_args()
    rows = pairs(args.data, args.split)
    n_seen = sum(r[2] for r in rows)
    unseen = len(rows) - n_seen
    print(f"{len(rows)} pairs from {args.data} {args.split}: {n_seen} seen, {unseen} unseen")
    print()
    print("| model (threshold) | all: ROC-AUC / recall / originals flagged | seen | unseen |")
    print("|---|---|---|---|")
    for path in args.models:
        det = GarbleDetector.from_pretrained(path, backend="torch")
        orig = det.score([r[0] for r in rows])
        swap = det.score([r[1] for r in rows])
        cells = [metrics(orig, swap, det.threshold)]
        for want in (True, False):
            keep = [k for k, r in enumerate(rows) if r[2] == want]
            cells.append(metrics([orig[k] for k in keep], [swap[k] for k in keep], det.threshold))
        print(f"| {path} ({det.threshold}) | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
