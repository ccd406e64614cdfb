"""Section 28: dev ROC-AUC to four digits, for the bars that the three-digit table leaves close.

python runs/exp-tortured-boost/dev_4digits.py > runs/exp-tortured-boost/dev-4digits.log
"""

import numpy as np
from datasets import load_from_disk
from sklearn.metrics import roc_auc_score

from detector.api import GarbleDetector

ds = load_from_disk("data/default")["dev"]
y = np.array(ds["label"])
recipe = np.array(ds["recipe"])
for model in ["models/garble-minilm", "runs/exp-tortured-boost/model"]:
    p = np.array(GarbleDetector.from_pretrained(model).score(list(ds["text"])))
    out = [f"all {roc_auc_score(y, p):.4f}"]
    for name in ["mt_noise", "mt_round_trip", "spinner"]:
        keep = (y == 0) | (recipe == name)
        out.append(f"{name} {roc_auc_score(y[keep], p[keep]):.4f}")
    print(model, *out, flush=True)
