"""Output sinks that write chunk by chunk into ``TARGET.partial/`` and commit on request.

A sink's ``commit()`` makes everything written so far durable and returns its state (JSONL:
the byte offset; Parquet: the number of part files). ``open(state)`` truncates what was
written after that state, so a run killed between writing and committing a chunk resumes
without duplicates. ``finalize()`` moves the complete output to ``TARGET`` atomically; it is
idempotent, so an interrupted finalisation can be repeated.

An engine that commits blocks out of order instead writes each block as a standalone part file
(``write_part()``) and ends with ``join(parts)``, which writes the parts in order to ``TARGET``
atomically.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import BinaryIO, Protocol

from detector.batch.checkpoint import fsync_dir, partial_dir
from detector.batch.compression import compress, split_codec
from detector.textio import InputError

OUTPUT_FORMATS = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".parquet")


class Sink(Protocol):
    """An output file being written."""

    target: Path
    folder: Path

    def open(self, state: dict | None) -> None: ...
    def write(self, rows: list[dict]) -> None: ...
    def commit(self) -> dict: ...
    def finalize(self) -> None: ...
    def write_part(self, rows: list[dict], path: Path) -> None: ...
    def join(self, parts: list[Path]) -> None: ...


def _fsync_file(f: BinaryIO) -> None:
    f.flush()
    os.fsync(f.fileno())


def _publish(path: Path, target: Path) -> None:
    """Move the complete output ``path`` to ``target`` atomically and durably."""
    os.replace(path, target)
    fsync_dir(target.parent)


class JsonlSink:
    """JSON Lines, optionally gzip or zstd (one member or frame per chunk)."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.folder = partial_dir(target)
        self.codec = split_codec(target)[1]
        self.data = self.folder / ("data.jsonl" + (self.codec or ""))
        self.rows = 0
        self._file: BinaryIO | None = None

    def open(self, state: dict | None) -> None:
        """Start writing, after the committed ``state`` of an interrupted run if given."""
        self.folder.mkdir(parents=True, exist_ok=True)
        offset, self.rows = (state["offset"], state["rows"]) if state else (0, 0)
        self._file = open(self.data, "ab")  # noqa: SIM115 - closed by finalize()
        if self._file.seek(0, os.SEEK_END) < offset:
            raise InputError(f"{self.data}: shorter than its checkpoint; pass --overwrite")
        self._file.truncate(offset)
        self._file.seek(offset)

    def _encode(self, rows: list[dict]) -> bytes:
        """Return ``rows`` as JSON Lines in one gzip member or zstd frame (if compressed)."""
        lines = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows)
        return compress(lines.encode("utf-8"), self.codec)

    def write(self, rows: list[dict]) -> None:
        """Append ``rows`` (not yet durable)."""
        if rows:
            self._file.write(self._encode(rows))
            self.rows += len(rows)

    def write_part(self, rows: list[dict], path: Path) -> None:
        """Write ``rows`` durably to the standalone part file ``path``."""
        with open(path, "wb") as f:
            f.write(self._encode(rows))
            _fsync_file(f)

    def join(self, parts: list[Path]) -> None:
        """Concatenate ``parts`` into the target atomically and remove the partial folder."""
        joined = self.folder / "joined.tmp"
        with open(joined, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    shutil.copyfileobj(f, out)
            _fsync_file(out)
        _publish(joined, self.target)
        shutil.rmtree(self.folder)

    def commit(self) -> dict:
        """Make the rows written so far durable; return the state to record."""
        _fsync_file(self._file)
        return {"offset": self._file.tell(), "rows": self.rows}

    def finalize(self) -> None:
        """Move the complete output to its target and remove the partial folder."""
        if self._file is not None:
            self._file.close()
        if self.data.exists():
            _publish(self.data, self.target)
        shutil.rmtree(self.folder, ignore_errors=True)


class ParquetSink:
    """Parquet: one part file per chunk, combined into one file (one row group per part).

    ``types`` fixes the Arrow type of known fields (by type name), so that a field that is
    null throughout a chunk still gets its type; other fields' types are inferred.
    """

    def __init__(self, target: Path, types: dict[str, str] | None = None) -> None:
        self.target = target
        self.types = types or {}
        self.folder = partial_dir(target)
        self.rows = 0
        self.parts = 0

    def _part(self, index: int) -> Path:
        return self.folder / f"part-{index:06d}.parquet"

    def _part_files(self) -> list[Path]:
        return sorted(self.folder.glob("part-*.parquet"))

    def open(self, state: dict | None) -> None:
        """Start writing, after the committed ``state`` of an interrupted run if given."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.parts, self.rows = (state["parts"], state["rows"]) if state else (0, 0)
        for stale in self._part_files()[self.parts :]:
            stale.unlink()
        if len(self._part_files()) < self.parts:
            raise InputError(f"{self.folder}: parts missing for its checkpoint; pass --overwrite")

    def write(self, rows: list[dict]) -> None:
        """Write ``rows`` as the next part file (not yet durable)."""
        if not rows:
            return
        self.write_part(rows, self._part(self.parts))
        self.parts += 1
        self.rows += len(rows)

    def write_part(self, rows: list[dict], path: Path) -> None:
        """Write ``rows`` durably to the standalone Parquet file ``path``."""
        import pyarrow.parquet as pq

        with open(path, "wb") as f:
            pq.write_table(to_table(rows, self.types), f)
            _fsync_file(f)

    def commit(self) -> dict:
        """Make the part files written so far durable; return the state to record."""
        fsync_dir(self.folder)
        return {"parts": self.parts, "rows": self.rows}

    def finalize(self) -> None:
        """Combine the parts into ``target`` (atomically) and remove the partial folder."""
        if self.folder.exists():
            self.join(self._part_files())

    def join(self, parts: list[Path]) -> None:
        """Combine ``parts`` into the target atomically and remove the partial folder."""
        combined = self.folder / "combined.parquet.tmp"
        combine_parts(parts, combined)
        _publish(combined, self.target)
        shutil.rmtree(self.folder)


def _arrow_type(name: str | None):
    """Return the Arrow type called ``name`` (``double``, ``list<double>``,
    ``struct<start:int64,text:string>``...), None for None. Struct fields do not nest."""
    import pyarrow as pa

    if name is None:
        return None
    if name.startswith("list<"):
        return pa.list_(_arrow_type(name[5:-1]))
    if name.startswith("struct<"):
        fields = (field.split(":") for field in name[7:-1].split(","))
        return pa.struct([(field, _arrow_type(kind)) for field, kind in fields])
    return pa.type_for_alias(name)


def to_table(rows: list[dict], types: dict[str, str] | None = None):
    """Return ``rows`` as an Arrow table with the union of their fields, in first-seen order."""
    import pyarrow as pa

    names = dict.fromkeys(name for row in rows for name in row)
    columns = {}
    for name in names:
        try:
            values = [row.get(name) for row in rows]
            columns[name] = pa.array(values, type=_arrow_type((types or {}).get(name)))
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise InputError(
                f"field '{name}' cannot be written to Parquet ({exc}); write JSONL instead"
            ) from exc
    return pa.table(columns)


def _conform(table, schema):
    """Return ``table`` with exactly the columns and types of ``schema`` (missing ones null)."""
    import pyarrow as pa

    columns = [
        table.column(f.name).cast(f.type)
        if f.name in table.column_names
        else pa.nulls(len(table), f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def combine_parts(parts: list[Path], path: Path) -> None:
    """Write the ``parts`` into one Parquet file, one part in memory at a time.

    Parts may differ in columns (JSONL rows need not share fields) and in types (a column that
    is all null in one chunk); their schemas are unified with Arrow's permissive promotion.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schemas = [pq.read_schema(p) for p in parts] or [pa.schema([])]
        schema = pa.unify_schemas(schemas, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InputError(f"cannot combine the Parquet parts ({exc}); write JSONL instead") from exc
    with open(path, "wb") as f:
        with pq.ParquetWriter(f, schema) as writer:
            for part in parts:
                writer.write_table(_conform(pq.read_table(part), schema))
        _fsync_file(f)


def open_sink(target: Path, types: dict[str, str] | None = None) -> Sink:
    """Return the sink for ``target``, chosen by its extension (``types``: see ParquetSink)."""
    name = target.name.lower()
    if name.endswith(".parquet"):
        return ParquetSink(target, types)
    if name.endswith((".jsonl", ".jsonl.gz", ".jsonl.zst")):
        return JsonlSink(target)
    raise InputError(f"{target}: unsupported output format (expected {', '.join(OUTPUT_FORMATS)})")
