"""Rendering an ArticleResult as one standalone HTML report (``garble score --format html``).

The page needs nothing but itself: the CSS is inline, there is no script, font or image to
fetch, and a Content-Security-Policy forbids scripts and remote loads. Everything that comes
from the input (text, ids, title) goes through Jinja2's autoescape; the template is the package
data file ``detector/report_template.html``.

The article's text is shown paragraph by paragraph, each sentence shaded by its score, flagged
ones marked, boilerplate greyed and garbled spans underlined; score and type are in each
sentence's ``title`` (hover) and in the sentence list at the end, the flagged ones in a panel.

``summary()`` keys are read with ``.get``: the report works with any subset of them.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from detector.results import TYPES, ArticleResult, SentenceScore

TEMPLATE = "report_template.html"  # package data beside this module
TOP_FLAGGED = 5  # flagged sentences in the side panel when summary() does not list them
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")


@dataclass
class Piece:
    """A run of the article: text between sentences (``sentence`` None) or one sentence."""

    text: str = ""
    sentence: dict | None = None


@dataclass
class _Paragraphs:
    items: list[list[Piece]] = field(default_factory=lambda: [[]])

    def gap(self, text: str) -> None:
        """Add the text between two sentences; a blank line in it starts a new paragraph."""
        parts = _PARAGRAPH_BREAK.split(text)
        for i, part in enumerate(parts):
            if i:
                self.items.append([])
            current = self.items[-1]
            last = i == len(parts) - 1
            if not part.strip():
                # whitespace between two sentences of one paragraph: kept (a newline shows)
                if current and last and len(parts) == 1:
                    current.append(Piece(part))
                continue
            if not current:
                part = part.lstrip()
            current.append(Piece(part if last else part.rstrip()))

    def sentence(self, view: dict) -> None:
        self.items[-1].append(Piece(sentence=view))

    def done(self) -> list[list[Piece]]:
        for paragraph in self.items:
            if paragraph and paragraph[-1].sentence is None:
                paragraph[-1].text = paragraph[-1].text.rstrip()
        return [p for p in self.items if any(x.sentence or x.text for x in p)]


def _fmt(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _types(s: SentenceScore) -> list[tuple[str, float]]:
    """Return the type probabilities, mt, spinner and clean first."""
    types = s.types or {}
    order = [t for t in TYPES if t in types] + sorted(t for t in types if t not in TYPES)
    return [(t, float(types[t])) for t in order]


def _segments(s: SentenceScore) -> list[dict]:
    """Return the sentence's pieces (``SentenceScore.segments``) as ``{"text", "span"}`` (span:
    the formatted score, or None)."""
    return [
        {"text": piece, "span": None if span is None else _fmt(span.score)}
        for piece, span in s.segments()
    ]


def _tip(s: SentenceScore, threshold: float, types: list[tuple[str, float]]) -> str:
    """Return the hover text of a sentence: score, flag, type, spans, boilerplate."""
    flag = "flagged as garbled" if s.garbled else "not flagged"
    lines = [f"Sentence {s.id}: score {s.score:.3f}, {flag} (threshold {threshold:g})"]
    if types:
        likeliest = f" (likeliest: {s.type})" if s.type else ""
        lines.append("Type: " + ", ".join(f"{t} {p:.2f}" for t, p in types) + likeliest)
    if s.spans:
        lines.append(f"{len(s.spans)} garbled span(s) underlined")
    if s.boilerplate:
        lines.append("Boilerplate: left out of the article figures")
    return "\n".join(lines)


def _sentence_view(s: SentenceScore, threshold: float) -> dict:
    types = _types(s)
    classes = ["s"]
    if s.garbled:
        classes.append("flagged")
    if s.boilerplate:
        classes.append("boilerplate")
    if s.spans:
        classes.append("has-spans")
    return {
        "id": s.id,
        "classes": " ".join(classes),
        "score": _fmt(s.score),
        "alpha": f"{min(max(s.score, 0.0), 1.0):.3f}",
        "garbled": s.garbled,
        "boilerplate": s.boilerplate,
        "type": s.type or "",
        "types": ", ".join(f"{t} {p:.2f}" for t, p in types),
        "tip": _tip(s, threshold, types),
        "segments": _segments(s),
        "text": s.text,
    }


def _paragraphs(sentences: list[SentenceScore], views: dict, text: str | None) -> list:
    """Return the paragraphs of the article: lists of pieces, the text between sentences kept.

    Without the text (or where the offsets do not match it) the sentences make one paragraph.
    """
    ordered = sorted(sentences, key=lambda s: (s.start, s.end))
    fits = text is not None and all(text[s.start : s.end] == s.text for s in ordered)
    fits = fits and all(a.end <= b.start for a, b in pairwise(ordered))
    paragraphs = _Paragraphs()
    cursor = 0
    for s in ordered if fits else sentences:
        if fits:
            paragraphs.gap(text[cursor : s.start])
            cursor = s.end
        elif paragraphs.items[-1]:
            paragraphs.gap(" ")
        paragraphs.sentence(views[id(s)])
    if fits:
        paragraphs.gap(text[cursor:])
    return paragraphs.done()


def _top(summary: dict, sentences: list[SentenceScore], views: dict) -> tuple[list, bool]:
    """Return the sentences for the side panel and whether they are flagged ones.

    ``summary["top_flagged"]`` where it is given; else the flagged content sentences by score;
    where none is flagged, the three highest scored content sentences.
    """
    by_id = {s.id: s for s in sentences}
    listed = summary.get("top_flagged")
    if isinstance(listed, list):
        chosen = [by_id[t["id"]] for t in listed if isinstance(t, dict) and t.get("id") in by_id]
    else:
        content = [s for s in sentences if not s.boilerplate]
        chosen = sorted((s for s in content if s.garbled), key=lambda s: -s.score)[:TOP_FLAGGED]
    if chosen:
        return [views[id(s)] for s in chosen], True
    content = [s for s in sentences if not s.boilerplate]
    return [views[id(s)] for s in sorted(content, key=lambda s: -s.score)[:3]], False


def _share(value) -> str:
    return f"{value:.0%}" if isinstance(value, int | float) else ""


def _header(summary: dict, sentences: list[SentenceScore]) -> dict:
    """Return the verdict and the counts of the header, from ``summary()`` where it has them."""
    n = summary.get("sentences", len(sentences))
    boilerplate = summary.get("boilerplate_sentences", sum(s.boilerplate for s in sentences))
    content = summary.get("content_sentences", n - boilerplate)
    flagged = summary.get("flagged", sum(s.garbled for s in sentences))
    share = summary.get("flagged_fraction")
    verdict = summary.get("verdict")
    counts = [
        ("sentences", n),
        ("content", content),
        ("boilerplate", boilerplate),
        ("flagged", flagged),
        ("share flagged", _share(share)),
    ]
    if isinstance(summary.get("article_score"), int | float):
        counts.append(("article score", _fmt(summary["article_score"])))
    return {
        "verdict": "" if verdict is None else str(verdict),
        "headline": f"{flagged} of {content} sentences flagged as garbled",
        "tone": "bad" if isinstance(flagged, int) and flagged > 0 else "ok",
        "counts": [(label, value) for label, value in counts if value != ""],
    }


@lru_cache(maxsize=1)
def _template():
    from importlib.resources import files

    from jinja2 import Environment, StrictUndefined

    env = Environment(
        autoescape=True,  # every value from the input is escaped; the template adds no |safe
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.from_string(files("detector").joinpath(TEMPLATE).read_text(encoding="utf-8"))


def to_html(
    result: ArticleResult,
    meta=None,
    text: str | None = None,
    title: str | None = None,
) -> str:
    """Return the standalone HTML report of ``result``.

    ``meta`` (a ``ModelMeta``, or anything with ``name`` and ``version``) names the model;
    ``text`` is the scored text, whose paragraphs and the text between sentences are kept (the
    sentences' offsets point into it); ``title`` names the document (a file name, an id).
    """
    summary = result.summary()
    threshold = summary.get("threshold", result.threshold)
    views = {id(s): _sentence_view(s, threshold) for s in result.sentences}
    top, top_flagged = _top(summary, result.sentences, views)
    model = {
        "name": getattr(meta, "name", None) or "unknown model",
        "version": getattr(meta, "version", None) or "",
        "threshold": f"{threshold:g}" if isinstance(threshold, int | float) else str(threshold),
    }
    return _template().render(
        title=title or "text",
        header=_header(summary, result.sentences),
        model=model,
        paragraphs=_paragraphs(result.sentences, views, text),
        sentences=[views[id(s)] for s in result.sentences],
        top=top,
        top_flagged=top_flagged,
        has_types=any(s.types for s in result.sentences),
        has_spans=any(s.spans for s in result.sentences),
    )


def write_atomic(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` through a temporary file in the same folder: a reader (or
    a run killed mid-way) never sees half a file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
