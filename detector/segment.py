"""Sentence segmentation with character offsets into the original text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pysbd

_BLANK_LINES = re.compile(r"\n\s*\n")
# pysbd's time grows faster than its input (a 200,000-character line took 50 s), so it sees
# at most this many characters at once; see _long_spans.
WINDOW = 4000
_WHITESPACE = re.compile(r"\s+")
# Closing quotes or brackets then whitespace: they end the sentence before them.
_CLOSERS = re.compile(r"[\"”\u2019»)\]]+(?:\s+|$)")


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


def _pysbd_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Return the whitespace-trimmed spans of the sentences pysbd finds in ``text[start:end]``.

    Every non-whitespace character of the range is in a span: pysbd drops or alters some
    characters (control and private-use ones), so text it skipped joins the next sentence and
    text after its last sentence joins that one.
    """
    spans: list[tuple[int, int]] = []
    cursor = start
    for piece in _segmenter().segment(text[start:end]):
        piece = piece.strip()
        if not piece:
            continue
        found = text.find(piece, cursor, end)
        # pysbd altered the text (not found): the rest of the range is one sentence
        stop = cursor + len(text[cursor:end].rstrip()) if found < 0 else found + len(piece)
        between = text[cursor:stop]
        first = stop - len(between.lstrip())  # any text pysbd skipped starts this sentence
        if first < stop:
            spans.append((first, stop))
        cursor = stop
        if found < 0 or cursor >= end:
            break
    rest = text[cursor:end]
    if rest.strip():
        tail = cursor + len(rest.rstrip())
        if spans:
            spans[-1] = (spans[-1][0], tail)
        else:
            spans.append((cursor + len(rest) - len(rest.lstrip()), tail))
    return _reattach_closers(text, spans)


def _reattach_closers(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return ``spans`` with a closing quote that pysbd split off moved back to its sentence.

    Without its opening quote in view (a window or paragraph starting inside a quotation),
    pysbd splits ``them." Then`` into ``them.`` and ``" Then``.
    """
    fixed: list[tuple[int, int]] = []
    for start, end in spans:
        closers = _CLOSERS.match(text, start, end)
        if fixed and closers and fixed[-1][1] == start:
            quote_end = start + len(text[start : closers.end()].rstrip())
            fixed[-1] = (fixed[-1][0], quote_end)
            start = closers.end()
        if start < end:
            fixed.append((start, end))
    return fixed


def _window_end(text: str, start: int, end: int) -> int:
    """Return where a window from ``start`` ends: ``WINDOW`` characters on, backed off to the
    last whitespace in its second half so that no word is cut (``end`` if that is closer)."""
    limit = start + WINDOW
    if limit >= end:
        return end
    space = max(
        text.rfind(" ", start + WINDOW // 2, limit), text.rfind("\n", start + WINDOW // 2, limit)
    )
    return space if space > start else limit


def _last_unquoted(text: str, start: int, spans: list[tuple[int, int]]) -> int:
    """Return the index of the last span after the first that starts outside any quotation
    (counting quotes from ``start``), or of the last span if none does.

    The next window starts there: a window starting inside a quotation would pair its
    closing quote with the next opening one.
    """
    restart, straight, curly, angled, pos = len(spans) - 1, 0, 0, 0, start
    for k, (span_start, _) in enumerate(spans):
        passed = text[pos:span_start]
        straight += passed.count('"')
        curly += passed.count("“") - passed.count("”")
        angled += passed.count("«") - passed.count("»")
        pos = span_start
        if k and straight % 2 == 0 and curly <= 0 and angled <= 0:
            restart = k
    return restart


def _long_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Return the sentence spans of ``text[start:end]`` in time linear in its length.

    pysbd segments one window at a time. Every sentence of a window but the last is kept (the
    last may be cut off by the window's end), so the next window starts with it, or earlier
    where it starts inside a quotation. A window that is one sentence (no boundary in
    ``WINDOW`` characters) is cut at its end, at whitespace.
    """
    spans: list[tuple[int, int]] = []
    pos = start
    while pos < end:
        stop = _window_end(text, pos, end)
        found = _pysbd_spans(text, pos, stop)
        if stop == end or not found:
            spans.extend(found)
            pos = stop
        elif len(found) > 1:
            restart = _last_unquoted(text, pos, found)
            spans.extend(found[:restart])
            pos = found[restart][0]
        else:
            spans.append(found[0])
            pos = stop
    return spans


# A quotation: pysbd keeps it in one sentence however many sentences it holds. The single
# quotes are pysbd's own patterns, which tell an opening quote from an apostrophe.
_QUOTES = re.compile(
    r"\"[^\"]+\"|“[^“”]+”|„[^„“”]+[“”]|«[^«»]+»"
    r"|(?<!\S)(?:'(?:[^']|'[a-zA-Z])+'|\u2018(?:[^\u2019]|\u2019[a-zA-Z])+\u2019)"
)


def _split_quotes(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Return the span ``text[start:end]`` split at the sentence ends inside its quotations,
    as a reader splits ``"They are here. They stay," he said.`` into two sentences."""
    cuts = []
    for quote in _QUOTES.finditer(text, start, end):
        inner = _pysbd_spans(text, quote.start() + 1, quote.end() - 1)
        cuts.extend(e for _, e in inner[:-1])
    if not cuts:
        return [(start, end)]
    spans, pos = [], start
    for cut in sorted(cuts):
        spans.append((pos, cut))
        after = _WHITESPACE.match(text, cut, end)
        pos = after.end() if after else cut
    spans.append((pos, end))
    return [(s, e) for s, e in spans if s < e]


def split_sentences(text: str) -> list[Sentence]:
    """Return the sentences of ``text`` with offsets, whitespace trimmed, in order.

    Time is linear in the length of ``text``; sentences inside quotations are split too.
    """
    sentences: list[Sentence] = []
    for p_start, p_end in _paragraphs(text):
        for s_start, s_end in _long_spans(text, p_start, p_end):
            for start, end in _split_quotes(text, s_start, s_end):
                sentences.append(Sentence(text[start:end], start, end))
    return sentences
