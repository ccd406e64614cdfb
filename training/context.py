"""Context sentences for `data.context`: each row's previous sentence, garbled like it or not."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from training.config import ContextConfig
from training.recipes.base import Corruption, Recipe, Span
from training.sources import CleanSentence

RoundTrips = Callable[
    [list[CleanSentence], dict[int, tuple[str, Span | None]]], dict[int, Corruption | None]
]


def garbled_contexts(
    sentences: Sequence[CleanSentence],
    garbled: dict[int, str],
    funcs: dict[str, Recipe],
    mt_specs: dict[int, str],
    round_trips: RoundTrips,
    config: ContextConfig,
    seed: int,
) -> dict[int, str]:
    """Return, for a drawn share of the garbled sentences (index -> recipe), their previous
    sentence garbled by the same recipe (MT: the same pivot path, whole sentence)."""
    out: dict[int, str] = {}
    plan: dict[int, tuple[str, Span | None]] = {}
    for i, recipe in garbled.items():
        sent = sentences[i]
        rng = random.Random(f"{seed}:context:{sent.doc_id}:{sent.text}")
        if not sent.previous or rng.random() >= config.garbled_fraction:
            continue
        if recipe in funcs:
            result = funcs[recipe](sent.previous, rng)
            if result is not None:
                out[i] = result.text
        else:
            plan[i] = (mt_specs[i], None)
    previous = [CleanSentence(s.previous, s.doc_id, s.source, s.domain) for s in sentences]
    out.update({i: r.text for i, r in round_trips(previous, plan).items() if r is not None})
    return out


def encode_with_context(
    tokenizer, contexts: Sequence[str], texts: Sequence[str], max_length: int
) -> dict[str, list]:
    """Return the tokenizer's encoding of each (context, text) pair, or of the text alone
    where the context is empty: that is how a single sentence is read."""
    enc = dict(tokenizer(list(texts), truncation=True, max_length=max_length))
    rows = [i for i, c in enumerate(contexts) if c]
    if rows:
        firsts, seconds = [contexts[i] for i in rows], [texts[i] for i in rows]
        pairs = tokenizer(firsts, seconds, truncation="longest_first", max_length=max_length)
        for key, values in pairs.items():
            for i, value in zip(rows, values, strict=True):
                enc[key][i] = value
    return enc


def drop_contexts(contexts: Sequence[str], dropout: float, seed: int, offset: int) -> list[str]:
    """Return the contexts with a seeded share ``dropout`` blanked (row ``offset + i``)."""
    return [
        "" if random.Random(f"{seed}:drop:{offset + i}").random() < dropout else c
        for i, c in enumerate(contexts)
    ]
