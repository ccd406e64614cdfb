"""Shared types for corruption recipes.

A recipe is a small pure function of ``(sentence, rng)`` that returns a :class:`Corruption`
(the new text and the character spans in it that the recipe changed) or ``None`` when it
cannot apply to that sentence.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

Span = tuple[int, int]

_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:['\u2019-][A-Za-z0-9]+)*")


@dataclass(frozen=True)
class Corruption:
    """A recipe's output: the new text and the ``[start, end)`` spans of it that changed."""

    text: str
    spans: list[Span] = field(default_factory=list)


Recipe = Callable[[str, random.Random], Corruption | None]


def word_spans(text: str) -> list[Span]:
    """Return the character spans of the word tokens of ``text``."""
    return [m.span() for m in _WORD_RE.finditer(text)]


def match_case(replacement: str, original: str) -> str:
    """Give ``replacement`` the capitalisation pattern of ``original`` (lower, Title or UPPER)."""
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def apply_edits(text: str, edits: list[tuple[int, int, str]]) -> Corruption:
    """Apply non-overlapping ``(start, end, replacement)`` edits; return text and new spans.

    Spans cover each replacement in the output text (an empty replacement, i.e. a deletion,
    gives a zero-length span at the deletion point).
    """
    out: list[str] = []
    spans: list[Span] = []
    cursor = 0
    pos = 0
    for start, end, repl in sorted(edits):
        if start < cursor:
            raise ValueError("overlapping edits")
        out.append(text[cursor:start])
        pos += start - cursor
        out.append(repl)
        spans.append((pos, pos + len(repl)))
        pos += len(repl)
        cursor = end
    out.append(text[cursor:])
    return Corruption("".join(out), spans)
