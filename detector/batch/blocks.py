"""Blocks: fixed-size runs of one input file's rows, the units that a distributed run commits.

Block ``k`` of input file ``i`` holds the file's input rows ``k * size`` to ``(k + 1) * size -
1``. Every file has at least one block (an empty file has one empty block) and its last block
says so, so a file is finished once its blocks ``0..k`` are done and block ``k`` is the last.

A block is done once its output parts are durable in ``TARGET.partial/blocks/`` (one part per
output that receives rows, written under a temporary name and renamed) and then its marker
``OUTPUT.partial/blocks/IIIIII-KKKKKKKKK.done`` (its counts, as JSON) is written atomically.
Blocks can be done in any order and by any process; a block without a marker is scored again.
Each output is its parts joined in (file, block) order, which is the input order.
"""

from __future__ import annotations

import json
import os
from collections.abc import Container, Iterator
from dataclasses import dataclass
from pathlib import Path

from detector.batch.checkpoint import atomic_write, fsync_dir, partial_dir
from detector.batch.readers import Row, read_rows
from detector.batch.run import chunked, route_rows, tally
from detector.batch.units import ScoreOptions
from detector.batch.writers import Sink
from detector.textio import InputError

BLOCKS = "blocks"


@dataclass(frozen=True)
class Block:
    """Input rows ``index * size`` onwards of input file number ``file``."""

    file: int
    index: int
    rows: list[Row]
    last: bool


def _named(rows: Iterator[Row], path: Path, name: str) -> Iterator[Row]:
    """Return ``rows`` read from ``path`` with ids that name the file ``name`` instead."""
    prefix = len(str(path))
    return (row._replace(id=name + row.id[prefix:]) for row in rows)


def read_blocks(
    path: Path, name: str, file: int, size: int, text_field: str, skip: Container[int] = ()
) -> Iterator[Block]:
    """Yield the blocks of input file number ``file`` except those whose index is in ``skip``.

    The file is read at ``path``; row ids name it ``name``, as the local engine does.
    """
    blocks = chunked(_named(read_rows(path, text_field), path, name), size)
    index, rows = 0, next(blocks, [])
    for following in blocks:
        if index not in skip:
            yield Block(file, index, rows, False)
        index, rows = index + 1, following
    if index not in skip:
        yield Block(file, index, rows, True)


def _key(file: int, index: int) -> str:
    return f"{file:06d}-{index:09d}"


@dataclass(frozen=True)
class BlockStore:
    """Where a run commits its blocks: a part per output and block, a marker per block.

    ``sinks`` maps each route (``output``, ``keep_clean``, ``drop``) to its output's sink.
    """

    sinks: dict[str, Sink]

    @property
    def markers(self) -> Path:
        """The folder of the block markers (in the main output's partial folder)."""
        return partial_dir(self.sinks["output"].target) / BLOCKS

    def part(self, route: str, file: int, index: int) -> Path:
        """Return the part file of a block in an output."""
        return self.sinks[route].folder / BLOCKS / f"{_key(file, index)}.part"

    def commit(self, block: Block, out: list[dict], opts: ScoreOptions) -> dict:
        """Write a block's output rows ``out`` durably, then its marker; return the marker."""
        rows = {}
        for route, sink in self.sinks.items():
            routed = route_rows(out, route, opts.prefix + "flag")
            rows[route] = len(routed)
            if routed:
                _write_part(sink, routed, self.part(route, block.file, block.index))
        marker = {
            "file": block.file,
            "block": block.index,
            "last": block.last,
            "rows_in": len(block.rows),
            "rows": rows,
            **tally(out, opts),
        }
        self.markers.mkdir(parents=True, exist_ok=True)
        atomic_write(self.markers / f"{_key(block.file, block.index)}.done", _dumps(marker))
        return marker

    def done(self) -> list[dict]:
        """Return the markers of the done blocks, in (file, block) order."""
        paths = sorted(self.markers.glob("*.done")) if self.markers.is_dir() else []
        return [json.loads(path.read_text(encoding="utf-8")) for path in paths]

    def join(self, route: str, done: list[dict]) -> None:
        """Write the output of ``route`` from the parts of the ``done`` blocks, in order."""
        parts = [self.part(route, m["file"], m["block"]) for m in done if m["rows"][route]]
        self.sinks[route].join(parts)


def _write_part(sink: Sink, rows: list[dict], path: Path) -> None:
    """Write a part so that it appears complete or not at all, and durably."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    sink.write_part(rows, tmp)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def _dumps(value: dict) -> bytes:
    return json.dumps(value).encode() + b"\n"


def finished_files(done: list[dict]) -> set[int]:
    """Return the input files whose blocks are all done, given the markers ``done``."""
    blocks: dict[int, set[int]] = {}
    last: dict[int, int] = {}
    for marker in done:
        blocks.setdefault(marker["file"], set()).add(marker["block"])
        if marker["last"]:
            last[marker["file"]] = marker["block"]
    return {f for f, k in last.items() if blocks[f] == set(range(k + 1))}


def check_finished(done: list[dict], n_files: int, remedy: str) -> None:
    """Raise ``InputError`` (ending with ``remedy``) unless all ``n_files`` files are finished."""
    missing = set(range(n_files)) - finished_files(done)
    if missing:
        raise InputError(f"blocks of {len(missing)} input files are not done; {remedy}")
