"""Input rows: files, directories and globs of JSONL, CSV/TSV, Parquet or plain text.

Every reader streams (line by line, CSV record by record, Parquet batch by batch), so memory
does not grow with the size of a file. A row's id is ``PATH:N``: N is the line number in JSONL
and text files and the 1-based record number in CSV, TSV and Parquet files.
"""

from __future__ import annotations

import csv
import glob
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from detector.batch.compression import decompression_errors, open_decompressed, split_codec
from detector.textio import SNIFF_BYTES, InputError, utf16_codec

FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".txt": "text",
}
PARQUET_BATCH_ROWS = 1024
_CSV_FIELD_LIMIT = 2**31 - 1  # documents in a CSV cell can exceed the default 128 KiB


class Row(NamedTuple):
    """One input row: its id, its fields and, when it could not be parsed, why."""

    id: str
    fields: dict
    error: str | None = None


def input_format(path: str | Path) -> str:
    """Return the format of ``path`` from its name (``jsonl``, ``csv``, ``tsv``, ...)."""
    suffix, codec = split_codec(path)
    fmt = FORMATS.get(suffix)
    if fmt is None:
        names = ", ".join(FORMATS)
        raise InputError(f"{path}: unsupported input format (expected {names}; .gz or .zst)")
    if fmt == "parquet" and codec:
        raise InputError(f"{path}: compressed Parquet is not supported (Parquet compresses itself)")
    return fmt


def _supported(path: Path) -> bool:
    suffix, codec = split_codec(path)
    fmt = FORMATS.get(suffix)
    return fmt is not None and not (fmt == "parquet" and codec)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _in_partial_output(path: Path) -> bool:
    """True for files inside the ``*.partial`` folder of an interrupted ``garble batch`` run."""
    return any(part.endswith(".partial") for part in path.parts[:-1])


def _walk(folder: Path) -> list[Path]:
    """Return the supported files under ``folder``, recursively, hidden ones left out."""
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        hidden = any(part.startswith(".") for part in relative.parts)
        if path.is_file() and not hidden and _supported(path) and not _in_partial_output(path):
            found.append(path)
    return found


def _expand(pattern: str) -> list[Path]:
    """Return the input files one argument names: a file, a folder or a glob."""
    if any(c in pattern for c in "*?["):
        matches = [Path(m) for m in sorted(glob.glob(pattern, recursive=True))]
        if not matches:
            raise InputError(f"{pattern}: no files match")
        files = [f for m in matches for f in (_walk(m) if m.is_dir() else [m])]
        files = [f for f in files if _supported(f) and not _in_partial_output(f)]
    else:
        path = Path(pattern)
        if not path.exists():
            raise InputError(f"{pattern}: no such file or folder")
        if not path.is_dir():
            input_format(path)
            return [path]
        files = _walk(path)
    if not files:
        raise InputError(f"{pattern}: no input files ({', '.join(FORMATS)}; .gz or .zst)")
    return files


def expand_inputs(patterns: Iterable[str]) -> list[Path]:
    """Return the input files named by ``patterns``, in order, each once."""
    return list(dict.fromkeys(f for pattern in patterns for f in _expand(pattern)))


def _json_row(row_id: str, line: bytes | str) -> Row:
    try:
        value = json.loads(line)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        return Row(row_id, {}, f"invalid JSON: {exc}")
    if not isinstance(value, dict):
        return Row(row_id, {}, f"not a JSON object but {type(value).__name__}")
    return Row(row_id, value)


def _sniff(stream: io.BufferedIOBase, path: Path) -> str | None:
    """Return the UTF-16 codec of ``stream`` (peeked at, not consumed), or None for UTF-8.

    A file with NUL bytes that is not UTF-16 is binary: refused whole, so that no row of NUL
    garbage is ever scored.
    """
    head = stream.peek(SNIFF_BYTES)[:SNIFF_BYTES]
    codec = utf16_codec(head)
    if codec is None and b"\x00" in head:
        raise InputError(f"{path}: looks like a binary file, expected UTF-8 or UTF-16 text")
    return codec


def _lines(path: Path) -> Iterator[bytes | str]:
    """Yield the lines of ``path``: bytes of UTF-8 text, or str decoded from UTF-16."""
    with open_decompressed(path) as f:
        codec = _sniff(f, path)
        yield from io.TextIOWrapper(f, encoding=codec, newline="") if codec else f


def _read_jsonl(path: Path, text_field: str) -> Iterator[Row]:
    for n, line in enumerate(_lines(path), 1):
        if line.strip():
            yield _json_row(f"{path}:{n}", line)


def _read_text(path: Path, text_field: str) -> Iterator[Row]:
    for n, line in enumerate(_lines(path), 1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8-sig" if n == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield Row(f"{path}:{n}", {}, f"not valid UTF-8 (byte {exc.start})")
                continue
        text = line.rstrip("\r\n")
        if text.strip():
            yield Row(f"{path}:{n}", {text_field: text})


def _records(reader) -> Iterator[tuple[list[str] | None, str | None]]:
    """Yield (values, None) per non-empty CSV record, or (None, why) for a malformed one.

    The reader is strict, so broken quoting is reported instead of swallowing the records
    after it; a quoted field left open at the end of the file ends the file.
    """
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "end of data" in str(exc) or reader.line_num == line - 1:
                yield None, f"quoted field opened on line {line} is never closed"
                return
            yield None, f"malformed CSV on line {line} ({_first_line(exc)})"
            continue
        if values:
            yield values, None


def _read_delimited(path: Path, delimiter: str) -> Iterator[Row]:
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    with open_decompressed(path) as raw:
        encoding = _sniff(raw, path) or "utf-8-sig"
        with io.TextIOWrapper(raw, encoding=encoding, newline="") as f:
            records = _records(csv.reader(f, delimiter=delimiter, strict=True))
            header, error = next(records, (None, None))
            if error:
                raise InputError(f"{path}: the header is malformed ({error})")
            for n, (values, error) in enumerate(records, 1):
                if error:
                    yield Row(f"{path}:{n}", {}, error)
                    continue
                fields = dict(zip(header, values, strict=False))
                if len(values) != len(header):
                    yield Row(
                        f"{path}:{n}", fields, f"{len(values)} fields, the header has {len(header)}"
                    )
                else:
                    yield Row(f"{path}:{n}", fields)


def _read_csv(path: Path, text_field: str) -> Iterator[Row]:
    return _read_delimited(path, ",")


def _read_tsv(path: Path, text_field: str) -> Iterator[Row]:
    return _read_delimited(path, "\t")


def _read_parquet(path: Path, text_field: str) -> Iterator[Row]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(path) as parquet:
            n = 0
            for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
                for fields in batch.to_pylist():
                    n += 1
                    yield Row(f"{path}:{n}", fields)
    except pa.ArrowException as exc:
        raise InputError(f"{path}: cannot read Parquet ({_first_line(exc)})") from exc


_READERS = {
    "jsonl": _read_jsonl,
    "text": _read_text,
    "csv": _read_csv,
    "tsv": _read_tsv,
    "parquet": _read_parquet,
}


def read_rows(path: Path, text_field: str = "text") -> Iterator[Row]:
    """Yield the rows of one input file; a text file's lines go into ``text_field``."""
    reader = _READERS[input_format(path)]
    try:
        yield from reader(path, text_field)
    except (OSError, csv.Error, UnicodeDecodeError, *decompression_errors()) as exc:
        reason = getattr(exc, "strerror", None) or _first_line(exc)
        raise InputError(f"{path}: cannot read ({reason})") from exc


def iter_rows(files: Iterable[Path], text_field: str = "text") -> Iterator[Row]:
    """Yield the rows of all ``files`` in order."""
    for path in files:
        yield from read_rows(path, text_field)


def count_rows(files: list[Path]) -> int | None:
    """Return the number of rows when it is cheap to know (all Parquet: from the footers)."""
    if not files or any(input_format(f) != "parquet" for f in files):
        return None
    import pyarrow.parquet as pq

    try:
        return sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    except (OSError, ValueError):  # a damaged file: reading it reports the error, by name
        return None
