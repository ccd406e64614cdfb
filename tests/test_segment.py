import random

import pytest

from detector.segment import split_sentences

TEXTS = [
    'Mr. Smith went to Washington. He said "hi there." Then he left!  Dr. Who? Yes.',
    "Storm Hits Coast\n\nThe storm hit at 3 a.m. on Monday. It cost $3.5 million.\n\nMore later",
    "  Leading spaces. The same sentence. The same sentence.  ",
    "Café owners met in Zürich — “a first,” they said. Prices rose 4.5% in 2021.",
    "One line without a full stop",
]


@pytest.mark.parametrize("text", TEXTS)
def test_offsets_point_into_text(text):
    sentences = split_sentences(text)
    assert sentences
    for s in sentences:
        assert text[s.start : s.end] == s.text
        assert s.text == s.text.strip()
    assert [s.start for s in sentences] == sorted(s.start for s in sentences)


def test_splits_and_keeps_paragraphs_apart():
    got = [s.text for s in split_sentences(TEXTS[1])]
    assert got == [
        "Storm Hits Coast",
        "The storm hit at 3 a.m. on Monday.",
        "It cost $3.5 million.",
        "More later",
    ]


def test_repeated_sentences_get_distinct_offsets():
    sentences = split_sentences(TEXTS[2])
    same = [s for s in sentences if s.text == "The same sentence."]
    assert len(same) == 2 and same[0].start < same[1].start


def test_random_texts_keep_offsets():
    rng = random.Random(0)
    words = ["Dr.", "e.g.", "the", "cat", "U.S.", "sat.", "Why?", "\n\n", "3.5", "“ok”", "  "]
    for _ in range(50):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 30)))
        for s in split_sentences(text):
            assert text[s.start : s.end] == s.text and s.text


def test_empty_text_has_no_sentences():
    assert split_sentences("") == []
    assert split_sentences(" \n\n \t") == []
