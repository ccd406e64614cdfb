"""Issue 26 point 6 (docs/EXPERIMENTS.md section 32): distil the accurate model into fast 0.6.1.

Continued training of fast 0.6.1 on (a) a seeded sample of the own train rows, labels and the
teacher's soft scores mixed as training/distill.py mixes them, and (b) unlabelled real text that
the prepared data does not use, on the teacher's soft scores alone: every row of the MQM train
documents (WMT23 zh-en neural MT and references, whatever their label; its dev documents left
out) and clean Wikipedia sentences that data/default does not hold. Then every model is scored
on own dev (4,000-row sample, seed 13), mt_vs_human_dev and the MQM dev part.

python runs/distill-fast/distill.py --teacher models/garble-mpnet --student models/garble-minilm \
    --out runs/distill-fast/model
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time

import torch
from datasets import load_from_disk
from transformers import AutoTokenizer

from detector.api import GarbleDetector
from detector.weights import load_classifier
from training.config import RealDataConfig
from training.evaluate import read_labelled
from training.metrics import binary_metrics
from training.real_data import is_dev_document, real_splits

log = logging.getLogger("distill")


def unlabelled_real(data: str, n_wiki: int, n_mqm: int | None, seed: int) -> list[str]:
    """MQM train-document rows (any label) and clean Wikipedia sentences unused by ``data``."""
    cfg = RealDataConfig()
    mqm = []
    with open(cfg.path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if not is_dev_document(row["doc_id"], cfg.dev_fraction):
                mqm.append(row["text"])
    used = set()
    for split in load_from_disk(data).values():
        used.update(split["text"])
        if "original" in split.column_names:
            used.update(t for t in split["original"] if t)
    wiki = []
    with open("../shared/data/clean_wikitext_en.jsonl", encoding="utf-8") as f:
        for line in f:
            text = json.loads(line)["text"]
            if text not in used:
                wiki.append(text)
    random.Random(seed).shuffle(wiki)
    return mqm[:n_mqm] + wiki[:n_wiki]


def dev_sets(data: str, seed: int) -> dict[str, tuple[list[str], list[int]]]:
    dev = load_from_disk(data)["dev"].shuffle(seed=seed).select(range(4000))
    real = read_labelled("../shared/dev/mt_vs_human_dev.jsonl")
    _, mqm = real_splits(RealDataConfig(), seed)
    return {
        "own_dev": (list(dev["text"]), list(dev["label"])),
        "real_dev": (real.texts, real.labels),
        "mqm_dev": ([r["text"] for r in mqm], [r["label"] for r in mqm]),
    }


def score(det: GarbleDetector, sets) -> dict[str, float]:
    out = {
        k: round(binary_metrics(y, det.margins(x), 0.0)["roc_auc"], 4) for k, (x, y) in sets.items()
    }
    out["mean_real"] = round((out["real_dev"] + out["mqm_dev"]) / 2, 4)
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--teacher", required=True)
    p.add_argument("--student", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--data", default="data/default")
    p.add_argument("--own-rows", type=int, default=30000)
    p.add_argument("--wiki-rows", type=int, default=20000)
    p.add_argument("--mqm-rows", type=int, help="at most this many MQM rows (all)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--lr", type=float, default=2e-5)
    p.add_argument("--alpha", type=float, default=0.7)
    p.add_argument("--temperature", type=float, default=2.0)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.manual_seed(a.seed)
    sets = dev_sets(a.data, a.seed)
    base = GarbleDetector.from_pretrained(a.student, backend="torch")
    log.info("student before: %s", json.dumps(score(base, sets)))

    own = load_from_disk(a.data)["train"].shuffle(seed=a.seed)
    own = own.select(range(min(a.own_rows, len(own))))
    texts = list(own["text"]) + unlabelled_real(a.data, a.wiki_rows, a.mqm_rows, a.seed)
    labels = list(own["label"]) + [-1] * (len(texts) - len(own))
    log.info("%d rows (%d labelled)", len(texts), len(own))
    start = time.perf_counter()
    teacher = GarbleDetector.from_pretrained(a.teacher, backend="torch")
    torch.set_num_threads(a.threads)
    t_margins = teacher.margins(texts)
    with open(f"{a.out}.teacher.json", "w", encoding="utf-8") as f:
        json.dump(t_margins, f)
    log.info("teacher scored %d rows in %.0f s", len(texts), time.perf_counter() - start)
    log.info("teacher: %s", json.dumps(score(teacher, sets)))
    del teacher

    torch.set_num_threads(a.threads)  # from_pretrained set one a core: two stall on a shared core
    model = load_classifier(a.student).train()
    tok = AutoTokenizer.from_pretrained(a.student)
    max_length = base.meta.max_length
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)
    order = list(range(len(texts)))
    t = a.temperature
    for epoch in range(a.epochs):
        random.Random(a.seed + epoch).shuffle(order)
        # length-sorted buckets of 32 inside shuffled chunks of 3,200 rows
        batches = []
        for c in range(0, len(order), 3200):
            chunk = sorted(order[c : c + 3200], key=lambda i: len(texts[i]))
            batches += [chunk[k : k + 32] for k in range(0, len(chunk), 32)]
        random.Random(a.seed).shuffle(batches)
        total = len(batches) * a.epochs
        start = time.perf_counter()
        for step, batch in enumerate(batches, 1):
            lr = (
                a.lr
                * min(1.0, (epoch * len(batches) + step) / (0.06 * total))
                * max(0.0, 1 - (epoch * len(batches) + step) / total)
            )
            for g in opt.param_groups:
                g["lr"] = lr
            enc = tok(
                [texts[i] for i in batch],
                truncation=True,
                max_length=max_length,
                padding=True,
                return_tensors="pt",
            )
            with torch.autocast("cpu", dtype=torch.bfloat16):
                logits = model(**enc).logits.float()
            margin = logits[:, 1] - logits[:, 0]
            target = torch.sigmoid(torch.tensor([t_margins[i] for i in batch]) / t)
            y = torch.tensor([labels[i] for i in batch])
            soft = (
                torch.nn.functional.binary_cross_entropy_with_logits(
                    margin / t, target, reduction="none"
                )
                * t
                * t
            )
            hard = torch.nn.functional.cross_entropy(logits, y.clamp(min=0), reduction="none")
            has = (y >= 0).float()
            loss = (soft * (a.alpha * has + (1 - has)) + (1 - a.alpha) * hard * has).mean()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad()
            if step % 100 == 0:
                log.info(
                    "epoch %d step %d/%d loss %.4f (%.0f rows/s)",
                    epoch + 1,
                    step,
                    len(batches),
                    loss.item(),
                    step * 32 / (time.perf_counter() - start),
                )
    model.eval()
    student = GarbleDetector.from_model(model, tok, base.meta)
    log.info("student after: %s", json.dumps(score(student, sets)))
    model.save_pretrained(a.out)
    tok.save_pretrained(a.out)


if __name__ == "__main__":
    main()
