"""Classification metrics, overall and per corruption recipe."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    f1_score,
    matthews_corrcoef,
    precision_score,
    recall_score,
    roc_auc_score,
)


def calibration_bins(
    labels: Sequence[int], scores: Sequence[float], bins: int = 10
) -> list[tuple[float, float, int]]:
    """Return (mean score, fraction garbled, rows) for each non-empty equal-width score bin."""
    y = np.asarray(labels, dtype=float)
    s = np.asarray(scores, dtype=float)
    which = np.minimum((s * bins).astype(int), bins - 1)
    return [
        (float(s[which == b].mean()), float(y[which == b].mean()), int((which == b).sum()))
        for b in range(bins)
        if (which == b).any()
    ]


def expected_calibration_error(
    labels: Sequence[int], scores: Sequence[float], bins: int = 10
) -> float:
    """Return the ECE: the bin-weighted gap between mean score and fraction garbled."""
    gaps = [abs(s - y) * n for s, y, n in calibration_bins(labels, scores, bins)]
    return float(sum(gaps) / max(len(labels), 1))


def has_both_labels(labels: Sequence[int]) -> bool:
    """Return True when ``labels`` hold garbled and clean rows (ranking metrics need both)."""
    y = np.asarray(labels, dtype=int)
    return bool(0 < y.sum() < len(y))


def binary_metrics(labels: Sequence[int], scores: Sequence[float], threshold: float) -> dict:
    """Return n, ROC-AUC, average precision, and at ``threshold`` F1, precision, recall,
    false-positive rate and MCC, plus the expected calibration error."""
    y = np.asarray(labels, dtype=int)
    s = np.asarray(scores, dtype=float)
    pred = (s >= threshold).astype(int)
    negatives = max(int((y == 0).sum()), 1)
    both = has_both_labels(y)
    out = {
        "n": len(y),
        "positives": int(y.sum()),
        "roc_auc": float(roc_auc_score(y, s)) if both else None,
        "average_precision": float(average_precision_score(y, s)) if both else None,
        "f1": float(f1_score(y, pred, zero_division=0)),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "fpr": float(((pred == 1) & (y == 0)).sum() / negatives),
        "mcc": float(matthews_corrcoef(y, pred)) if both else None,
        "ece": expected_calibration_error(y, s),
    }
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}


def per_recipe_metrics(
    recipes: Sequence[str], labels: Sequence[int], scores: Sequence[float], threshold: float
) -> dict[str, dict]:
    """Return metrics overall and for each garbling recipe against all clean rows."""
    labels = list(labels)
    out = {"all": binary_metrics(labels, scores, threshold)}
    clean = [i for i, y in enumerate(labels) if y == 0]
    for recipe in sorted({r for r, y in zip(recipes, labels, strict=True) if y == 1}):
        idx = clean + [i for i, r in enumerate(recipes) if r == recipe and labels[i] == 1]
        out[recipe] = binary_metrics([labels[i] for i in idx], [scores[i] for i in idx], threshold)
    for recipe in sorted({r for r, y in zip(recipes, labels, strict=True) if y == 0}):
        idx = [i for i, r in enumerate(recipes) if r == recipe]
        flagged = sum(scores[i] >= threshold for i in idx)
        out[f"{recipe} (clean)"] = {"n": len(idx), "fpr": round(flagged / len(idx), 4)}
    return out


# Word-count bins (lower bounds) for ROC-AUC with length held fixed.
LENGTH_BINS = (0, 10, 20, 30, 45, 70)


def length_bin(text: str) -> int:
    """Return the index of the word-count bin of ``text`` (LENGTH_BINS)."""
    words = len(text.split())
    return max(i for i, low in enumerate(LENGTH_BINS) if words >= low)


def length_held_roc_auc(
    texts: Sequence[str], labels: Sequence[int], scores: Sequence[float]
) -> float | None:
    """Return the mean ROC-AUC within word-count bins, weighted by the bins' rows.

    Bins that hold one class only are left out; None if no bin holds both. Where garbled rows
    are longer than clean ones, this says how well a scorer ranks rows of equal length.
    """
    bins: dict[int, list[int]] = {}
    for i, text in enumerate(texts):
        bins.setdefault(length_bin(text), []).append(i)
    total, weight = 0.0, 0
    for idx in bins.values():
        y = [labels[i] for i in idx]
        if has_both_labels(y):
            total += roc_auc_score(y, [scores[i] for i in idx]) * len(idx)
            weight += len(idx)
    return float(total / weight) if weight else None


def char_marks(text: str, spans: Sequence[Sequence[int]]) -> np.ndarray:
    """Return, for each non-whitespace character of ``text``, whether a span covers it."""
    marked = np.zeros(len(text), dtype=bool)
    for start, end in spans:
        marked[max(start, 0) : max(end, 0)] = True
    visible = np.array([not c.isspace() for c in text], dtype=bool)
    return marked[visible]


def span_metrics(
    texts: Sequence[str],
    gold: Sequence[Sequence[Sequence[int]]],
    predicted: Sequence[Sequence[Sequence[int]]],
) -> dict:
    """Character-level precision, recall, F1 and MCC of predicted spans against gold spans,
    over all non-whitespace characters of the texts pooled (as WMT word-level QE pools words)."""
    none = [np.zeros(0, dtype=bool)]
    want = np.concatenate([char_marks(t, g) for t, g in zip(texts, gold, strict=True)] or none)
    got = np.concatenate([char_marks(t, p) for t, p in zip(texts, predicted, strict=True)] or none)
    tp = int((want & got).sum())
    precision = tp / int(got.sum()) if got.any() else 0.0
    recall = tp / int(want.sum()) if want.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    mcc = float(matthews_corrcoef(want, got)) if want.any() and not want.all() else 0.0
    return {
        "rows": len(texts),
        "chars": int(want.size),
        "gold_share": round(float(want.mean()) if want.size else 0.0, 4),
        "marked_share": round(float(got.mean()) if got.size else 0.0, 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "mcc": round(mcc, 4),
    }
