"""The span and type heads: two linear read-outs of the encoder's last hidden states.

A model folder may hold ``heads.safetensors`` and ``heads.json`` (written by
``garble-train heads``). The span head scores each token for lying in a garbled stretch (the
training's token loss taught the top layers where corruptions are; the head reads that out);
the type head scores the mean of a sentence's token states for spinner rather than MT
garbling. Both are logistic regressions fitted on frozen states, so the sentence classifier
and its calibrated score stay exactly as they were.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from detector.meta import ModelFolderError

HEADS_WEIGHTS = "heads.safetensors"
HEADS_META = "heads.json"


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60.0, 60.0)))


@dataclass
class Heads:
    """Span and type heads over hidden states of size H.

    ``span_threshold`` is the token score from which a token counts as garbled (chosen on dev);
    ``info`` keeps how the heads were fitted and their dev figures (``heads.json``).
    """

    span_weight: np.ndarray  # (H,)
    span_bias: float
    type_weight: np.ndarray  # (H,): spinner (1) rather than MT (0), given garbled
    type_bias: float
    span_threshold: float
    info: dict = field(default_factory=dict)

    @classmethod
    def load(cls, folder: str | Path) -> Heads | None:
        """Return the heads of a model folder, or None where it has none."""
        folder = Path(folder)
        if not (folder / HEADS_WEIGHTS).is_file():
            return None
        from safetensors.numpy import load_file

        try:
            tensors = load_file(str(folder / HEADS_WEIGHTS))
            info = json.loads((folder / HEADS_META).read_text("utf-8"))
            return cls(
                span_weight=tensors["span.weight"].astype(np.float32),
                span_bias=float(tensors["span.bias"][0]),
                type_weight=tensors["type.weight"].astype(np.float32),
                type_bias=float(tensors["type.bias"][0]),
                span_threshold=float(info["span_threshold"]),
                info=info,
            )
        except Exception as exc:  # safetensors, json and missing keys raise their own types
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            raise ModelFolderError(f"{folder}: cannot read the heads ({reason})") from exc

    def save(self, folder: str | Path) -> None:
        """Write ``heads.safetensors`` and ``heads.json`` into ``folder``."""
        from safetensors.numpy import save_file

        folder = Path(folder)
        tensors = {
            "span.weight": self.span_weight.astype(np.float32),
            "span.bias": np.array([self.span_bias], dtype=np.float32),
            "type.weight": self.type_weight.astype(np.float32),
            "type.bias": np.array([self.type_bias], dtype=np.float32),
        }
        save_file(tensors, str(folder / HEADS_WEIGHTS))
        info = {**self.info, "span_threshold": self.span_threshold}
        (folder / HEADS_META).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")

    def token_scores(self, hidden: np.ndarray) -> np.ndarray:
        """Return the span head's score of each token: (batch, tokens) from (batch, tokens, H)."""
        return _sigmoid(hidden.astype(np.float32) @ self.span_weight + self.span_bias)

    def spinner_share(self, hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Return P(spinner | garbled) of each row, from the mean of its unpadded token states."""
        return self.spinner_of_means(mean_states(hidden, mask))

    def spinner_of_means(self, means: np.ndarray) -> np.ndarray:
        """Return P(spinner | garbled) of rows given their mean token states (rows, H)."""
        return _sigmoid(means.astype(np.float32) @ self.type_weight + self.type_bias)


def mean_states(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Return the mean hidden state of each row over its unpadded tokens: (batch, H)."""
    weights = mask.astype(np.float32)[..., None]
    return (hidden.astype(np.float32) * weights).sum(1) / np.maximum(weights.sum(1), 1.0)


def type_probabilities(score: float, spinner_share: float) -> dict[str, float]:
    """Return P(mt), P(spinner), P(clean) of a sentence: the garbled score split by the type
    head, so that the three sum to 1 and ``clean`` is ``1 - score``."""
    return {
        "mt": round(score * (1.0 - spinner_share), 4),
        "spinner": round(score * spinner_share, 4),
        "clean": round(1.0 - score, 4),
    }


def char_spans(
    offsets: list[tuple[int, int]], scores: list[float], text: str, threshold: float
) -> list[tuple[int, int, float]]:
    """Return the garbled stretches of ``text``: ``(start, end, score)`` in its coordinates.

    Tokens scoring at least ``threshold`` are marked, a marked word piece marks its whole word
    (letters, digits, apostrophes and hyphens around it), and marked words with only
    whitespace between them form one stretch. A stretch's score is its highest token score.
    """
    marked: list[tuple[int, int, float]] = []
    for (start, end), score in zip(offsets, scores, strict=True):
        if end > start and score >= threshold:
            while start > 0 and _in_word(text[start - 1]) and _in_word(text[start]):
                start -= 1
            while end < len(text) and _in_word(text[end]) and _in_word(text[end - 1]):
                end += 1
            marked.append((start, end, score))
    marked.sort()
    merged: list[list] = []
    for start, end, score in marked:
        if merged and (start <= merged[-1][1] or not text[merged[-1][1] : start].strip()):
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2] = max(merged[-1][2], score)
        else:
            merged.append([start, end, score])
    return [(s, e, sc) for s, e, sc in merged]


def _in_word(char: str) -> bool:
    return char.isalnum() or char in "'-\u2019"
