"""Real machine-translation round trips through Apertium (English -> pivot -> English)."""

from __future__ import annotations

import difflib
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


class ApertiumError(RuntimeError):
    """Apertium is missing or failed."""


def _run_mode(mode: str, lines: Sequence[str]) -> list[str]:
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


def round_trip_batch(
    sentences: Sequence[str], pivot: str, min_changed_words: int = 2
) -> list[Corruption | None]:
    """Return the round trip of each sentence through ``pivot``, or None where it is trivial.

    A round trip that changes fewer than ``min_changed_words`` words is not garbled and is
    dropped (None) rather than labelled positive.
    """
    to_mode, back_mode = PIVOT_MODES[pivot]
    back = _run_mode(back_mode, _run_mode(to_mode, sentences))
    results: list[Corruption | None] = []
    for src, out in zip(sentences, back, strict=True):
        out = normalise_mt_output(out)
        if changed_word_count(src, out) < min_changed_words:
            results.append(None)
        else:
            results.append(Corruption(out, changed_spans(src, out)))
    return results


def round_trip_mt(
    sentence: str, rng: random.Random, pivots: Sequence[str] = tuple(PIVOT_MODES)
) -> Corruption | None:
    """Return ``sentence`` round-tripped through a pivot language picked by ``rng``.

    The single-sentence form of :func:`round_trip_batch`; data preparation batches instead,
    since Apertium's start-up dominates a single call.
    """
    return round_trip_batch([sentence], rng.choice(list(pivots)))[0]
