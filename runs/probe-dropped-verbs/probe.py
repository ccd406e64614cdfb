"""Probe (EXPERIMENTS section 21): does 0.6.0 rank sentences that lost their main verb?

Every clean dev sentence of data/default that has a finite verb to drop
(training.recipes.grammar.drop_verb) is scored by the shipped model as it is (label 0) and
without that verb (label 1). No training, no test data. From the repository root:
    python runs/probe-dropped-verbs/probe.py [MODEL_FOLDER]
"""

import random
import sys

from datasets import load_from_disk
from sklearn.metrics import roc_auc_score

from detector.api import GarbleDetector
from training.recipes.grammar import drop_verb

MODEL = sys.argv[1] if len(sys.argv) > 1 else "models/garble-minilm"
dev = load_from_disk("data/default")["dev"]
clean = sorted({t for t, y in zip(dev["text"], dev["label"], strict=True) if y == 0})
rng = random.Random(13)
pairs = [(t, out.text) for t in clean if (out := drop_verb(t, rng))]
detector = GarbleDetector.from_pretrained(MODEL, backend="torch")
scores = detector.score([o for o, _ in pairs] + [d for _, d in pairs])
labels = [0] * len(pairs) + [1] * len(pairs)
recall = sum(p >= detector.threshold for p in scores[len(pairs) :]) / len(pairs)
print(f"{len(pairs)} of {len(clean)} clean dev sentences have a finite verb to drop")
print(
    f"ROC-AUC, sentences against themselves without the verb: {roc_auc_score(labels, scores):.3f}"
)
print(f"recall at the model's threshold {detector.threshold}: {recall:.3f}")
for original, dropped in rng.sample(pairs, 5):
    print(f"  {original}\n  -> {dropped}")
