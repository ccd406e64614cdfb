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
        return io.BufferedReader(ZstdFrames(open(path, "rb")))
    return open(path, "rb")


class ZstdFrames(io.RawIOBase):
    """A zstd stream of one or more frames, decompressed; a truncated last frame is an error.

    zstandard's own stream reader ends quietly at a frame cut short, so a truncated file would
    read as fewer (or no) rows.
    """

    def __init__(self, raw: BinaryIO) -> None:
        import zstandard

        self.raw = raw
        self.dctx = zstandard.ZstdDecompressor()
        self.frame = None  # the decompressor of the frame being read
        self.buffer = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self.buffer:
            data = self.raw.read(1 << 16)
            if not data:
                if self.frame is not None and not self.frame.eof:
                    import zstandard

                    raise zstandard.ZstdError("truncated file: its last zstd frame is incomplete")
                return 0
            self.buffer = memoryview(self._decompress(data))
        n = min(len(b), len(self.buffer))
        b[:n] = self.buffer[:n]
        self.buffer = self.buffer[n:]
        return n

    def _decompress(self, data: bytes) -> bytes:
        out = []
        while data:
            if self.frame is None or self.frame.eof:
                self.frame = self.dctx.decompressobj()
            out.append(self.frame.decompress(data))
            data = self.frame.unused_data if self.frame.eof else b""
        return b"".join(out)

    def close(self) -> None:
        self.raw.close()
        super().close()


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
