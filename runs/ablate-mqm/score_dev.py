"""Score model folders on the three dev sets of training/train_top.py (EXPERIMENTS 31).

python runs/ablate-mqm/score_dev.py --data data/default FOLDER...
"""

import argparse
import json

from datasets import load_from_disk

from detector.api import GarbleDetector
from training.config import RealDataConfig
from training.evaluate import read_labelled
from training.metrics import binary_metrics
from training.real_data import real_splits


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="data/default")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("folders", nargs="+")
    a = p.parse_args()
    dev = load_from_disk(a.data)["dev"].shuffle(seed=a.seed).select(range(4000))
    real = read_labelled("../shared/dev/mt_vs_human_dev.jsonl")
    _, mqm = real_splits(RealDataConfig(), a.seed)
    sets = {
        "own_dev": (list(dev["text"]), list(dev["label"])),
        "real_dev": (real.texts, real.labels),
        "mqm_dev": ([r["text"] for r in mqm], [r["label"] for r in mqm]),
    }
    for folder in a.folders:
        det = GarbleDetector.from_pretrained(folder, backend="torch")
        out = {
            k: round(binary_metrics(y, det.margins(x), 0.0)["roc_auc"], 4)
            for k, (x, y) in sets.items()
        }
        out["mean_real"] = round((out["real_dev"] + out["mqm_dev"]) / 2, 4)
        print(json.dumps({"model": folder, **out}), flush=True)


if __name__ == "__main__":
    main()
