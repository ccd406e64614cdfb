"""Golden tests for the Apertium round-trip recipe (Debian's apertium packages)."""

import random

import pytest

from training.recipes.mt import (
    PIVOT_MODES,
    changed_spans,
    changed_word_count,
    clause_span,
    normalise_mt_output,
    partial_round_trip_batch,
    pivot_modes,
    round_trip_batch,
    round_trip_mt,
)

SENTENCE = "The company created a new product and it was sold quickly to many customers."

GOLDEN = {
    "spa": "The company created a new product and he was sold quickly to a lot of clients.",
    "cat": "The company created a new product and he was sold hurriedly at a lot of customers.",
    "glg": "The company created a new product and he was sold rápido it a lot of clients.",
    "epo": "The company created new product and it were sold quickly to many clients.",
    "hbs": "The troop created and new product and free beaten sold quickly on much user.",
}


@pytest.mark.parametrize("pivot", sorted(PIVOT_MODES))
def test_round_trip_golden(pivot):
    (out,) = round_trip_batch([SENTENCE], pivot)
    assert out is not None
    assert out.text == GOLDEN[pivot]
    for start, end in out.spans:
        assert 0 <= start <= end <= len(out.text)


def test_many_sentences_per_call_keep_their_order():
    sentences = [SENTENCE, "He said yes.", "Rain fell on the old town all night."]
    outs = round_trip_batch(sentences, "spa")
    assert len(outs) == 3
    assert outs[0].text == GOLDEN["spa"]


def test_trivial_round_trip_is_dropped_not_labelled():
    # "He said yes." comes back unchanged through Spanish: not garbled, so None.
    assert round_trip_batch(["He said yes."], "spa") == [None]


def test_seeded_single_sentence_form_is_deterministic():
    a = round_trip_mt(SENTENCE, random.Random(3))
    b = round_trip_mt(SENTENCE, random.Random(3))
    assert a == b and a.text in GOLDEN.values()


def test_artefacts_are_normalised():
    assert normalise_mt_output("Boulter starred ace parquoteDarrenparquote, in  2005") == (
        'Boulter starred ace "Darren", in 2005'
    )
    assert normalise_mt_output("the *gato sat") == "the gato sat"


def test_changed_spans_mark_replaced_words():
    src, out = "it was sold to many customers", "he was sold to a lot of clients"
    assert [out[s:e] for s, e in changed_spans(src, out)] == ["he", "a lot of clients"]
    assert changed_word_count(src, out) == 5


def test_chained_pivot_goes_through_both_languages():
    assert pivot_modes("spa>cat") == ["eng-spa", "spa-cat", "cat-eng"]
    (out,) = round_trip_batch([SENTENCE], "spa>cat")
    assert (
        out.text
        == "The company created a new product and he was sold hurriedly at a lot of customers."
    )
    with pytest.raises(ValueError, match="unknown pivot"):
        pivot_modes("spa>xyz")


def test_clause_span_picks_one_clause_of_several():
    sentence = "After the war ended, the soldiers returned home and found their villages in ruins."
    spans = {clause_span(sentence, random.Random(seed)) for seed in range(20)}
    assert {sentence[a:b] for a, b in spans} == {
        "After the war ended,",
        "the soldiers returned home",
        "and found their villages in ruins.",
    }
    assert clause_span("He sold the old car to his neighbour.", random.Random(0)) is None


def test_partial_round_trip_changes_only_the_clause():
    sentence = "The company created a new product, and it was sold quickly to many customers."
    a, b = sentence.index("and"), len(sentence)
    (out,) = partial_round_trip_batch([sentence], [(a, b)], "spa")
    assert (
        out.text
        == "The company created a new product, and it was sold quickly to a lot of clients."
    )
    assert all(s >= a for s, _ in out.spans)
