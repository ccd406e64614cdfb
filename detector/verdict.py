"""The article verdict: one word for a whole text, from the scores of its content sentences.

Boilerplate sentences (``detector.boilerplate``) are left out before this is called. With
``n`` content sentences, ``k`` of them flagged (score >= threshold) and ``mean`` their mean
score (the expected fraction of garbled sentences, the article score):

- ``no content``: ``n == 0`` (the text is all boilerplate);
- ``clean``: ``k == 0``, no content sentence is flagged;
- ``garbled``: ``k >= min(2, n)`` and (``k / n >= GARBLED_SHARE`` (0.25) or ``mean >=
  GARBLED_MEAN`` (0.5)): at least two flagged sentences (one where the text has only one) that
  make a quarter of the content, or that come with scores saying most sentences are garbled;
- ``partly garbled``: otherwise (some sentences flagged, most of the text not).

So one flagged sentence in a 40-sentence article gives ``partly garbled``, never ``garbled``,
and "clean" never appears beside a flagged content sentence. The verdict depends only on the
multiset of content scores and the threshold: reordering the sentences, or adding and removing
boilerplate, never changes it; raising a score never makes it milder.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

GARBLED_SHARE = 0.25
GARBLED_MEAN = 0.5

NO_CONTENT, CLEAN, PARTLY, GARBLED = "no content", "clean", "partly garbled", "garbled"
VERDICTS = (NO_CONTENT, CLEAN, PARTLY, GARBLED)


def verdict(scores: Iterable[float], threshold: float) -> str:
    """Return the verdict of a text whose content sentences have ``scores`` (see the module)."""
    scores = list(scores)
    n = len(scores)
    if not n:
        return NO_CONTENT
    k = sum(p >= threshold for p in scores)
    if not k:
        return CLEAN
    mean = math.fsum(scores) / n  # exact, so the order of the scores cannot matter
    if k >= min(2, n) and (k / n >= GARBLED_SHARE or mean >= GARBLED_MEAN):
        return GARBLED
    return PARTLY
