"""Threshold choice, Platt calibration and per-recipe metrics on hand-checked numbers."""

import math
import random

import pytest

from detector.meta import Calibration
from training.calibrate import MIN_GROUP, allowed_flags, choose_threshold, fit_platt, fpr_floor
from training.metrics import binary_metrics, per_recipe_metrics


def test_threshold_keeps_false_positive_rate_in_bounds():
    rng = random.Random(0)
    labels = [0] * 200 + [1] * 200
    scores = [rng.random() * 0.7 for _ in range(200)] + [
        0.3 + rng.random() * 0.7 for _ in range(200)
    ]
    for max_fpr in (0.0, 0.02, 0.05, 0.2):
        t = choose_threshold(scores, labels, max_fpr)
        fp = sum(s >= t for s, y in zip(scores, labels, strict=True) if y == 0)
        assert fp <= max_fpr * 200


def test_threshold_is_best_f1_when_classes_separate():
    assert choose_threshold([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], 0.05) <= 0.8


def test_per_register_threshold_caps_every_register():
    # Register "a": clean scores 0.00..0.99; register "b": clean scores 0.50..0.99 (harder).
    n = MIN_GROUP
    a = [i / n for i in range(n)]
    b = [0.5 + i / (2 * n) for i in range(n)]
    scores = a + b + [0.995] * 10
    labels = [0] * (2 * n) + [1] * 10
    groups = ["a"] * n + ["b"] * n + ["pos"] * 10
    pooled = choose_threshold(scores, labels, 0.02, rule="max_recall")
    per_reg = choose_threshold(scores, labels, 0.02, groups, rule="max_recall")
    # Pooled, 2 % of 200 clean rows = 4 may be flagged, all from "b"; per register only 2 of b.
    assert pooled == pytest.approx(0.9801) and per_reg == pytest.approx(0.9851)
    flagged_b = sum(s >= per_reg for s in b)
    assert flagged_b == 2


def test_small_registers_are_pooled():
    n = MIN_GROUP // 2
    scores = [i / n for i in range(n)] * 2
    labels = [0] * (2 * n)
    groups = ["x"] * n + ["y"] * n
    assert choose_threshold(scores, labels, 0.02, groups, "max_recall") == choose_threshold(
        scores, labels, 0.02, rule="max_recall"
    )


def test_platt_recovers_a_logistic_mapping():
    rng = random.Random(1)
    margins = [rng.uniform(-6, 6) for _ in range(4000)]
    labels = [int(rng.random() < 1 / (1 + math.exp(-(0.5 * m - 1)))) for m in margins]
    cal = fit_platt(margins, labels)
    assert cal.a == pytest.approx(0.5, abs=0.1) and cal.b == pytest.approx(-1, abs=0.2)


def test_allowed_flags_by_hand():
    # Point estimate: floor(2 % of n). With 95 % confidence and no flag at all, the
    # Clopper-Pearson upper bound is 1 - 0.05 ** (1 / n): under 2 % for n = 150, so no flag
    # is allowed there (one flag would bound it near 3 %) ...
    assert allowed_flags(150, 0.02) == 3
    assert 1 - 0.05 ** (1 / 150) < 0.02 < 1 - 0.05 ** (1 / 148)
    assert allowed_flags(150, 0.02, 0.95) == 0
    # ... none for n = 148: even flagging nothing cannot show the cap at that confidence.
    assert allowed_flags(148, 0.02, 0.95) == -1
    # Large n: about 1.645 standard errors (sqrt(0.02 * 0.98 * n) = 14 flags) under the cap.
    assert 200 - 14 * 1.645 - 2 <= allowed_flags(10_000, 0.02, 0.95) <= 200 - 14 * 1.645 + 2
    assert all(allowed_flags(n, 0.05, 0.9) < allowed_flags(n, 0.05) for n in range(100, 3000, 97))


def test_fpr_floor_with_confidence_flags_fewer_rows():
    clean = [i / 1000 for i in range(1000)]
    assert fpr_floor(clean, 0.02) == pytest.approx(0.9791)  # just above the 21st: flags 20
    k = allowed_flags(1000, 0.02, 0.95)
    assert sum(s >= fpr_floor(clean, 0.02, 0.95) for s in clean) == k < 20
    assert fpr_floor(clean[:100], 0.02, 0.95) == 1.0  # 100 rows cannot show it: flag nothing


def test_platt_prior_shifts_the_intercept_by_the_log_odds():
    rng = random.Random(2)
    margins = [rng.uniform(-6, 6) for _ in range(4000)]
    labels = [int(rng.random() < 1 / (1 + math.exp(-(0.8 * m)))) for m in margins]
    share = sum(labels) / len(labels)
    plain, shifted = fit_platt(margins, labels), fit_platt(margins, labels, prior=0.2)
    expected = math.log(0.2 / 0.8) - math.log(share / (1 - share))
    assert shifted.prior == 0.2 and plain.prior is None
    assert shifted.a == pytest.approx(plain.a, rel=0.02)
    assert shifted.b - plain.b == pytest.approx(expected, abs=0.05)
    with pytest.raises(ValueError, match="prior"):
        fit_platt(margins, labels, prior=1.0)


def test_calibration_probability_is_stable_at_extremes():
    cal = Calibration("platt", 2.0, 0.0)
    assert cal.probability(0) == 0.5
    assert cal.probability(1000) == 1.0 and cal.probability(-1000) == 0.0


def test_binary_metrics_by_hand():
    # threshold 0.5: predictions 0,1,1,0 vs labels 0,0,1,1 -> tp=1 fp=1 fn=1
    m = binary_metrics([0, 0, 1, 1], [0.1, 0.6, 0.7, 0.4], 0.5)
    assert m["precision"] == 0.5 and m["recall"] == 0.5 and m["f1"] == 0.5 and m["fpr"] == 0.5
    assert m["roc_auc"] == 0.75  # 3 of 4 (pos, neg) pairs ordered correctly


def test_per_recipe_metrics_compare_each_recipe_with_all_clean():
    recipes = ["clean", "clean", "mt", "spin", "hard"]
    labels = [0, 0, 1, 1, 0]
    scores = [0.1, 0.2, 0.9, 0.15, 0.6]
    m = per_recipe_metrics(recipes, labels, scores, 0.5)
    assert m["mt"]["n"] == 4 and m["mt"]["roc_auc"] == 1.0
    # 0.15 beats one of the three label-0 scores (0.1, 0.2, 0.6)
    assert m["spin"]["roc_auc"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["hard (clean)"] == {"n": 1, "fpr": 1.0}
    assert m["all"]["n"] == 5
