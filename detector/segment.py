"""Sentence segmentation with character offsets into the original text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pysbd

_BLANK_LINES = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Sentence:
    """A sentence and its ``[start, end)`` character offsets: ``text[start:end] == sentence``."""

    text: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """Return the spans of blank-line separated paragraphs (a sentence never crosses one)."""
    spans, start = [], 0
    for match in _BLANK_LINES.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def split_sentences(text: str) -> list[Sentence]:
    """Return the sentences of ``text`` with offsets, whitespace trimmed, in order."""
    sentences: list[Sentence] = []
    for p_start, p_end in _paragraphs(text):
        cursor = p_start
        for piece in _segmenter().segment(text[p_start:p_end]):
            piece = piece.strip()
            if not piece:
                continue
            start = text.find(piece, cursor, p_end)
            if start < 0:  # pysbd altered the text: fall back to the remaining paragraph
                start = cursor + len(text[cursor:p_end]) - len(text[cursor:p_end].lstrip())
                piece = text[start:p_end].strip()
            sentences.append(Sentence(piece, start, start + len(piece)))
            cursor = start + len(piece)
            if cursor >= p_end:
                break
    return sentences
