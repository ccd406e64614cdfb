"""Training with ``model.train_top_layers``: cache, train the top layers, choose, calibrate, save.

Every choice is made on three dev sets, scored after each epoch: the own dev split (a seeded
sample of ``train.max_dev_examples`` rows), the real dev set ``train.real_dev`` (WMT 2009/2011/
2013 MT against human references; chosen on, never trained on) and the dev part of the real
training data (``real_data``). Rule, fixed before any run: the epoch with the best mean ROC-AUC
of the two real dev sets, among the epochs whose own-dev ROC-AUC is within 0.01 of the best.
"""

from __future__ import annotations

import logging
import time

import torch
from datasets import Dataset, DatasetDict
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from detector.meta import ModelMeta
from training.calibrate import calibrate_on_split
from training.config import Config
from training.encoder import LABELS, route
from training.evaluate import read_labelled
from training.metrics import binary_metrics, per_recipe_metrics
from training.real_data import real_splits
from training.token_loss import token_labels
from training.top_layers import Cached, SplitEncoder, cache_lower, fit_top_layers, upper_margins

logger = logging.getLogger(__name__)

OWN_DEV, REAL_DEV, MQM_DEV = "own_dev", "real_dev", "mqm_dev"
OWN_DEV_SLACK = 0.01
SELECTION_RULE = (
    "the epoch with the best mean ROC-AUC of the real dev sets, among the epochs whose own-dev "
    f"ROC-AUC is within {OWN_DEV_SLACK} of the best"
)


def _sample(split: Dataset, n: int | None, seed: int) -> Dataset:
    return split if n is None or n >= len(split) else split.shuffle(seed=seed).select(range(n))


def _encode(tokenizer, texts: list[str], spans: list[list], max_length: int):
    enc = tokenizer(texts, truncation=True, max_length=max_length, return_offsets_mapping=True)
    tags = [token_labels(o, s) for o, s in zip(enc["offset_mapping"], spans, strict=True)]
    return enc["input_ids"], tags


def _auc(labels: list[int], margins: list[float]) -> float:
    return round(binary_metrics(labels, margins, 0.0)["roc_auc"], 4)


def choose_epoch(scores: dict[int, dict[str, float]]) -> int:
    """Return the epoch chosen by the module's rule from ``{epoch: {dev set: ROC-AUC}}``."""
    best_own = max(s[OWN_DEV] for s in scores.values())
    eligible = [e for e, s in scores.items() if s[OWN_DEV] >= best_own - OWN_DEV_SLACK]
    real = [k for k in (REAL_DEV, MQM_DEV) if k in next(iter(scores.values()))]
    if not real:
        return max(eligible, key=lambda e: scores[e][OWN_DEV])
    return max(eligible, key=lambda e: sum(scores[e][k] for k in real) / len(real))


def train_top(
    config: Config, dsd: DatasetDict, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase
) -> tuple[ModelMeta, SplitEncoder]:
    """Train ``model``'s top layers on the prepared (and real) rows; return its meta and split."""
    t, seed, max_length = config.train, config.seed, config.model.max_length
    torch.set_num_threads(t.threads or torch.get_num_threads())
    if config.model.train_top_layers is None:
        raise ValueError("train_top needs model.train_top_layers")
    split = SplitEncoder(model.eval(), config.model.train_top_layers, bf16=t.bf16)
    train = _sample(dsd["train"], t.max_train_examples, seed)
    dev = _sample(dsd["dev"], t.max_dev_examples, seed)
    test = _sample(dsd["test"], t.max_test_examples, seed)
    texts, labels = list(train["text"]), list(train["label"])
    spans = [s if y else [] for s, y in zip(train["spans"], labels, strict=True)]
    real_dev_rows: list[dict] = []
    if config.real_data is not None:
        real_train, real_dev_rows = real_splits(config.real_data, seed)
        logger.info(
            "real data: %d train rows (balanced), %d dev rows", len(real_train), len(real_dev_rows)
        )
        texts += [r["text"] for r in real_train]
        labels += [r["label"] for r in real_train]
        spans += [r["spans"] for r in real_train]
    ids, tags = _encode(tokenizer, texts, spans, max_length)
    pad = tokenizer.pad_token_id

    def cache(rows: list[str]) -> Cached:
        return cache_lower(
            split, tokenizer(rows, truncation=True, max_length=max_length)["input_ids"], pad
        )

    start = time.perf_counter()
    logger.info("caching the frozen layers for %d train rows", len(ids))
    cached_train = cache_lower(split, ids, pad)
    sets: dict[str, tuple[Cached, list[int]]] = {
        OWN_DEV: (cache(list(dev["text"])), list(dev["label"]))
    }
    if t.real_dev:
        real = read_labelled(t.real_dev)
        sets[REAL_DEV] = (cache(real.texts), real.labels)
    if real_dev_rows:
        sets[MQM_DEV] = (
            cache([r["text"] for r in real_dev_rows]),
            [r["label"] for r in real_dev_rows],
        )
    cached_test = cache(list(test["text"]))
    cache_seconds = time.perf_counter() - start

    scores: dict[int, dict[str, float]] = {}
    states: dict[int, dict[str, torch.Tensor]] = {}
    prefixes = split.trained_prefixes()

    def after_epoch(epoch: int) -> None:
        scores[epoch] = {k: _auc(y, upper_margins(split, c)) for k, (c, y) in sets.items()}
        logger.info("epoch %d dev ROC-AUC %s", epoch, scores[epoch])
        states[epoch] = {
            k: v.detach().clone()
            for k, v in model.state_dict().items()
            if k.startswith(tuple(prefixes))
        }

    loss = fit_top_layers(split, cached_train, labels, tags, t, seed, after_epoch)
    chosen = choose_epoch(scores)
    model.load_state_dict(states[chosen], strict=False)
    logger.info("chose epoch %d of %d", chosen, len(scores))
    train_seconds = time.perf_counter() - start

    dev_m = upper_margins(split, sets[OWN_DEV][0])
    meta = ModelMeta(name=config.name, version=config.version, labels=LABELS, max_length=max_length)
    meta.calibration, meta.threshold = calibrate_on_split(dev_m, dev, config.calibration)
    prob = meta.calibration.probability
    test_m = upper_margins(split, cached_test)
    meta.metrics = {
        "dev": per_recipe_metrics(
            list(dev["recipe"]), list(dev["label"]), [prob(m) for m in dev_m], meta.threshold
        ),
        "test": per_recipe_metrics(
            list(test["recipe"]), list(test["label"]), [prob(m) for m in test_m], meta.threshold
        ),
        "selection": {
            "rule": SELECTION_RULE,
            "epochs": scores,
            "chosen": chosen,
        },
        "training": {
            "final_loss": round(loss, 4),
            "seconds": round(train_seconds, 1),
            "cache_seconds": round(cache_seconds, 1),
            "examples": len(ids),
            "route": route(),
        },
    }
    return meta, split
