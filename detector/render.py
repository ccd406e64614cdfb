"""Rendering an ArticleResult as a table, JSON or JSONL (all to a string for stdout)."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import asdict

from detector.api import ArticleResult
from detector.meta import ModelMeta


def _model_info(meta: ModelMeta, threshold: float) -> dict:
    return {"name": meta.name, "version": meta.version, "threshold": threshold}


def to_json(result: ArticleResult, meta: ModelMeta) -> str:
    """Return one JSON object: model, article summary and sentences."""
    payload = {
        "model": _model_info(meta, result.threshold),
        "article": result.summary(),
        "sentences": [asdict(s) for s in result.sentences],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)


def to_jsonl(result: ArticleResult) -> str:
    """Return one JSON object per sentence, one per line."""
    return "\n".join(json.dumps(asdict(s), ensure_ascii=False) for s in result.sentences)


# C0 and C1 controls and bidi overrides: the table is for a terminal, which would act on them.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _shorten(text: str, width: int) -> str:
    text = _CONTROLS.sub("\ufffd", " ".join(text.split()))
    return text if len(text) <= width else text[: max(width - 1, 1)] + "\u2026"


def to_table(result: ArticleResult, meta: ModelMeta, width: int | None = None) -> str:
    """Return a readable table (no., score, flag, text) and an article summary line."""
    width = width or shutil.get_terminal_size((100, 20)).columns
    text_width = max(width - 22, 20)
    lines = [
        f"{'no.':>4}  {'score':>6}  {'flag':<7}  text",
        f"{'-' * 4}  {'-' * 6}  {'-' * 7}  {'-' * 4}",
    ]
    for s in result.sentences:
        flag = "GARBLED" if s.garbled else ""
        lines.append(f"{s.id:>4}  {s.score:>6.3f}  {flag:<7}  {_shorten(s.text, text_width)}")
    summary = result.summary()
    lines.append(
        f"\n{summary['sentences']} sentences, {summary['flagged']} flagged "
        f"({summary['flagged_fraction']:.0%}), article score {summary['article_score']:.3f} "
        f"(model {meta.name} {meta.version}, threshold {result.threshold})"
    )
    return "\n".join(lines)
