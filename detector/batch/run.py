"""A ``garble batch`` run, and its local engine: read, score, write and commit chunk by chunk.

``run_batch`` checks the job, applies ``resume``/``overwrite``, loads the model and keeps the
checkpoint; an ``Engine`` scores the uncommitted input rows and publishes the outputs.

The local engine is exactly once: after each chunk the outputs are fsync'd, then the
checkpoint records how many input rows are committed and where each output ends. A restarted
run (``resume``) truncates the outputs to the checkpoint and skips the committed input rows.
Outputs appear under their names only once every input row is committed.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from detector.batch.checkpoint import CHECKPOINT_FILE, VERSION, Checkpoint, partial_dir
from detector.batch.lock import output_lock
from detector.batch.readers import Row, count_rows, expand_inputs, iter_rows
from detector.batch.units import ScoreOptions, Scorer, score_rows
from detector.batch.writers import Sink, open_sink
from detector.meta import ModelMeta
from detector.textio import InputError

if TYPE_CHECKING:
    from tqdm import tqdm

    from detector.batch.reports import HtmlReports

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 2048
# Seconds to pause after each committed chunk; lets tests interrupt a run mid-way.
CHUNK_DELAY_ENV = "GARBLE_BATCH_CHUNK_DELAY"


class BatchScorer(Scorer, Protocol):
    """A scorer with the identity a batch run records (``GarbleDetector``)."""

    name: str
    meta: ModelMeta
    backend: object


class ScorerLoader(Protocol):
    """Loads a scorer; ``threads`` caps its CPU threads (None: one per physical core)."""

    def __call__(self, threads: int | None = None) -> BatchScorer: ...


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
    html_dir: Path | None = None  # --unit document: one HTML report per document here

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


@dataclass
class Run:
    """A run under way; ``load_scorer`` loads another scorer, ``path`` is the checkpoint's."""

    job: BatchJob
    files: list[Path]
    load_scorer: ScorerLoader
    scorer: BatchScorer
    opts: ScoreOptions
    sinks: dict[str, Sink]
    cp: Checkpoint
    path: Path

    def summary(self) -> BatchSummary:
        """Return what the completed run wrote, from its checkpoint."""
        cp = self.cp
        rows_out = {target: cp.sinks[route]["rows"] for route, target in self.job.routes()}
        return BatchSummary(cp.rows_in, rows_out, cp.counts["flagged"], cp.counts["errors"])


class Engine(Protocol):
    """Scores a run's uncommitted input rows, recording them in ``run.cp``; publishes outputs.

    ``fingerprint`` adds what must not change when a run of this engine is resumed.
    """

    name: str

    def fingerprint(self, job: BatchJob) -> dict: ...
    def stream(self, run: Run) -> None: ...
    def finalize(self, run: Run) -> None: ...


def chunked(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    """Yield ``rows`` in lists of ``size`` (the last one shorter)."""
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


def _check_html_dir(job: BatchJob, engine: Engine) -> None:
    """``--html-dir`` needs ``--unit document``, the local engine and a folder (or nothing)."""
    if job.html_dir is None:
        return
    if job.options.unit != "document":
        raise InputError("--html-dir needs --unit document")
    if engine.name != "local":
        raise InputError("--html-dir needs the local engine (--engine local)")
    if job.html_dir.exists() and not job.html_dir.is_dir():
        raise InputError(f"{job.html_dir}: exists and is not a folder")


def _previous(job: BatchJob, path: Path) -> Checkpoint | None:
    """Apply ``resume``/``overwrite`` to what is on disk; return the checkpoint to resume."""
    previous = None if job.overwrite else Checkpoint.load(path)
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
        html = job.html_dir
        if html is not None and html.is_dir() and any(html.iterdir()) and not job.overwrite:
            raise InputError(f"{html}: is not empty; pass --overwrite to write reports into it")
        return None
    return previous


def _fingerprint(job: BatchJob, files: list[Path], opts: ScoreOptions, scorer: BatchScorer) -> dict:
    """Return what must not change between a run and its resumption."""
    outputs = {route: str(target.resolve()) for route, target in job.routes()}
    if job.html_dir is not None:
        outputs["html_dir"] = str(job.html_dir.resolve())
    return {
        "inputs": [[str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns] for f in files],
        "options": asdict(opts),
        "model": f"{scorer.name} {scorer.meta.version} ({_backend_kind(scorer.backend)})",
        "outputs": outputs,
    }


def _backend_kind(backend: object) -> str:
    """Return the backend's class name; that of the backend worker processes run, if any."""
    return getattr(backend, "kind", type(backend).__name__)


def _checkpoint(previous: Checkpoint | None, job: dict) -> Checkpoint:
    if previous is None:
        return Checkpoint(job=job, counts={"flagged": 0, "errors": 0})
    if previous.version != VERSION:
        raise InputError("cannot resume a run of another garble version; pass --overwrite")
    changed = sorted(key for key in job | previous.job if previous.job.get(key) != job.get(key))
    if changed:
        raise InputError(
            f"cannot resume: the interrupted run had other {', '.join(changed)}; "
            "pass --overwrite to start over"
        )
    logger.info("resuming after %d committed input rows", previous.rows_in)
    return previous


def route_rows(rows: list[dict], route: str, flag: str) -> list[dict]:
    """Return the rows an output receives: all, the clean ones or the flagged ones."""
    if route == "output":
        return rows
    return [row for row in rows if row[flag] is (route == "drop")]


def _commit_chunk(
    chunk: list[Row], out: list[dict], sinks: dict[str, Sink], cp: Checkpoint, opts: ScoreOptions
) -> None:
    """Write a chunk's output rows, make them durable, then record them in the checkpoint."""
    for route, sink in sinks.items():
        sink.write(route_rows(out, route, opts.prefix + "flag"))
    cp.sinks = {route: sink.commit() for route, sink in sinks.items()}
    cp.rows_in += len(chunk)
    for name, n in tally(out, opts).items():
        cp.counts[name] += n


def tally(out: list[dict], opts: ScoreOptions) -> dict[str, int]:
    """Return the number of flagged rows and of error rows among the output rows ``out``."""
    return {
        "flagged": sum(row[opts.prefix + "flag"] is True for row in out),
        "errors": sum(row[opts.prefix + "error"] is not None for row in out),
    }


def progress_bar(run: Run, initial: int) -> tqdm:
    """Return the tqdm bar of a run (rows; a total when it is cheap to know), off unless asked."""
    from tqdm import tqdm

    return tqdm(
        total=count_rows(run.files),
        initial=initial,
        unit=" rows",
        disable=not run.job.progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )


class LocalEngine:
    """This process reads, scores and writes every row, committing chunk by chunk."""

    name = "local"

    def fingerprint(self, job: BatchJob) -> dict:
        """Nothing more: a local run may resume with another chunk size."""
        return {}

    def stream(self, run: Run) -> None:
        """Score every input row not yet committed, chunk by chunk, committing each chunk."""
        cp, opts, sinks = run.cp, run.opts, run.sinks
        for route, sink in sinks.items():
            sink.open(cp.sinks.get(route))
        delay = float(os.environ.get(CHUNK_DELAY_ENV) or 0)
        rows = islice(iter_rows(run.files, opts.text_field), cp.rows_in, None)
        reports = _html_reports(run)
        with progress_bar(run, cp.rows_in) as bar:
            for chunk in chunked(rows, run.job.chunk_size):
                hook = reports.for_block(cp.rows_in + 1) if reports else None
                out = score_rows(run.scorer, chunk, opts, hook)
                _commit_chunk(chunk, out, sinks, cp, opts)
                cp.save(run.path)
                bar.update(len(chunk))
                time.sleep(delay)
        cp.sinks = {route: sink.commit() for route, sink in sinks.items()}  # no input rows at all

    def finalize(self, run: Run) -> None:
        """Move each complete output to its name (the main output last)."""
        for sink in run.sinks.values():
            sink.finalize()


def _html_reports(run: Run) -> HtmlReports | None:
    """Return the writer of the run's HTML reports (``--html-dir``), its folder made; or None."""
    if run.job.html_dir is None:
        return None
    from detector.batch.reports import HtmlReports

    run.job.html_dir.mkdir(parents=True, exist_ok=True)
    return HtmlReports(run.job.html_dir, run.scorer, run.opts)


def run_batch(
    job: BatchJob, load_scorer: ScorerLoader, engine: Engine | None = None
) -> BatchSummary:
    """Run ``job`` to completion (resuming it if asked); the model loads after cheap checks.

    ``engine`` defaults to the local engine. Only one run at a time may write an output.
    """
    engine = engine or LocalEngine()
    _check_html_dir(job, engine)
    files = expand_inputs(job.inputs)
    sinks = _check_targets(job, files)
    with output_lock(job.output):
        return _run_locked(job, files, sinks, load_scorer, engine)


def _run_locked(
    job: BatchJob,
    files: list[Path],
    sinks: dict[str, Sink],
    load_scorer: ScorerLoader,
    engine: Engine,
) -> BatchSummary:
    path = partial_dir(job.output) / CHECKPOINT_FILE
    previous = _previous(job, path)
    scorer = load_scorer()
    if job.options.spans and getattr(scorer, "heads", None) is None:
        raise InputError(
            f"--spans needs a model with span and type heads; {scorer.name} has none "
            "(fit them with garble-train heads; every shipped model has them)"
        )
    opts = job.options.resolved(scorer)
    fingerprint = {**_fingerprint(job, files, opts, scorer), **engine.fingerprint(job)}
    cp = _checkpoint(previous, fingerprint)
    run = Run(job, files, load_scorer, scorer, opts, sinks, cp, path)
    try:
        if not run.cp.complete:
            partial_dir(job.output).mkdir(parents=True, exist_ok=True)
            engine.stream(run)
            run.cp.complete = True
            run.cp.save(path)
        engine.finalize(run)
    except InputError:
        if not path.exists():
            _remove_partials(job)
        raise
    except OSError as exc:  # the output's disk is full, or the output cannot be written
        raise InputError(_write_failure(exc, job, path)) from exc
    return run.summary()


def _write_failure(exc: OSError, job: BatchJob, path: Path) -> str:
    """Return the one-line error of a run stopped by an output it cannot write."""
    reason = f"cannot write {exc.filename or job.output}: {exc.strerror or exc}"
    if not path.exists():
        _remove_partials(job)
        return f"{reason}; nothing was committed"
    rows = Checkpoint.load(path).rows_in
    return (
        f"{reason}; the first {rows} input rows are committed in {path.parent}: fix the cause, "
        "then rerun with --resume"
    )
