"""Tokenising sentences into padded numpy batches with the model's ``tokenizers`` tokenizer.

Only the Rust ``tokenizers`` library is used (no transformers import), so that a backend
without PyTorch starts fast. Batches are padded to their longest sentence, not to max_length.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tokenizers import Encoding, Tokenizer

TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG = "tokenizer_config.json"


class BatchEncoder:
    """Tokenises sentences (truncated to ``max_length`` tokens) and pads batches of them."""

    def __init__(self, tokenizer: Tokenizer, max_length: int, pad_id: int) -> None:
        self.tokenizer = Tokenizer.from_str(tokenizer.to_str())  # a copy: settings are ours
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length)
        self.pad_id = pad_id

    @classmethod
    def from_folder(cls, folder: str | Path, max_length: int) -> BatchEncoder:
        """Return the encoder of a model folder (``tokenizer.json`` and its pad token)."""
        folder = Path(folder)
        tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        config_path = folder / TOKENIZER_CONFIG
        config = json.loads(config_path.read_text("utf-8")) if config_path.is_file() else {}
        pad_id = tokenizer.token_to_id(config.get("pad_token") or "[PAD]")
        return cls(tokenizer, max_length, pad_id or 0)

    @classmethod
    def from_transformers(cls, tokenizer, max_length: int) -> BatchEncoder:
        """Return the encoder of a transformers fast tokenizer (e.g. one being trained with)."""
        return cls(tokenizer.backend_tokenizer, max_length, tokenizer.pad_token_id or 0)

    def encode(self, sentences: list[str]) -> list[Encoding]:
        """Return the unpadded encoding of each sentence (longer ones keep their further
        windows in ``overflowing``)."""
        try:
            return self.tokenizer.encode_batch(sentences)
        except TypeError as exc:  # the tokenizer's message does not say which text
            raise ValueError(_unencodable(sentences)) from exc

    def pad(self, encodings: list[Encoding]) -> dict[str, np.ndarray]:
        """Return ``input_ids``, ``attention_mask`` and ``token_type_ids`` padded to the longest."""
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        types = np.zeros((len(encodings), width), dtype=np.int64)
        for row, e in enumerate(encodings):
            n = len(e.ids)
            ids[row, :n] = e.ids
            mask[row, :n] = 1
            types[row, :n] = e.type_ids
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def _unencodable(texts: list[str]) -> str:
    """Return why the tokenizer refused one of ``texts`` (a lone surrogate), on one line."""
    for i, text in enumerate(texts):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            return f"text {i} is not valid Unicode (a lone surrogate at character {exc.start})"
    return "the tokenizer refused the texts"
