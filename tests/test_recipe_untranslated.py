"""Golden tests for the untranslated-word planner (training.recipes.untranslated)."""

from __future__ import annotations

import random

import pytest

from training.recipes import mt_noise as M
from training.recipes import untranslated as U

S1 = "The company developed a new gun in the old factory."
S2 = "Factory workers designed the engine."
LEXICON = {
    "spa": {"developed": "desarrollado", "factory": "fábrica", "designed": "diseñado"},
    "hbs": {"developed": "razviti", "factory": "tvornica", "designed": "oblikovati"},
}

GOLDEN = [
    (S1, 0, "The company desarrollado a new gun in the old factory.", [(12, 24)]),
    (S1, 1, "The company razviti a new gun in the old tvornica.", [(12, 19), (41, 49)]),
    (S1, 2, "The company razviti a new gun in the old factory.", [(12, 19)]),
    # The first word and capitalised words stay: a name or a sentence start is not a slip.
    (S2, 0, "Factory workers diseñado the engine.", [(16, 24)]),
]


@pytest.mark.parametrize(("sentence", "seed", "text", "spans"), GOLDEN)
def test_golden(sentence, seed, text, spans):
    out = U.untranslated_word(sentence, random.Random(seed), LEXICON)
    assert out is not None
    assert (out.text, out.spans) == (text, spans)


def test_none_when_no_word_is_in_the_lexicon():
    rng = random.Random(0)
    assert U.untranslated_word("Dogs bark loudly.", rng, LEXICON) is None
    assert U.untranslated_word(S1, rng, {"spa": {}}) is None
    assert U.untranslated_word(S1, rng, {}) is None


def test_lexicon_words_are_lower_case_and_not_frequent():
    words = U.lexicon_words([S1, "Paris has a factory, and the engineers designed it."])
    assert words == ["designed", "developed", "engineers", "factory"]  # not "company", "Paris"


def test_build_lexicon_keeps_foreign_words_only():
    lexicon = U.build_lexicon(["developed", "factory", "engine", "quuxification"], ["spa"])
    # "engine" -> "motor" is an English word too, and Apertium passes unknown words through.
    assert lexicon == {"spa": {"developed": "desarrollado", "factory": "fábrica"}}
    assert U.build_lexicon([], ["spa"]) == {"spa": {}}


def test_mt_noise_draws_untranslated_words_only_with_a_lexicon():
    def foreign(out):
        return out is not None and any(w in out.text for w in LEXICON["spa"].values())

    def draws(lexicon):
        return [
            M.mt_noise(S1, random.Random(seed), [], lambda w: [], max_ops=1, lexicon=lexicon)
            for seed in range(40)
        ]

    assert any(foreign(out) for out in draws({"spa": LEXICON["spa"]}))
    assert not any(foreign(out) for out in draws(None))
