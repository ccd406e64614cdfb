"""Tests for the clean hard-negative recipes in training.recipes.negatives."""

from __future__ import annotations

import random

import pytest

from training.recipes import negatives as N

S1 = "The storm damaged hundreds of homes in Florida."
S2 = "He was directed by John Tiffany at the Royal Court Theatre."
LONG = (
    "Boulter received a favorable review in The Daily Telegraph, which praised the intense "
    "acting and the wired performances of the whole young cast."
)
SENTENCES = [S1, S2, LONG, 'He called it "Networks."', "Is it over?", "Prices rose"]
RECIPES = [
    N.as_headline,
    N.as_quote,
    N.as_list_item,
    N.with_parenthetical_number,
    N.hard_negative,
]


def run(recipe, sentence: str, seed: int) -> tuple[str, list[tuple[int, int]]]:
    out = recipe(sentence, random.Random(seed))
    assert out is not None
    return out.text, out.spans


GOLDEN = [
    (
        N.as_headline,
        S1,
        0,
        "The Storm Damaged Hundreds of Homes in Florida",
        [(4, 5), (10, 11), (18, 19), (30, 31), (46, 46)],
    ),
    (
        N.as_headline,
        S1,
        1,
        "Storm Damaged Hundreds Of Homes In Florida",
        [(0, 1), (6, 7), (14, 15), (23, 24), (26, 27), (32, 33), (42, 42)],
    ),
    (
        N.as_headline,
        S2,
        0,
        "He Was Directed by John Tiffany at the Royal Court Theatre",
        [(3, 4), (7, 8), (58, 58)],
    ),
    (
        N.as_quote,
        S1,
        0,
        "She added: \u201cThe storm damaged hundreds of homes in Florida.\u201d",
        [(0, 12), (59, 60)],
    ),
    (
        N.as_quote,
        S1,
        1,
        '"The storm damaged hundreds of homes in Florida," he said.',
        [(0, 1), (47, 58)],
    ),
    (
        N.as_quote,
        'He called it "Networks."',
        1,
        "He said: \"He called it 'Networks.'\"",
        [(0, 10), (23, 24), (33, 34), (34, 35)],
    ),
    (N.as_list_item, S1, 0, "g) " + S1, [(0, 3)]),
    (N.as_list_item, S1, 1, "2) " + S1, [(0, 3)]),
    (N.with_parenthetical_number, S1, 0, S1[:-1] + " (2008).", [(46, 53)]),
    (
        N.with_parenthetical_number,
        S2,
        1,
        "He was directed by John Tiffany (1917) at the Royal Court Theatre.",
        [(31, 38)],
    ),
    (
        N.hard_negative,
        S1,
        1,
        '"The storm damaged hundreds of homes in Florida," the report said.',
        [(0, 1), (47, 66)],
    ),
    (N.hard_negative, S1, 2, S1[:-1], [(46, 46)]),
]


@pytest.mark.parametrize(("recipe", "sentence", "seed", "text", "spans"), GOLDEN)
def test_golden(recipe, sentence, seed, text, spans):
    assert run(recipe, sentence, seed) == (text, spans)


@pytest.mark.parametrize("recipe", RECIPES)
@pytest.mark.parametrize("sentence", SENTENCES)
def test_spans_in_bounds_and_deterministic(recipe, sentence):
    for seed in range(8):
        out = recipe(sentence, random.Random(seed))
        assert out == recipe(sentence, random.Random(seed))
        if out is None:
            continue
        assert out.text != sentence
        assert out.spans == sorted(out.spans)
        assert all(0 <= s <= e <= len(out.text) for s, e in out.spans)


@pytest.mark.parametrize("recipe", RECIPES)
def test_words_are_kept(recipe):
    """Clean variants keep every word of the sentence (up to case), bar a dropped lead."""
    for sentence in SENTENCES:
        for seed in range(8):
            out = recipe(sentence, random.Random(seed))
            if out is None:
                continue
            words = [w.lower() for w in sentence.replace('"', " ").split()]
            text = out.text.lower()
            assert all(w.strip(".?,") in text for w in words[1:]), out


def test_headline_only_for_short_sentences():
    assert N.as_headline(LONG, random.Random(0)) is None
    for seed in range(10):
        text, _ = run(N.as_headline, S2, seed)
        assert not text.endswith(".") and "directed" in text.lower()


def test_headline_keeps_abbreviation_period():
    text, _ = run(N.as_headline, "Prices rose in the U.S.", 0)
    assert text.endswith("U.S.")


def test_quote_attribution_moves_period_inside():
    for seed in range(20):
        text, spans = run(N.as_quote, S1, seed)
        assert text.count('"') in (0, 2) and text.count("\u201c") == text.count("\u201d")
        assert "Florida." not in text or text.endswith(("Florida.\u201d", 'Florida."'))
        assert all(text[s:e] for s, e in spans)


def test_list_item_prefix_is_the_span():
    for seed in range(10):
        text, spans = run(N.as_list_item, S2, seed)
        assert spans == [(0, len(text) - len(S2))] and text.endswith(S2)


def test_parenthetical_year_is_the_span():
    for seed in range(10):
        text, spans = run(N.with_parenthetical_number, S2, seed)
        ((s, e),) = spans
        assert text[s:e].startswith(" (") and text[s + 2 : e - 1].isdigit()
        assert text[:s] + text[e:] == S2


def test_not_applicable():
    assert N.with_parenthetical_number("Prices rose", random.Random(0)) is None
    assert N.as_list_item("   ", random.Random(0)) is None
    assert N.as_quote("", random.Random(0)) is None
    assert N.hard_negative("", random.Random(0)) is None
