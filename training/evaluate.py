"""`garble-train evaluate`: score a labelled JSONL with the model and baselines, per group."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from training.baselines import Scorer
from training.metrics import binary_metrics, length_held_roc_auc

logger = logging.getLogger(__name__)

OVERALL = "all"


@dataclass
class LabelledData:
    """Texts, 0/1 labels (1 = garbled) and an optional group name per row; ``unlabelled``
    counts the rows left out because their label is null."""

    texts: list[str]
    labels: list[int]
    groups: list[str]
    unlabelled: int = 0


def _group_key(row: dict, fields: Sequence[str]) -> str:
    return " ".join(f"{f}={row.get(f)}" for f in fields) if fields else OVERALL


def _as_label(value) -> int | None:
    """Return ``value`` as label 0 or 1 (``"1"``, ``1.0`` and ``true`` are 1), else None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number in (0.0, 1.0) else None


def read_labelled(
    path: str | Path,
    text_field: str = "text",
    label_field: str = "label",
    group_by: Sequence[str] = (),
) -> LabelledData:
    """Return the rows of a labelled JSONL file; raise ValueError naming the first bad line.

    A row whose label is null is unlabelled (e.g. MT with only minor errors): it is left out
    and counted, not an error.
    """
    data = LabelledData([], [], [])
    seen: set[str] = set()
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text, label = row[text_field], row[label_field]
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{no}: bad row ({type(exc).__name__}: {exc})") from exc
            if label is None:
                data.unlabelled += 1
                continue
            label = _as_label(label)
            if label not in (0, 1) or not isinstance(text, str):
                raise ValueError(f"{path}:{no}: label must be 0 or 1 and text a string")
            data.texts.append(text)
            data.labels.append(label)
            data.groups.append(_group_key(row, group_by))
            seen.update(f for f in group_by if f in row)
    if not data.texts:
        raise ValueError(f"{path}: no rows")
    missing = [f for f in group_by if f not in seen]
    if missing:
        raise ValueError(f"{path}: no row has the group-by field {missing[0]!r}")
    return data


def metrics_by_group(
    data: LabelledData, scores: Sequence[float], threshold: float
) -> dict[str, dict]:
    """Return metrics for each group (sorted) and for all rows together."""
    out: dict[str, dict] = {}
    for group in sorted(set(data.groups) - {OVERALL}):
        idx = [i for i, g in enumerate(data.groups) if g == group]
        out[group] = _metrics(data, idx, scores, threshold)
    out[OVERALL] = _metrics(data, range(len(data.labels)), scores, threshold)
    return out


def _metrics(data: LabelledData, idx: Sequence[int], scores: Sequence[float], t: float) -> dict:
    labels, kept = [data.labels[i] for i in idx], [scores[i] for i in idx]
    out = binary_metrics(labels, kept, t)
    texts = [data.texts[i] for i in idx]
    out["roc_auc_length_held"] = length_held_roc_auc(texts, labels, kept)
    return out


def evaluate(
    data: LabelledData, scorers: Mapping[str, Scorer]
) -> tuple[dict, dict[str, list[float]]]:
    """Return ``{scorer: {group: metrics}}`` and each scorer's scores, on the same rows."""
    results, all_scores = {}, {}
    for name, scorer in scorers.items():
        logger.info("scoring %d rows with %s", len(data.texts), name)
        scores = scorer.score(data.texts)
        all_scores[name] = scores
        results[name] = {
            "threshold": scorer.threshold,
            "groups": metrics_by_group(data, scores, scorer.threshold),
        }
    return results, all_scores
