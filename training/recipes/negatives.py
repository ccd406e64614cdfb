"""Clean hard negatives: well-formed variants that the classifier must NOT flag.

They counter shortcut cues (quotes, headlines, list markers, numbers, short text): the
label stays "clean"; the spans mark the characters that the recipe added or changed.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from training.recipes.base import Corruption, apply_edits, word_spans

Edit = tuple[int, int, str]

MAX_HEADLINE_WORDS = 14
HEADLINE_STYLES = ("title", "title_minor", "sentence")
MINOR_WORDS = frozenset(
    ["a", "an", "the", "of", "in", "on", "at", "to", "for", "and", "or", "but", "by", "with"]
)
DROPPABLE_LEADS = ("The ", "A ")
QUOTE_MARKS = (('"', '"'), ("\u201c", "\u201d"))
INNER_QUOTES = {'"': "'", "\u201c": "\u2018", "\u201d": "\u2019"}
ATTRIBUTIONS = (
    "she said",
    "he said",
    "they said",
    "he added",
    "she told reporters",
    "a spokesman said",
    "officials said",
    "the report said",
)
LEAD_INS = ("He said: ", "She said: ", "He said, ", "She added: ", "The statement read: ")
LIST_PREFIXES = ("{n}. ", "{n}) ", "- ", "\u2022 ", "* ", "({letter}) ", "{letter}) ")
YEAR_RANGE = (1900, 2020)
SENTENCE_END = ".!?"
CLOSING_MARKS = "\"')\u2019\u201d"


def _edits_result(text: str, edits: list[Edit]) -> Corruption | None:
    """Return the Corruption made by ``edits``, or None when the text does not change."""
    out = apply_edits(text, edits)
    return out if edits and out.text != text else None


# ---------------------------------------------------------------- as_headline


def _headline_caps(text: str, style: str, skip_before: int) -> list[Edit]:
    """Return one-letter edits that capitalise words of ``text`` for a headline ``style``."""
    if style == "sentence":
        return []
    edits = []
    for i, (start, end) in enumerate(word_spans(text)):
        minor = style == "title_minor" and i > 0 and text[start:end].lower() in MINOR_WORDS
        if start >= skip_before and text[start].islower() and not minor:
            edits.append((start, start + 1, text[start].upper()))
    return edits


def _ends_with_abbreviation(sentence: str) -> bool:
    """Return True when the final period belongs to an abbreviation such as "U.S."."""
    return len(sentence) > 2 and sentence[-3] == "."


def as_headline(sentence: str, rng: random.Random) -> Corruption | None:
    """Return the sentence as a headline: no final period, optionally Title Case."""
    words = word_spans(sentence)
    if not words or len(words) > MAX_HEADLINE_WORDS:
        return None
    edits: list[Edit] = []
    skip = 0
    lead = next((d for d in DROPPABLE_LEADS if sentence.startswith(d)), None)
    if lead and len(words) > 3 and rng.random() < 0.3:
        skip = len(lead)
        edits.append((0, skip + 1, sentence[skip].upper()))
        skip += 1
    style = rng.choice(HEADLINE_STYLES)
    edits += _headline_caps(sentence, style, skip)
    if sentence.endswith(".") and not _ends_with_abbreviation(sentence):
        edits.append((len(sentence) - 1, len(sentence), ""))
    elif style == "sentence":
        edits += _headline_caps(sentence, "title", skip)
    return _edits_result(sentence, edits)


# ---------------------------------------------------------------- as_quote


def _inner_quote_edits(sentence: str) -> list[Edit]:
    """Return edits turning double quotes inside ``sentence`` into single ones."""
    return [(i, i + 1, INNER_QUOTES[ch]) for i, ch in enumerate(sentence) if ch in INNER_QUOTES]


def as_quote(sentence: str, rng: random.Random) -> Corruption | None:
    """Return the sentence as direct speech with an attribution (spans: the added marks)."""
    if not word_spans(sentence):
        return None
    open_q, close_q = rng.choice(QUOTE_MARKS)
    edits = _inner_quote_edits(sentence)
    if rng.random() < 0.6 and (sentence[-1] in SENTENCE_END or sentence[-1].isalnum()):
        attribution = f" {rng.choice(ATTRIBUTIONS)}."
        if sentence.endswith("."):
            edits.append((len(sentence) - 1, len(sentence), f",{close_q}{attribution}"))
        elif sentence[-1] in SENTENCE_END:
            edits.append((len(sentence), len(sentence), f"{close_q}{attribution}"))
        else:
            edits.append((len(sentence), len(sentence), f",{close_q}{attribution}"))
        edits.insert(0, (0, 0, open_q))
    else:
        edits.insert(0, (0, 0, rng.choice(LEAD_INS) + open_q))
        end = "" if sentence.rstrip(CLOSING_MARKS)[-1:] in tuple(SENTENCE_END) else "."
        edits.append((len(sentence), len(sentence), end + close_q))
    return _edits_result(sentence, edits)


# ---------------------------------------------------------------- as_list_item


def as_list_item(sentence: str, rng: random.Random) -> Corruption | None:
    """Return the sentence with a list-item prefix such as "1. ", "- " or "(a) "."""
    if not sentence.strip():
        return None
    prefix = rng.choice(LIST_PREFIXES).format(n=rng.randint(1, 9), letter=rng.choice("abcdefgh"))
    return Corruption(prefix + sentence, [(0, len(prefix))])


# ---------------------------------------------------------------- with_parenthetical_number


def _capitalised_runs(sentence: str) -> list[tuple[int, int]]:
    """Return ``(first, last)`` word indices of runs of capitalised words after word 0."""
    words = word_spans(sentence)
    runs: list[tuple[int, int]] = []
    for i in range(1, len(words)):
        if not sentence[words[i][0]].isupper():
            continue
        joined = sentence[words[i - 1][1] : words[i][0]] == " "
        if runs and runs[-1][1] == i - 1 and joined:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _name_ends(sentence: str) -> list[int]:
    """Return end offsets of multi-word capitalised names that can take a parenthetical."""
    words = word_spans(sentence)
    ends = []
    for first, last in _capitalised_runs(sentence):
        start, end = words[last]
        after = sentence[end : end + 2]
        possessive = "'" in sentence[start:end] or "\u2019" in sentence[start:end]
        free = after[:1] in ("", " ", ",", ".", ";") and not after.startswith(" (")
        if last > first and not possessive and free:
            ends.append(end)
    return ends


def with_parenthetical_number(sentence: str, rng: random.Random) -> Corruption | None:
    """Return the sentence with a year in parentheses after a name or before the period."""
    ends = _name_ends(sentence)
    year = rng.randint(*YEAR_RANGE)
    if ends and rng.random() < 0.7:
        at = rng.choice(ends)
    elif sentence.endswith(".") and len(word_spans(sentence)) >= 3:
        at = len(sentence) - 1
    else:
        return None
    return _edits_result(sentence, [(at, at, f" ({year})")])


# ---------------------------------------------------------------- hard_negative

HARD_NEGATIVES: tuple[Callable[[str, random.Random], Corruption | None], ...] = (
    as_headline,
    as_quote,
    as_list_item,
    with_parenthetical_number,
)


def hard_negative(sentence: str, rng: random.Random) -> Corruption | None:
    """Return one applicable clean variant picked by ``rng``, or None if none applies."""
    for recipe in rng.sample(HARD_NEGATIVES, k=len(HARD_NEGATIVES)):
        out = recipe(sentence, rng)
        if out is not None:
            return out
    return None
