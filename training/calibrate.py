"""Calibration (Platt scaling) and threshold choice, on the dev split only."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from detector.meta import Calibration


def fit_platt(margins: Sequence[float], labels: Sequence[int]) -> Calibration:
    """Return the Platt scaling that maps logit margins to calibrated probabilities."""
    lr = LogisticRegression(C=1e4)
    lr.fit(np.asarray(margins, dtype=float).reshape(-1, 1), np.asarray(labels, dtype=int))
    return Calibration("platt", float(lr.coef_[0, 0]), float(lr.intercept_[0]))


def choose_threshold(scores: Sequence[float], labels: Sequence[int], max_fpr: float) -> float:
    """Return the threshold with the best F1 among those whose false-positive rate <= max_fpr."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=int)
    clean = np.sort(s[y == 0])
    # Scores are reported to 4 decimals: the lowest such threshold above the clean score that
    # would otherwise push the false-positive rate past max_fpr.
    k = int(np.floor(max_fpr * len(clean)))
    floor = math.floor(clean[len(clean) - k - 1] * 1e4 + 1) / 1e4 if k < len(clean) else 0.0
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
    margins: Sequence[float], labels: Sequence[int], max_fpr: float
) -> tuple[Calibration, float]:
    """Return the Platt calibration of dev margins and the threshold chosen on those dev rows."""
    calibration = fit_platt(margins, labels)
    probs = [calibration.probability(m) for m in margins]
    return calibration, choose_threshold(probs, labels, max_fpr)
