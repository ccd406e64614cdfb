"""Hand-built ArticleResults for the HTML report tests: known flags, spans, types, boilerplate."""

from __future__ import annotations

from dataclasses import dataclass

from detector.results import ArticleResult, SentenceScore, Span
from detector.segment import split_sentences
from tests.conftest import REPO

ARTICLE = REPO / "examples" / "article.txt"
INJECTED = '<script>window.pwned = true; document.title = "pwned"</script>'
# Phrases of examples/article.txt whose sentence is flagged, with the span marked in it.
FLAGGED = {
    "majority of the votes": "the votes and the votes",
    "counterfeit consciousness": "counterfeit consciousness",
}
BOILERPLATE = "Work on the first section"


@dataclass
class Meta:
    name: str = "garble-test"
    version: str = "9.9.9"


def known_result(text: str, threshold: float = 0.5) -> ArticleResult:
    """Return an ArticleResult of ``text``: the sentences of FLAGGED score 0.9 and are flagged,
    with their span; the BOILERPLATE sentence is boilerplate; every other scores 0.1 or less."""
    rows = []
    for i, s in enumerate(split_sentences(text), 1):
        key = next((k for k in FLAGGED if k in s.text), None)
        score = 0.9 if key else round(0.01 * i, 4)
        spans = []
        if key:
            k = s.text.index(FLAGGED[key])
            start = s.start + k
            spans = [Span(start, start + len(FLAGGED[key]), FLAGGED[key], 0.87)]
        types = {"mt": 0.7, "spinner": 0.2, "clean": 0.1} if key else {}
        rows.append(
            SentenceScore(
                i,
                s.start,
                s.end,
                s.text,
                score,
                score >= threshold,
                spans,
                types,
                "mt" if key else None,
                BOILERPLATE in s.text,
            )
        )
    return ArticleResult(rows, threshold)


def article_with_injection() -> str:
    """Return examples/article.txt with a script, quotes and ``&`` in its fourth paragraph."""
    text = ARTICLE.read_text(encoding="utf-8")
    return text.replace("Critics argued", f"Critics {INJECTED} & 'others' argued")
