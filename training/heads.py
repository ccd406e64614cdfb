"""`garble-train heads`: fit a model folder's span and type heads on its frozen hidden states.

The trained encoder runs once over labelled rows and its last hidden states are kept; two
logistic regressions are fitted on them (detector/heads.py applies them):

- span head, per token: inside a garbled stretch or not. Rows: own train rows (a recipe's
  changed characters, garbled rows; none in clean ones) and the rated rows of the MQM train
  documents (their visible error spans, any severity; spun references left out: raters
  marked little in them).
- type head, per garbled row, on the mean of its token states: spinner or MT. Rows: the own
  train rows of the spinner and MT recipes, the MQM train rows of label 1 (MT) and its spun
  references of label 1 (spinner).

Selection rule, fixed before any run: the span threshold is the one of 0.05, 0.10, ..., 0.95
that maximises the mean of the character F1 on the own dev split's garbled rows and the
character MCC on the MQM dev documents' label-1 MT rows (documents cut by
``training.real_data.is_dev_document``). Test sets are never read here.
"""

from __future__ import annotations

import json
import logging
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detector.api import GarbleDetector, length_batches
from detector.heads import Heads, char_spans, mean_states
from detector.meta import ModelMeta
from training.card import write_card
from training.config import Config, HeadsConfig
from training.metrics import span_metrics
from training.real_data import is_dev_document
from training.token_loss import token_labels

logger = logging.getLogger(__name__)

TYPE_OF_RECIPE = {"mt_round_trip": "mt", "mt_noise": "mt", "spinner": "spinner"}
THRESHOLDS = [round(0.05 * k, 2) for k in range(1, 20)]


@dataclass
class Row:
    """A labelled sentence: gold garbled spans (character offsets), its type (mt, spinner or
    clean), where it comes from, and whether its spans may teach the span head."""

    text: str
    spans: list[list[int]]
    kind: str
    source: str
    span_gold: bool = True


@dataclass
class States:
    """A row's non-special tokens (offsets into its text), their last hidden states (fp16) and
    the mean state over all its tokens (what the type head reads)."""

    offsets: list[tuple[int, int]]
    tokens: np.ndarray
    mean: np.ndarray


def own_rows(data_dir: str | Path, split: str, garbled: int, clean: int, seed: int) -> list[Row]:
    """Return a seeded sample of ``garbled`` garbled and ``clean`` clean rows of a prepared split
    (hard negatives count as clean, with no spans)."""
    from datasets import load_from_disk

    data = load_from_disk(str(data_dir))[split]
    rng = random.Random(seed)
    rows = [
        Row(r["text"], [list(s) for s in r["spans"]] if r["label"] else [], kind, "own")
        for r in data
        for kind in [TYPE_OF_RECIPE.get(r["recipe"], "clean") if r["label"] else "clean"]
    ]
    pos = [r for r in rows if r.kind != "clean"]
    neg = [r for r in rows if r.kind == "clean"]
    return rng.sample(pos, min(garbled, len(pos))) + rng.sample(neg, min(clean, len(neg)))


def mqm_rows(path: str | Path, dev_fraction: float, dev: bool) -> list[Row]:
    """Return the rows of the MQM train file's train (or dev) documents that teach a head:
    rated rows with their visible error spans, and spun references of label 1 (type only)."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if is_dev_document(r["doc_id"], dev_fraction) != dev:
                continue
            spans = [[e["start"], e["end"]] for e in r.get("errors") or [] if e.get("visible")]
            if r.get("spun_reference"):
                if r.get("label") == 1:
                    rows.append(Row(r["text"], spans, "spinner", "mqm-spun", span_gold=False))
            elif r.get("raters", 0) > 0:
                kind = "mt" if r.get("label") == 1 and not r["is_human"] else "clean"
                source = "mqm-mt" if not r["is_human"] else "mqm-ref"
                rows.append(Row(r["text"], [s for s in spans if s[0] < s[1]], kind, source))
    return rows


def hidden_states(detector: GarbleDetector, texts: list[str]) -> list[States]:
    """Return the last hidden states of each text's first window (``max_length`` tokens)."""
    encodings = detector.encoder.encode(texts)
    out: list[States | None] = [None] * len(texts)
    batches = length_batches(encodings, detector.batch_size)
    for no, idx in enumerate(batches):
        padded = detector.encoder.pad([encodings[k] for k in idx])
        _, hidden = detector.backend.forward(padded, hidden=True)
        means = mean_states(hidden, padded["attention_mask"])
        for row, k in enumerate(idx):
            keep = [j for j, (a, b) in enumerate(encodings[k].offsets) if b > a]
            offsets = [tuple(encodings[k].offsets[j]) for j in keep]
            out[k] = States(offsets, hidden[row, keep].astype(np.float16), means[row])
        if no % 50 == 0:
            logger.info("hidden states: batch %d of %d", no + 1, len(batches))
    return out


def _span_data(rows: list[Row], states: list[States]) -> tuple[np.ndarray, np.ndarray]:
    """Return the token states and 0/1 labels of the rows whose spans teach the span head."""
    xs, ys = [], []
    for row, st in zip(rows, states, strict=True):
        if row.span_gold and st.offsets:
            xs.append(st.tokens)
            ys.append(token_labels(st.offsets, row.spans))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys)


def _fit_logistic(
    x: np.ndarray, y: np.ndarray, c: float, seed: int, balanced: bool = False
) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    weights = "balanced" if balanced else None
    model = LogisticRegression(C=c, max_iter=500, random_state=seed, class_weight=weights)
    model.fit(x, y)
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


def predicted_spans(heads: Heads, rows: list[Row], states: list[States], threshold: float):
    """Return each row's predicted spans (offsets into its text) at ``threshold``."""
    out = []
    for row, st in zip(rows, states, strict=True):
        scores = heads.token_scores(st.tokens[None].astype(np.float32))[0].tolist()
        out.append([[a, b] for a, b, _ in char_spans(st.offsets, scores, row.text, threshold)])
    return out


def span_figures(heads: Heads, rows: list[Row], states: list[States], threshold: float) -> dict:
    """Return the character-level span metrics of the rows at ``threshold``."""
    predicted = predicted_spans(heads, rows, states, threshold)
    return span_metrics([r.text for r in rows], [r.spans for r in rows], predicted)


def fit_heads(folder: str | Path, config: Config, command: str = "") -> Heads:
    """Fit, choose (on dev) and save the span and type heads of a trained model folder, and
    rewrite its model card; ``command`` (the one that ran) is recorded in ``heads.json``."""
    cfg: HeadsConfig = config.heads or HeadsConfig()
    data_dir = config.data.output_dir
    seed = config.seed
    detector = GarbleDetector.from_pretrained(folder, backend="torch", threads=config.train.threads)
    train_rows = own_rows(data_dir, "train", cfg.own_garbled, cfg.own_clean, seed)
    train_rows += mqm_rows(cfg.mqm, cfg.mqm_dev_fraction, dev=False)
    own_dev = [r for r in own_rows(data_dir, "dev", cfg.dev_rows, 0, seed) if r.spans]
    mqm_dev_all = mqm_rows(cfg.mqm, cfg.mqm_dev_fraction, dev=True)
    mqm_dev = [r for r in mqm_dev_all if r.kind == "mt" and r.spans]
    spun_dev = [r for r in mqm_dev_all if r.kind == "spinner"]
    logger.info(
        "heads: %d train rows, %d own dev and %d MQM dev rows",
        len(train_rows),
        len(own_dev),
        len(mqm_dev),
    )
    train_states = hidden_states(detector, [r.text for r in train_rows])
    x, y = _span_data(train_rows, train_states)
    logger.info("span head: %d tokens, %.1f %% garbled", len(y), 100 * y.mean())
    span_w, span_b = _fit_logistic(x, y, cfg.c, seed)
    del x, y
    typed = [(r, s) for r, s in zip(train_rows, train_states, strict=True) if r.kind != "clean"]
    tx = np.stack([s.mean for _, s in typed])
    ty = np.array([r.kind == "spinner" for r, _ in typed], dtype=int)
    # Balanced: MT rows outnumber spinner rows about two to one; neither type is the default.
    type_w, type_b = _fit_logistic(tx, ty, cfg.c, seed, balanced=True)
    heads = Heads(span_w, span_b, type_w, type_b, 0.5)
    own_states = hidden_states(detector, [r.text for r in own_dev])
    mqm_states = hidden_states(detector, [r.text for r in mqm_dev])
    grid = {}
    for t in THRESHOLDS:
        own = span_figures(heads, own_dev, own_states, t)
        mqm = span_figures(heads, mqm_dev, mqm_states, t)
        grid[t] = {"own_dev": own, "mqm_dev": mqm, "objective": (own["f1"] + mqm["mcc"]) / 2}
        logger.info("span threshold %.2f: own F1 %.4f, MQM MCC %.4f", t, own["f1"], mqm["mcc"])
    best = max(grid, key=lambda t: grid[t]["objective"])
    heads.span_threshold = best
    heads.info = {
        "span_head": "logistic regression on the last hidden state of each token",
        "type_head": "logistic regression on the mean last hidden state: spinner vs mt",
        "rule": "span threshold maximising (own dev garbled-row char F1 + MQM dev char MCC) / 2",
        "train": {
            "rows": len(train_rows),
            "by_source": _counts(train_rows, "source"),
            "by_kind": _counts(train_rows, "kind"),
            "type_rows": len(typed),
        },
        "config": cfg.model_dump(),
        "command": command or f"garble-train heads --model {folder} --config <config>",
        "dev": grid[best],
        "dev_type": _type_dev(
            heads,
            {
                "own_mt": _of_kind(own_dev, own_states, "mt"),
                "own_spinner": _of_kind(own_dev, own_states, "spinner"),
                "mqm_mt": (mqm_dev, mqm_states),
                "mqm_spun": (spun_dev, hidden_states(detector, [r.text for r in spun_dev])),
            },
        ),
    }
    heads.save(folder)
    write_card(Path(folder), ModelMeta.load(folder))
    logger.info("span threshold %.2f chosen; heads written to %s", best, folder)
    return heads


def _of_kind(rows: list[Row], states: list[States], kind: str):
    picked = [(r, s) for r, s in zip(rows, states, strict=True) if r.kind == kind]
    return [r for r, _ in picked], [s for _, s in picked]


def _counts(rows: list[Row], field: str) -> dict[str, int]:
    return dict(Counter(getattr(r, field) for r in rows))


def _type_dev(heads: Heads, groups: dict[str, tuple[list[Row], list[States]]]) -> dict:
    """Return, per group of garbled dev rows, the share the type head types right."""
    out = {}
    for name, (rows, states) in groups.items():
        if not rows:
            continue
        p = heads.spinner_of_means(np.stack([s.mean for s in states]))
        want = np.array([r.kind == "spinner" for r in rows])
        out[name] = {"rows": len(rows), "typed_right": round(float(((p >= 0.5) == want).mean()), 4)}
    return out
