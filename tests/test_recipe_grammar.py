"""Tests for the grammatical-error planners in training.recipes.grammar."""

from __future__ import annotations

import random
import re

import pytest

from training.recipes import grammar as G
from training.recipes import mt_noise as M

S1 = "The company developed a new gun in the old factory."
S2 = "It was built by the engineers who designed its engine."
S3 = "These results show that many people have moved to a city."

GOLDEN = [
    (G.wrong_inflection, S1, 0, S1.replace("developed", "develop"), [(12, 19)]),
    (G.wrong_inflection, S2, 0, S2.replace("was built", "was build"), [(7, 12)]),
    # Grammatical after the plural "engineers": the label noise the module docstring names.
    (G.wrong_inflection, S2, 1, S2.replace("designed", "design"), [(34, 40)]),
    (G.wrong_inflection, S2, 2, S2.replace("was", "were"), [(3, 7)]),
    (G.wrong_inflection, S3, 0, S3.replace("a city", "a cities"), [(52, 58)]),
    (G.wrong_inflection, S3, 1, S3.replace("results", "result"), [(6, 12)]),
    (
        G.move_word,
        S1,
        0,
        "The company developed a new gun old in the factory.",
        [(32, 36), (42, 42)],
    ),
    (
        G.move_word,
        S2,
        1,
        "It was who built by the engineers designed its engine.",
        [(7, 11), (33, 33)],
    ),
    (
        G.move_word,
        S3,
        2,
        "These results show that many people moved to have a city.",
        [(35, 35), (44, 49)],
    ),
    (G.drop_verb, S1, 0, "The company a new gun in the old factory.", [(11, 11)]),
    # "built" follows an auxiliary ("It was by the engineers" would be grammatical): kept.
    (G.drop_verb, S2, 0, "It was built by the engineers who its engine.", [(33, 33)]),
    (G.drop_verb, S2, 1, "It was built by the engineers who its engine.", [(33, 33)]),
]


@pytest.mark.parametrize(("recipe", "sentence", "seed", "text", "spans"), GOLDEN)
def test_golden(recipe, sentence, seed, text, spans):
    out = recipe(sentence, random.Random(seed))
    assert out is not None
    assert (out.text, out.spans) == (text, spans)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("built", ["build"]),  # past and participle: "building" would fit "was built"
        ("designed", ["design"]),  # a regular participle too, though lemminflect lists it as past
        ("ran", ["run", "running"]),
        ("gone", ["go", "goes"]),
        ("says", ["say", "saying"]),
        ("runs", []),  # also a noun
        ("engine", []),
    ],
)
def test_wrong_verb_forms(word, expected):
    assert G.wrong_verb_forms(word) == expected


@pytest.mark.parametrize(
    ("word", "determiner", "expected"),
    [
        ("gun", "a", ["guns"]),
        ("guns", "many", ["gun"]),
        ("children", "these", ["child"]),
        ("gun", "the", []),  # "the guns" is as grammatical as "the gun"
        ("guns", "a", []),
    ],
)
def test_wrong_noun_number(word, determiner, expected):
    assert G.wrong_noun_number(word, determiner) == expected


def test_inflection_never_only_changes_tense():
    for seed in range(40):
        out = G.wrong_inflection("He ran home.", random.Random(seed))
        assert out is not None and out.text in {"He run home.", "He running home."}


@pytest.mark.parametrize("recipe", [G.wrong_inflection, G.move_word, G.drop_verb])
def test_none_when_not_applicable(recipe):
    assert recipe("Paris.", random.Random(0)) is None


def test_move_stays_in_its_clause():
    sentence = "After the war ended in May, the old factory built new guns for the army."
    head, tail = sentence.split(", ")
    for seed in range(40):
        out = G.move_word(sentence, random.Random(seed))
        assert out is not None and out.text != sentence
        new_head, new_tail = out.text.split(", ")
        assert sorted(re.findall(r"\w+", new_head)) == sorted(re.findall(r"\w+", head))
        assert sorted(re.findall(r"\w+", new_tail)) == sorted(re.findall(r"\w+", tail))
        assert out.text.endswith(".")


def test_mt_noise_uses_grammar_planners_only_when_asked():
    donors = ["Many people moved to the city after the war ended."]
    plain = M._planners(donors, lambda word: [])
    assert len(M._planners(donors, lambda word: [], grammar=True)) == len(plain) + 2
    outs = {
        M.mt_noise(S3, random.Random(seed), donors, lambda w: [], grammar=True).text
        for seed in range(60)
    }
    assert any("cities" in text or "These result " in text for text in outs)


@pytest.mark.parametrize(
    "sentence",
    [
        "Dogs bark and cats run.",  # "bark" and "run" can be nouns
        "Arrived at last, they were happy.",  # the first word
        S3,  # "show" can be a noun; "have moved to": after an auxiliary, before a preposition
        "It is a group based in Kashmir.",  # "a group in Kashmir" is grammatical
        "It has the infected cells.",  # "the cells" would be grammatical
    ],
)
def test_drop_verb_leaves_what_would_stay_grammatical(sentence):
    for seed in range(20):
        assert G.drop_verb(sentence, random.Random(seed)) is None


def test_mt_noise_drops_verbs_only_when_asked():
    donors = ["Many people moved to the city after the war ended."]
    plain = M._planners(donors, lambda word: [])
    assert len(M._planners(donors, lambda word: [], missing_verbs=True)) == len(plain) + 1

    def texts(missing_verbs):
        return {
            M.mt_noise(
                S1, random.Random(seed), [], lambda w: [], 1, missing_verbs=missing_verbs
            ).text
            for seed in range(60)
        }

    dropped = "The company a new gun in the old factory."
    assert dropped in texts(True) and dropped not in texts(False)
