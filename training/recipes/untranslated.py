"""Words left untranslated: the source-language words that older MT systems passed through.

Phrase-based systems copied a word they had no translation for into their English output
("the Verkehrsminister said"). We have no German or French source text, so the recipe runs
the other way: it renders 1-2 lower-case English words of a sentence (four letters or more,
not among the most frequent, never the first word) in one language that Apertium translates
into, as if they had been left in the source. The lexicon comes
from Apertium itself, each word translated on its own (a full stop after each word keeps
Apertium's transfer rules from spanning lines).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence

from training.recipes.base import Corruption, word_spans
from training.recipes.mt import PIVOT_MODES, run_mode
from training.recipes.mt_noise import Edit, _to_corruption

# language -> English word -> its rendering in that language
Lexicon = Mapping[str, Mapping[str, str]]

MIN_LETTERS = 4
# Frequent words were always in a system's phrase table; the words it left were rarer ones.
MAX_SOURCE_ZIPF = 5.0
# A rendering that is itself an English word (Apertium's lemma fallback, "baffling" ->
# "baffle") would not be a foreign word.
MAX_ENGLISH_ZIPF = 2.0


def lexicon_words(sentences: Iterable[str]) -> list[str]:
    """Return the sorted lower-case words of ``sentences`` that a system might have left."""
    from wordfreq import zipf_frequency

    words = {
        text[start:end]
        for text in sentences
        for start, end in word_spans(text)
        if len(text[start:end]) >= MIN_LETTERS and text[start:end].isalpha()
    }
    return sorted(w for w in words if w.islower() and zipf_frequency(w, "en") <= MAX_SOURCE_ZIPF)


def _foreign(word: str, rendering: str) -> str | None:
    """Return Apertium's rendering of ``word`` when it is one foreign word, else None."""
    from wordfreq import zipf_frequency

    out = rendering.strip().rstrip(".").strip().lower()
    if not out.isalpha() or out == word or zipf_frequency(out, "en") >= MAX_ENGLISH_ZIPF:
        return None
    return out


def build_lexicon(words: Sequence[str], languages: Sequence[str]) -> dict[str, dict[str, str]]:
    """Return, per language, each word of ``words`` that Apertium renders as one foreign word."""
    lexicon: dict[str, dict[str, str]] = {}
    for lang in languages:
        renderings = run_mode(PIVOT_MODES[lang][0], [f"{w}." for w in words]) if words else []
        table = {w: _foreign(w, r) for w, r in zip(words, renderings, strict=True)}
        lexicon[lang] = {w: f for w, f in table.items() if f}
    return lexicon


def plan_untranslated(text: str, rng: random.Random, lexicon: Lexicon) -> list[Edit] | None:
    """Return 1-2 edits that leave lower-case words of ``text`` in one language of ``lexicon``."""
    languages = sorted(lang for lang, table in lexicon.items() if table)
    if not languages:
        return None
    table = lexicon[rng.choice(languages)]
    slots = [(s, e) for s, e in word_spans(text)[1:] if text[s:e] in table]
    if not slots:
        return None
    picks = sorted(rng.sample(slots, k=min(len(slots), rng.choice((1, 1, 2)))))
    return [(s, e, table[text[s:e]]) for s, e in picks]


def untranslated_word(sentence: str, rng: random.Random, lexicon: Lexicon) -> Corruption | None:
    """Return the sentence with 1-2 words left in one language of ``lexicon``, or None."""
    return _to_corruption(sentence, plan_untranslated(sentence, rng, lexicon))
