"""Audit a prepared dataset for shortcut cues: how well do surface features alone separate
each garbling recipe from the clean rows?

    python scripts/audit_cues.py --data data/default [--split train]
    python scripts/audit_cues.py --data data/default --split dev --model DIR [DIR ...]

Prints, per garbling recipe vs. all clean rows of the split, the ROC-AUC of each surface
feature on its own (0.5 = no cue; shown as max(AUC, 1 - AUC)) and of a logistic regression on
all of them, fitted on the train split and scored on the dev split. A high value means a model
could learn the cue instead of the garbling.

With ``--model``, prints instead how much each model's score follows the surface features on
the *clean* rows of the split: Spearman's rho between the logit margin and each feature. A
model that scores clean sentences by rarity or length (|rho| large) will also flag clean text
that is rare or long, such as human translations richer in vocabulary than MT output.
"""

from __future__ import annotations

import argparse
import re

import numpy as np
from datasets import load_from_disk
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from wordfreq import zipf_frequency

WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
FEATURES = (
    "words",
    "mean word length",
    "commas",
    "quotes",
    "digits",
    "capitalised words",
    "rare words (Zipf < 3)",
    "rarest word Zipf",
    "ends with period",
)


def features(text: str) -> list[float]:
    """Return the surface features of one sentence, in ``FEATURES`` order."""
    words = WORD.findall(text)
    zipfs = [zipf_frequency(w.lower(), "en") for w in words if w[:1].islower()]
    return [
        len(words),
        float(np.mean([len(w) for w in words])) if words else 0.0,
        text.count(","),
        sum(text.count(q) for q in '"\u201c\u201d'),
        sum(c.isdigit() for c in text),
        sum(w[:1].isupper() for w in words[1:]),
        sum(z < 3.0 for z in zipfs),
        min(zipfs, default=8.0),
        float(text.rstrip().endswith(".")),
    ]


def _auc(y: np.ndarray, x: np.ndarray) -> float:
    auc = roc_auc_score(y, x)
    return max(auc, 1.0 - auc)


def audit(data_dir: str, split: str) -> str:
    """Return the audit table (Markdown) of ``split``, the combined cue model fitted on train."""
    dsd = load_from_disk(data_dir)
    tables = {}
    for name in {split, "train", "dev"}:
        ds = dsd[name]
        tables[name] = (np.array([features(t) for t in ds["text"]]), ds["label"], ds["recipe"])
    recipes = sorted({r for r, y in zip(tables[split][2], tables[split][1], strict=True) if y})
    lines = [
        "| feature | " + " | ".join(recipes) + " |",
        "|---|" + "---|" * len(recipes),
    ]
    x, y, r = tables[split]
    y, r = np.array(y), np.array(r)
    masks = {rec: (y == 0) | (r == rec) for rec in recipes}
    for k, name in enumerate(FEATURES):
        row = [f"{_auc(y[m], x[m, k]):.3f}" for m in masks.values()]
        lines.append(f"| {name} | " + " | ".join(row) + " |")
    cue = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    cue.fit(tables["train"][0], tables["train"][1])
    xd, yd, rd = tables["dev"]
    yd, rd = np.array(yd), np.array(rd)
    pd = cue.predict_proba(xd)[:, 1]
    row = [
        f"{roc_auc_score(yd[(yd == 0) | (rd == rec)], pd[(yd == 0) | (rd == rec)]):.3f}"
        for rec in recipes
    ]
    lines.append(
        "| **all features, logistic regression (train -> dev)** | " + " | ".join(row) + " |"
    )
    return "\n".join(lines)


def model_cues(data_dir: str, split: str, models: list[str]) -> str:
    """Return Spearman's rho of each model's margin with each feature on the clean rows."""
    from detector.api import GarbleDetector

    ds = load_from_disk(data_dir)[split].filter(lambda row: row["label"] == 0)
    x = np.array([features(t) for t in ds["text"]])
    lines = [
        f"clean {split} rows: {len(ds)}",
        "",
        "| feature | " + " | ".join(models) + " |",
        "|---|" + "---|" * len(models),
    ]
    margins = [GarbleDetector.from_pretrained(m).margins(list(ds["text"])) for m in models]
    for k, name in enumerate(FEATURES):
        row = [f"{spearmanr(x[:, k], m).statistic:+.3f}" for m in margins]
        lines.append(f"| {name} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/default", help="prepared DatasetDict folder")
    parser.add_argument("--split", default="train", choices=["train", "dev", "test"])
    parser.add_argument("--model", nargs="+", help="model folders: their clean-row cue table")
    args = parser.parse_args()
    if args.model:
        print(model_cues(args.data, args.split, args.model))
    else:
        print(audit(args.data, args.split))


if __name__ == "__main__":
    main()
