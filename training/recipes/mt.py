"""Real machine-translation round trips through Apertium (English -> pivot -> English)."""

from __future__ import annotations

import difflib
import itertools
import logging
import random
import re
import shutil
import subprocess
from collections.abc import Sequence

from training.recipes.base import Corruption, Span, word_spans

logger = logging.getLogger(__name__)

# English -> pivot and pivot -> English Apertium modes (both directions exist in Debian).
PIVOT_MODES: dict[str, tuple[str, str]] = {
    "spa": ("eng-spa", "spa-eng"),
    "cat": ("eng-cat", "cat-eng"),
    "glg": ("en-gl", "gl-en"),
    "epo": ("en-eo", "eo-en"),
    "hbs": ("eng-hbs", "hbs-eng"),
}
# Tool artefacts that would be a give-away cue rather than a translation error.
_ARTEFACTS = [
    (re.compile(r"(?<=\w)parquote(?!\w)"), '"'),  # hbs: a closing quote after a word
    (re.compile(r"\s*parquote\s*"), ' "'),  # hbs: an opening quote
    (re.compile(r"[*#@](?=\w)"), ""),  # unknown-word marks, in case -u was not honoured
]
_SPACES = re.compile(r"\s+")
_CLAUSE_BREAK = re.compile(
    r"(?<=[,;:])\s+|\s+(?=(?:and|but|which|who|while|because|although|when|after|before)\s)"
)


class ApertiumError(RuntimeError):
    """Apertium is missing or failed."""


def run_mode(mode: str, lines: Sequence[str]) -> list[str]:
    """Return Apertium's translation of each line (one process call for all lines)."""
    if shutil.which("apertium") is None:
        raise ApertiumError("apertium not found: apt-get install apertium apertium-eng-spa ...")
    payload = "\n".join(line.replace("\n", " ") for line in lines) + "\n"
    proc = subprocess.run(
        ["apertium", "-u", mode], input=payload, capture_output=True, text=True, check=False
    )
    out = proc.stdout.rstrip("\n").split("\n")
    if proc.returncode != 0 or len(out) != len(lines):
        raise ApertiumError(f"apertium {mode} failed: {proc.stderr.strip()[:200]}")
    return out


def normalise_mt_output(text: str) -> str:
    """Return ``text`` with Apertium artefacts and doubled whitespace removed."""
    for pattern, repl in _ARTEFACTS:
        text = pattern.sub(repl, text)
    return _SPACES.sub(" ", text).strip()


def changed_spans(source: str, target: str) -> list[Span]:
    """Return the character spans of ``target`` whose words differ from ``source``."""
    src = [source[s:e].lower() for s, e in word_spans(source)]
    tgt_spans = word_spans(target)
    tgt = [target[s:e].lower() for s, e in tgt_spans]
    spans: list[Span] = []
    matcher = difflib.SequenceMatcher(a=src, b=tgt, autojunk=False)
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if j1 < j2:
            spans.append((tgt_spans[j1][0], tgt_spans[j2 - 1][1]))
        else:  # deletion: mark the point where words went missing
            at = tgt_spans[j1][0] if j1 < len(tgt_spans) else len(target)
            spans.append((at, at))
    return spans


def changed_word_count(source: str, target: str) -> int:
    """Return how many words were inserted, deleted or replaced between the two texts."""
    src = [source[s:e].lower() for s, e in word_spans(source)]
    tgt = [target[s:e].lower() for s, e in word_spans(target)]
    ops = difflib.SequenceMatcher(a=src, b=tgt, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")


def pivot_modes(spec: str) -> list[str]:
    """Return the Apertium modes of a pivot path: ``"spa"`` or a chain such as ``"spa>cat"``.

    ``"spa>cat"`` translates English -> Spanish -> Catalan -> English, as pivot-based MT does.
    """
    path = spec.split(">")
    unknown = [p for p in path if p not in PIVOT_MODES]
    if unknown:
        raise ValueError(f"unknown pivot {unknown[0]!r}; known: {sorted(PIVOT_MODES)}")
    hops = [f"{a}-{b}" for a, b in itertools.pairwise(path)]
    return [PIVOT_MODES[path[0]][0], *hops, PIVOT_MODES[path[-1]][1]]


def translate_round_trip(texts: Sequence[str], spec: str) -> list[str]:
    """Return each text translated along the pivot path ``spec`` back into English."""
    out = list(texts)
    for mode in pivot_modes(spec):
        out = run_mode(mode, out)
    return [normalise_mt_output(t) for t in out]


def _garbled_or_none(source: str, out: str, min_changed_words: int) -> Corruption | None:
    if changed_word_count(source, out) < min_changed_words:
        return None
    return Corruption(out, changed_spans(source, out))


def round_trip_batch(
    sentences: Sequence[str], pivot: str, min_changed_words: int = 2
) -> list[Corruption | None]:
    """Return the round trip of each sentence through ``pivot``, or None where it is trivial.

    ``pivot`` is a language or a chain (see :func:`pivot_modes`). A round trip that changes
    fewer than ``min_changed_words`` words is not garbled and is dropped (None) rather than
    labelled positive.
    """
    outs = translate_round_trip(sentences, pivot)
    return [_garbled_or_none(s, o, min_changed_words) for s, o in zip(sentences, outs, strict=True)]


def clause_span(sentence: str, rng: random.Random, min_words: int = 4) -> Span | None:
    """Return the span of one clause of ``sentence`` (picked by ``rng``), or None.

    Clauses end at a comma, semicolon or colon, or before a conjunction; a sentence of one
    clause has nothing to pick (translating it whole is the plain round trip).
    """
    bounds = [0, *(m.end() for m in _CLAUSE_BREAK.finditer(sentence)), len(sentence)]
    spans = [(a, a + len(sentence[a:b].rstrip())) for a, b in itertools.pairwise(bounds)]
    spans = [(a, b) for a, b in spans if len(word_spans(sentence[a:b])) >= min_words]
    return rng.choice(spans) if len(bounds) > 2 and spans else None


def partial_round_trip_batch(
    sentences: Sequence[str], spans: Sequence[Span], pivot: str, min_changed_words: int = 1
) -> list[Corruption | None]:
    """Round-trip only the given clause of each sentence and splice it back in.

    Real MT often garbles one clause of an otherwise fine sentence; these positives teach the
    model to look for local errors rather than at the sentence as a whole.
    """
    pieces = [s[a:b] for s, (a, b) in zip(sentences, spans, strict=True)]
    clauses = translate_round_trip(pieces, pivot)
    results = []
    for sent, (a, b), clause in zip(sentences, spans, clauses, strict=True):
        if sent[a : a + 1].islower():  # Apertium capitalises a clause it sees on its own
            clause = clause[:1].lower() + clause[1:]
        results.append(_garbled_or_none(sent, sent[:a] + clause + sent[b:], min_changed_words))
    return results


def round_trip_mt(
    sentence: str, rng: random.Random, pivots: Sequence[str] = tuple(PIVOT_MODES)
) -> Corruption | None:
    """Return ``sentence`` round-tripped through a pivot language picked by ``rng``.

    The single-sentence form of :func:`round_trip_batch`; data preparation batches instead,
    since Apertium's start-up dominates a single call.
    """
    return round_trip_batch([sentence], rng.choice(list(pivots)))[0]
