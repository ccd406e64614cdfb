"""Fine-tune a bigger teacher encoder on a lent GPU and write its margins for distillation.

The GPU machine (docs/EXPERIMENTS.md section 8) has no network, no project install and takes at
most 64 MiB of files per call, so this script needs only torch, transformers, safetensors,
scikit-learn and light modules of this repo (detector.weights, training.metrics and
training.teacher_margins), and works in three steps:

  pack   (here)  int8-quantise the teacher's weights (detector.weights) into parts of at most
                 --part-mb MB, beside its config and tokenizer
  rows   (here)  export text, label, recipe and doc_id of a prepared data folder as JSONL.gz
  train  (GPU)   unpack the parts, fine-tune for --epochs, keep the epoch with the best dev
                 ROC-AUC and write every row's logit margin (teacher-margins.jsonl.gz); with
                 --folds K, K teachers each score the train rows of the documents they did
                 not train on (cross-fitting: soft targets that are not memorised labels);
                 with --extra, the texts of another JSONL.gz are scored too
                 (extra-margins.jsonl.gz: {"i", "margin"} per line, in the file's order)

`garble-train train` reads the margins through `distill.teacher` (a .jsonl.gz file).
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import math
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo, on a bare GPU machine
from detector.weights import WEIGHTS_FILE, dequantize, quantize_tensor
from training.metrics import per_recipe_metrics
from training.teacher_margins import text_key

logger = logging.getLogger("teacher_gpu")

_META_FILES = (
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
)


def pack(model_dir: Path, out: Path, part_mb: float) -> None:
    """Quantise the weights of ``model_dir`` to int8 and split them into parts of <= part_mb."""
    state = load_file(str(model_dir / WEIGHTS_FILE))
    parts: list[dict[str, torch.Tensor]] = [{}]
    size = 0
    for name in sorted(state):
        tensors = quantize_tensor(name, state[name])
        nbytes = sum(t.numel() * t.element_size() for t in tensors.values())
        if parts[-1] and size + nbytes > part_mb * 1e6:
            parts.append({})
            size = 0
        parts[-1].update(tensors)
        size += nbytes
    (out / "meta").mkdir(parents=True, exist_ok=True)
    for i, tensors in enumerate(parts):
        (out / f"w{i}").mkdir(exist_ok=True)
        save_file(tensors, str(out / f"w{i}" / f"part-{i}.safetensors"))
    for name in _META_FILES:
        if (model_dir / name).exists():
            shutil.copy(model_dir / name, out / "meta" / name)
    logger.info("packed %d tensors into %d parts under %s", len(state), len(parts), out)


def unpack(parts_dir: Path, meta_dir: Path, out: Path) -> None:
    """Dequantise every part into one fp32 ``model.safetensors`` beside config and tokenizer."""
    packed: dict[str, torch.Tensor] = {}
    for path in sorted(parts_dir.glob("part-*.safetensors")):
        packed.update(load_file(str(path)))
    state = dequantize(packed)
    out.mkdir(parents=True, exist_ok=True)
    save_file(state, str(out / WEIGHTS_FILE))
    for path in meta_dir.iterdir():
        shutil.copy(path, out / path.name)
    logger.info("unpacked %d tensors from %s", len(state), parts_dir)


def export_rows(data_dir: Path, out: Path) -> None:
    """Write text, label, recipe and doc_id of each split of a prepared folder (needs datasets)."""
    from datasets import load_from_disk

    out.mkdir(parents=True, exist_ok=True)
    for split, ds in load_from_disk(str(data_dir)).items():
        with gzip.open(out / f"{split}.jsonl.gz", "wt", encoding="utf-8") as f:
            for row in ds.select_columns(["text", "label", "recipe", "doc_id"]):
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        logger.info("%s: %d rows", split, len(ds))


def _read_rows(rows_dir: Path, split: str, limit: int | None) -> list[dict]:
    with gzip.open(rows_dir / f"{split}.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return rows[:limit] if limit else rows


def _batches(n: int, size: int, rng: random.Random) -> list[list[int]]:
    order = list(range(n))
    rng.shuffle(order)
    return [order[i : i + size] for i in range(0, n, size)]


@torch.no_grad()
def _margins(model, tokenizer, texts: list[str], args, device) -> list[float]:
    model.eval()
    out = [0.0] * len(texts)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), 256):
        idx = order[start : start + 256]
        enc = tokenizer(
            [texts[i] for i in idx],
            truncation=True,
            max_length=args.max_length,
            padding=True,
            return_tensors="pt",
        ).to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            logits = model(**enc).logits.float()
        for i, m in zip(idx, (logits[:, 1] - logits[:, 0]).tolist(), strict=True):
            out[i] = m
    model.train()
    return out


def _dev_report(rows: list[dict], margins: list[float]) -> dict[str, float]:
    """ROC-AUC overall and of each garbling recipe against all clean rows."""
    probabilities = [1.0 / (1.0 + math.exp(-m)) for m in margins]  # same ranking as margins
    labels = [r["label"] for r in rows]
    metrics = per_recipe_metrics([r["recipe"] for r in rows], labels, probabilities, 0.5)
    return {name: m["roc_auc"] for name, m in metrics.items() if "roc_auc" in m}


def _load(init_dir: str, device):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(init_dir)
    model = AutoModelForSequenceClassification.from_pretrained(
        init_dir, num_labels=2, dtype=torch.float32
    )
    return model.to(device), tokenizer


def _optimiser(model, n_rows: int, args):
    steps = math.ceil(n_rows / args.batch_size) * args.epochs
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warmup = max(1, int(0.06 * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
    )
    return opt, sched


def _fit_epoch(model, tokenizer, rows: list[dict], optimiser, rng, args, device) -> None:
    opt, sched = optimiser
    for idx in _batches(len(rows), args.batch_size, rng):
        enc = tokenizer(
            [rows[i]["text"] for i in idx],
            truncation=True,
            max_length=args.max_length,
            padding=True,
            return_tensors="pt",
        ).to(device)
        labels = torch.tensor([rows[i]["label"] for i in idx], device=device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            loss = torch.nn.functional.cross_entropy(model(**enc).logits.float(), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)


def _texts(rows: list[dict]) -> list[str]:
    return [r["text"] for r in rows]


def _train_best_epoch(
    args, init_dir: str, splits: dict, extra: list[str], log: dict, device
) -> None:
    """One teacher on all train rows; keep the margins of the epoch with the best dev AUC."""
    rng = random.Random(args.seed)
    model, tokenizer = _load(init_dir, device)
    optimiser = _optimiser(model, len(splits["train"]), args)
    best, start = 0.0, time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        spent = time.perf_counter() - start
        if epoch > 1 and spent * epoch / (epoch - 1) > args.time_budget:
            logger.info("stopping before epoch %d: the time budget would run out", epoch)
            break
        _fit_epoch(model, tokenizer, splits["train"], optimiser, rng, args, device)
        dev = _margins(model, tokenizer, _texts(splits["dev"]), args, device)
        report = _dev_report(splits["dev"], dev)
        entry = {"epoch": epoch, "seconds": round(time.perf_counter() - start, 1), "dev": report}
        log["epochs"].append(entry)
        logger.info("epoch %d: %s", epoch, entry)
        if report["all"] > best:
            margins = {"dev": dev}
            for name in ("train", "test"):
                margins[name] = _margins(model, tokenizer, _texts(splits[name]), args, device)
            best, log["best_epoch"] = report["all"], epoch
            _write_margins(args.out / "teacher-margins.jsonl.gz", splits, margins)
            if extra:
                _write_extra(args.out, _margins(model, tokenizer, extra, args, device))
        (args.out / "teacher-log.json").write_text(json.dumps(log, indent=1))


def _train_folds(args, init_dir: str, splits: dict, extra: list[str], log: dict, device) -> None:
    """Cross-fitting: K teachers, each trained on the documents of the other folds for
    --epochs, scores its own fold's train rows (so no train margin comes from a teacher that
    saw the row or its document); dev and test margins are the mean of the K teachers."""
    train_rows = splits["train"]
    fold = [int(text_key(r["doc_id"]), 16) % args.folds for r in train_rows]
    margins = {"train": [0.0] * len(train_rows), "extra": [0.0] * len(extra)}
    for name in ("dev", "test"):
        margins[name] = [0.0] * len(splits[name])
    start = time.perf_counter()
    for k in range(args.folds):
        rng = random.Random(args.seed + k)
        rows = [r for r, f in zip(train_rows, fold, strict=True) if f != k]
        held = [i for i, f in enumerate(fold) if f == k]
        model, tokenizer = _load(init_dir, device)
        optimiser = _optimiser(model, len(rows), args)
        for _ in range(args.epochs):
            _fit_epoch(model, tokenizer, rows, optimiser, rng, args, device)
        scores = _margins(model, tokenizer, [train_rows[i]["text"] for i in held], args, device)
        for i, m in zip(held, scores, strict=True):
            margins["train"][i] = m
        scored = {
            n: _margins(model, tokenizer, _texts(splits[n]), args, device) for n in ("dev", "test")
        }
        scored["extra"] = _margins(model, tokenizer, extra, args, device)
        for name, values in scored.items():
            margins[name] = [a + m / args.folds for a, m in zip(margins[name], values, strict=True)]
        entry = {"fold": k, "train_rows": len(rows), "scored_rows": len(held)}
        entry["seconds"] = round(time.perf_counter() - start, 1)
        entry["dev"] = _dev_report(splits["dev"], scored["dev"])
        entry["test"] = _dev_report(splits["test"], scored["test"])
        log["folds"].append(entry)
        logger.info("fold %d: %s", k, entry)
        del model
    log["dev_mean_of_folds"] = _dev_report(splits["dev"], margins["dev"])
    log["test_mean_of_folds"] = _dev_report(splits["test"], margins["test"])
    log["train_out_of_fold"] = _dev_report(train_rows, margins["train"])
    extra_margins = margins.pop("extra")
    _write_margins(args.out / "teacher-margins.jsonl.gz", splits, margins)
    if extra:
        _write_extra(args.out, extra_margins)
    (args.out / "teacher-log.json").write_text(json.dumps(log, indent=1))


def train(args) -> None:
    """Fine-tune the unpacked teacher (or K cross-fitted ones); write margins and a log."""
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    splits = {s: _read_rows(args.rows, s, args.max_rows) for s in ("train", "dev", "test")}
    extra = _read_extra(args.extra) if args.extra else []
    log: dict = {"args": {k: str(v) for k, v in vars(args).items()}, "device": str(device)}
    log["epochs"], log["folds"] = [], []
    with tempfile.TemporaryDirectory() as init_dir:
        unpack(args.parts, args.meta, Path(init_dir))
        if args.folds > 1:
            _train_folds(args, init_dir, splits, extra, log, device)
        else:
            _train_best_epoch(args, init_dir, splits, extra, log, device)


def _write_margins(path: Path, splits: dict, margins: dict) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for split, rows in splits.items():
            for i, (row, m) in enumerate(zip(rows, margins[split], strict=True)):
                key = text_key(row["text"])
                f.write(json.dumps({"split": split, "i": i, "key": key, "margin": round(m, 4)}))
                f.write("\n")


def _read_extra(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


def _write_extra(out: Path, margins: list[float]) -> None:
    with gzip.open(out / "extra-margins.jsonl.gz", "wt", encoding="utf-8") as f:
        for i, m in enumerate(margins):
            f.write(json.dumps({"i": i, "margin": round(m, 4)}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("pack")
    p.add_argument("--model", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--part-mb", type=float, default=55.0)
    r = sub.add_parser("rows")
    r.add_argument("--data", type=Path, required=True)
    r.add_argument("--out", type=Path, required=True)
    t = sub.add_parser("train")
    t.add_argument("--parts", type=Path, required=True)
    t.add_argument("--meta", type=Path, required=True)
    t.add_argument("--rows", type=Path, required=True)
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--epochs", type=int, default=3)
    t.add_argument("--lr", type=float, default=3e-5)
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--max-length", type=int, default=96)
    t.add_argument("--max-rows", type=int, default=None, help="smoke tests: rows per split")
    t.add_argument("--seed", type=int, default=13)
    t.add_argument("--folds", type=int, default=1, help="K > 1: cross-fitted teachers")
    t.add_argument("--extra", type=Path, help="JSONL.gz of {'text'} rows to score as well")
    t.add_argument("--time-budget", type=float, default=420.0, help="seconds; no epoch after")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.step == "pack":
        pack(args.model, args.out, args.part_mb)
    elif args.step == "rows":
        export_rows(args.data, args.out)
    else:
        args.out.mkdir(parents=True, exist_ok=True)
        train(args)


if __name__ == "__main__":
    main()
