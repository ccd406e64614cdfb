"""Real labelled MT rows for training: WMT23 zh-en with expert MQM error spans.

``../shared/data/mqm_wmt23_train.jsonl`` (see its README) labels a row 1 where a rater marked a
major error that a reader sees without the source (or a spun human reference), 0 for clean
references and error-free MT. Its documents are split by a hash of ``doc_id`` into train and a
dev part that is only ever used to choose. Label-1 rows are longer than label-0 rows, so the
train rows are resampled to the same share of garbled rows in every length bin: length alone
then tells nothing.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import defaultdict
from pathlib import Path

from training.config import RealDataConfig
from training.metrics import length_bin

NON_TRANSLATION = "non-translation!"


def is_dev_document(doc_id: str, fraction: float) -> bool:
    """Whether a document belongs to the dev part (a stable hash of its id)."""
    digest = hashlib.sha256(doc_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < fraction


def _visible_spans(row: dict) -> list[list[int]]:
    """Return the [start, end) spans of the row's visible errors (non-empty ones)."""
    return [[e["start"], e["end"]] for e in row.get("errors") or [] if e.get("visible")]


def _usable(row: dict) -> bool:
    """Rows with a label; label-1 rows only where something visible beyond a hallucination."""
    if row.get("label") not in (0, 1):
        return False
    if row["label"] == 0 or row.get("spun_reference"):
        return True
    visible = [e for e in row.get("errors") or [] if e.get("visible")]
    return any(e["category"] != NON_TRANSLATION for e in visible)


def read_mqm(path: str | Path) -> list[dict]:
    """Return the usable rows as ``{text, label, spans, doc_id, kind}`` dicts."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if not _usable(row):
                continue
            kind = "spun_reference" if row.get("spun_reference") else "mt"
            kind = "reference" if row["is_human"] and not row.get("spun_reference") else kind
            spans = _visible_spans(row) if row["label"] == 1 else []
            rows.append(
                {
                    "text": row["text"],
                    "label": int(row["label"]),
                    "spans": spans,
                    "doc_id": row["doc_id"],
                    "kind": kind,
                }
            )
    return rows


def balance_lengths(rows: list[dict], garbled_share: float, seed: int) -> list[dict]:
    """Repeat rows so that every length bin holds about ``garbled_share`` garbled rows.

    In each bin the rarer class is repeated (whole copies, then a seeded sample) up to the
    share; a bin with one class only is left as it is.
    """
    rng = random.Random(seed)
    bins: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        bins[length_bin(row["text"])].append(row)
    out: list[dict] = []
    for b in sorted(bins):
        pos = [r for r in bins[b] if r["label"] == 1]
        neg = [r for r in bins[b] if r["label"] == 0]
        if pos and neg:
            want_pos = garbled_share / (1 - garbled_share) * len(neg)
            if len(pos) < want_pos:
                pos = _repeat(pos, round(want_pos), rng)
            else:
                neg = _repeat(neg, round(len(pos) * (1 - garbled_share) / garbled_share), rng)
        out += pos + neg
    rng.shuffle(out)
    return out


def _repeat(rows: list[dict], n: int, rng: random.Random) -> list[dict]:
    """Return ``n`` rows: whole copies of ``rows``, then a sample of the remainder."""
    if n <= len(rows):
        return list(rows)
    whole, rest = divmod(n, len(rows))
    return rows * whole + rng.sample(rows, rest)


def real_splits(cfg: RealDataConfig, seed: int) -> tuple[list[dict], list[dict]]:
    """Return (train rows, length-balanced, ``cfg.copies`` times; dev rows, as they are)."""
    rows = read_mqm(cfg.path)
    dev = [r for r in rows if is_dev_document(r["doc_id"], cfg.dev_fraction)]
    train = [r for r in rows if not is_dev_document(r["doc_id"], cfg.dev_fraction)]
    return balance_lengths(train, cfg.garbled_share, seed) * cfg.copies, dev
