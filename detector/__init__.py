"""garble-detector: find English sentences garbled by machine translation or article spinners."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from detector.api import GarbleDetector
    from detector.meta import ModelFolderError
    from detector.results import ArticleResult, SentenceScore, Span
    from detector.segment import Sentence, split_sentences

_EXPORTS = {
    "ArticleResult": "detector.results",
    "GarbleDetector": "detector.api",
    "SentenceScore": "detector.results",
    "Span": "detector.results",
    "ModelFolderError": "detector.meta",
    "Sentence": "detector.segment",
    "split_sentences": "detector.segment",
}
__all__ = [
    "ArticleResult",
    "GarbleDetector",
    "ModelFolderError",
    "Sentence",
    "SentenceScore",
    "Span",
    "split_sentences",
]


def __getattr__(name: str):
    """Import the public names on first use, so that light submodules (weights) load alone."""
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'detector' has no attribute {name!r}")
