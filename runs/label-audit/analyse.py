"""Reader audit of the own dev labels (EXPERIMENTS section 24): the figures fixed before reading.

Reads the blind key, both readers' answers and the first pass's judgements; scores the blind rows
with a model (torch backend). Own dev data only. From the repository root:
    python runs/label-audit/analyse.py [MODEL_FOLDER]
"""

import json
import sys
from collections import Counter
from pathlib import Path

from scipy.stats import binomtest
from sklearn.metrics import cohen_kappa_score, roc_auc_score

from detector.api import GarbleDetector

HERE = Path(__file__).parent
GARBLING = ("mt_noise", "mt_round_trip", "spinner")
MODEL = sys.argv[1] if len(sys.argv) > 1 else "models/garble-minilm"


def answers(name: str) -> dict[int, int]:
    """One reader's labels by row number (1 garbled, 0 acceptable)."""
    rows = (line.split("\t") for line in (HERE / f"annotator-{name}.tsv").read_text().splitlines())
    return {int(n): int(label) for n, label, *_ in rows}


def auc(rows: list[dict], score: dict[int, float]) -> float:
    """ROC-AUC of ``score`` (by row number) against the recipe labels of ``rows``."""
    return roc_auc_score([r["label"] for r in rows], [score[r["n"]] for r in rows])


def share(k: int, n: int) -> str:
    low, high = binomtest(k, n).proportion_ci(method="wilson")
    return f"{k}/{n} = {k / n:.3f} [{low:.3f}, {high:.3f}]"


key = [json.loads(line) for line in (HERE / "blind-key.jsonl").read_text().splitlines()]
a, b = answers("a"), answers("b")
assert len(a) == len(b) == len(key), "each reader must answer every row"
print("## First pass, with the originals (one reader, 40 rows per recipe)")
first = [json.loads(line) for line in (HERE / "sample-judged-with-original.jsonl").open()]
for recipe in GARBLING:
    c = Counter(r["judge"] for r in first if r["recipe"] == recipe)
    print(f"{recipe}: acceptable {share(c['acceptable'], 40)}; borderline {c['borderline']}")
print("\n## Blind pass: share of each recipe's garbled rows read as acceptable (p)")
for recipe in GARBLING:
    rows = [r["n"] for r in key if r["recipe"] == recipe]
    for who, ans in (("a", a), ("b", b)):
        print(f"{recipe} reader {who}: {share(sum(ans[n] == 0 for n in rows), len(rows))}")
    both = sum(a[n] == 0 and b[n] == 0 for n in rows)
    cap = 1 - both / len(rows) / 2
    print(f"{recipe} both: {share(both, len(rows))} -> rough cap 1 - p/2 = {cap:.3f}")
print("\n## Readers' false-positive rate")
for recipe in ("clean", "hard_negative"):
    rows = [r["n"] for r in key if r["recipe"] == recipe]
    for who, ans in (("a", a), ("b", b)):
        print(f"{recipe} reader {who}: {share(sum(ans[n] for n in rows), len(rows))}")
nums = [r["n"] for r in key]
agree = sum(a[n] == b[n] for n in nums)
kappa = cohen_kappa_score([a[n] for n in nums], [b[n] for n in nums])
print(f"\nagreement {agree}/{len(nums)}, Cohen's kappa {kappa:.3f}")
for who, ans in (("a", a), ("b", b)):
    print(f"reader {who} as a detector: ROC-AUC {auc(key, ans):.3f}")

detector = GarbleDetector.from_pretrained(MODEL, backend="torch")
scores = dict(zip(nums, detector.score([r["text"] for r in key]), strict=True))
print(f"\n## {MODEL} on the blind rows (ROC-AUC, recipe labels)")
for recipe in GARBLING:
    rows = [r for r in key if r["recipe"] in (recipe, "clean", "hard_negative")]
    kept = [r for r in rows if r["label"] == 0 or a[r["n"]] or b[r["n"]]]
    print(f"{recipe}: all rows {auc(rows, scores):.3f}; without those both call acceptable", end="")
    print(f" {auc(kept, scores):.3f} ({len(rows) - len(kept)} left out)")
    # added after the first run, to compare like with like: the readers on the same rows
    print(f"  readers a / b on the same rows: {auc(rows, a):.3f} / {auc(rows, b):.3f}")
