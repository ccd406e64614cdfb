"""A language check, so that non-English input gets a warning rather than silent scores."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str, float]:
    """Return the most likely ISO 639-1 language of ``text`` and its probability."""
    lang, prob = _identifier().classify(text[:5000])
    return str(lang), float(prob)


def non_english(text: str, min_prob: float = 0.9) -> str | None:
    """Return the detected language if ``text`` is confidently not English, else None."""
    lang, prob = detect_language(text)
    return lang if lang != "en" and prob >= min_prob else None
