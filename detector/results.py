"""What scoring an article returns: its sentences (with spans, types and boilerplate marks) and
the article summary. Plain dataclasses; ``dataclasses.asdict()`` of a sentence is its JSON."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from detector.verdict import verdict

TYPES = ("mt", "spinner", "clean")


@dataclass
class Span:
    """A stretch of a sentence the model believes garbled: offsets into the article's text
    (``text[start:end] == span.text``) and the span head's highest token score in it."""

    start: int
    end: int
    text: str
    score: float


@dataclass
class SentenceScore:
    """One sentence of an article: offsets into the text, calibrated score and flag.

    ``spans`` are the garbled stretches the span head marks (empty where the model has no span
    head), ``types`` the probabilities of ``mt``, ``spinner`` and ``clean`` (``clean`` is
    ``1 - score``; empty where the model has no type head) and ``type`` the likeliest of them.
    ``boilerplate`` marks navigation, share prompts, bylines and the like: such sentences are
    scored but left out of the article figures.
    """

    id: int
    start: int
    end: int
    text: str
    score: float
    garbled: bool
    spans: list[Span] = field(default_factory=list)
    types: dict[str, float] = field(default_factory=dict)
    type: str | None = None
    boilerplate: bool = False

    def segments(self) -> list[tuple[str, Span | None]]:
        """Return the sentence's text cut at its spans: ``(piece, span or None)`` in order.

        Spans are clipped to the sentence; one that overlaps an earlier one is left out.
        """
        segments: list[tuple[str, Span | None]] = []
        cursor = 0
        for span in sorted(self.spans, key=lambda sp: (sp.start, sp.end)):
            a = max(span.start - self.start, 0)
            b = min(span.end - self.start, len(self.text))
            if a >= b or a < cursor:  # empty, outside the sentence or overlapping an earlier one
                continue
            if a > cursor:
                segments.append((self.text[cursor:a], None))
            segments.append((self.text[a:b], span))
            cursor = b
        if cursor < len(self.text) or not segments:
            segments.append((self.text[cursor:], None))
        return segments


@dataclass
class ArticleResult:
    """Per-sentence scores of a text and its summary.

    The article figures use the content sentences only (boilerplate is scored but left out):
    ``article_score`` is their mean score, the expected fraction of garbled sentences;
    ``verdict`` is ``detector.verdict.verdict`` of their scores (``garbled``, ``partly
    garbled``, ``clean`` or ``no content``).
    """

    sentences: list[SentenceScore]
    threshold: float

    @property
    def content(self) -> list[SentenceScore]:
        """The sentences that are not boilerplate."""
        return [s for s in self.sentences if not s.boilerplate]

    @property
    def n_sentences(self) -> int:
        return len(self.sentences)

    @property
    def n_content(self) -> int:
        return len(self.content)

    @property
    def n_boilerplate(self) -> int:
        return self.n_sentences - self.n_content

    @property
    def n_flagged(self) -> int:
        """Flagged content sentences."""
        return sum(s.garbled for s in self.content)

    @property
    def flagged_fraction(self) -> float:
        return self.n_flagged / self.n_content if self.n_content else 0.0

    @property
    def article_score(self) -> float:
        content = self.content
        return math.fsum(s.score for s in content) / len(content) if content else 0.0

    @property
    def verdict(self) -> str:
        return verdict([s.score for s in self.content], self.threshold)

    def top_flagged(self, n: int = 3) -> list[SentenceScore]:
        """The ``n`` flagged content sentences of highest score (ties: lower id first)."""
        flagged = [s for s in self.content if s.garbled]
        return sorted(flagged, key=lambda s: (-s.score, s.id))[:n]

    def summary(self) -> dict:
        """Return the article summary as a plain dict (figures over content sentences)."""
        return {
            "verdict": self.verdict,
            "sentences": self.n_sentences,
            "content_sentences": self.n_content,
            "boilerplate_sentences": self.n_boilerplate,
            "flagged": self.n_flagged,
            "flagged_fraction": round(self.flagged_fraction, 4),
            "article_score": round(self.article_score, 4),
            "threshold": self.threshold,
            "top_flagged": [
                {"id": s.id, "score": s.score, "text": s.text} for s in self.top_flagged()
            ],
        }
