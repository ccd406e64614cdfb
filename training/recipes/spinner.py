"""The "article spinner" corruption: sense-blind synonym substitution of words and phrases.

Spinners used to disguise plagiarism swap words and whole terms for "synonyms" taken from any
sense of the word, giving fluent-looking but wrong wording ("artificial intelligence" ->
"counterfeit consciousness", "developed" -> "created"). Replacements are weighted towards
common words: rare ones would teach a classifier that "rare word = garbled".
"""

from __future__ import annotations

import functools
import math
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from wordfreq import get_frequency_dict

from training.recipes.base import Corruption, apply_edits, match_case, word_spans
from training.recipes.thesaurus import (
    MAX_MULTIWORD,
    MAX_PHRASE_WORDS,
    STOPWORDS,
    Thesaurus,
    gerund,
    past,
    plural,
    singular,
)

PHRASE_RATE = 0.9  # real tortured phrases are nearly always used when they match
MIN_ZIPF = 2.5  # thesaurus candidates rarer than this are never used
MULTIWORD_WEIGHT = 0.25  # weight factor of multiword thesaurus replacements
SHORT_SENTENCE = 8  # words; shorter sentences need one substitution fewer
_LETTERS_RE = re.compile(r"[a-z]+")
_ARTICLE_RE = re.compile(r"(?<![\w'\u2019-])([Aa]n?|AN?) $")
_NUMBERS_TEXT = """
    zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty
    ninety hundred thousand million billion trillion first second third fourth fifth sixth
    seventh eighth ninth tenth
"""
NUMBER_WORDS = frozenset(_NUMBERS_TEXT.split())


@dataclass(frozen=True)
class _Site:
    """A place in the sentence that can be replaced: char span, original text, choices."""

    start: int
    end: int
    original: str
    choices: tuple[str, ...]
    weights: tuple[float, ...]
    rate: float


def spin(
    sentence: str,
    rng: random.Random,
    thesaurus: Thesaurus,
    rate: float = 0.35,
    min_subs: int = 2,
) -> Corruption | None:
    """Return ``sentence`` with words and phrases swapped for sense-blind synonyms.

    Real tortured phrases go first (longest match), then multiword thesaurus terms, then single
    content words, each with probability ``rate``. Returns None when fewer than ``min_subs``
    substitutions are possible (one fewer, at least 1, for sentences under 8 words).
    """
    spans = word_spans(sentence)
    words = [sentence[s:e] for s, e in spans]
    sites = _find_sites(sentence, spans, words, thesaurus, rate)
    needed = min_subs if len(words) >= SHORT_SENTENCE else max(1, min_subs - 1)
    chosen = _choose_sites(sites, needed, rng)
    if len(chosen) < needed:
        return None
    edits: list[tuple[int, int, str]] = []
    for site in sorted(chosen, key=lambda s: s.start):
        floor = edits[-1][1] if edits else 0
        start, text = _fix_article(sentence, site, _pick(site, rng), floor)
        edits.append((start, site.end, text))
    return apply_edits(sentence, edits)


def _real_sites(sentence: str, thesaurus: Thesaurus) -> Iterator[_Site]:
    """Yield the sites of ``sentence`` that a real tortured phrase replaces, left to right."""
    spans = word_spans(sentence)
    words = [sentence[s:e] for s, e in spans]
    used = [False] * len(words)
    yield from _pass_sites(sentence, spans, words, used, _PASSES[0], thesaurus)


def _find_sites(
    sentence: str, spans: list[tuple[int, int]], words: list[str], th: Thesaurus, rate: float
) -> list[_Site]:
    """Return the replaceable sites, in priority order, without overlaps."""
    used = [False] * len(words)
    sites: list[_Site] = []
    rates = (PHRASE_RATE, rate, rate)
    for spec, site_rate in zip(_PASSES, rates, strict=True):
        for site in _pass_sites(sentence, spans, words, used, spec, th):
            sites.append(replace(site, rate=site_rate))
    return sites


def _pass_sites(
    sentence: str,
    spans: list[tuple[int, int]],
    words: list[str],
    used: list[bool],
    spec: tuple,
    th: Thesaurus,
) -> Iterator[_Site]:
    """Yield one pass's sites over the free token ranges, marking each one's tokens ``used``."""
    longest, shortest, real, find = spec
    for i, j in _runs(sentence, spans, used, longest, shortest):
        start, end = spans[i][0], spans[j - 1][1]
        site = _make_site(sentence[start:end], start, end, find(words, i, j, th), real)
        if site.choices:
            used[i:j] = [True] * (j - i)
            yield site


def _runs(
    sentence: str, spans: list[tuple[int, int]], used: list[bool], longest: int, shortest: int
) -> Iterator[tuple[int, int]]:
    """Yield free token ranges [i, j), longest first at each start, space-separated only.

    Lazy: the caller marks ``used`` between yields, so later ranges skip taken tokens.
    """
    for i in range(len(spans)):
        for n in range(min(longest, len(spans) - i), shortest - 1, -1):
            j = i + n
            gaps = (sentence[spans[k - 1][1] : spans[k][0]] for k in range(i + 1, j))
            if not any(used[i:j]) and all(g == " " for g in gaps):
                yield i, j


def _phrase_choices(words: list[str], i: int, j: int, th: Thesaurus) -> list[str]:
    """Real tortured phrases for the range, also via a plural last word ("neural networks")."""
    if j - i == 1 and not _content_word(words[i], i):
        return []
    subs = th.phrase_substitutes()
    key = " ".join(words[i:j]).lower()
    if key in subs:
        return subs[key]
    head, _, last = key.rpartition(" ")
    base = singular(last)
    base_key = f"{head} {base}".strip() if base else ""
    return [_inflect(t, "s", "n") for t in subs.get(base_key, [])]


def _multiword_choices(words: list[str], i: int, j: int, th: Thesaurus) -> list[str]:
    """Synonyms of a multiword term, also via the singular of its last word ("data sets")."""
    if not _content_word(words[i], i) or any(w[:1].isupper() for w in words[i + 1 : j]):
        return []
    term = " ".join(words[i:j]).lower()
    out = _common(th.synonyms(term)) if th.is_multiword(term) else []
    head, last = term.rsplit(" ", 1)
    for base, pos in th.lemmas(last):
        base_term = f"{head} {base}"
        if pos == "n" and plural(base) == last and th.is_multiword(base_term):
            out += [_inflect(s, "s", "n") for s in _common(th.synonyms(base_term, "n"))]
    return _dedupe(out, term)


def _word_choices(words: list[str], i: int, j: int, th: Thesaurus) -> list[str]:
    """Synonyms of a single content word, directly and via its base form re-inflected."""
    word = words[i]
    if not _content_word(word, i) or "'" in word or "\u2019" in word:
        return []
    low = word.lower()
    out = _common(th.synonyms(low))
    if "-" not in low:
        for base, pos in th.lemmas(low):
            suffix = _suffix(low, base, pos)
            if suffix:
                out += [_inflect(s, suffix, pos) for s in _common(th.synonyms(base, pos))]
    return _dedupe(out, low)


# The passes of _find_sites, in priority order: longest and shortest range (in words), real
# tortured phrases?, choice finder. Real phrases go first, then multiword terms, then words.
_PASSES = (
    (MAX_PHRASE_WORDS, 1, True, _phrase_choices),
    (MAX_MULTIWORD, 2, False, _multiword_choices),
    (1, 1, False, _word_choices),
)


def _content_word(word: str, index: int) -> bool:
    """Return whether ``word`` may be spun: no stopword, number, proper noun or acronym."""
    low = word.lower()
    if len(word) < 3 or low in STOPWORDS or low in NUMBER_WORDS or not low[0].isalpha():
        return False
    if any(c.isdigit() for c in word) or (word.isupper() and len(word) > 1):
        return False
    return index == 0 or not word[0].isupper()


def _suffix(word: str, base: str, pos: str) -> str | None:
    """Return the regular inflection ("s", "ed", "ing") turning ``base`` into ``word``, if any."""
    if word == plural(base) or (word.endswith("s") and pos == "n"):
        return "s"
    if pos == "v" and word.endswith("ing"):
        return "ing"
    if pos == "v" and word.endswith("ed"):
        return "ed"
    return None


def _inflect(phrase: str, suffix: str, pos: str) -> str:
    """Inflect a (multiword) synonym crudely: nouns on the last word, verbs on the first."""
    words = phrase.split(" ")
    k = -1 if pos == "n" else 0
    form = {"s": plural, "ed": past, "ing": gerund}[suffix]
    words[k] = form(words[k])
    return " ".join(words)


@functools.cache
def _frequencies() -> dict[str, float]:
    return get_frequency_dict("en")


@functools.lru_cache(maxsize=200_000)
def commonness(phrase: str) -> float:
    """Return the Zipf frequency (wordfreq, English) of the phrase's rarest word; 0 if unknown.

    Each hyphen costs 1: wordfreq only knows a compound's parts, and "coach-and-four" is far
    rarer than "coach".
    """
    freqs = _frequencies()
    zipfs = [math.log10(freqs.get(w, 1e-9)) + 9.0 for w in _LETTERS_RE.findall(phrase.lower())]
    return min(zipfs, default=0.0) - phrase.count("-")


def weight(phrase: str, multiword_penalty: bool = False) -> float:
    """Return the choice weight of a replacement: strongly favours common words.

    With ``multiword_penalty`` a multiword or hyphenated replacement counts a quarter (a
    thesaurus offering "human activity" for "production" or "ill-used" for "used" is less
    spinner-like than a one-word swap, and wordfreq rates compounds by their parts).
    """
    w = max(commonness(phrase) - 2.0, 0.1) ** 2
    compound = " " in phrase or "-" in phrase
    return w * MULTIWORD_WEIGHT if multiword_penalty and compound else w


def _common(candidates: list[str]) -> list[str]:
    return [c for c in candidates if commonness(c) >= MIN_ZIPF]


def _dedupe(candidates: list[str], original: str) -> list[str]:
    return sorted({c for c in candidates if c.lower() != original})


def _make_site(original: str, start: int, end: int, choices: list[str], real: bool) -> _Site:
    """Return a site (rate 0) offering ``choices``; multiword ones penalised unless ``real``."""
    cands = [c for c in choices if c.lower() != original.lower()]
    weights = tuple(weight(c, multiword_penalty=not real) for c in cands)
    return _Site(start, end, original, tuple(cands), weights, 0.0)


def _choose_sites(sites: list[_Site], needed: int, rng: random.Random) -> list[_Site]:
    """Pick each site with its rate; top up at random to ``needed`` if too few were picked."""
    picked = [rng.random() < s.rate for s in sites]
    rest = [k for k, p in enumerate(picked) if not p]
    rng.shuffle(rest)
    for k in rest[: max(0, needed - sum(picked))]:
        picked[k] = True
    return [s for s, p in zip(sites, picked, strict=True) if p]


def _pick(site: _Site, rng: random.Random) -> str:
    choice = rng.choices(site.choices, weights=site.weights)[0]
    return match_case(choice, site.original)


def _fix_article(sentence: str, site: _Site, text: str, floor: int) -> tuple[int, str]:
    """Return (start, text) with a preceding "a"/"an" fixed for the new word, if it was right.

    The article must start at or after ``floor`` (the end of the previous edit). Spinners
    that fix "a"/"an" look fluent; a wrong article would be an easy non-spinner cue.
    """
    m = _ARTICLE_RE.search(sentence, 0, site.start)
    if m is None or m.start(1) < floor:
        return site.start, text
    article = m.group(1)
    was_right = (article.lower() == "an") == _vowel_sound(site.original)
    want = "an" if _vowel_sound(text) else "a"
    if not was_right or article.lower() == want:
        return site.start, text
    return m.start(1), f"{match_case(want, article)} {text}"


def _vowel_sound(word: str) -> bool:
    """Crude guess whether ``word`` takes "an": vowel letter, with a few common exceptions."""
    w = word.lower()
    if w.startswith(("hour", "honest", "honor", "honour", "heir")):
        return True
    return w[:1] in "aeiou" and not w.startswith(("uni", "use", "usu", "eu", "one", "once"))
