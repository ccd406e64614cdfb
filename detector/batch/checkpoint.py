"""The journal of a batch run and the fsync'd atomic writes it relies on.

A run keeps its state in ``OUTPUT.partial/checkpoint.json``: what the run is (inputs,
options, model, outputs), how many input rows are committed, each output's committed state
(a byte offset or a number of Parquet parts) and running counts. It is replaced atomically
after every chunk, once the chunk's output is on disk, with the SHA-256 of its content: a
checkpoint that was edited, truncated or damaged is refused rather than resumed from.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydantic import TypeAdapter

from detector.textio import InputError

CHECKPOINT_FILE = "checkpoint.json"
VERSION = 1
DIGEST = "sha256"


def fsync_dir(folder: Path) -> None:
    """Make the names created, renamed or removed in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new content."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def partial_dir(target: Path) -> Path:
    """Return the folder where the output ``target`` is written until the run completes."""
    return target.with_name(target.name + ".partial")


@dataclass
class Checkpoint:
    """What a run has committed; ``complete`` once every input row is committed."""

    job: dict
    rows_in: int = 0
    sinks: dict[str, dict] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    complete: bool = False
    version: int = VERSION

    def save(self, path: Path) -> None:
        """Write the checkpoint atomically and durably, with the digest of its content."""
        body = asdict(self)
        atomic_write(path, json.dumps({**body, DIGEST: _digest(body)}, indent=1).encode() + b"\n")

    @classmethod
    def load(cls, path: Path) -> Checkpoint | None:
        """Return the checkpoint at ``path``, or None if there is none; refuse a corrupt one."""
        if not path.is_file():
            return None
        try:
            body = json.loads(path.read_bytes())
            digest = body.pop(DIGEST, None) if isinstance(body, dict) else None
            if digest != _digest(body):
                raise ValueError("its content does not match its SHA-256")
            return TypeAdapter(cls).validate_python(body)
        except ValueError as exc:  # JSON, UTF-8 and validation errors
            from detector.meta import error_reason

            raise InputError(
                f"{path}: corrupt checkpoint ({error_reason(exc)}); it cannot be resumed "
                "from: pass --overwrite to start over"
            ) from exc


def _digest(body: object) -> str:
    """Return the SHA-256 of ``body`` as canonical JSON."""
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
