"""Tests for the MT-like corruption recipes in training.recipes.mt_noise."""

from __future__ import annotations

import random

import pytest

from training.recipes import mt_noise as M
from training.recipes.base import Corruption, apply_edits

S1 = "The company developed a new gun in the old factory."
S2 = "It was built by the engineers who designed its engine."
DONORS = [
    "Many people moved to the city after the war ended.",
    "Critics praised the film for its bold use of colour.",
]
SYNONYMS = {
    "developed": ["educated", "formed"],
    "gun": ["piece", "weapon"],
    "factory": ["plant", "mill"],
    "old": ["aged", "former"],
    "built": ["constructed", "made"],
    "engine": ["locomotive", "motor"],
    "company": ["society", "firm"],
    "designed": ["meant"],
}
SENTENCES = [
    S1,
    S2,
    "In 1976, after the system was deployed at PARC, Metcalfe published a seminal paper.",
    "Two towns are connected by a 4.5 km road; the rest are isolated.",
    "San Marino was originally led by the Arengo, formed from the heads of each family.",
    "U.S. reserves are 140,000 tonnes.",
]


def synonyms(word: str) -> list[str]:
    return SYNONYMS.get(word, [])


def fuse(sentence: str, rng: random.Random) -> Corruption | None:
    return M.fuse_fragments(sentence, rng, DONORS)


def sense(sentence: str, rng: random.Random) -> Corruption | None:
    return M.wrong_sense_word(sentence, rng, synonyms)


def noise(sentence: str, rng: random.Random) -> Corruption | None:
    return M.mt_noise(sentence, rng, DONORS, synonyms)


SINGLE_OPS = [
    M.duplicate_coordination,
    M.swap_adjacent_words,
    M.drop_function_word,
    M.replace_function_word,
    fuse,
    sense,
]
ALL_OPS = [*SINGLE_OPS, noise]


def run(recipe, sentence: str, seed: int) -> tuple[str, list[tuple[int, int]]]:
    out = recipe(sentence, random.Random(seed))
    assert out is not None
    return out.text, out.spans


# ---------------------------------------------------------------- golden outputs

GOLDEN = [
    (M.duplicate_coordination, S1, 0, S1.replace("gun in", "gun, a new gun in"), [(31, 42)]),
    (
        M.duplicate_coordination,
        S1,
        1,
        "The company and the company developed a new gun in the old factory.",
        [(11, 27)],
    ),
    (
        M.duplicate_coordination,
        S2,
        1,
        "It was built by the engineers and the engineers who designed its engine.",
        [(29, 47)],
    ),
    (M.swap_adjacent_words, S1, 1, S1.replace("gun in the", "in gun the"), [(28, 34)]),
    (M.swap_adjacent_words, S2, 0, S2.replace("was built", "built was"), [(3, 12)]),
    (M.drop_function_word, S1, 0, S1.replace("the old", "old"), [(35, 35)]),
    (M.drop_function_word, S1, 1, S1.replace("The company", "Company"), [(0, 7)]),
    (M.drop_function_word, S2, 0, S2.replace("the engineers", "engineers"), [(16, 16)]),
    (M.replace_function_word, S1, 0, S1.replace("the old", "an old"), [(35, 37)]),
    (M.replace_function_word, S1, 2, S1.replace("The company", "A company"), [(0, 1)]),
    (M.replace_function_word, S2, 1, S2.replace("by the", "with the"), [(13, 17)]),
    (
        fuse,
        S1,
        0,
        "The company developed a new gun the film for its bold use of colour.",
        [(31, 68)],
    ),
    (fuse, S2, 2, "It was built by the engineers to the city after the war ended.", [(29, 62)]),
    (sense, S1, 0, S1.replace("old", "aged"), [(39, 43)]),
    (sense, S1, 2, "The company developed a new piece in the old mill.", [(28, 33), (45, 49)]),
    (sense, S2, 1, S2.replace("who", "that"), [(30, 34)]),
    (
        noise,
        S1,
        0,
        "The company developed a new gun and a new gun into the old factory.",
        [(31, 45), (46, 50)],
    ),
    (
        noise,
        S2,
        0,
        "It was built by an engineers who designed its engine and its engine.",
        [(16, 18), (52, 67)],
    ),
]


@pytest.mark.parametrize(("recipe", "sentence", "seed", "text", "spans"), GOLDEN)
def test_golden(recipe, sentence, seed, text, spans):
    assert run(recipe, sentence, seed) == (text, spans)


# ---------------------------------------------------------------- properties


@pytest.mark.parametrize("recipe", ALL_OPS)
@pytest.mark.parametrize("sentence", SENTENCES)
def test_changes_text_with_spans_in_bounds(recipe, sentence):
    for seed in range(8):
        out = recipe(sentence, random.Random(seed))
        if out is None:
            continue
        assert out.text != sentence
        assert out.spans == sorted(out.spans)
        assert all(0 <= s <= e <= len(out.text) for s, e in out.spans)


@pytest.mark.parametrize("recipe", ALL_OPS)
def test_deterministic_for_seed(recipe):
    for sentence in SENTENCES:
        assert recipe(sentence, random.Random(7)) == recipe(sentence, random.Random(7))


def _unchanged_parts(out: Corruption) -> list[str]:
    bounds = [0, *(x for span in out.spans for x in span), len(out.text)]
    return [out.text[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2)]


@pytest.mark.parametrize("recipe", ALL_OPS)
def test_text_outside_spans_comes_from_input_in_order(recipe):
    for sentence in SENTENCES:
        for seed in range(10):
            out = recipe(sentence, random.Random(seed))
            if out is None:
                continue
            cursor = 0
            for part in _unchanged_parts(out):
                found = sentence.find(part, cursor)
                assert found >= 0, (out, part)
                cursor = found + len(part)


def test_single_op_span_is_replacement():
    out = M.replace_function_word(S2, random.Random(1))
    assert out is not None and len(out.spans) == 1
    s, e = out.spans[0]
    assert out.text[s:e] == "with"
    out = M.duplicate_coordination(S1, random.Random(1))
    assert out is not None and out.text[slice(*out.spans[0])] == " and the company"


def test_swap_skips_identical_words_and_punctuation():
    assert M.swap_adjacent_words("Red, green, blue.", random.Random(0)) is None
    for seed in range(10):
        out = M.swap_adjacent_words("He had had enough.", random.Random(seed))
        assert out is not None and out.text == "He had enough had."


def test_swap_does_not_split_numbers():
    for seed in range(20):
        out = M.swap_adjacent_words("U.S. reserves are 140,000 tonnes.", random.Random(seed))
        assert out is not None and "140,000" in out.text


# ---------------------------------------------------------------- not applicable


def test_none_when_not_applicable():
    rng = random.Random(0)
    assert M.drop_function_word("Dogs bark loudly.", rng) is None
    assert M.replace_function_word("Dogs bark loudly.", rng) is None
    assert M.duplicate_coordination("Dogs bark loudly.", rng) is None
    assert M.swap_adjacent_words("Hello.", rng) is None
    assert M.fuse_fragments(S1, rng, []) is None
    assert M.fuse_fragments(S1, rng, [S1]) is None
    assert M.wrong_sense_word("Dogs bark loudly.", rng, synonyms) is None
    assert M.mt_noise("Hello.", rng, [], synonyms) is None


def test_wrong_sense_pronoun_and_case():
    out = M.wrong_sense_word("It rained.", random.Random(0), lambda w: [])
    assert out is not None and out.text in ("He rained.", "She rained.")
    out = M.wrong_sense_word("Factory output fell.", random.Random(0), synonyms)
    assert out is not None and out.text.split()[0] in ("Plant", "Mill")


def test_wrong_sense_prefers_common_words():
    thesaurus = {"bark": ["quux", "yelp", "shout"]}
    for seed in range(10):
        out = M.wrong_sense_word("Dogs bark.", random.Random(seed), lambda w: thesaurus.get(w, []))
        assert out is not None and out.text == "Dogs shout."
    out = M.wrong_sense_word(
        "Dogs bark.", random.Random(0), lambda w: ["quux"] if w == "bark" else []
    )
    assert out is not None and out.text == "Dogs quux."


def test_fuse_lowers_only_function_words():
    assert M._lower_unless_proper("The film was bold.") == "the film was bold."
    assert M._lower_unless_proper("Paris was bold.") == "Paris was bold."
    assert M._lower_unless_proper("I was bold.") == "I was bold."


def test_fuse_keeps_head_and_donor_tail():
    for seed in range(10):
        out = M.fuse_fragments(S1, random.Random(seed), DONORS[:1])
        assert out is not None and out.text.startswith("The company")
        assert out.text.endswith("after the war ended.")
        ((start, end),) = out.spans
        assert end == len(out.text) and S1.startswith(out.text[:start])


# ---------------------------------------------------------------- span bookkeeping


@pytest.mark.parametrize(
    ("old", "edits", "new", "expected"),
    [
        ([(5, 8)], [(0, 0, "abc")], [(0, 3)], [(0, 3), (8, 11)]),  # insertion before
        ([(5, 8)], [(8, 8, "xy")], [(8, 10)], [(5, 10)]),  # insertion right after: merged
        ([(5, 8)], [(3, 10, "")], [(3, 3)], [(3, 3)]),  # deletion swallowing the span
        ([(5, 8)], [(7, 12, "Z")], [(7, 8)], [(5, 8)]),  # partly rewritten
        ([(4, 4)], [(4, 4, "ab")], [(4, 6)], [(4, 6)]),  # zero-length point re-inserted
        ([(0, 2)], [(5, 6, "long")], [(5, 9)], [(0, 2), (5, 9)]),  # edit after
        ([(10, 12)], [(0, 4, "a"), (6, 6, "bb")], [(0, 1), (3, 5)], [(0, 1), (3, 5), (9, 11)]),
    ],
)
def test_carry_spans(old, edits, new, expected):
    assert M.carry_spans(old, edits, new) == expected


def test_carry_spans_matches_apply_edits():
    text = "The old gun and the new gun."
    first = apply_edits(text, [(4, 7, "ancient")])
    edits = [(0, 4, ""), (first.text.index("new"), first.text.index("new") + 3, "fresh")]
    second = apply_edits(first.text, edits)
    spans = M.carry_spans(first.spans, edits, second.spans)
    assert [second.text[s:e] for s, e in spans] == ["ancient", "fresh"]
    assert spans[0][0] == 0 and spans[0][1] == 7


def test_merge_spans():
    assert M.merge_spans([(5, 6), (0, 2), (2, 3), (8, 8), (7, 9)]) == [(0, 3), (5, 6), (7, 9)]
