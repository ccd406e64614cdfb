"""Teacher margins computed elsewhere (``scripts/teacher_gpu.py``, on a GPU) for distillation."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

SUFFIX = ".jsonl.gz"


def text_key(text: str) -> str:
    """A short digest that ties a margin to its row's text (the script computes the same)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def read_margins(path: str | Path, split: str, texts: list[str]) -> list[float]:
    """Return the margins of ``split`` in ``path``, checked row by row against ``texts``."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [row for row in map(json.loads, f) if row["split"] == split]
    if len(rows) != len(texts):
        raise ValueError(
            f"{path}: {len(rows)} {split} margins for {len(texts)} rows; "
            "rescore the prepared data with scripts/teacher_gpu.py"
        )
    for i, (row, text) in enumerate(zip(rows, texts, strict=True)):
        if row["i"] != i or row["key"] != text_key(text):
            raise ValueError(f"{path}: {split} row {i} was scored on another text")
    return [float(row["margin"]) for row in rows]
