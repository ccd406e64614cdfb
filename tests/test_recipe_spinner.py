"""Tests for the article-spinner recipe (training/recipes/spinner.py, thesaurus.py)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from training.recipes.base import Corruption
from training.recipes.spinner import spin
from training.recipes.thesaurus import (
    LEXNAMES,
    MYTHES_PATH,
    WORDNET_SRC,
    Thesaurus,
    slim_tortured_phrases,
    wordnet_dir,
)

AI_SENTENCE = "Artificial intelligence and deep neural networks are used in big data analysis."
WIKI = [
    'He had a recurring role in 2003 on two episodes of The Bill, as character "Connor Price".',
    "The play was part of a series which featured different playwrights, titled "
    "Burn/Chatroom/Citizenship.",
    "In a review of the production for The Daily Telegraph, theatre critic Charles Spencer "
    'noted, "Robert Boulter brings a touching vulnerability to the stage as William."',
    "Boulter starred in two films in 2008, Daylight Robbery by filmmaker Paris Leonti, and "
    "Donkey Punch directed by Olly Blackburn.",
    "The play was developed by a small company and performed in several large cities.",
    AI_SENTENCE,
]

needs_wordnet = pytest.mark.skipif(
    not (WORDNET_SRC / "data.noun").is_file(),
    reason=f"WordNet not installed in {WORDNET_SRC} (apt-get install wordnet-base)",
)


@pytest.fixture(scope="module")
def tiny() -> Thesaurus:
    return Thesaurus.from_dicts(
        phrases={
            "artificial intelligence": ["counterfeit consciousness"],
            "big data": ["enormous information", "huge information"],
        },
        words={
            "developed": ["created"],
            "method": ["technique", "strategy"],
            "fast": ["quick", "rapid"],
            "result": ["outcome"],
            "car": ["automobile"],
            "bought": ["purchased"],
        },
    )


@pytest.fixture(scope="module")
def real() -> Thesaurus:
    if not (WORDNET_SRC / "data.noun").is_file():
        pytest.skip(f"WordNet not installed in {WORDNET_SRC} (apt-get install wordnet-base)")
    return Thesaurus.load()


def check_corruption(original: str, out: Corruption) -> None:
    """Assert: text changed, spans in bounds and ordered, text outside the spans untouched."""
    assert out.text != original
    assert out.spans
    kept, prev = [], 0
    for start, end in out.spans:
        assert prev <= start < end <= len(out.text)
        kept.append(out.text[prev:start])
        prev = end
    kept.append(out.text[prev:])
    pattern = "(.+?)".join(re.escape(k) for k in kept)
    m = re.fullmatch(pattern, original, flags=re.S)
    assert m, "text outside the spans must be the original text"
    for k, (start, end) in enumerate(out.spans):
        assert out.text[start:end].lower() != m.group(k + 1).lower()


# --- tiny in-memory thesaurus: exact golden outputs ------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "seed", "text", "spans"),
    [
        (
            "Researchers developed artificial intelligence methods for big data.",
            1,
            "Researchers developed counterfeit consciousness strategies for huge information.",
            [(22, 47), (48, 58), (63, 79)],
        ),
        ("The fast method gave a result.", 2, "The fast method gave an outcome.", [(21, 31)]),
        (
            "She bought a car yesterday.",
            4,
            "She purchased an automobile yesterday.",
            [(4, 13), (14, 27)],
        ),
    ],
)
def test_golden_tiny(tiny: Thesaurus, sentence: str, seed: int, text: str, spans: list) -> None:
    out = spin(sentence, random.Random(seed), tiny)
    assert out == Corruption(text, spans)
    check_corruption(sentence, out)


def test_tiny_none_when_nothing_to_spin(tiny: Thesaurus) -> None:
    assert spin("Nothing here can change.", random.Random(0), tiny) is None
    assert spin("", random.Random(0), tiny) is None


def test_tiny_min_subs(tiny: Thesaurus) -> None:
    # 6 words (< 8): one substitution is enough; asking for 3 means 2 are needed.
    assert spin("The fast method gave a result.", random.Random(0), tiny, min_subs=1)
    assert spin("She drove a car.", random.Random(0), tiny, min_subs=3) is None


def test_tiny_learned_word_map(tiny: Thesaurus) -> None:
    assert "consciousness" in tiny.synonyms("intelligence")
    assert "enormous" in tiny.synonyms("big")
    assert tiny.phrase_substitutes()["big data"] == ["enormous information", "huge information"]


def test_tiny_skips_proper_nouns_and_keeps_case(tiny: Thesaurus) -> None:
    for seed in range(20):
        out = spin("Fast cars and the Fast Method result in big data.", random.Random(seed), tiny)
        assert out is not None
        assert "Fast Method" in out.text
        assert out.text[0].isupper()


def test_learned_map_aligns_words() -> None:
    th = Thesaurus.from_dicts({"deep neural networks": ["profound neural organizations"]})
    assert th.synonyms("deep") == ["profound"]
    assert th.synonyms("networks") == ["organizations"]
    assert th.synonyms("network") == ["organization"]
    assert th.synonyms("neural") == []


# --- resources -------------------------------------------------------------------------------


def test_slim_tortured_phrases(tmp_path: Path) -> None:
    rows = [
        {"tortured": "surface region", "expected": "surface area", "num_papers": 5, "x": 1},
        {"tortured": "odd thing", "expected": "???", "num_papers": 2},
        {
            "tortured": "a b",
            "expected": "c d",
            "num_papers": None,
            "paperguard_source": "ai_detection",
        },
        {
            "tortured": "e f",
            "expected": "g h",
            "num_papers": None,
            "paperguard_source": "tortured_csv",
        },
    ]
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert slim_tortured_phrases(src, dst) == 2
    got = [json.loads(line) for line in dst.read_text().splitlines()]
    assert got == [
        {
            "tortured": "surface region",
            "expected": "surface area",
            "num_papers": 5,
            "source": "pps",
        },
        {"tortured": "e f", "expected": "g h", "num_papers": None, "source": "tortured_csv"},
    ]


def test_missing_wordnet_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="apt-get install wordnet-base"):
        wordnet_dir(tmp_path)


def test_lexnames_list() -> None:
    assert len(LEXNAMES) == 45
    assert LEXNAMES[0] == "adj.all 3" and LEXNAMES[3] == "noun.Tops 1"
    assert LEXNAMES[44] == "adj.ppl 3"


# --- real resources (WordNet + mythes + shipped tortured list) ------------------------------

REAL_GOLDEN = [
    (
        'He had a happening use in 2003 on two episodes of The Bill, as character "Connor Price".',
        [(9, 18), (19, 22)],
    ),
    (
        "The play was duty of a series which featured different playwrights, entitled "
        "Burn/Chatroom/Citizenship.",
        [(13, 17), (68, 76)],
    ),
    (
        "In a judge of the production for The Daily Telegraph, field critic Charles Spencer "
        'noted, "Robert Boulter brings a touching vulnerability to the degree as William."',
        [(5, 10), (54, 59), (145, 151)],
    ),
]


@needs_wordnet
@pytest.mark.skipif(not MYTHES_PATH.is_file(), reason=f"mythes thesaurus {MYTHES_PATH} missing")
@pytest.mark.parametrize("k", range(len(REAL_GOLDEN)))
def test_golden_real(real: Thesaurus, k: int) -> None:
    out = spin(WIKI[k], random.Random(100 + k), real)
    assert out == Corruption(*REAL_GOLDEN[k])


@needs_wordnet
def test_real_thesaurus_contents(real: Thesaurus) -> None:
    assert "counterfeit consciousness" in real.phrase_substitutes()["artificial intelligence"]
    assert "profound" in real.synonyms("deep")
    assert "organization" in real.synonyms("network")
    assert "created" in real.synonyms("developed")
    assert "neural net" in real.synonyms("neural network")
    assert real.is_multiword("neural network")
    assert ("network", "n") in real.lemmas("networks")
    assert "deep" not in real.synonyms("deep")
    assert "networks" not in real.synonyms("network")
    assert Thesaurus.load() is real  # cached


@needs_wordnet
@pytest.mark.parametrize("seed", range(10))
def test_real_properties(real: Thesaurus, seed: int) -> None:
    for sentence in WIKI:
        out = spin(sentence, random.Random(seed), real)
        assert out is not None
        check_corruption(sentence, out)
        assert out == spin(sentence, random.Random(seed), real)  # deterministic


@needs_wordnet
@pytest.mark.parametrize("seed", range(10))
def test_real_ai_sentence(real: Thesaurus, seed: int) -> None:
    out = spin(AI_SENTENCE, random.Random(seed), real)
    assert out is not None and len(out.spans) >= 2
    assert out.text[0].isupper()
    check_corruption(AI_SENTENCE, out)
