"""Calibration (Platt scaling) and threshold choice, on the dev split only."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.stats import beta
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from detector.meta import Calibration
from training.config import CalibrationConfig

MIN_GROUP = 100


def fit_platt(
    margins: Sequence[float], labels: Sequence[int], prior: float | None = None
) -> Calibration:
    """Return the Platt scaling that maps logit margins to calibrated probabilities.

    With ``prior`` the garbled rows are weighted so that they make up that share of the fit:
    the probabilities are then calibrated for text in which ``prior`` of the sentences are
    garbled, rather than for the labelled rows' own mix.
    """
    y = np.asarray(labels, dtype=int)
    weights = np.ones(len(y))
    if prior is not None:
        if not 0.0 < prior < 1.0:
            raise ValueError(f"calibration prior must be between 0 and 1, got {prior}")
        weights[y == 1] = prior / (1 - prior) * (y == 0).sum() / max(int(y.sum()), 1)
    lr = LogisticRegression(C=1e4)
    lr.fit(np.asarray(margins, dtype=float).reshape(-1, 1), y, sample_weight=weights)
    return Calibration("platt", float(lr.coef_[0, 0]), float(lr.intercept_[0]), prior)


def allowed_flags(n: int, max_fpr: float, confidence: float | None = None) -> int:
    """Return how many of ``n`` clean rows a threshold may flag to keep the FPR <= ``max_fpr``.

    Without ``confidence``: ``floor(max_fpr * n)``. With it: the most flags whose one-sided
    Clopper-Pearson upper bound on the FPR is still <= ``max_fpr`` (-1 if even none is).
    """
    k = int(np.floor(max_fpr * n))
    if confidence is not None:
        while k >= 0 and beta.ppf(confidence, k + 1, n - k) > max_fpr:
            k -= 1
    return k


def fpr_floor(
    clean_scores: Sequence[float], max_fpr: float, confidence: float | None = None
) -> float:
    """Return the lowest 4-decimal threshold that flags at most ``max_fpr`` of these scores
    (at ``confidence``, see :func:`allowed_flags`)."""
    clean = np.sort(np.asarray(clean_scores, dtype=float))
    k = allowed_flags(len(clean), max_fpr, confidence)
    if k < 0:
        return 1.0
    return math.floor(clean[len(clean) - k - 1] * 1e4 + 1) / 1e4 if k < len(clean) else 0.0


def register_floor(
    scores: Sequence[float], labels: Sequence[int], groups: Sequence[str], max_fpr: float
) -> float:
    """Return the lowest threshold whose FPR is <= ``max_fpr`` on the clean rows of every group.

    Groups (registers) with fewer than ``MIN_GROUP`` clean rows are pooled into one.
    """
    by_group: dict[str, list[float]] = {}
    for s, y, g in zip(scores, labels, groups, strict=True):
        if y == 0:
            by_group.setdefault(g, []).append(s)
    small = [g for g, v in by_group.items() if len(v) < MIN_GROUP]
    pooled = [s for g in small for s in by_group.pop(g)]
    if pooled:
        by_group["(small registers)"] = pooled
    return max(fpr_floor(v, max_fpr) for v in by_group.values())


def choose_threshold(
    scores: Sequence[float],
    labels: Sequence[int],
    max_fpr: float,
    groups: Sequence[str] | None = None,
    rule: str = "best_f1",
    at_least: float = 0.0,
) -> float:
    """Return a threshold whose false-positive rate is <= ``max_fpr`` (in every group if given).

    ``rule="max_recall"`` returns the lowest such threshold that is also >= ``at_least``;
    ``"best_f1"`` the one above it with the best F1.
    """
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=int)
    if groups is None:
        floor = fpr_floor(s[y == 0], max_fpr)
    else:
        floor = register_floor(scores, labels, groups, max_fpr)
    floor = max(floor, at_least)
    if rule == "max_recall":
        return floor
    candidates = np.unique(np.round(s[s >= floor], 4))
    best, best_f1 = floor, -1.0
    for t in [floor, *candidates[:: max(1, len(candidates) // 500)]]:
        if t < floor:
            continue
        f1 = f1_score(y, (s >= t).astype(int), zero_division=0)
        if f1 > best_f1:
            best, best_f1 = float(t), f1
    return best


def calibrate(
    margins: Sequence[float],
    labels: Sequence[int],
    max_fpr: float,
    groups: Sequence[str] | None = None,
    rule: str = "best_f1",
) -> tuple[Calibration, float]:
    """Return the Platt calibration of dev margins and the threshold chosen on those dev rows."""
    calibration = fit_platt(margins, labels)
    probs = [calibration.probability(m) for m in margins]
    return calibration, choose_threshold(probs, labels, max_fpr, groups, rule)


HARD_NEGATIVE = "hard_negative"


def registers(split) -> list[str]:
    """Return each row's register for the threshold: its domain, or "hard_negative"."""
    pairs = zip(split["recipe"], split["domain"], strict=True)
    return [r if r == HARD_NEGATIVE else d for r, d in pairs]


def calibrate_on_split(
    margins: list[float], split, rule: CalibrationConfig
) -> tuple[Calibration, float]:
    """Return the Platt calibration (for ``rule.prior``) and the threshold chosen by ``rule``.

    With ``rule.confidence`` the threshold also keeps the FPR's upper confidence bound under
    the cap on the clean rows of all registers pooled (hard negatives have their own cap).
    """
    labels, groups = list(split["label"]), registers(split)
    calibration = fit_platt(margins, labels, rule.prior)
    probs = [calibration.probability(m) for m in margins]
    at_least = 0.0
    if rule.confidence is not None:
        rows = zip(probs, labels, groups, strict=True)
        natural = [p for p, y, g in rows if y == 0 and g != HARD_NEGATIVE]
        at_least = fpr_floor(natural, rule.max_fpr, rule.confidence)
    scope = groups if rule.per_register else None
    threshold = choose_threshold(probs, labels, rule.max_fpr, scope, rule.rule, at_least)
    return calibration, threshold
