"""MT-like corruptions: errors that older phrase-based or rule-based MT makes into English.

Each public recipe is a small pure function ``(sentence, rng, ...) -> Corruption | None``.
Internally every recipe is a *planner* that returns a list of ``(start, end, replacement)``
edits on its input, so that :func:`mt_noise` can chain several of them and carry the spans
of earlier edits forward with :func:`carry_spans`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from functools import lru_cache

from training.recipes.base import Corruption, Span, apply_edits, match_case, word_spans

Edit = tuple[int, int, str]
Synonyms = Callable[[str], Sequence[str]]


def _vocab(words: str) -> frozenset[str]:
    """Return the set of the whitespace-separated words of ``words``."""
    return frozenset(words.split())


DETERMINERS = _vocab("a an the this these those his her its their our my your some every")
OBJECT_PRONOUNS = _vocab("him them us me")
ARTICLES = _vocab("a an the")
PREPOSITIONS = _vocab("of in on at to for from with by into about over under after before during")
DROPPABLE_PREPOSITIONS = _vocab("of in on at to for from into")
FUNCTION_WORDS = (
    DETERMINERS
    | OBJECT_PRONOUNS
    | PREPOSITIONS
    | _vocab(
        "that and or but nor so yet as than then if when while because although though since "
        "until unless whether which who whom whose what where why how not no also only just "
        "is are was were be been being am has have had having do does did will would shall "
        "should can could may might must he she it they we i you one there here very more "
        "most such both either neither each all any few many much other another own same "
        "too out up off down away back through upon within without against between among "
        "around across along behind beyond toward towards per via"
    )
)
AUXILIARIES = _vocab(
    "is are was were be been being has have had will would can could should may might must "
    "did does do"
)
PARTICLES = _vocab("up out off down over away back on in around")
VERBISH_SUFFIXES = ("ed", "ing", "ly")
ADJECTIVE_SUFFIXES = ("al", "ous", "ive", "ful", "ic", "able", "ible", "less", "ary", "ish", "ian")
WRONG_FUNCTION_WORD: dict[str, tuple[str, ...]] = {
    "in": ("on", "at", "of", "into"),
    "on": ("in", "at", "to"),
    "at": ("in", "on", "to"),
    "of": ("from", "for", "in"),
    "to": ("for", "at", "in"),
    "for": ("to", "of", "at"),
    "from": ("of", "by"),
    "with": ("by", "of"),
    "by": ("with", "from"),
    "into": ("in", "on"),
    "about": ("of", "on"),
    "the": ("a",),
    "a": ("the",),
    "an": ("the",),
}
WRONG_PRONOUN: dict[str, tuple[str, ...]] = {
    "it": ("he", "she"),
    "its": ("his", "her"),
    "who": ("that", "which"),
}
COORD_JOINERS = (" and ", " and ", " and ", ", ")
FUSE_JOINERS = (" ", " ", ", ")
MIN_ZIPF = 3.5
OPENERS = frozenset(" (\"'\u201c\u2018[")
CLOSERS = frozenset(".,;:!?)\"'\u201d\u2019]")


# ---------------------------------------------------------------- span bookkeeping


def _map_pos(pos: int, edits: Sequence[Edit], right: bool) -> int:
    """Return where ``pos`` of the pre-edit text lands after ``edits`` (sorted, disjoint)."""
    offset = 0
    for start, end, repl in edits:
        delta = len(repl) - (end - start)
        if end < pos or (end == pos and (start < end or not right)):
            offset += delta
        elif start < pos < end:
            return start + offset + (len(repl) if right else 0)
        else:
            break
    return pos + offset


def merge_spans(spans: Sequence[Span]) -> list[Span]:
    """Return ``spans`` sorted with overlapping or touching spans merged."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def carry_spans(old: Sequence[Span], edits: Sequence[Edit], new: Sequence[Span]) -> list[Span]:
    """Return the spans of the edited text: ``old`` shifted through ``edits``, merged with ``new``.

    ``old`` are spans of the text before ``edits``; ``new`` are the spans that the edits
    themselves produced (as :func:`apply_edits` returns them). A span partly rewritten by an
    edit is stretched to cover the replacement.
    """
    ordered = sorted(edits)
    moved = []
    for start, end in old:
        a, b = _map_pos(start, ordered, right=False), _map_pos(end, ordered, right=True)
        moved.append((min(a, b), max(a, b)))
    return merge_spans([*moved, *new])


# ---------------------------------------------------------------- helpers


def _words(text: str) -> list[tuple[int, int, str]]:
    """Return ``(start, end, word)`` for each word token of ``text``."""
    return [(s, e, text[s:e]) for s, e in word_spans(text)]


def _spaced(text: str, left_end: int, right_start: int) -> bool:
    """Return True when exactly one space separates two tokens."""
    return text[left_end:right_start] == " "


def _standalone(text: str, start: int, end: int) -> bool:
    """Return True when ``text[start:end]`` is a whole token, not part of "140,000" or "U.S."."""
    before = text[start - 1] if start > 0 else " "
    rest = text[end : end + 2]
    after_ok = not rest or rest[0] == " " or (rest[0] in CLOSERS and rest[1:2] in ("", " "))
    return before in OPENERS and after_ok


def _is_content(word: str) -> bool:
    """Return True for an alphabetic word that is not a function word."""
    return word.isalpha() and word.lower() not in FUNCTION_WORDS


def _to_corruption(text: str, edits: list[Edit] | None) -> Corruption | None:
    """Return the Corruption made by ``edits``, or None when there are none or nothing changes."""
    if not edits:
        return None
    out = apply_edits(text, edits)
    return out if out.text != text else None


@lru_cache(maxsize=65536)
def _zipf(word: str) -> float:
    """Return the wordfreq Zipf frequency of an English word."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en")


# ---------------------------------------------------------------- duplicate_coordination


def _nounish(word: str) -> bool:
    """Return True for a content word that does not look like a verb or an adverb."""
    return _is_content(word) and not word.lower().endswith(VERBISH_SUFFIXES)


def _phrase_end(text: str, words: list[tuple[int, int, str]], i: int) -> int | None:
    """Return the index of the last word of the noun phrase opened by determiner ``i``."""
    best = None
    for k in range(i + 1, min(i + 4, len(words))):
        prev_end, (start, end, word) = words[k - 1][1], words[k]
        if not _spaced(text, prev_end, start) or not (_is_content(word) or word.isdigit()):
            break
        nxt = words[k + 1] if k + 1 < len(words) else None
        boundary = nxt is None or not _spaced(text, end, nxt[0])
        boundary = boundary or not _is_content(nxt[2]) or not _nounish(nxt[2])
        if _nounish(word) and _standalone(text, start, end) and boundary:
            best = k
    return best


def _noun_phrases(text: str) -> list[tuple[int, int]]:
    """Return char spans of determiner + 1-3 words ending at a noun-ish word, or pronouns."""
    words = _words(text)
    phrases = []
    for i, (start, end, word) in enumerate(words):
        low = word.lower()
        if low in OBJECT_PRONOUNS and _standalone(text, start, end):
            phrases.append((start, end))
        elif low in DETERMINERS and (k := _phrase_end(text, words, i)) is not None:
            phrases.append((start, words[k][1]))
    return phrases


def _plan_duplicate(text: str, rng: random.Random) -> list[Edit] | None:
    """Return an insertion that repeats a noun phrase with a coordination."""
    phrases = _noun_phrases(text)
    if not phrases:
        return None
    start, end = rng.choice(phrases)
    phrase = text[start:end]
    if start == 0:
        phrase = phrase[:1].lower() + phrase[1:]
    return [(end, end, rng.choice(COORD_JOINERS) + phrase)]


def duplicate_coordination(sentence: str, rng: random.Random) -> Corruption | None:
    """Return the sentence with a noun phrase doubled ("a gun" -> "a gun and a gun")."""
    return _to_corruption(sentence, _plan_duplicate(sentence, rng))


# ---------------------------------------------------------------- swap_adjacent_words


def _is_adjective_like(word: str) -> bool:
    """Return True when ``word`` looks like an adjective by its suffix."""
    return len(word) > 4 and word.lower().endswith(ADJECTIVE_SUFFIXES)


def _swap_pairs(text: str) -> tuple[list[int], list[int]]:
    """Return (typed, other) indices ``i`` of swappable word pairs ``(i, i + 1)``."""
    words = _words(text)
    typed, other = [], []
    for i in range(1, len(words) - 1):
        (_, e1, w1), (s2, _, w2) = words[i], words[i + 1]
        if not _spaced(text, e1, s2) or w1.lower() == w2.lower():
            continue
        if not (w1.islower() and w2.islower() and _standalone(text, words[i][0], e1)):
            continue
        if not _standalone(text, s2, words[i + 1][1]):
            continue
        l1, l2 = w1.lower(), w2.lower()
        aux = l1 in AUXILIARIES and l2 not in FUNCTION_WORDS | AUXILIARIES
        aux = aux or (l1 in AUXILIARIES and l2 in AUXILIARIES)
        particle = _is_content(w1) and l2 in PARTICLES
        adj_noun = _is_adjective_like(w1) and _is_content(w2) and w2.islower()
        if aux or particle or adj_noun:
            typed.append(i)
        elif _is_content(w1) or _is_content(w2):
            other.append(i)
    return typed, other


def _plan_swap(text: str, rng: random.Random) -> list[Edit] | None:
    """Return 1-2 edits each swapping two adjacent words."""
    typed, other = _swap_pairs(text)
    pool = typed if typed and rng.random() < 0.8 else typed + other
    if not pool:
        return None
    words = _words(text)
    chosen: list[int] = []
    for i in rng.sample(sorted(pool), k=min(len(pool), rng.choice((1, 1, 2)))):
        if all(abs(i - j) > 1 for j in chosen):
            chosen.append(i)
    edits = []
    for i in chosen:
        (s1, _, w1), (_, e2, w2) = words[i], words[i + 1]
        edits.append((s1, e2, f"{w2} {w1}"))
    return edits


def swap_adjacent_words(sentence: str, rng: random.Random) -> Corruption | None:
    """Return the sentence with 1-2 adjacent word pairs swapped ("red car" -> "car red")."""
    return _to_corruption(sentence, _plan_swap(sentence, rng))


# ---------------------------------------------------------------- function words


def _function_word_slots(text: str, vocab: Sequence[str] | frozenset[str]) -> list[int]:
    """Return indices of words in ``vocab`` that are followed by a spaced word."""
    words = _words(text)
    return [
        i
        for i, (s, e, w) in enumerate(words[:-1])
        if w.lower() in vocab
        and _spaced(text, e, words[i + 1][0])
        and (s == 0 or text[s - 1] == " ")
        and _standalone(text, *words[i + 1][:2])
    ]


def _plan_drop(text: str, rng: random.Random) -> list[Edit] | None:
    """Return an edit deleting one article or preposition."""
    articles = _function_word_slots(text, ARTICLES)
    slots = _function_word_slots(text, ARTICLES | DROPPABLE_PREPOSITIONS)
    if not slots:
        return None
    words = _words(text)
    i = rng.choice(articles if articles and rng.random() < 0.6 else slots)
    start, _, word = words[i]
    nxt_start, nxt_end, nxt = words[i + 1]
    if start == 0 and word[:1].isupper():
        return [(start, nxt_end, nxt[:1].upper() + nxt[1:])]
    return [(start, nxt_start, "")]


def drop_function_word(sentence: str, rng: random.Random) -> Corruption | None:
    """Return the sentence with one article or preposition dropped."""
    return _to_corruption(sentence, _plan_drop(sentence, rng))


def _article_for(next_word: str) -> str:
    """Return "an" before a vowel-initial word, else "a"."""
    return "an" if next_word[:1].lower() in "aeiou" else "a"


def _plan_replace(text: str, rng: random.Random) -> list[Edit] | None:
    """Return an edit swapping one article or preposition for a wrong one."""
    slots = _function_word_slots(text, frozenset(WRONG_FUNCTION_WORD))
    if not slots:
        return None
    words = _words(text)
    i = rng.choice(slots)
    start, end, word = words[i]
    repl = rng.choice(WRONG_FUNCTION_WORD[word.lower()])
    if repl == "a":
        repl = _article_for(words[i + 1][2])
    return [(start, end, match_case(repl, word))]


def replace_function_word(sentence: str, rng: random.Random) -> Corruption | None:
    """Return the sentence with one article or preposition swapped ("in" -> "on")."""
    return _to_corruption(sentence, _plan_replace(sentence, rng))


# ---------------------------------------------------------------- fuse_fragments


def _balanced(text: str) -> bool:
    """Return True when the brackets and double quotes of ``text`` are balanced."""
    pairs = (text.count("(") - text.count(")"), text.count("\u201c") - text.count("\u201d"))
    return pairs == (0, 0) and text.count('"') % 2 == 0


def _head_cut(text: str, rng: random.Random) -> int | None:
    """Return a cut point of ``text`` at a comma or a word end 40-70 % in."""
    n = len(text)
    commas = [i for i, ch in enumerate(text[:-1]) if ch == "," and text[i + 1] == " "]
    commas = [i for i in commas if 0.3 * n <= i <= 0.75 * n]
    ends = [e for s, e in word_spans(text) if 0.4 * n <= e <= 0.7 * n and _standalone(text, s, e)]
    commas = [i for i in commas if _balanced(text[:i])]
    ends = [i for i in ends if _balanced(text[:i])]
    if commas and rng.random() < 0.4:
        return rng.choice(commas)
    return rng.choice(ends) if ends else None


def _lower_unless_proper(tail: str) -> str:
    """Return ``tail`` with its first letter lowered unless it looks like a proper noun."""
    first = word_spans(tail)[0]
    word = tail[first[0] : first[1]]
    if word[:1].isupper() and word.lower() in FUNCTION_WORDS and word != "I":
        return tail[:1].lower() + tail[1:]
    return tail


def _donor_tail(donor: str, rng: random.Random) -> str | None:
    """Return the tail of ``donor`` from a word start 30-60 % in."""
    words = _words(donor)
    n = len(donor)
    starts = [
        s
        for i, (s, e, _) in enumerate(words)
        if i > 0 and 0.3 * n <= s <= 0.6 * n and _standalone(donor, s, e) and e - s > 1
    ]
    starts = [s for s in starts if _balanced(donor[s:])]
    if len(words) < 4 or not starts:
        return None
    return _lower_unless_proper(donor[rng.choice(starts) :])


def _plan_fuse(text: str, rng: random.Random, donors: Sequence[str]) -> list[Edit] | None:
    """Return an edit replacing the end of ``text`` with the tail of a donor sentence."""
    candidates = [d for d in donors if d.strip() and d != text]
    if not candidates or len(word_spans(text)) < 4:
        return None
    cut = _head_cut(text, rng)
    tail = _donor_tail(rng.choice(candidates), rng)
    if cut is None or tail is None:
        return None
    return [(cut, len(text), rng.choice(FUSE_JOINERS) + tail)]


def fuse_fragments(sentence: str, rng: random.Random, donors: Sequence[str]) -> Corruption | None:
    """Return a run-on of the head of ``sentence`` and the tail of a donor sentence."""
    return _to_corruption(sentence, _plan_fuse(sentence, rng, donors))


# ---------------------------------------------------------------- wrong_sense_word


def _sense_alternatives(word: str, synonyms: Synonyms) -> list[str]:
    """Return single-word alternatives for ``word``; the common ones when there are any."""
    low = word.lower()
    alts = sorted({a for a in synonyms(low) if a.isalpha() and a.lower() != low})
    common = [a for a in alts if _zipf(a) >= MIN_ZIPF]
    return common or alts


def _plan_wrong_sense(text: str, rng: random.Random, synonyms: Synonyms) -> list[Edit] | None:
    """Return 1-2 edits replacing content words or pronouns with wrong-sense choices."""
    words = _words(text)
    order = list(range(len(words)))
    rng.shuffle(order)
    want = rng.choice((1, 1, 2))
    edits: list[Edit] = []
    for i in order:
        start, end, word = words[i]
        if word.lower() in WRONG_PRONOUN:
            alts = list(WRONG_PRONOUN[word.lower()])
        elif _is_content(word) and len(word) > 2 and (i == 0 or word.islower()):
            alts = _sense_alternatives(word, synonyms)
        else:
            continue
        if alts:
            edits.append((start, end, match_case(rng.choice(alts), word)))
        if len(edits) == want:
            break
    return edits or None


def wrong_sense_word(sentence: str, rng: random.Random, synonyms: Synonyms) -> Corruption | None:
    """Return the sentence with 1-2 words replaced by a literal wrong-sense choice."""
    return _to_corruption(sentence, _plan_wrong_sense(sentence, rng, synonyms))


# ---------------------------------------------------------------- mt_noise


def _planners(
    donors: Sequence[str], synonyms: Synonyms
) -> list[Callable[[str, random.Random], list[Edit] | None]]:
    """Return the edit planners that :func:`mt_noise` draws from."""
    return [
        _plan_duplicate,
        _plan_swap,
        _plan_drop,
        _plan_replace,
        lambda text, rng: _plan_fuse(text, rng, donors),
        lambda text, rng: _plan_wrong_sense(text, rng, synonyms),
    ]


def mt_noise(
    sentence: str,
    rng: random.Random,
    donors: Sequence[str],
    synonyms: Synonyms,
    max_ops: int = 3,
) -> Corruption | None:
    """Return the sentence with a random mix of 1..max_ops MT errors and their merged spans."""
    planners = _planners(donors, synonyms)
    n_ops = rng.randint(1, max(1, min(max_ops, len(planners))))
    text, spans = sentence, []
    applied = 0
    for plan in rng.sample(planners, k=len(planners)):
        edits = plan(text, rng)
        if not edits:
            continue
        step = apply_edits(text, edits)
        spans = carry_spans(spans, edits, step.spans)
        text = step.text
        applied += 1
        if applied == n_ops:
            break
    return Corruption(text, spans) if text != sentence else None
