"""gzip and zstd: recognising compressed names, reading them as streams, compressing chunks."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import BinaryIO

CODECS = (".gz", ".zst")


def split_codec(path: str | Path) -> tuple[str, str | None]:
    """Return the format suffix of ``path`` (lower case) and its codec suffix, if any.

    ``corpus.jsonl.gz`` -> ``(".jsonl", ".gz")``; ``corpus.csv`` -> ``(".csv", None)``.
    """
    suffixes = [s.lower() for s in Path(path).suffixes]
    codec = suffixes.pop() if suffixes and suffixes[-1] in CODECS else None
    return (suffixes[-1] if suffixes else ""), codec


def open_decompressed(path: str | Path) -> BinaryIO:
    """Open ``path`` for reading, decompressing it on the fly if it ends in .gz or .zst."""
    _, codec = split_codec(path)
    if codec == ".gz":
        return gzip.open(path, "rb")
    if codec == ".zst":
        import zstandard

        raw = open(path, "rb")  # noqa: SIM115 - the stream reader closes it
        return io.BufferedReader(
            zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
        )
    return open(path, "rb")


def compress(data: bytes, codec: str | None) -> bytes:
    """Return ``data`` as one complete gzip member or zstd frame (or as is without a codec).

    Concatenated members (frames) form a valid file, so each committed chunk stands alone and
    a file truncated at a chunk boundary stays valid.
    """
    if codec == ".gz":
        return gzip.compress(data, compresslevel=6, mtime=0)
    if codec == ".zst":
        import zstandard

        return zstandard.ZstdCompressor(level=3).compress(data)
    return data


def decompression_errors() -> tuple[type[BaseException], ...]:
    """Return the exception types that corrupt compressed input raises while it is read."""
    import zstandard

    return (EOFError, gzip.BadGzipFile, zstandard.ZstdError)
