import random
import time

import pytest

from detector import segment
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


def _prose(n_chars: int, seed: int = 0) -> str:
    """Return one line of ``n_chars`` or more of sentences, abbreviations and quotations."""
    rng = random.Random(seed)
    sentences = [
        "The council met on Monday at 3 p.m. in the U.S. capital.",
        "Dr. Smith said the plan would cost $3.5 million.",
        'He said: "We will help them." Then he left.',
        '"They are our people right now. They do the same thing. We help them," she said.',
        "“It is done,” the mayor said.",
        "Why did it take so long?",
        "Prices rose 4.5% in 2021, e.g. for bread and milk!",
        "A spokesperson for the residents' association welcomed the vote.",
    ]
    parts, size = [], 0
    while size < n_chars:
        parts.append(rng.choice(sentences))
        size += len(parts[-1]) + 1
    return " ".join(parts)


def _check_offsets(text: str, sentences) -> None:
    assert [s.start for s in sentences] == sorted(s.start for s in sentences)
    for s, after in zip(sentences, [*sentences[1:], None], strict=True):
        assert text[s.start : s.end] == s.text and s.text == s.text.strip()
        gap = text[s.end : after.start if after else len(text)]
        assert not gap.strip()  # nothing but whitespace is left out


@pytest.mark.parametrize(
    "line",
    [
        _prose(200_000),
        " ".join(random.Random(1).choice(["alpha", "beta", "gamma"]) for _ in range(35_000)),
    ],
    ids=["prose", "no-punctuation"],
)
def test_a_200k_character_line_segments_in_seconds(line):
    assert len(line) >= 200_000 and "\n" not in line
    started = time.perf_counter()
    sentences = split_sentences(line)
    assert time.perf_counter() - started < 10  # pysbd alone took 50 s on such a line
    _check_offsets(line, sentences)
    assert max(s.end - s.start for s in sentences) <= segment.WINDOW


def test_windows_split_like_one_pass(monkeypatch):
    text = _prose(20_000, seed=2)
    monkeypatch.setattr(segment, "WINDOW", len(text))
    whole = split_sentences(text)
    monkeypatch.setattr(segment, "WINDOW", 400)
    assert split_sentences(text) == whole


def test_closing_quote_stays_with_its_sentence():
    # A paragraph (or window) that starts inside a quotation: pysbd split off the quote.
    text = 'We will help them." Then he left. It ended.” And so on.'
    got = [s.text for s in split_sentences(text)]
    assert got == ['We will help them."', "Then he left.", "It ended.”", "And so on."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'He said: "They are our people right now. They do the same thing. We help them." '
            "Then he left.",
            [
                'He said: "They are our people right now.',
                "They do the same thing.",
                'We help them."',
                "Then he left.",
            ],
        ),
        (
            "“They are our people right now. They do the same thing,” the mayor said. No more.",
            [
                "“They are our people right now.",
                "They do the same thing,” the mayor said.",
                "No more.",
            ],
        ),
        ("“Why? Because I said so.” She smiled.", ["“Why?", "Because I said so.”", "She smiled."]),
        (
            "The sign read \u2018Stop. Go back.\u2019 and we did.",
            ["The sign read \u2018Stop.", "Go back.\u2019 and we did."],
        ),
        # One sentence in quotes, or abbreviations inside them, stay one sentence.
        ('He said "hi there." Then he left!', ['He said "hi there."', "Then he left!"]),
        (
            "They met “Dr. Smith of the U.S. Army” today.",
            ["They met “Dr. Smith of the U.S. Army” today."],
        ),
        ("It's the boys' toys. Don't touch.", ["It's the boys' toys.", "Don't touch."]),
    ],
)
def test_sentences_inside_quotations_are_split(text, expected):
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == expected
    _check_offsets(text, sentences)


@pytest.mark.parametrize(
    "text",
    [
        "你好。}\n\n\U000d6086\x11Ψ\U0007d193]\U000dd5cb\U00090d6f?ҧ\U0006d1a8ჸ\U000e5a0d\x07E☄άS"
        "\U0003eabf\U000506bcᅺ⓸\r◄ዲ Rẗဉ(y<script>x</script>\n",
        "مرحبا. ֘\u0b7c𗓫\U00082e4f6\U000b15cd\t∯\U000f322d\U000d8dab\U000806e3ố\U0010b5c60⁐☱"
        "\U0010153eThe council met. \U000fe773Q\x00\U000d61bf矻\U000d6640ᣡ\U000c98ee",
        '</p>\U000a3f4d𑥙»\u2113ǌpῖ\x0f\U000f1158null嗓\x10\U0004551fᣃ"\U00040f7f\x03l!⣥l⟓\U0001b99f'
        "\U000aab3f\U001084ad\U000c1c98⿴”\x1f)ઔ\U00084f65«♨\U00062a94໖]\U000f459cDr. Smith Dr. "
        "Smith አઍ\x05",
    ],
    ids=["control-and-private-use", "nul-and-arabic", "quotes-and-abbreviations"],
)
def test_text_that_pysbd_drops_stays_in_a_sentence(text):
    """Found by scripts/fuzz.py: pysbd left characters out, and they were lost between spans."""
    _check_offsets(text, split_sentences(text))
