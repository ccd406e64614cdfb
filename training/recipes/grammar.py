"""Grammatical errors of older MT systems: wrong inflections, moved words, missing verbs.

Phrase-based and rule-based systems translating into English often get agreement and verb
forms wrong ("the results shows", "he has went") and leave words where the source language
put them ("he has the book yesterday read"). Phrase-based systems also lost the main verb
when the source put it far from its subject ("the company a new gun in the old factory":
missing words are the largest class of their errors). The three planners return ``(start,
end, replacement)`` edits, like those of :mod:`training.recipes.mt_noise`, which mixes them
with its own errors.

Inflections come from lemminflect's lexicon: agreement and verb-form swaps that are wrong
under every tag of the word ("they runs", "was build"), and noun number only after a
determiner that fixes it ("a guns", "many gun"). A change of tense alone ("ran" -> "runs") is
not made. One swap can still read as grammatical: a past tense turned base form ("designed" ->
"design") is wrong after a singular subject or an auxiliary, but a plain present after a
plural subject ("the engineers who design"). That is label noise this recipe accepts.
"""

from __future__ import annotations

import random
from functools import lru_cache

from training.recipes.base import Corruption, match_case
from training.recipes.mt_noise import (
    AUXILIARIES,
    DETERMINERS,
    FUNCTION_WORDS,
    PREPOSITIONS,
    Edit,
    _spaced,
    _standalone,
    _to_corruption,
    _vocab,
    _words,
)

AGREEMENT = {
    "is": ("are",),
    "are": ("is",),
    "was": ("were",),
    "were": ("was",),
    "has": ("have",),
    "have": ("has",),
    "does": ("do",),
    "do": ("does",),
}
# Which wrong verb forms to use for a form (Penn tags). VBD -> VB reads as a present tense
# after a plural subject ("they designed" -> "they design"); the others are wrong anywhere.
WRONG_VERB_FORMS = {
    "VBZ": ("VB", "VBG"),  # "she runs" -> "she run" / "she running"
    "VBP": ("VBZ",),  # "they run" -> "they runs"
    "VBD": ("VB", "VBG"),  # "he ran" -> "he run" / "he running"
    "VBN": ("VB", "VBZ"),  # "has gone" -> "has go" / "has goes"
    "VB": ("VBZ", "VBD"),  # "to run" -> "to runs" / "to ran"
    "VBG": ("VBZ",),  # "is running" -> "is runs"
}
SINGULAR_DETERMINERS = _vocab("a an this that every each one another")
PLURAL_DETERMINERS = _vocab("these those many several few both two three four five")
CLAUSE_BREAKS = frozenset(",;:()\u2014")
MAX_MOVE = 5  # words


@lru_cache(maxsize=65536)
def _verb_forms(word: str) -> dict[str, tuple[str, ...]]:
    """Return the forms of a word that is a verb or participle, never a noun: tag -> forms.

    lemminflect lists a regular participle ("designed") only as a past tense; it is given
    both tags here, so that "was designed" never becomes the grammatical "was designing".
    """
    from lemminflect import getAllInflections, getAllLemmas

    lemmas = getAllLemmas(word)
    if "VERB" not in lemmas or not set(lemmas) <= {"VERB", "ADJ"}:
        return {}
    forms = dict(getAllInflections(lemmas["VERB"][0], upos="VERB"))
    forms.setdefault("VBN", forms.get("VBD", ()))
    return forms


@lru_cache(maxsize=65536)
def _noun_forms(word: str) -> dict[str, tuple[str, ...]]:
    """Return lemminflect's noun forms of ``word`` (NN, NNS), or {} when it is no noun."""
    from lemminflect import getAllInflections, getAllLemmas

    lemmas = getAllLemmas(word).get("NOUN", ())
    return getAllInflections(lemmas[0], upos="NOUN") if len(lemmas) == 1 else {}


def wrong_verb_forms(word: str) -> list[str]:
    """Return forms of the verb ``word`` that are wrong under each of its readings.

    "built" is a past tense and a participle: "building" would fit "was built", so only
    "build" is returned.
    """
    forms = _verb_forms(word)
    tags = [tag for tag, values in forms.items() if word in values]
    if not tags:
        return []
    wrong = [
        {f for bad in WRONG_VERB_FORMS.get(tag, ()) for f in forms.get(bad, ())} for tag in tags
    ]
    right = {f for tag in tags for f in forms[tag]}
    return sorted(set.intersection(*wrong) - right)


def wrong_noun_number(word: str, determiner: str) -> list[str]:
    """Return ``word`` in the number that ``determiner`` rules out ("a gun" -> "guns")."""
    forms = _noun_forms(word)
    if determiner in SINGULAR_DETERMINERS and word in forms.get("NN", ()):
        return [f for f in forms.get("NNS", ()) if f != word]
    if determiner in PLURAL_DETERMINERS and word in forms.get("NNS", ()):
        return [f for f in forms.get("NN", ()) if f != word]
    return []


def _inflection_choices(text: str) -> list[tuple[int, int, list[str]]]:
    """Return ``(start, end, wrong forms)`` for every word that can be inflected wrongly."""
    words = _words(text)
    out = []
    for i, (start, end, word) in enumerate(words):
        if not word.isalpha() or not (word.islower() or i == 0):
            continue
        if not _standalone(text, start, end):
            continue
        low = word.lower()
        prev = words[i - 1][2].lower() if i else ""
        if low in AGREEMENT:
            alts = list(AGREEMENT[low])
        elif (
            prev
            and _spaced(text, words[i - 1][1], start)
            and (alts := wrong_noun_number(low, prev))
        ):
            pass
        elif low not in FUNCTION_WORDS and len(low) > 2:
            alts = wrong_verb_forms(low)
        else:
            alts = []
        if alts:
            out.append((start, end, alts))
    return out


def plan_inflect(text: str, rng: random.Random) -> list[Edit] | None:
    """Return 1-2 edits giving a verb, auxiliary or noun a wrong inflection."""
    choices = _inflection_choices(text)
    if not choices:
        return None
    picked = rng.sample(choices, k=min(len(choices), rng.choice((1, 1, 2))))
    return [(s, e, match_case(rng.choice(alts), text[s:e])) for s, e, alts in picked]


def wrong_inflection(sentence: str, rng: random.Random) -> Corruption | None:
    """Return the sentence with 1-2 wrong inflections ("the results shows")."""
    return _to_corruption(sentence, plan_inflect(sentence, rng))


def _clause_of(text: str, words: list[tuple[int, int, str]], i: int) -> range:
    """Return the word indices of the clause (no comma, colon, bracket...) around word ``i``."""

    def joined(k: int) -> bool:  # no clause break between words k and k + 1
        return not set(text[words[k][1] : words[k + 1][0]]) & CLAUSE_BREAKS

    lo = i
    while lo > 0 and joined(lo - 1):
        lo -= 1
    hi = i
    while hi + 1 < len(words) and joined(hi):
        hi += 1
    return range(lo, hi + 1)


def plan_move(text: str, rng: random.Random) -> list[Edit] | None:
    """Return edits moving one lower-case word 2-5 words away within its clause."""
    words = _words(text)
    movable = [
        i
        for i, (s, e, w) in enumerate(words)
        if i > 0
        and w.isalpha()
        and w.islower()
        and _standalone(text, s, e)
        and _spaced(text, words[i - 1][1], s)
    ]
    rng.shuffle(movable)
    for i in movable:
        clause = _clause_of(text, words, i)
        targets = [j for j in clause if 2 <= abs(j - i) <= MAX_MOVE and j > clause.start]
        targets = [j for j in targets if _spaced(text, words[j - 1][1], words[j][0])]
        if not targets:
            continue
        j = rng.choice(targets)
        _, end, word = words[i]
        dest = words[j][0] if j < i else words[j][1]
        move = (dest, dest, f"{word} ") if j < i else (dest, dest, f" {word}")
        return sorted([(words[i - 1][1], end, ""), move])
    return None


def move_word(sentence: str, rng: random.Random) -> Corruption | None:
    """Return the sentence with one word moved 2-5 words away ("has yesterday the book read")."""
    return _to_corruption(sentence, plan_move(sentence, rng))


FINITE_TAGS = ("VBD", "VBZ", "VBP")


def _droppable_verb(words: list[tuple[int, int, str]], i: int, text: str) -> bool:
    """Return True for a finite verb whose loss should leave the sentence ungrammatical.

    A participle after an auxiliary ("is included in" -> "is in"), before a preposition
    ("a group based in" -> "a group in") or after a determiner ("the infected cell" -> "the
    cell") would often leave a grammatical sentence: kept.
    """
    start, end, word = words[i]
    before = words[i - 1][2].lower()
    after = words[i + 1][2].lower() if i + 1 < len(words) else ""
    return (
        word.islower()
        and word not in FUNCTION_WORDS
        and before not in AUXILIARIES | DETERMINERS
        and after not in PREPOSITIONS
        and _standalone(text, start, end)
        and _spaced(text, words[i - 1][1], start)
        and any(word in _verb_forms(word).get(tag, ()) for tag in FINITE_TAGS)
    )


def plan_drop_verb(text: str, rng: random.Random) -> list[Edit] | None:
    """Return an edit deleting one finite verb (never a word that can be a noun)."""
    words = _words(text)
    slots = [i for i in range(1, len(words)) if _droppable_verb(words, i, text)]
    if not slots:
        return None
    i = rng.choice(slots)
    return [(words[i - 1][1], words[i][1], "")]


def drop_verb(sentence: str, rng: random.Random) -> Corruption | None:
    """Return the sentence without one finite verb ("the company a new gun")."""
    return _to_corruption(sentence, plan_drop_verb(sentence, rng))
