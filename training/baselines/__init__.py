"""Baseline scorers to compare the fine-tuned model against, behind one scoring interface.

Every scorer returns calibrated probabilities (Platt scaling fitted on the dev split, like the main
model) and carries the threshold chosen on dev. A baseline is saved as a self-describing folder
with a ``meta.json`` whose ``kind`` says how to load it; no pickles.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Protocol, runtime_checkable

from detector.meta import META_FILE
from training.metrics import per_recipe_metrics

logger = logging.getLogger(__name__)

KINDS = ("tfidf", "perplexity")
BASELINES_DIR = Path(__file__).resolve().parents[2] / "models" / "baselines"


@runtime_checkable
class Scorer(Protocol):
    """Anything that scores sentences with calibrated probabilities of being garbled."""

    name: str
    threshold: float

    def score(self, texts: list[str]) -> list[float]:
        """Return one calibrated probability in [0, 1] per text."""
        ...


def load_scorer(name_or_path: str | Path) -> Scorer:
    """Return the baseline saved in a folder, or in ``models/baselines/<name>`` for a kind name."""
    path = Path(name_or_path)
    if str(name_or_path) in KINDS and not (path / META_FILE).is_file():
        path = BASELINES_DIR / str(name_or_path)
    kind = read_meta(path).get("kind")
    if kind == "tfidf":
        from training.baselines.tfidf import TfidfScorer

        return TfidfScorer.load(path)
    if kind == "perplexity":
        from training.baselines.perplexity import PerplexityScorer

        return PerplexityScorer.load(path)
    raise ValueError(f"{path}: unknown baseline kind {kind!r}; known: {list(KINDS)}")


def read_meta(folder: str | Path) -> dict:
    """Return the parsed ``meta.json`` of a baseline folder."""
    file = Path(folder) / META_FILE
    if not file.is_file():
        raise FileNotFoundError(f"{folder}: no {META_FILE}; not a baseline folder")
    return json.loads(file.read_text(encoding="utf-8"))


def write_meta(folder: str | Path, meta: dict) -> Path:
    """Write ``meta`` as ``meta.json`` into ``folder`` (created if needed); return the folder."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return out


def split_metrics(scorer: Scorer, split, max_rows: int | None = None, seed: int = 0) -> dict:
    """Return per-recipe metrics of ``scorer`` on a dataset split (optionally subsampled)."""
    split = subsample(split, max_rows, seed)
    probs = scorer.score(list(split["text"]))
    return per_recipe_metrics(list(split["recipe"]), list(split["label"]), probs, scorer.threshold)


def subsample(split, max_rows: int | None, seed: int):
    """Return ``split`` itself, or a seeded random subset of at most ``max_rows`` rows."""
    if max_rows is None or len(split) <= max_rows:
        return split
    return split.shuffle(seed=seed, keep_in_memory=True).select(range(max_rows))
