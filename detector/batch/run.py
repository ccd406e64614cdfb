"""The local engine of ``garble batch``: read, score, write and commit chunk by chunk.

Exactly once: after each chunk the outputs are fsync'd, then the checkpoint records how many
input rows are committed and where each output ends. A restarted run (``resume``) truncates
the outputs to the checkpoint and skips the committed input rows. Outputs appear under their
names only once every input row is committed.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path
from typing import Protocol

from detector.batch.checkpoint import CHECKPOINT_FILE, VERSION, Checkpoint, partial_dir
from detector.batch.readers import Row, count_rows, expand_inputs, iter_rows
from detector.batch.units import ScoreOptions, Scorer, score_rows
from detector.batch.writers import Sink, open_sink
from detector.meta import ModelMeta
from detector.textio import InputError

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 2048
# Seconds to pause after each committed chunk; lets tests interrupt a run mid-way.
CHUNK_DELAY_ENV = "GARBLE_BATCH_CHUNK_DELAY"


class BatchScorer(Scorer, Protocol):
    """A scorer with the identity a batch run records (``GarbleDetector``)."""

    name: str
    meta: ModelMeta


@dataclass(frozen=True)
class BatchJob:
    """One batch run. ``options.threshold`` None means the model's threshold."""

    inputs: list[str]
    output: Path
    options: ScoreOptions = field(default_factory=ScoreOptions)
    keep_clean: Path | None = None
    drop: Path | None = None
    chunk_size: int = DEFAULT_CHUNK_SIZE
    resume: bool = False
    overwrite: bool = False
    progress: bool = False

    def routes(self) -> list[tuple[str, Path]]:
        """Return (route, target) of each output, the main output last (finalised last)."""
        named = [("keep_clean", self.keep_clean), ("drop", self.drop), ("output", self.output)]
        return [(route, Path(target)) for route, target in named if target]


@dataclass
class BatchSummary:
    """What a run wrote."""

    rows_in: int
    rows_out: dict[Path, int]
    flagged: int
    errors: int

    def line(self) -> str:
        """Return a one-line summary for the user."""
        (main, n), *others = reversed(self.rows_out.items())
        text = f"{self.rows_in} input rows -> {main}: {n} rows"
        text += f" ({self.flagged} flagged, {self.errors} errors)"
        return "; ".join([text, *(f"{path}: {count} rows" for path, count in reversed(others))])


def _chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _check_targets(job: BatchJob, files: list[Path]) -> dict[str, Sink]:
    """Return a sink per route; outputs must be distinct, supported and not inputs."""
    types = job.options.added_types()
    sinks = {route: open_sink(target, types) for route, target in job.routes()}
    resolved = [target.resolve() for _, target in job.routes()]
    if len(set(resolved)) < len(resolved):
        raise InputError("--output, --keep-clean and --drop must be different files")
    inputs = {f.resolve() for f in files}
    for (_, target), path in zip(job.routes(), resolved, strict=True):
        if path in inputs:
            raise InputError(f"{target}: is also an input")
    return sinks


def _remove_partials(job: BatchJob) -> None:
    for _, target in job.routes():
        shutil.rmtree(partial_dir(target), ignore_errors=True)


def _previous(job: BatchJob, path: Path) -> Checkpoint | None:
    """Apply ``resume``/``overwrite`` to what is on disk; return the checkpoint to resume."""
    previous = Checkpoint.load(path)
    if previous is not None and not (job.resume or job.overwrite):
        raise InputError(
            f"{path.parent}: an interrupted run exists; "
            "pass --resume to continue it or --overwrite to start over"
        )
    if previous is None or job.overwrite:
        _remove_partials(job)  # without a checkpoint nothing was committed
        for _, target in job.routes():
            if target.exists() and not job.overwrite:
                raise InputError(f"{target}: exists; pass --overwrite to replace it")
        return None
    return previous


def _fingerprint(job: BatchJob, files: list[Path], opts: ScoreOptions, scorer: BatchScorer) -> dict:
    """Return what must not change between a run and its resumption."""
    return {
        "inputs": [[str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns] for f in files],
        "options": asdict(opts),
        "model": f"{scorer.name} {scorer.meta.version}",
        "outputs": {route: str(target.resolve()) for route, target in job.routes()},
    }


def _checkpoint(previous: Checkpoint | None, job: dict) -> Checkpoint:
    if previous is None:
        return Checkpoint(job=job, counts={"flagged": 0, "errors": 0})
    if previous.version != VERSION:
        raise InputError("cannot resume a run of another garble version; pass --overwrite")
    changed = [key for key in job if previous.job.get(key) != job[key]]
    if changed:
        raise InputError(
            f"cannot resume: the interrupted run had other {', '.join(changed)}; "
            "pass --overwrite to start over"
        )
    logger.info("resuming after %d committed input rows", previous.rows_in)
    return previous


def _route(rows: list[dict], route: str, flag: str) -> list[dict]:
    """Return the rows an output receives: all, the clean ones or the flagged ones."""
    if route == "output":
        return rows
    return [row for row in rows if row[flag] is (route == "drop")]


def _commit_chunk(
    chunk: list[Row], out: list[dict], sinks: dict[str, Sink], cp: Checkpoint, opts: ScoreOptions
) -> None:
    """Write a chunk's output rows, make them durable, then record them in the checkpoint."""
    for route, sink in sinks.items():
        sink.write(_route(out, route, opts.prefix + "flag"))
    cp.sinks = {route: sink.commit() for route, sink in sinks.items()}
    cp.rows_in += len(chunk)
    cp.counts["flagged"] += sum(row[opts.prefix + "flag"] is True for row in out)
    cp.counts["errors"] += sum(row[opts.prefix + "error"] is not None for row in out)


def _stream(
    job: BatchJob,
    files: list[Path],
    scorer: Scorer,
    opts: ScoreOptions,
    sinks: dict[str, Sink],
    cp: Checkpoint,
    path: Path,
) -> None:
    """Score every input row not yet committed, chunk by chunk, committing each chunk."""
    from tqdm import tqdm

    for route, sink in sinks.items():
        sink.open(cp.sinks.get(route))
    delay = float(os.environ.get(CHUNK_DELAY_ENV) or 0)
    rows = islice(iter_rows(files, opts.text_field), cp.rows_in, None)
    bar = tqdm(
        total=count_rows(files),
        initial=cp.rows_in,
        unit=" rows",
        disable=not job.progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    with bar:
        for chunk in _chunks(rows, job.chunk_size):
            _commit_chunk(chunk, score_rows(scorer, chunk, opts), sinks, cp, opts)
            cp.save(path)
            bar.update(len(chunk))
            time.sleep(delay)
    cp.sinks = {route: sink.commit() for route, sink in sinks.items()}  # no input rows at all


def run_batch(job: BatchJob, load_scorer: Callable[[], BatchScorer]) -> BatchSummary:
    """Run ``job`` to completion (resuming it if asked); the model loads after cheap checks."""
    files = expand_inputs(job.inputs)
    sinks = _check_targets(job, files)
    path = partial_dir(job.output) / CHECKPOINT_FILE
    previous = _previous(job, path)
    scorer = load_scorer()
    opts = job.options.resolved(scorer)
    cp = _checkpoint(previous, _fingerprint(job, files, opts, scorer))
    if not cp.complete:
        partial_dir(job.output).mkdir(parents=True, exist_ok=True)
        try:
            _stream(job, files, scorer, opts, sinks, cp, path)
        except InputError:
            if not path.exists():
                _remove_partials(job)
            raise
        cp.complete = True
        cp.save(path)
    for sink in sinks.values():
        sink.finalize()
    rows_out = {target: cp.sinks[route]["rows"] for route, target in job.routes()}
    return BatchSummary(cp.rows_in, rows_out, cp.counts["flagged"], cp.counts["errors"])
