"""Rendering an ArticleResult as a table, JSON or JSONL (all to a string for stdout).

Every field of the JSON output is described in ``docs/OUTPUT.md``.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import asdict

from detector.meta import ModelMeta
from detector.results import ArticleResult, SentenceScore


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


SPAN_ON, SPAN_OFF = "\x1b[1;4;31m", "\x1b[0m"  # bold, underlined, red; reset


def _with_spans(s: SentenceScore, width: int, colour: bool) -> str:
    """Return the sentence's text on one line, at most ``width`` visible characters, with its
    garbled spans in colour (``colour``) or in [brackets]."""
    pieces = s.segments()
    out, used = [], 0
    for k, (chunk, span) in enumerate(pieces):
        marked = span is not None
        chunk = _CONTROLS.sub("\ufffd", re.sub(r"\s+", " ", chunk))
        if k == 0:
            chunk = chunk.lstrip()
        if k == len(pieces) - 1:
            chunk = chunk.rstrip()
        extra = 0 if colour or not marked else 2  # the brackets
        cut = used + len(chunk) + extra > width
        if cut:
            chunk = chunk[: max(width - used - extra - 1, 0)] + "\u2026"
        if marked:
            out.append(f"{SPAN_ON}{chunk}{SPAN_OFF}" if colour else f"[{chunk}]")
        else:
            out.append(chunk)
        used += len(chunk) + extra
        if cut:
            break
    return "".join(out)


def summary_lines(result: ArticleResult, meta: ModelMeta) -> list[str]:
    """Return the article summary for a reader: the verdict, then the figures it rests on."""
    summary = result.summary()
    top = ", ".join(f"{s['id']} ({s['score']:.3f})" for s in summary["top_flagged"])
    flagged = (
        f"{summary['flagged']} of {summary['content_sentences']} content sentences flagged "
        f"({summary['flagged_fraction']:.0%})"
    )
    return [
        f"verdict: {summary['verdict']}: {flagged}" + (f"; top flagged: {top}" if top else ""),
        f"{summary['sentences']} sentences, {summary['boilerplate_sentences']} boilerplate, "
        f"article score {summary['article_score']:.3f} "
        f"(model {meta.name} {meta.version}, threshold {result.threshold})",
    ]


def to_table(
    result: ArticleResult, meta: ModelMeta, width: int | None = None, colour: bool = False
) -> str:
    """Return a readable table (no., score, flag, part, text) and the article summary.

    ``part`` is ``boiler`` for boilerplate (scored, left out of the article figures). Garbled
    spans are shown in colour where ``colour`` (a terminal), else in [brackets].
    """
    width = width or shutil.get_terminal_size((100, 20)).columns
    text_width = max(width - 31, 20)  # the columns before the text take 31
    lines = [
        f"{'no.':>4}  {'score':>6}  {'flag':<7}  {'part':<6}  text",
        f"{'-' * 4}  {'-' * 6}  {'-' * 7}  {'-' * 6}  {'-' * 4}",
    ]
    for s in result.sentences:
        flag = "GARBLED" if s.garbled else ""
        part = "boiler" if s.boilerplate else ""
        text = _with_spans(s, text_width, colour) if s.spans else _shorten(s.text, text_width)
        lines.append(f"{s.id:>4}  {s.score:>6.3f}  {flag:<7}  {part:<6}  {text}")
    return "\n".join([*lines, "", *summary_lines(result, meta)])
